//! The one literal pass over each text: an ASCII-case-insensitive Aho-Corasick automaton
//! holding the cues of every detector family, so a text is read once however many rules
//! there are. Families register their literals with [`PrefilterBuilder`] and get back the
//! hits tagged with their own ids.

use super::{whole_word, SafetyError};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::collections::HashMap;

/// Which family (and which entry of it) a literal belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Injection cue (index into the injection cue table), whole-word.
    Injection(u16),
    /// Injection regex gate (bit index), substring.
    Gate(u8),
    /// Refusal cue, whole-word.
    Refusal(u16),
    /// Toxicity lexicon entry, whole-word allowing a plural `s`/`es`.
    Toxicity(u32),
    /// Secret trigger (kind id), substring.
    Secret(u8),
    /// Custom literal rule, whole-word.
    Custom(u16),
}

/// Collects the literals of all families before the automaton is built.
#[derive(Default)]
pub(crate) struct PrefilterBuilder {
    patterns: Vec<String>,
    index: HashMap<String, usize>,
    targets: Vec<Vec<Target>>,
}

impl PrefilterBuilder {
    /// Registers `literal` (matched ASCII-case-insensitively) for `target`. Straight
    /// apostrophes also match typographic ones.
    pub(crate) fn add(&mut self, literal: &str, target: Target) {
        let lit = literal.to_ascii_lowercase();
        if lit.is_empty() {
            return;
        }
        if lit.contains('\'') {
            self.add_one(lit.replace('\'', "\u{2019}"), target);
        }
        // ASCII case folding does not cover other scripts: also match a capitalised start.
        let mut chars = lit.chars();
        if let Some(first) = chars.next().filter(|c| !c.is_ascii()) {
            let cap: String = first.to_uppercase().chain(chars).collect();
            if cap != lit {
                self.add_one(cap, target);
            }
        }
        self.add_one(lit, target);
    }

    fn add_one(&mut self, lit: String, target: Target) {
        let id = match self.index.get(&lit) {
            Some(&id) => id,
            None => {
                let id = self.patterns.len();
                self.index.insert(lit.clone(), id);
                self.patterns.push(lit);
                self.targets.push(Vec::new());
                id
            }
        };
        if !self.targets[id].contains(&target) {
            self.targets[id].push(target);
        }
    }

    /// Builds the automaton (a DFA: fastest to search, a few MB for the full lexicon).
    pub(crate) fn build(self) -> Result<Prefilter, SafetyError> {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&self.patterns)
            .or_else(|_| {
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&self.patterns)
            })
            .map_err(|e| SafetyError::Prefilter(e.to_string()))?;
        Ok(Prefilter {
            ac,
            targets: self.targets,
        })
    }
}

/// The compiled literal pass.
pub(crate) struct Prefilter {
    ac: AhoCorasick,
    targets: Vec<Vec<Target>>,
}

/// What the literal pass found in one text, per family, as byte spans.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    pub injection: Vec<(u16, usize, usize)>,
    pub gates: u32,
    pub refusal: Vec<(u16, usize, usize)>,
    pub toxicity: Vec<(u32, usize, usize)>,
    pub secrets: Vec<(u8, usize, usize)>,
    pub custom: Vec<(u16, usize, usize)>,
}

impl Prefilter {
    /// Finds every registered literal in `text` (overlapping), applying each family's
    /// boundary rule.
    pub(crate) fn scan(&self, text: &str) -> Hits {
        let mut hits = Hits::default();
        let bytes = text.as_bytes();
        for m in self.ac.find_overlapping_iter(text) {
            let (s, e) = (m.start(), m.end());
            for t in &self.targets[m.pattern().as_usize()] {
                match *t {
                    Target::Injection(i) if whole_word(bytes, s, e) => {
                        hits.injection.push((i, s, e))
                    }
                    Target::Gate(g) => hits.gates |= 1 << g,
                    Target::Refusal(i) if whole_word(bytes, s, e) => hits.refusal.push((i, s, e)),
                    Target::Toxicity(i) => {
                        if let Some(end) = plural_word_end(bytes, s, e) {
                            hits.toxicity.push((i, s, end));
                        }
                    }
                    Target::Secret(k) => hits.secrets.push((k, s, e)),
                    Target::Custom(i) if whole_word(bytes, s, e) => hits.custom.push((i, s, e)),
                    _ => {}
                }
            }
        }
        hits
    }
}

/// Whole-word end of a lexicon match, also accepting a plural `s` or `es` after it.
fn plural_word_end(b: &[u8], s: usize, e: usize) -> Option<usize> {
    if s > 0 && b[s - 1].is_ascii_alphanumeric() {
        return None;
    }
    let free = |i: usize| b.get(i).is_none_or(|c| !c.is_ascii_alphanumeric());
    if free(e) {
        return Some(e);
    }
    let lower = |i: usize| b.get(i).map(u8::to_ascii_lowercase);
    if lower(e) == Some(b's') && free(e + 1) {
        return Some(e + 1);
    }
    (lower(e) == Some(b'e') && lower(e + 1) == Some(b's') && free(e + 2)).then_some(e + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_serves_every_family_with_its_boundary_rule() {
        let mut b = PrefilterBuilder::default();
        b.add("ignore", Target::Injection(0));
        b.add("hoe", Target::Toxicity(7));
        b.add("sk-", Target::Secret(1));
        b.add("i'm sorry", Target::Refusal(3));
        let pf = b.build().unwrap();
        let h = pf.scan("IGNORE shoes, hoes; task-x sk-abc I\u{2019}m sorry");
        assert_eq!(h.injection.len(), 1);
        assert_eq!(h.toxicity, vec![(7, 14, 18)]);
        assert_eq!(h.secrets.len(), 2);
        assert_eq!(h.refusal.len(), 1);
    }
}
