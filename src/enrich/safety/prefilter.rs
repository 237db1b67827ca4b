//! The one literal pass over each text: a leftmost-first, ASCII-case-insensitive
//! Aho-Corasick automaton holding the cues of every detector family, run once over the
//! normalised [`View`] of a text, so a text is read once however many rules there are.
//! Families register their literals with [`PrefilterBuilder`] and get back the hits tagged
//! with their own ids, in original byte offsets.
//!
//! Leftmost-first with the longest literals first means a match is the longest cue starting
//! at the leftmost position; the shorter cues inside it ("ignore" inside "ignore all
//! previous instructions") are carried by the long literal, so no family loses a cue to
//! another. Word literals match whole words only, at Unicode word boundaries, so
//! "assess", "spikes" or "Scunthorpe" never contain a hit.

use super::normalize::View;
use super::SafetyError;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use std::collections::HashMap;

/// Which family (and which entry of it) a literal belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Injection cue (index into the injection cue table), whole-word.
    Injection(u16),
    /// Refusal cue, whole-word.
    Refusal(u16),
    /// Toxicity lexicon entry, whole-word allowing an English plural.
    Toxicity(u32),
    /// Secret trigger (kind id), substring.
    Secret(u8),
    /// Custom literal rule, whole-word.
    Custom(u16),
}

/// A target of a literal, with where inside the literal it sits (view bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Placed {
    target: Target,
    start: usize,
    end: usize,
}

/// Collects the literals of all families before the automaton is built.
#[derive(Default)]
pub(crate) struct PrefilterBuilder {
    patterns: Vec<String>,
    index: HashMap<String, usize>,
    targets: Vec<Vec<Target>>,
}

impl PrefilterBuilder {
    /// Registers `literal` (matched case-insensitively, on the normalised view) for
    /// `target`.
    pub(crate) fn add(&mut self, literal: &str, target: Target) {
        let lit = View::new(literal.trim()).as_str().to_lowercase();
        if lit.is_empty() {
            return;
        }
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
        let err = |e: aho_corasick::BuildError| SafetyError::Prefilter(e.to_string());
        // Longest first, so leftmost-first prefers the longest literal at a position.
        let mut order: Vec<usize> = (0..self.patterns.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.patterns[i].len()));
        let patterns: Vec<&str> = order.iter().map(|&i| self.patterns[i].as_str()).collect();
        // Every literal also carries the literals found inside it.
        let inner = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)
            .map_err(err)?;
        let mut placed: Vec<Vec<Placed>> = Vec::with_capacity(patterns.len());
        for (k, p) in patterns.iter().enumerate() {
            let mut v: Vec<Placed> = self.targets[order[k]]
                .iter()
                .map(|&target| Placed {
                    target,
                    start: 0,
                    end: p.len(),
                })
                .collect();
            for m in inner.find_overlapping_iter(*p) {
                let q = m.pattern().as_usize();
                if q == k {
                    continue;
                }
                let outer = &self.targets[order[k]];
                for &target in &self.targets[order[q]] {
                    // A lexicon word inside a longer one adds nothing ("ass" in "asses").
                    let both_lexicon = matches!(target, Target::Toxicity(_))
                        && outer.iter().any(|t| matches!(t, Target::Toxicity(_)));
                    if both_lexicon {
                        continue;
                    }
                    v.push(Placed {
                        target,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
            placed.push(v);
        }
        let builder = |kind| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostFirst)
                .kind(kind)
                .build(&patterns)
        };
        let ac = builder(Some(AhoCorasickKind::DFA))
            .or_else(|_| builder(None))
            .map_err(err)?;
        Ok(Prefilter { ac, placed })
    }
}

/// The compiled literal pass.
pub(crate) struct Prefilter {
    ac: AhoCorasick,
    placed: Vec<Vec<Placed>>,
}

/// What the literal pass found in one text, per family, as original byte spans.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    pub injection: Vec<InjectionHit>,
    pub refusal: Vec<(u16, usize, usize)>,
    pub toxicity: Vec<(u32, usize, usize)>,
    pub secrets: Vec<(u8, usize, usize)>,
    pub custom: Vec<(u16, usize, usize)>,
}

/// An injection cue hit: original span and view span (the windows around it are read on
/// the view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InjectionHit {
    pub id: u16,
    pub start: usize,
    pub end: usize,
    pub view_start: usize,
    pub view_end: usize,
}

impl Prefilter {
    /// Finds the registered literals in the view, applying each family's boundary rule.
    /// When the literal at a position is not a whole word there, the search resumes one
    /// character later, so a failed long literal never hides a shorter one.
    pub(crate) fn scan(&self, view: &View<'_>) -> Hits {
        let mut hits = Hits::default();
        let hay = view.as_str();
        let mut at = 0;
        while at < hay.len() {
            let Some(m) = self.ac.find(Input::new(hay).span(at..hay.len())) else {
                break;
            };
            let (s, e) = (m.start(), m.end());
            let placed = &self.placed[m.pattern().as_usize()];
            let mut whole = false;
            for p in placed.iter().filter(|p| p.start == 0 && p.end == e - s) {
                whole |= accept(&mut hits, view, p.target, s, e);
            }
            if whole {
                for p in placed.iter().filter(|p| p.start != 0 || p.end != e - s) {
                    accept(&mut hits, view, p.target, s + p.start, s + p.end);
                }
                at = e.max(s + 1);
            } else {
                at = s + hay[s..].chars().next().map_or(1, char::len_utf8);
            }
        }
        hits
    }
}

