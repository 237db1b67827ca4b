//! The `drift` and `quality` objects `report --baseline` adds, and their text form.

use super::compare::{FeatureDrift, Kind, Test};
use super::text::TextDrift;
use super::{DriftState, ReferenceOrigin};
use crate::engine::quality::{JudgeReport, QualitySummary};
use crate::model::record::format_time;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One feature in `drift.features`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureReport {
    pub kind: Kind,
    pub test: Test,
    /// p-value (KS, chi-squared) or distance; `null` when there was not enough data.
    pub statistic: Option<f64>,
    pub threshold: f64,
    pub drift: bool,
    pub status: &'static str,
    pub psi: Option<f64>,
    pub psi_band: Option<&'static str>,
    pub reference_n: u64,
    pub current_n: u64,
}

impl From<&FeatureDrift> for FeatureReport {
    fn from(f: &FeatureDrift) -> Self {
        FeatureReport {
            kind: f.kind,
            test: f.test,
            statistic: f.statistic,
            threshold: f.threshold,
            drift: f.drift,
            status: status(f),
            psi: f.psi,
            psi_band: f.psi_band,
            reference_n: f.reference_n,
            current_n: f.current_n,
        }
    }
}

/// `drift.text`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextReport {
    pub prompt: Option<TextDrift>,
    pub response: Option<TextDrift>,
}

/// What the comparison was made against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceReport {
    pub origin: Option<ReferenceOrigin>,
    pub records: u64,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `drift` in `report --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    pub dataset_drift: bool,
    pub share: f64,
    pub drifted: usize,
    pub evaluated: usize,
    pub reference: ReferenceReport,
    pub from: Option<String>,
    pub to: Option<String>,
    pub calls: u64,
    pub features: BTreeMap<String, FeatureReport>,
    pub text: TextReport,
}

/// "drift", "no drift" or "not enough data".
pub fn status(f: &FeatureDrift) -> &'static str {
    if !f.enough_data {
        "not enough data"
    } else if f.drift {
        "drift"
    } else {
        "no drift"
    }
}

impl DriftState {
    /// The drift verdict of the window in progress, shaped for `report --json`.
    pub fn report(&self) -> Option<DriftReport> {
        let w = self.evaluate_current()?;
        let d = w.drift?;
        let p = self.reference()?;
        Some(DriftReport {
            dataset_drift: d.dataset_drift,
            share: d.share,
            drifted: d.drifted,
            evaluated: d.evaluated,
            reference: ReferenceReport {
                origin: self.origin.clone(),
                records: p.records,
                from: p.from.clone(),
                to: p.to.clone(),
            },
            from: (w.calls > 0).then(|| format_time(w.start)),
            to: (w.calls > 0).then(|| format_time(w.end)),
            calls: w.calls,
            features: d
                .features
                .iter()
                .map(|f| (f.name.clone(), FeatureReport::from(f)))
                .collect(),
            text: TextReport {
                prompt: d.prompt,
                response: d.response,
            },
        })
    }

    /// Quality signals since start, shaped for `report --json`.
    pub fn quality_report(&self) -> QualitySummary {
        let mut q = self
            .quality
            .total
            .summary(self.quality.config().hallucination_below);
        q.judge = self.quality.judge_report();
        if let Some(now) = self.current.last {
            q.abandoned += self.quality.pending_abandoned(now);
        }
        q
    }
}

/// The drift and quality section of the text report.
pub fn to_text(d: Option<&DriftReport>, q: &QualitySummary) -> String {
    let mut out = String::new();
    match d {
        None => out.push_str("\ndrift: no reference\n"),
        Some(d) => {
            let _ = writeln!(
                out,
                "\ndrift against the baseline ({} reference calls): {} of {} features drift ({:.0}%){}",
                d.reference.records,
                d.drifted,
                d.evaluated,
                d.share * 100.0,
                if d.dataset_drift { " — DATASET DRIFT" } else { "" }
            );
            for (name, f) in &d.features {
                let stat = f.statistic.map_or("-".to_string(), |s| format!("{s:.4}"));
                let _ = writeln!(
                    out,
                    "  {name:<18} {:<15} {:>10} {} {:<6} psi {:<8} {}",
                    f.test.as_str(),
                    stat,
                    if f.test.is_p_value() { "<" } else { "≥" },
                    f.threshold,
                    f.psi.map_or("-".to_string(), |v| format!("{v:.3}")),
                    f.status
                );
            }
            for (label, t) in [("prompt", &d.text.prompt), ("response", &d.text.response)] {
                let Some(t) = t else { continue };
                let terms: Vec<&str> = t
                    .top_new_terms
                    .iter()
                    .take(5)
                    .map(|x| x.term.as_str())
                    .collect();
                let _ = writeln!(
                    out,
                    "  text {label:<13} js {:.3}{}   new: {}",
                    t.js,
                    if t.drift { " (drift)" } else { "" },
                    terms.join(", ")
                );
            }
        }
    }
    let _ =
        writeln!(
        out,
        "quality: feedback up {} down {} (negative {:.1}%)   rephrase rate {:.1}%   abandoned {}{}",
        q.feedback.up,
        q.feedback.down,
        q.feedback.negative_rate * 100.0,
        q.rephrase_rate * 100.0,
        q.abandoned,
        q.groundedness
            .ungrounded_share
            .map_or(String::new(), |g| format!("   ungrounded {:.1}%", g * 100.0))
    );
    out.push_str(&judge_text(&q.judge));
    out
}

/// The judge lines of the text report: mean per criterion, the hallucination rate, and the
/// means per judged call's model. Empty without judge scores.
pub fn judge_text(j: &JudgeReport) -> String {
    let mut out = String::new();
    for (name, c) in &j.criteria {
        let _ = writeln!(
            out,
            "  judge {}: mean {:.3} (n={})",
            one_line(name),
            c.mean,
            c.count
        );
    }
    if let Some(rate) = j.hallucination_rate {
        let _ = writeln!(
            out,
            "  hallucination rate {:.1}% ({} of {} groundedness verdicts below {})",
            rate * 100.0,
            j.hallucination.below,
            j.hallucination.judged,
            j.hallucination.threshold
        );
    }
    if !j.by_model.is_empty() {
        out.push_str("  judge means by model:\n");
    }
    for (model, criteria) in &j.by_model {
        let means: Vec<String> = criteria
            .iter()
            .map(|(n, c)| format!("{} {:.3} (n={})", one_line(n), c.mean, c.count))
            .collect();
        let _ = writeln!(out, "    {}: {}", one_line(model), means.join(", "));
    }
    out
}

/// A name from the input on one line: control characters (line breaks included) escaped,
/// so a name cannot forge report lines (the output is sanitised for the terminal after).
fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}
