//! Text drift: prompts and responses become bags of terms (lower-cased words and bigrams,
//! stop words, numbers and one-letter tokens dropped), counted once per document. The
//! reference keeps its top terms; the current window keeps up to a cap of distinct terms.
//! Compared by Jensen–Shannon distance, with the terms that gained and lost most share.

use super::stats::js_distance;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

/// English stop words (sorted, for binary search).
const STOP_WORDS: [&str; 134] = [
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "but", "by", "can", "could", "did", "do", "does", "don",
    "each", "for", "from", "get", "got", "had", "has", "have", "he", "her", "here", "hers", "him",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "let", "ll", "me", "more",
    "most", "my", "no", "not", "now", "of", "off", "ok", "on", "once", "only", "or", "other",
    "our", "out", "over", "please", "re", "s", "same", "she", "should", "so", "some", "such", "t",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "through", "to", "too", "up", "us", "ve", "very", "was", "we", "were", "what", "when", "where",
    "which", "while", "who", "whom", "why", "will", "with", "would", "yes", "you", "your", "yours",
    "d", "m", "o", "y", "isn", "it's", "i'm", "can't", "won't", "didn", "doesn", "what's",
    "there's", "that's", "let's", "i'll", "you're", "i've", "don't", "doesn't",
];

fn is_stop_word(w: &str) -> bool {
    static SORTED: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        let mut v = STOP_WORDS.to_vec();
        v.sort_unstable();
        v
    });
    SORTED.binary_search(&w).is_ok()
}

/// Longest token kept, in bytes (longer runs are ids, hashes or base64).
const MAX_TOKEN_BYTES: usize = 32;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Stable 64-bit hash of a term's text (a bigram is its two words joined by one space).
pub fn term_hash(term: &str) -> u64 {
    fnv(FNV_OFFSET, term.as_bytes())
}

/// Reusable buffers for splitting a document into terms without allocating per token.
#[derive(Debug, Default)]
pub struct Tokenizer {
    lower: String,
    spans: Vec<(usize, usize, u64)>,
    /// (hash, first word index, is bigram) of the current document's terms.
    terms: Vec<(u64, u32, bool)>,
}

impl Tokenizer {
    /// Splits `text` into its distinct terms; read them with [`Tokenizer::term_text`].
    pub fn tokenize(&mut self, text: &str) -> &[(u64, u32, bool)] {
        self.lower.clear();
        self.spans.clear();
        self.terms.clear();
        let mut start = None;
        let mut digit = false;
        for ch in text.chars().chain(std::iter::once(' ')) {
            if ch.is_alphanumeric() || (ch == '\'' && start.is_some()) {
                if start.is_none() {
                    start = Some(self.lower.len());
                    digit = false;
                }
                digit |= ch.is_numeric();
                if ch.is_ascii() {
                    self.lower.push(ch.to_ascii_lowercase());
                } else {
                    self.lower.extend(ch.to_lowercase());
                }
            } else if let Some(s) = start.take() {
                let word = self.lower[s..].trim_end_matches('\'');
                let end = s + word.len();
                let keep = !digit
                    && word.len() <= MAX_TOKEN_BYTES
                    && word.chars().nth(1).is_some()
                    && !is_stop_word(word);
                if keep {
                    let h = fnv(FNV_OFFSET, word.as_bytes());
                    self.spans.push((s, end, h));
                } else {
                    self.lower.truncate(s);
                }
            }
        }
        for (i, &(_, _, h)) in self.spans.iter().enumerate() {
            let idx = u32::try_from(i).unwrap_or(u32::MAX);
            self.terms.push((h, idx, false));
            if i > 0 {
                let (s, e, _) = self.spans[i - 1];
                let prev = fnv(fnv(FNV_OFFSET, &self.lower.as_bytes()[s..e]), b" ");
                let bi = fnv(
                    prev,
                    &self.lower.as_bytes()[self.spans[i].0..self.spans[i].1],
                );
                self.terms.push((bi, idx, true));
            }
        }
        self.terms.sort_unstable_by_key(|t| t.0);
        self.terms.dedup_by_key(|t| t.0);
        &self.terms
    }

    /// Text of a term returned by the last [`Tokenizer::tokenize`].
    pub fn term_text(&self, word: u32, bigram: bool) -> String {
        let i = word as usize;
        let Some(&(s, e, _)) = self.spans.get(i) else {
            return String::new();
        };
        if bigram && i > 0 {
            let (ps, pe, _) = self.spans[i - 1];
            format!("{} {}", &self.lower[ps..pe], &self.lower[s..e])
        } else {
            self.lower[s..e].to_string()
        }
    }
}

/// One term of a window, with the first record it was seen in.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowTerm {
    pub text: Box<str>,
    /// Documents containing the term.
    pub df: u32,
    pub example: Box<str>,
}

