//! Profiles: what a reference (a baseline file, or a stretch of the stream) and the current
//! window know about each feature. A [`Builder`] accumulates calls with bounded memory —
//! a uniform reservoir sample per numeric feature, capped category counts, capped term
//! counts — and turns into a [`Profile`], the serde JSON that `llmmon baseline` writes.

use super::features::{Features, BINARY, CATEGORICAL, JUDGE_PREFIX, NUMERIC};
use super::text::{TermCounts, TextProfile, Tokenizer};
use crate::model::record::{format_time, Feedback, FeedbackKind, Nanos};
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the baseline file format; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Sorted values a profile keeps per numeric feature (quantiles beyond this many).
pub const PROFILE_VALUES: usize = 1000;

/// Distinct categories counted per feature before folding into `(other)`.
pub const MAX_CATEGORIES: usize = 64;

/// Judge score names tracked (each is a numeric feature).
pub const MAX_JUDGES: usize = 16;

/// Category collecting everything past [`MAX_CATEGORIES`].
pub const OTHER: &str = "(other)";

/// Name of the rate of negative feedback among feedback records.
pub const NEGATIVE_FEEDBACK: &str = "negative_feedback";

/// Name of the rate of groundedness verdicts below the hallucination threshold (in a profile
/// only once it has seen such verdicts).
pub const HALLUCINATION: &str = "hallucination";

/// A numeric feature of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericProfile {
    /// Values seen (the sample below is at most [`PROFILE_VALUES`] of them).
    pub count: u64,
    pub mean: f64,
    /// Population standard deviation over every value seen.
    pub std: f64,
    pub min: f64,
    pub max: f64,
    /// Sorted values: all of them when few, else evenly spaced quantiles of a uniform sample.
    pub values: Vec<f64>,
}

/// A categorical feature of a profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoricalProfile {
    pub count: u64,
    pub counts: BTreeMap<String, u64>,
}

/// A yes/no feature of a profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// Records where it was true.
    pub count: u64,
    /// Records looked at.
    pub n: u64,
    pub rate: f64,
}

/// Term distributions of prompts and responses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextProfiles {
    pub prompt: TextProfile,
    pub response: TextProfile,
}

/// A reference profile: the content of a baseline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub schema_version: u32,
    /// Where the data came from (file paths, or `stream`).
    pub source: Vec<String>,
    /// LLM calls profiled.
    pub records: u64,
    pub from: Option<String>,
    pub to: Option<String>,
    pub numeric: BTreeMap<String, NumericProfile>,
    pub categorical: BTreeMap<String, CategoricalProfile>,
    pub rates: BTreeMap<String, Rate>,
    pub text: TextProfiles,
}

/// A uniform random sample of a stream of numbers (Algorithm R) with exact moments.
#[derive(Debug, Clone)]
pub struct Reservoir {
    cap: usize,
    pub seen: u64,
    pub values: Vec<f64>,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
    rng: u64,
}

impl Reservoir {
    /// An empty reservoir keeping at most `cap` values.
    pub fn new(cap: usize) -> Self {
        Reservoir {
            cap: cap.max(1),
            seen: 0,
            values: Vec::new(),
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// Adds a value (non-finite values are ignored).
    pub fn push(&mut self, v: f64) {
        if !v.is_finite() {
            return;
        }
        self.seen += 1;
        let d = v - self.mean;
        self.mean += d / self.seen as f64;
        self.m2 += d * (v - self.mean);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        if self.values.len() < self.cap {
            self.values.push(v);
        } else {
            // xorshift64*: cheap, deterministic, good enough for sampling.
            self.rng ^= self.rng >> 12;
            self.rng ^= self.rng << 25;
            self.rng ^= self.rng >> 27;
            let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
            if let Ok(j) = usize::try_from(r % self.seen) {
                if j < self.cap {
                    self.values[j] = v;
                }
            }
        }
    }

    /// The sample, sorted.
    pub fn sorted(&self) -> Vec<f64> {
        let mut v = self.values.clone();
        v.sort_unstable_by(f64::total_cmp);
        v
    }

    /// The profile of what was seen, keeping at most `keep` sorted values.
    pub fn profile(&self, keep: usize) -> NumericProfile {
        let sorted = self.sorted();
        let values = if sorted.len() <= keep || keep < 2 {
            sorted
        } else {
            (0..keep)
                .map(|i| sorted[i * (sorted.len() - 1) / (keep - 1)])
                .collect()
        };
        let any = self.seen > 0;
        NumericProfile {
            count: self.seen,
            mean: self.mean,
            std: if any {
                (self.m2 / self.seen as f64).sqrt()
            } else {
                0.0
            },
            min: if any { self.min } else { 0.0 },
            max: if any { self.max } else { 0.0 },
            values,
        }
    }
}

/// Category counts with a cap on distinct values.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub total: u64,
    pub counts: HashMap<Box<str>, u64>,
}

impl Counts {
    /// Counts one value, folding new values past the cap into `(other)`.
    pub fn add(&mut self, v: &str) {
        self.total += 1;
        if let Some(n) = self.counts.get_mut(v) {
            *n += 1;
        } else if self.counts.len() < MAX_CATEGORIES {
            self.counts.insert(v.into(), 1);
        } else {
            *self.counts.entry(OTHER.into()).or_default() += 1;
        }
    }

