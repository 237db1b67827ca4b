//! Toxicity: a lexicon of words with category and severity (built from LDNOOBW, Surge AI
//! and better-profanity, see `assets/lexicons/README.md`), matched whole-word (plural
//! endings allowed) and after leetspeak normalisation, minus an allowlist of everyday
//! homonyms so "Scunthorpe", "cocktail" or "the hell of a commute" do not count.

use super::config::ToxicityConfig;
use super::prefilter::{Hits, PrefilterBuilder, Target};
use super::{SafetyError, Sink};
use crate::model::record::Severity;
use std::collections::HashSet;

const LEXICON: &str = include_str!("../../../assets/lexicons/toxicity.tsv");
const ALLOWLIST: &str = include_str!("../../../assets/lexicons/allowlist.txt");

struct Entry {
    category: String,
    level: u8,
}

/// The compiled toxicity detector.
pub(crate) struct Toxicity {
    entries: Vec<Entry>,
}

impl Toxicity {
    pub(crate) fn new(
        cfg: &ToxicityConfig,
        pb: &mut PrefilterBuilder,
    ) -> Result<Self, SafetyError> {
        let source = match &cfg.lexicon {
            Some(p) => std::fs::read_to_string(p).map_err(|e| SafetyError::Lexicon {
                path: p.display().to_string(),
                source: e,
            })?,
            None => LEXICON.to_string(),
        };
        let allow: HashSet<String> = ALLOWLIST
            .lines()
            .chain(cfg.allow.iter().map(String::as_str))
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.trim().to_ascii_lowercase())
            .collect();
        let mut entries = Vec::new();
        let rows = source
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let mut p = l.split('\t');
                let word = p.next().unwrap_or("").trim().to_ascii_lowercase();
                let cat = p.next().unwrap_or("profanity").to_string();
                let level = p.next().and_then(|x| x.trim().parse().ok()).unwrap_or(2u8);
                (word, cat, level)
            })
            .chain(
                cfg.extra_words
                    .iter()
                    .map(|w| (w.to_ascii_lowercase(), "custom".to_string(), 2)),
            );
        let mut seen = HashSet::new();
        for (word, category, level) in rows {
            if word.is_empty()
                || allow.contains(&word)
                || level < cfg.min_level
                || seen.contains(&word)
            {
                continue;
            }
            let id = u32::try_from(entries.len()).unwrap_or(u32::MAX);
            pb.add(&word, Target::Toxicity(id));
            seen.insert(word);
            entries.push(Entry { category, level });
        }
        Ok(Self { entries })
    }

    pub(crate) fn detect(&self, hits: &Hits, sink: &mut Sink<'_>) {
        let mut found: Vec<(u32, usize, usize)> = hits.toxicity.clone();
        // Longest match per position wins ("jim crow" over "crow").
        found.sort_by_key(|&(_, s, e)| (s, std::cmp::Reverse(e)));
        let mut last_end = 0;
        for (id, s, e) in found {
            if s < last_end {
                continue;
            }
            last_end = e;
            let Some(en) = self.entries.get(id as usize) else {
                continue;
            };
            let (sev, score) = severity(&en.category, en.level);
            sink.push("toxicity", &en.category, sev, score, s, e);
        }
    }
}

/// Severity by category and level: slurs and attacks on identity are high whatever the
/// source's level; profanity and anatomy stay at most medium (rude, not hateful).
fn severity(category: &str, level: u8) -> (Severity, f32) {
    let hateful = category.starts_with("racial")
        || category.starts_with("sexual_orientation")
        || category.starts_with("religious")
        || category.contains("disability");
    match (hateful, level) {
        (true, 2..) => (Severity::High, 0.95),
        (true, _) => (Severity::Medium, 0.8),
        (false, 0 | 1) => (Severity::Low, 0.6),
        (false, _) => (Severity::Medium, 0.8),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Detectors, SafetyConfig};
    use crate::model::record::{Flag, TextField};

    fn tox(text: &str) -> Vec<Flag> {
        let d = Detectors::new(&SafetyConfig::default()).unwrap();
        let mut out = Vec::new();
        d.scan_text(text, TextField::Input(0), &mut out);
        out.retain(|f| f.detector == "toxicity");
        out
    }

    #[test]
    fn lexicon_words_plurals_and_leetspeak() {
        assert_eq!(tox("hey bitch").len(), 1);
        assert_eq!(tox("those bitches").len(), 1);
        assert_eq!(tox("what the sh1t").len(), 1);
        assert_eq!(tox("shut up, a$$hole").len(), 1);
    }

    #[test]
    fn scunthorpe_and_homonyms_pass() {
        for t in [
            "I live in Scunthorpe and study classical assassins' history",
            "Order a cocktail at the Cockburn bar",
            "Put the sheet on the bed and screw the shelf to the wall",
            "Analyse the analytics, then kill the process",
        ] {
            assert!(tox(t).is_empty(), "{t}: {:?}", tox(t));
        }
    }
}