/// Document frequencies of the terms of one window (or of a baseline being built), with a
/// cap on distinct terms: once full, unseen terms only count in `mass`.
#[derive(Debug, Clone)]
pub struct TermCounts {
    /// Documents counted (after sampling).
    pub docs: u64,
    /// Documents offered, counted or not.
    pub offered: u64,
    /// Sum of document frequencies of every term seen, kept or not.
    pub mass: u64,
    pub terms: HashMap<u64, WindowTerm>,
    cap: usize,
    rng: u64,
}

/// Documents of a window counted in full; past this, each further document is counted with
/// probability `FULL_DOCS / offered` (a uniform sample, so shares stay unbiased and a long
/// window costs about `FULL_DOCS × (1 + ln(offered / FULL_DOCS))` tokenisations).
pub const FULL_DOCS: u64 = 5000;

impl TermCounts {
    /// Empty counts keeping at most `cap` distinct terms.
    pub fn new(cap: usize) -> Self {
        TermCounts {
            docs: 0,
            offered: 0,
            mass: 0,
            terms: HashMap::default(),
            cap,
            rng: 0x2545_F491_4F6C_DD1D,
        }
    }

    /// Counts one document's terms; `id` is its record id (an example for new terms).
    pub fn add(&mut self, tok: &mut Tokenizer, text: &str, id: &str) {
        self.offered += 1;
        if self.offered > FULL_DOCS {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            if self.rng % self.offered >= FULL_DOCS {
                return;
            }
        }
        self.docs += 1;
        let n = tok.tokenize(text).len();
        self.mass += n as u64;
        for k in 0..n {
            let (h, word, bigram) = tok.terms[k];
            if let Some(t) = self.terms.get_mut(&h) {
                t.df += 1;
            } else if self.terms.len() < self.cap {
                self.terms.insert(
                    h,
                    WindowTerm {
                        text: tok.term_text(word, bigram).into(),
                        df: 1,
                        example: id.into(),
                    },
                );
            }
        }
    }

    /// The `k` most frequent terms, as a reference profile keeps them.
    pub fn profile(&self, k: usize) -> TextProfile {
        let mut terms: Vec<&WindowTerm> = self.terms.values().collect();
        terms.sort_unstable_by(|a, b| b.df.cmp(&a.df).then_with(|| a.text.cmp(&b.text)));
        TextProfile {
            docs: self.docs,
            mass: self.mass,
            terms: terms
                .into_iter()
                .take(k)
                .map(|t| ProfileTerm {
                    term: t.text.to_string(),
                    df: u64::from(t.df),
                    example: Some(t.example.to_string()),
                })
                .collect(),
        }
    }
}

/// One term of a reference profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileTerm {
    pub term: String,
    /// Documents of the reference that contain it.
    pub df: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

/// The reference's term distribution: its top terms, documents and total mass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextProfile {
    pub docs: u64,
    /// Sum of document frequencies of all terms (kept or not).
    pub mass: u64,
    pub terms: Vec<ProfileTerm>,
}

/// A term that gained or lost share, with a record to look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermShift {
    pub term: String,
    /// Share of reference documents containing it.
    pub reference_share: f64,
    /// Share of current documents containing it.
    pub current_share: f64,
    /// A record id that contains it (current window for new terms, reference for lost).
    pub example: Option<String>,
}

/// Text drift of one field (prompt or response).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextDrift {
    /// Jensen–Shannon distance of the term distributions.
    pub js: f64,
    pub threshold: f64,
    pub drift: bool,
    pub reference_docs: u64,
    pub current_docs: u64,
    /// Terms most over-represented in the current window, largest gain first.
    pub top_new_terms: Vec<TermShift>,
    /// Terms most under-represented in the current window, largest loss first.
    pub top_lost_terms: Vec<TermShift>,
}

/// A text profile indexed by term hash for comparison.
#[derive(Debug, Clone)]
pub struct TextReference {
    pub profile: TextProfile,
    index: HashMap<u64, usize>,
}