/// Applies the target's boundary rule to the view span and records the hit.
fn accept(hits: &mut Hits, view: &View<'_>, t: Target, s: usize, e: usize) -> bool {
    let hay = view.as_str();
    let end = match t {
        Target::Secret(_) => Some(e),
        Target::Toxicity(_) => plural_word_end(hay, s, e),
        _ => whole_word(hay, s, e).then_some(e),
    };
    let Some(e) = end else { return false };
    let (os, oe) = (view.orig(s), view.orig(e));
    match t {
        Target::Injection(id) => hits.injection.push(InjectionHit {
            id,
            start: os,
            end: oe,
            view_start: s,
            view_end: e,
        }),
        Target::Refusal(i) => hits.refusal.push((i, os, oe)),
        Target::Toxicity(i) => hits.toxicity.push((i, os, oe)),
        Target::Secret(k) => hits.secrets.push((k, os, oe)),
        Target::Custom(i) => hits.custom.push((i, os, oe)),
    }
    true
}

/// Scripts written without spaces between words: a cue in them has no word boundary.
fn unspaced(c: char) -> bool {
    matches!(u32::from(c),
        0x0E00..=0x0EFF | 0x1000..=0x109F | 0x3040..=0x30FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F | 0x20000..=0x2FFFF)
}

/// A character that continues a word (so a cue next to it is not a whole word).
fn wordish(c: char) -> bool {
    c == '_' || (c.is_alphanumeric() && !unspaced(c))
}

/// Whole-word check for a match `[s, e)` of the view: where the literal starts (ends) with
/// a word character, the character before (after) it must not be one.
pub(crate) fn whole_word(hay: &str, s: usize, e: usize) -> bool {
    let (Some(inner), Some(before), Some(after)) = (hay.get(s..e), hay.get(..s), hay.get(e..))
    else {
        return false;
    };
    let edge = |c: Option<char>| c.is_some_and(wordish);
    let before_ok = !edge(inner.chars().next()) || !edge(before.chars().next_back());
    let after_ok = !edge(inner.chars().next_back()) || !edge(after.chars().next());
    before_ok && after_ok
}

/// Whole-word end of a lexicon match, also accepting an English plural: `s`, or `es`
/// after s, x, z, ch or sh ("bitches", never "spik" + "es").
fn plural_word_end(hay: &str, s: usize, e: usize) -> Option<usize> {
    if whole_word(hay, s, e) {
        return Some(e);
    }
    let word = hay.get(s..e)?.to_ascii_lowercase();
    let rest = hay.as_bytes().get(e..)?;
    let lower = |i: usize| rest.get(i).map(u8::to_ascii_lowercase);
    let sibilant = ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|x| word.ends_with(x));
    let end = if lower(0) == Some(b's') && !word.ends_with('s') {
        e + 1
    } else if sibilant && lower(0) == Some(b'e') && lower(1) == Some(b's') {
        e + 2
    } else {
        return None;
    };
    whole_word(hay, s, end).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(pf: &Prefilter, text: &str) -> Hits {
        pf.scan(&View::new(text))
    }

    #[test]
    fn one_pass_serves_every_family_with_its_boundary_rule() {
        let mut b = PrefilterBuilder::default();
        b.add("ignore", Target::Injection(0));
        b.add("hoe", Target::Toxicity(7));
        b.add("sk-", Target::Secret(1));
        b.add("i'm sorry", Target::Refusal(3));
        let pf = b.build().unwrap();
        let h = scan(&pf, "IGNORE shoes, hoes; task-x sk-abc I\u{2019}m sorry");
        assert_eq!(h.injection.len(), 1);
        assert_eq!(h.toxicity, vec![(7, 14, 18)]);
        assert_eq!(h.secrets.len(), 2);
        assert_eq!(h.refusal.len(), 1);
    }

    #[test]
    fn long_literals_carry_the_cues_inside_them() {
        let mut b = PrefilterBuilder::default();
        b.add("i'm sorry, but", Target::Refusal(0));
        b.add("i'm sorry", Target::Injection(1));
        let pf = b.build().unwrap();
        let h = scan(&pf, "I'm sorry, but no.");
        assert_eq!(h.refusal, vec![(0, 0, 14)]);
        assert_eq!((h.injection[0].start, h.injection[0].end), (0, 9));
    }

    #[test]
    fn words_match_whole_at_unicode_boundaries() {
        let mut b = PrefilterBuilder::default();
        for (i, w) in ["ass", "asses", "spik", "dumm", "все", "指令"]
            .iter()
            .enumerate()
        {
            b.add(w, Target::Toxicity(i as u32));
        }
        let pf = b.build().unwrap();
        for t in ["assess the risk", "spikes", "dummy", "всего", "classes"] {
            assert!(scan(&pf, t).toxicity.is_empty(), "{t}");
        }
        assert_eq!(scan(&pf, "spiks").toxicity.len(), 1);
        assert_eq!(scan(&pf, "Забудь ВСЕ").toxicity.len(), 1);
        assert_eq!(scan(&pf, "忽略指令吧").toxicity.len(), 1);
        assert_eq!(scan(&pf, "sh1t for a$$es").toxicity.len(), 1);
    }

    #[test]
    fn hits_are_in_original_offsets() {
        let mut b = PrefilterBuilder::default();
        b.add("ignore", Target::Injection(0));
        let pf = b.build().unwrap();
        let text = "é i\u{200B}gn0re";
        let h = scan(&pf, text);
        assert_eq!(h.injection.len(), 1);
        let (s, e) = (h.injection[0].start, h.injection[0].end);
        assert_eq!(&text[s..e], "i\u{200B}gn0re");
    }
}
