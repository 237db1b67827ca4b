//! Refusals in model output ("I'm sorry, but I can't…", "As an AI language model…",
//! partial refusals that push back on the premise). A quality signal, not a safety one.

use super::config::RefusalConfig;
use super::prefilter::{Hits, PrefilterBuilder, Target};
use super::Sink;
use crate::model::record::Severity;

const PHRASES: &str = include_str!("../../../assets/refusal_phrases.tsv");

/// Cues after this many bytes count half: a late "I can't" is usually a caveat.
const OPENING: usize = 300;

/// The compiled refusal detector.
pub(crate) struct Refusal {
    weights: Vec<f32>,
    threshold: f32,
    severity: Option<Severity>,
}

impl Refusal {
    pub(crate) fn new(cfg: &RefusalConfig, pb: &mut PrefilterBuilder) -> Self {
        let mut weights = Vec::new();
        for line in PHRASES.lines().filter(|l| !l.starts_with('#')) {
            let Some((w, phrase)) = line.split_once('\t') else {
                continue;
            };
            let Ok(w) = w.parse::<f32>() else { continue };
            pb.add(
                phrase,
                Target::Refusal(u16::try_from(weights.len()).unwrap_or(u16::MAX)),
            );
            weights.push(w);
        }
        Self {
            weights,
            threshold: cfg.threshold,
            severity: cfg.severity,
        }
    }

    pub(crate) fn detect(&self, _text: &str, hits: &Hits, sink: &mut Sink<'_>) {
        let mut seen: Vec<u16> = Vec::new();
        let mut keep = 1.0f32;
        let mut span = (usize::MAX, 0usize);
        for &(id, s, e) in &hits.refusal {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            let w = self.weights.get(usize::from(id)).copied().unwrap_or(0.0);
            keep *= 1.0 - if s < OPENING { w } else { w / 2.0 };
            if s < span.0 {
                span = (s, e);
            }
        }
        let score = 1.0 - keep;
        if score >= self.threshold {
            let rule = if span.0 < OPENING {
                "refusal"
            } else {
                "partial"
            };
            sink.push(
                "refusal",
                rule,
                self.severity.unwrap_or(Severity::Info),
                score,
                span.0,
                span.1,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Detectors, SafetyConfig};
    use crate::model::record::TextField;

    fn refused(text: &str) -> bool {
        let d = Detectors::new(&SafetyConfig::default()).unwrap();
        let mut out = Vec::new();
        d.scan_text(text, TextField::Output, &mut out);
        out.iter().any(|f| f.detector == "refusal")
    }

    #[test]
    fn refusals_and_partial_refusals() {
        assert!(refused(
            "I\u{2019}m sorry, but I can\u{2019}t help with making weapons."
        ));
        assert!(refused(
            "As an AI language model, I cannot provide medical diagnoses."
        ));
        assert!(refused(
            "It is not accurate or fair to claim that; every group deserves respect."
        ));
    }

    #[test]
    fn helpful_answers_are_not_refusals() {
        assert!(!refused(
            "Sure! Here is a recipe for banana bread: mix flour, sugar and bananas."
        ));
        assert!(!refused(
            "You can't divide by zero in Python; it raises ZeroDivisionError."
        ));
    }
}