    /// The count of one value.
    pub fn get(&self, v: &str) -> u64 {
        self.counts.get(v).copied().unwrap_or(0)
    }
}

/// How big a [`Builder`] may grow.
#[derive(Debug, Clone, Copy)]
pub struct BuilderLimits {
    /// Values sampled per numeric feature.
    pub sample: usize,
    /// Distinct terms counted per text field.
    pub terms: usize,
}

/// Accumulates calls (and feedback) into what a profile or a window comparison needs.
#[derive(Debug, Clone)]
pub struct Builder {
    limits: BuilderLimits,
    pub calls: u64,
    pub first: Option<Nanos>,
    pub last: Option<Nanos>,
    pub numeric: Vec<Reservoir>,
    pub judges: BTreeMap<String, Reservoir>,
    pub categorical: Vec<Counts>,
    /// Yes counts of the binary features (their `n` is `calls`).
    pub binary: [u64; BINARY.len()],
    pub feedback: Rate,
    /// Groundedness verdicts (`n`) and those below the hallucination threshold (`count`).
    pub hallucination: Rate,
    pub prompt: TermCounts,
    pub response: TermCounts,
}

impl Builder {
    /// An empty builder.
    pub fn new(limits: BuilderLimits) -> Self {
        Builder {
            limits,
            calls: 0,
            first: None,
            last: None,
            numeric: (0..NUMERIC.len())
                .map(|_| Reservoir::new(limits.sample))
                .collect(),
            judges: BTreeMap::new(),
            categorical: vec![Counts::default(); CATEGORICAL.len()],
            binary: [0; BINARY.len()],
            feedback: Rate::default(),
            hallucination: Rate::default(),
            prompt: TermCounts::new(limits.terms),
            response: TermCounts::new(limits.terms),
        }
    }

    /// Adds one LLM call's features at event time `t`; `id` names it in term examples.
    pub fn add(&mut self, f: &Features<'_>, id: &str, t: Nanos, tok: &mut Tokenizer) {
        self.calls += 1;
        self.first = Some(self.first.map_or(t, |v| v.min(t)));
        self.last = Some(self.last.map_or(t, |v| v.max(t)));
        for (r, v) in self.numeric.iter_mut().zip(f.numeric) {
            if let Some(v) = v {
                r.push(v);
            }
        }
        for &(name, v) in &f.judges {
            self.add_judge(name, v);
        }
        for (c, v) in self.categorical.iter_mut().zip(f.categorical) {
            c.add(v);
        }
        for (n, b) in self.binary.iter_mut().zip(f.binary) {
            *n += u64::from(b);
        }
        if let Some(p) = f.prompt {
            self.prompt.add(tok, p, id);
        }
        if let Some(r) = f.response {
            self.response.add(tok, r, id);
        }
    }

    fn add_judge(&mut self, name: &str, v: f64) {
        if let Some(r) = self.judges.get_mut(name) {
            r.push(v);
        } else if self.judges.len() < MAX_JUDGES {
            let mut r = Reservoir::new(self.limits.sample);
            r.push(v);
            self.judges.insert(name.to_string(), r);
        }
    }

    /// Counts an LLM judge's verdict: a value of its criterion's score feature and, for
    /// groundedness, a yes/no of the hallucination rate (yes below `hallucination_below`).
    pub fn add_verdict(&mut self, criterion: &str, v: f64, hallucination_below: f64) {
        self.add_judge(criterion, v);
        if criterion == crate::engine::quality::GROUNDEDNESS {
            self.hallucination.n += 1;
            self.hallucination.count += u64::from(v < hallucination_below);
        }
    }

    /// Counts a feedback record that says whether the answer was bad.
    pub fn add_feedback(&mut self, negative: Option<bool>) {
        if let Some(neg) = negative {
            self.feedback.n += 1;
            self.feedback.count += u64::from(neg);
        }
    }