impl TextReference {
    /// Indexes a profile.
    pub fn new(profile: TextProfile) -> Self {
        let index = profile
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (term_hash(&t.term), i))
            .collect();
        TextReference { profile, index }
    }

    /// Compares current counts with the reference. The distributions are projected onto
    /// the reference's kept terms plus one bucket for everything else, so both sides are
    /// measured on the same support; a new word moves mass into that bucket.
    pub fn compare(&self, cur: &TermCounts, top: usize, threshold: f64) -> TextDrift {
        let r = &self.profile;
        let mut p = Vec::with_capacity(r.terms.len() + 1);
        let mut q = Vec::with_capacity(r.terms.len() + 1);
        let (mut p_kept, mut q_kept) = (0.0, 0.0);
        for t in &r.terms {
            let c = cur
                .terms
                .get(&term_hash(&t.term))
                .map_or(0.0, |w| f64::from(w.df));
            p.push(t.df as f64);
            q.push(c);
            p_kept += t.df as f64;
            q_kept += c;
        }
        p.push((r.mass as f64 - p_kept).max(0.0));
        q.push((cur.mass as f64 - q_kept).max(0.0));
        let js = js_distance(&p, &q);
        let rd = r.docs.max(1) as f64;
        let cd = cur.docs.max(1) as f64;
        let ref_share = |h: &u64| {
            self.index
                .get(h)
                .map_or(0.0, |&i| r.terms[i].df as f64 / rd)
        };
        let mut new: Vec<TermShift> = cur
            .terms
            .iter()
            .filter(|(_, w)| w.df >= 2)
            .map(|(h, w)| TermShift {
                term: w.text.to_string(),
                reference_share: ref_share(h),
                current_share: f64::from(w.df) / cd,
                example: Some(w.example.to_string()),
            })
            .filter(|s| s.current_share > s.reference_share)
            .collect();
        new.sort_by(|a, b| {
            gain(b)
                .total_cmp(&gain(a))
                .then_with(|| a.term.cmp(&b.term))
        });
        new.truncate(top);
        let mut lost: Vec<TermShift> = r
            .terms
            .iter()
            .map(|t| TermShift {
                term: t.term.clone(),
                reference_share: t.df as f64 / rd,
                current_share: cur
                    .terms
                    .get(&term_hash(&t.term))
                    .map_or(0.0, |w| f64::from(w.df) / cd),
                example: t.example.clone(),
            })
            .filter(|s| s.current_share < s.reference_share)
            .collect();
        lost.sort_by(|a, b| {
            gain(a)
                .total_cmp(&gain(b))
                .then_with(|| a.term.cmp(&b.term))
        });
        lost.truncate(top);
        TextDrift {
            js,
            threshold,
            drift: js >= threshold,
            reference_docs: r.docs,
            current_docs: cur.docs,
            top_new_terms: new,
            top_lost_terms: lost,
        }
    }
}

fn gain(s: &TermShift) -> f64 {
    s.current_share - s.reference_share
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        let mut tok = Tokenizer::default();
        let n = tok.tokenize(text).len();
        let mut out: Vec<String> = (0..n)
            .map(|k| {
                let (_, w, b) = tok.terms[k];
                tok.term_text(w, b)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn words_and_bigrams_without_stop_words_or_numbers() {
        assert_eq!(
            terms("Where is my ORDER #12345? Order status, please!"),
            vec!["order", "order order", "order status", "status"]
        );
        assert_eq!(
            terms("Größe ÜBER alles"),
            vec!["alles", "größe", "größe über", "über", "über alles"]
        );
        assert!(terms("a 1 22 I").is_empty());
        let mut tok = Tokenizer::default();
        let h = tok
            .tokenize("refund policy")
            .iter()
            .find(|t| t.2)
            .unwrap()
            .0;
        assert_eq!(h, term_hash("refund policy"));
    }

    #[test]
    fn new_word_heads_the_gained_terms_and_js_grows() {
        let mut tok = Tokenizer::default();
        let mut r = TermCounts::new(1000);
        for i in 0..200 {
            r.add(
                &mut tok,
                "where is my refund for the blue shoes",
                &format!("r{i}"),
            );
        }
        let reference = TextReference::new(r.profile(100));
        let mut same = TermCounts::new(1000);
        for i in 0..50 {
            same.add(
                &mut tok,
                "where is my refund for the blue shoes",
                &format!("s{i}"),
            );
        }
        let d = reference.compare(&same, 25, 0.1);
        assert!(d.js < 1e-9 && !d.drift && d.top_new_terms.is_empty());
        let mut cur = TermCounts::new(1000);
        for i in 0..50 {
            let text = match i % 4 {
                0 => "where is my refund for the blue shoes",
                1 => "zephyrpay charged twice for the shoes",
                _ => "is zephyrpay down again",
            };
            cur.add(&mut tok, text, &format!("c{i}"));
        }
        let d = reference.compare(&cur, 25, 0.1);
        assert!(d.drift, "{}", d.js);
        assert_eq!(d.top_new_terms[0].term, "zephyrpay");
        assert_eq!(d.top_new_terms[0].example.as_deref(), Some("c1"));
        assert!((d.top_new_terms[0].current_share - 0.74).abs() < 1e-9);
        assert!(d.top_lost_terms.iter().any(|t| t.term == "blue"));
    }

    #[test]
    fn distinct_terms_are_capped() {
        let mut tok = Tokenizer::default();
        let mut c = TermCounts::new(3);
        c.add(&mut tok, "alpha beta gamma delta epsilon", "x");
        assert_eq!(c.terms.len(), 3);
        assert_eq!(c.mass, 9);
    }
}
