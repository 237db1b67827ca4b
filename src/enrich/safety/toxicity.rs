//! Toxicity: a lexicon of words with category and severity (built from LDNOOBW, Surge AI
//! and better-profanity, see `assets/lexicons/README.md`), matched whole-word (plural
//! endings allowed) and after leetspeak normalisation, minus an allowlist of everyday
//! homonyms so "Scunthorpe", "cocktail" or "the hell of a commute" do not count.

use super::config::ToxicityConfig;
use super::prefilter::{Hits, PrefilterBuilder, Target};
use super::{SafetyError, Sink};
use crate::model::record::Severity;
use std::collections::{HashMap, HashSet};

const LEXICON: &str = include_str!("../../../assets/lexicons/toxicity.tsv");
const ALLOWLIST: &str = include_str!("../../../assets/lexicons/allowlist.txt");

struct Entry {
    category: String,
    level: u8,
}

/// The compiled toxicity detector.
pub(crate) struct Toxicity {
    entries: Vec<Entry>,
    by_word: HashMap<String, u32>,
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
        let mut by_word = HashMap::new();
        for (word, category, level) in rows {
            if word.is_empty()
                || allow.contains(&word)
                || level < cfg.min_level
                || by_word.contains_key(&word)
            {
                continue;
            }
            let id = u32::try_from(entries.len()).unwrap_or(u32::MAX);
            pb.add(&word, Target::Toxicity(id));
            by_word.insert(word, id);
            entries.push(Entry { category, level });
        }
        Ok(Self { entries, by_word })
    }

    pub(crate) fn detect(&self, text: &str, hits: &Hits, sink: &mut Sink<'_>) {
        let mut found: Vec<(u32, usize, usize)> = hits.toxicity.clone();
        self.leet_hits(text, &mut found);
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
            let (sev, score) = match en.level {
                0 | 1 => (Severity::Low, 0.6),
                2 => (Severity::Medium, 0.8),
                _ => (Severity::High, 0.95),
            };
            sink.push("toxicity", &en.category, sev, score, s, e);
        }
    }

    /// Words written with digits or symbols for letters ("sh1t", "@ss").
    fn leet_hits(&self, text: &str, found: &mut Vec<(u32, usize, usize)>) {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            // Only words where a leet character touches a letter can be leetspeak.
            let c = b[i];
            let leet = matches!(
                c,
                b'0' | b'1' | b'3' | b'4' | b'5' | b'7' | b'@' | b'$' | b'!'
            );
            let touches = b.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
                || (i > 0 && b[i - 1].is_ascii_alphabetic());
            if !leet || !touches {
                i += 1;
                continue;
            }
            let mut s = i;
            while s > 0 && is_leet_word_byte(b[s - 1]) {
                s -= 1;
            }
            while i < b.len() && is_leet_word_byte(b[i]) {
                i += 1;
            }
            let w = &b[s..i];
            let (mut ws, mut we) = (0, w.len());
            while ws < we
                && matches!(w[ws], b'!' | b'$' | b'@')
                && !w[ws + 1..we].iter().any(u8::is_ascii_alphabetic)
            {
                ws += 1;
            }
            while we > ws && w[we - 1] == b'!' {
                we -= 1;
            }
            let core = &w[ws..we];
            if core.len() < 3
                || !core.iter().any(u8::is_ascii_alphabetic)
                || !core.iter().any(|c| b"013457@$!".contains(c))
            {
                continue;
            }
            let norm: String = core
                .iter()
                .map(|&c| unleet(c.to_ascii_lowercase()) as char)
                .collect();
            let stem = norm.strip_suffix('s').unwrap_or(&norm);
            if let Some(&id) = self.by_word.get(&norm).or_else(|| self.by_word.get(stem)) {
                found.push((id, s + ws, s + we));
            }
        }
    }
}

fn is_leet_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'@' | b'$' | b'!')
}

fn unleet(c: u8) -> u8 {
    match c {
        b'0' => b'o',
        b'1' | b'!' => b'i',
        b'3' => b'e',
        b'4' | b'@' => b'a',
        b'5' | b'$' => b's',
        b'7' => b't',
        other => other,
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