    /// The profile of everything added; `terms` top terms are kept per text field.
    pub fn profile(&self, source: Vec<String>, terms: usize) -> Profile {
        let mut numeric: BTreeMap<String, NumericProfile> = NUMERIC
            .iter()
            .zip(&self.numeric)
            .map(|(n, r)| ((*n).to_string(), r.profile(PROFILE_VALUES)))
            .collect();
        for (name, r) in &self.judges {
            numeric.insert(format!("{JUDGE_PREFIX}{name}"), r.profile(PROFILE_VALUES));
        }
        let categorical = CATEGORICAL
            .iter()
            .zip(&self.categorical)
            .map(|(n, c)| {
                (
                    (*n).to_string(),
                    CategoricalProfile {
                        count: c.total,
                        counts: c.counts.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                    },
                )
            })
            .collect();
        let mut rates: BTreeMap<String, Rate> = BINARY
            .iter()
            .zip(self.binary)
            .map(|(n, count)| ((*n).to_string(), rate(count, self.calls)))
            .collect();
        rates.insert(
            NEGATIVE_FEEDBACK.to_string(),
            rate(self.feedback.count, self.feedback.n),
        );
        if self.hallucination.n > 0 {
            rates.insert(
                HALLUCINATION.to_string(),
                rate(self.hallucination.count, self.hallucination.n),
            );
        }
        Profile {
            schema_version: SCHEMA_VERSION,
            source,
            records: self.calls,
            from: self.first.map(format_time),
            to: self.last.map(format_time),
            numeric,
            categorical,
            rates,
            text: TextProfiles {
                prompt: self.prompt.profile(terms),
                response: self.response.profile(terms),
            },
        }
    }
}

/// A rate with its count and denominator.
pub fn rate(count: u64, n: u64) -> Rate {
    Rate {
        count,
        n,
        rate: if n > 0 { count as f64 / n as f64 } else { 0.0 },
    }
}

/// Why a baseline file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read baseline {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a llmmon baseline: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error(
        "baseline {path} has schema version {found}; this llmmon reads version {SCHEMA_VERSION}"
    )]
    Version { path: String, found: u32 },
}

impl Profile {
    /// Reads and checks a baseline file.
    pub fn load(path: &std::path::Path) -> Result<Profile, ProfileError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: name.clone(),
            source,
        })?;
        let p: Profile = serde_json::from_str(&text).map_err(|source| ProfileError::Parse {
            path: name.clone(),
            source,
        })?;
        if p.schema_version != SCHEMA_VERSION {
            return Err(ProfileError::Version {
                path: name,
                found: p.schema_version,
            });
        }
        Ok(p)
    }
}

/// Whether a person's feedback record says the answer was bad (`Some(true)`), good
/// (`Some(false)`), or says nothing either way (`None`: comments, other implicit signals,
/// and every judge verdict, which is no person's opinion).
pub fn feedback_negative(f: &Feedback) -> Option<bool> {
    if f.is_judge_verdict() {
        return None;
    }
    match f.kind {
        FeedbackKind::ThumbsDown => Some(true),
        FeedbackKind::ThumbsUp | FeedbackKind::Copy => Some(false),
        FeedbackKind::Score => f.value.map(score_is_negative),
        FeedbackKind::Comment | FeedbackKind::Implicit => None,
    }
}

/// A numeric rating is negative below 0.5 on a 0–1 scale, or below 3 on a 1–5 scale.
pub fn score_is_negative(v: f64) -> bool {
    if v <= 1.0 {
        v < 0.5
    } else {
        v < 3.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::drift::features::extract;

    #[test]
    fn reservoir_keeps_a_bounded_uniform_sample_and_exact_moments() {
        let mut r = Reservoir::new(100);
        for i in 0..10_000 {
            r.push(f64::from(i));
        }
        r.push(f64::NAN);
        assert_eq!(r.values.len(), 100);
        assert_eq!(r.seen, 10_000);
        let p = r.profile(50);
        assert_eq!(p.values.len(), 50);
        assert!((p.mean - 4999.5).abs() < 1e-6);
        assert!((p.std - 2_886.751_3).abs() < 0.01);
        let mid = p.values[25];
        assert!((2500.0..7500.0).contains(&mid), "{mid}");
    }

    #[test]
    fn categories_fold_past_the_cap() {
        let mut c = Counts::default();
        for i in 0..100 {
            c.add(&i.to_string());
        }
        assert_eq!(c.counts.len(), MAX_CATEGORIES + 1);
        assert_eq!(c.get(OTHER), 100 - MAX_CATEGORIES as u64);
    }

    #[test]
    fn profile_round_trips_through_json() {
        let mut b = Builder::new(BuilderLimits {
            sample: 10,
            terms: 100,
        });
        let mut tok = Tokenizer::default();
        let call = crate::model::record::Call {
            model: Some("m".into()),
            latency_ms: Some(5.0),
            output: Some("Refund issued today.".into()),
            ..crate::model::record::Call::default()
        };
        b.add(&extract(&call), "c1", 7, &mut tok);
        b.add_feedback(Some(true));
        let p = b.profile(vec!["x.jsonl".into()], 10);
        assert_eq!(p.records, 1);
        assert_eq!(p.rates[NEGATIVE_FEEDBACK].rate, 1.0);
        let back: Profile = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        assert!(back
            .text
            .response
            .terms
            .iter()
            .all(|t| t.example.as_deref() == Some("c1")));
    }
}
