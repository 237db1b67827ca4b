//! One window against the reference, feature by feature, with the test Evidently picks by
//! default: a reference of at most 1,000 values gets two-sample KS (numeric) or chi-squared
//! (categorical), drift at p < 0.05; a larger one gets Wasserstein distance normalised by
//! the reference standard deviation or Jensen–Shannon distance, drift at ≥ 0.1. PSI beside.

use super::features::{BINARY, CATEGORICAL, JUDGE_PREFIX, NUMERIC};
use super::profile::{Builder, Counts, Profile, Rate, HALLUCINATION, NEGATIVE_FEEDBACK};
use super::stats::{
    bin_counts, chisquare, decile_edges, js_distance, ks_2samp, psi, psi_band, wasserstein, z_test,
};
use super::text::{TextDrift, TextReference};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A statistical test of one feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Two-sample Kolmogorov–Smirnov; the statistic is the p-value.
    Ks,
    /// Chi-squared goodness of fit to the reference shares; the statistic is the p-value.
    ChiSquared,
    /// Wasserstein distance divided by the reference standard deviation.
    Wasserstein,
    /// Jensen–Shannon distance (natural log).
    JensenShannon,
    /// Two-proportion z-test for yes/no features; the statistic is the p-value.
    ZTest,
}

impl Test {
    /// Stable lower-case name for output and config.
    pub fn as_str(self) -> &'static str {
        match self {
            Test::Ks => "ks",
            Test::ChiSquared => "chi_squared",
            Test::Wasserstein => "wasserstein",
            Test::JensenShannon => "jensen_shannon",
            Test::ZTest => "z_test",
        }
    }

    /// True when the statistic is a p-value (drift below the threshold), false when it is
    /// a distance (drift at or above it).
    pub fn is_p_value(self) -> bool {
        matches!(self, Test::Ks | Test::ChiSquared | Test::ZTest)
    }
}

/// Whether a feature holds numbers or categories (yes/no features are categories).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Numeric,
    Categorical,
}

/// Tests, thresholds and sample sizes used for comparisons.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareConfig {
    /// References with at most this many values get KS / chi-squared.
    pub small_reference: u64,
    pub p_value: f64,
    pub distance: f64,
    /// Share of drifting features that makes the dataset drift.
    pub dataset_share: f64,
    /// Fewer values than this on either side: "not enough data".
    pub min_samples: u64,
    /// Force a numeric test instead of choosing by reference size.
    pub numeric_test: Option<Test>,
    /// Force a categorical test instead of choosing by reference size.
    pub categorical_test: Option<Test>,
    /// Only these features (all when `None`).
    pub features: Option<Vec<String>>,
    /// Text drift at or above this Jensen–Shannon distance.
    pub text_threshold: f64,
    /// Emerging and vanishing terms listed.
    pub top_terms: usize,
}

impl Default for CompareConfig {
    fn default() -> Self {
        CompareConfig {
            small_reference: 1000,
            p_value: 0.05,
            distance: 0.1,
            dataset_share: 0.5,
            min_samples: 30,
            numeric_test: None,
            categorical_test: None,
            features: None,
            text_threshold: 0.2,
            top_terms: 25,
        }
    }
}

/// The drift verdict of one feature in one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureDrift {
    pub name: String,
    pub kind: Kind,
    pub test: Test,
    /// p-value or distance (see [`Test`]); `None` when there was not enough data.
    pub statistic: Option<f64>,
    pub threshold: f64,
    pub drift: bool,
    /// False when either side had fewer than the minimum number of values.
    pub enough_data: bool,
    pub psi: Option<f64>,
    pub psi_band: Option<&'static str>,
    pub reference_n: u64,
    pub current_n: u64,
}

/// Verdict of one window: per feature, dataset-level and text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowDrift {
    pub dataset_drift: bool,
    /// Share of the features with enough data that drift.
    pub share: f64,
    pub drifted: usize,
    pub evaluated: usize,
    pub features: Vec<FeatureDrift>,
    pub prompt: Option<TextDrift>,
    pub response: Option<TextDrift>,
}

/// Reference and current values of one feature on the same bins, for side-by-side bars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histograms {
    pub name: String,
    /// Bin labels: `lo–hi` ranges for numbers, category names otherwise.
    pub labels: Vec<String>,
    /// Share of reference values per bin.
    pub reference: Vec<f64>,
    /// Share of current values per bin.
    pub current: Vec<f64>,
}

/// A profile made ready for comparisons (indexed terms, PSI bin edges).
#[derive(Debug, Clone)]
pub struct Reference {
    pub profile: Profile,
    edges: BTreeMap<String, Vec<f64>>,
    prompt: TextReference,
    response: TextReference,
}

impl Reference {
    /// Prepares a profile for comparisons.
    pub fn new(profile: Profile) -> Self {
        let edges = profile
            .numeric
            .iter()
            .map(|(k, v)| (k.clone(), decile_edges(&v.values)))
            .collect();
        Reference {
            prompt: TextReference::new(profile.text.prompt.clone()),
            response: TextReference::new(profile.text.response.clone()),
            edges,
            profile,
        }
    }

    /// Compares a window's accumulated data with the reference.
    pub fn compare(&self, cur: &Builder, cfg: &CompareConfig) -> WindowDrift {
        let wanted = |name: &str| {
            cfg.features
                .as_ref()
                .is_none_or(|f| f.iter().any(|x| x == name))
        };
        let mut features = Vec::new();
        for (name, p) in &self.profile.numeric {
            if !wanted(name) {
                continue;
            }
            if let Some(sample) = current_numeric(cur, name) {
                features.push(self.numeric(name, p, &sample, cfg));
            }
        }
        for (i, name) in CATEGORICAL.iter().enumerate() {
            if let (true, Some(p)) = (wanted(name), self.profile.categorical.get(*name)) {
                let r: Vec<(&str, u64)> = p.counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                features.push(categorical(name, &r, &cur.categorical[i], cfg));
            }
        }
        for (name, rate) in &self.profile.rates {
            if !wanted(name) {
                continue;
            }
            let Some((yes, n)) = current_rate(cur, name) else {
                continue;
            };
            features.push(rate_feature(name, (rate.count, rate.n), (yes, n), cfg));
        }
        let evaluated = features.iter().filter(|f| f.enough_data).count();
        let drifted = features.iter().filter(|f| f.drift).count();
        let share = if evaluated > 0 {
            drifted as f64 / evaluated as f64
        } else {
            0.0
        };
        let text = |r: &TextReference, c: &super::text::TermCounts| {
            (r.profile.docs >= cfg.min_samples && c.docs >= cfg.min_samples)
                .then(|| r.compare(c, cfg.top_terms, cfg.text_threshold))
        };
        WindowDrift {
            dataset_drift: evaluated > 0 && share >= cfg.dataset_share,
            share,
            drifted,
            evaluated,
            features,
            prompt: text(&self.prompt, &cur.prompt),
            response: text(&self.response, &cur.response),
        }
    }

    fn numeric(
        &self,
        name: &str,
        p: &super::profile::NumericProfile,
        cur: &[f64],
        cfg: &CompareConfig,
    ) -> FeatureDrift {
        let test = cfg
            .numeric_test
            .unwrap_or(if p.count <= cfg.small_reference {
                Test::Ks
            } else {
                Test::Wasserstein
            });
        let enough =
            p.values.len() as u64 >= cfg.min_samples && cur.len() as u64 >= cfg.min_samples;
        let mut out = FeatureDrift {
            name: name.to_string(),
            kind: Kind::Numeric,
            test,
            statistic: None,
            threshold: threshold(test, cfg),
            drift: false,
            enough_data: enough,
            psi: None,
            psi_band: None,
            reference_n: p.count,
            current_n: cur.len() as u64,
        };
        if !enough {
            return out;
        }
        let stat = match test {
            Test::Ks | Test::ChiSquared | Test::ZTest => ks_2samp(&p.values, cur).p,
            Test::Wasserstein | Test::JensenShannon => {
                wasserstein(&p.values, cur) / p.std.max(0.001)
            }
        };
        let edges = self.edges.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let v = psi(&bin_counts(&p.values, edges), &bin_counts(cur, edges));
        out.statistic = Some(stat);
        out.drift = decide(test, stat, out.threshold);
        out.psi = Some(v);
        out.psi_band = Some(psi_band(v));
        out
    }

    /// Reference and current histograms of one feature, or `None` if it is unknown.
    pub fn histograms(&self, cur: &Builder, name: &str, bins: usize) -> Option<Histograms> {
        if let Some(p) = self.profile.numeric.get(name) {
            let c = current_numeric(cur, name).unwrap_or_default();
            return Some(numeric_histograms(name, &p.values, &c, bins.max(1)));
        }
        let (r, c): (Vec<(String, u64)>, Counts) =
            if let Some(i) = CATEGORICAL.iter().position(|n| *n == name) {
                let p = self.profile.categorical.get(name)?;
                (
                    p.counts.iter().map(|(k, v)| (k.clone(), *v)).collect(),
                    cur.categorical[i].clone(),
                )
            } else {
                let rate = self.profile.rates.get(name)?;
                let (yes, n) = current_rate(cur, name)?;
                let mut c = Counts::default();
                c.counts.insert("yes".into(), yes);
                c.counts.insert("no".into(), n.saturating_sub(yes));
                (
                    vec![
                        ("yes".into(), rate.count),
                        ("no".into(), rate.n.saturating_sub(rate.count)),
                    ],
                    c,
                )
            };
        let mut keys: Vec<String> = r.iter().map(|(k, _)| k.clone()).collect();
        for k in c.counts.keys() {
            if !keys.iter().any(|x| x.as_str() == &**k) {
                keys.push(k.to_string());
            }
        }
        let rt: u64 = r.iter().map(|x| x.1).sum();
        let ct: u64 = c.counts.values().sum();
        let share = |n: u64, t: u64| if t > 0 { n as f64 / t as f64 } else { 0.0 };
        let rget = |k: &str| r.iter().find(|x| x.0 == k).map_or(0, |x| x.1);
        keys.sort_by(|a, b| {
            (share(rget(b), rt) + share(c.get(b), ct))
                .total_cmp(&(share(rget(a), rt) + share(c.get(a), ct)))
                .then_with(|| a.cmp(b))
        });
        Some(Histograms {
            name: name.to_string(),
            reference: keys.iter().map(|k| share(rget(k), rt)).collect(),
            current: keys.iter().map(|k| share(c.get(k), ct)).collect(),
            labels: keys,
        })
    }
}

/// The window's yes count and denominator of a rate feature (a yes/no feature, negative
/// feedback or hallucinations), or `None` for a name that is none of them.
fn current_rate(cur: &Builder, name: &str) -> Option<(u64, u64)> {
    let of = |r: &Rate| (r.count, r.n);
    match BINARY.iter().position(|b| *b == name) {
        Some(i) => Some((cur.binary[i], cur.calls)),
        None if name == NEGATIVE_FEEDBACK => Some(of(&cur.feedback)),
        None if name == HALLUCINATION => Some(of(&cur.hallucination)),
        None => None,
    }
}

/// The window's sorted sample of a numeric feature (a judge score or a fixed feature).
fn current_numeric(cur: &Builder, name: &str) -> Option<Vec<f64>> {
    if let Some(i) = NUMERIC.iter().position(|n| *n == name) {
        return Some(cur.numeric[i].sorted());
    }
    let judge = name.strip_prefix(JUDGE_PREFIX)?;
    Some(
        cur.judges
            .get(judge)
            .map(|r| r.sorted())
            .unwrap_or_default(),
    )
}

fn threshold(test: Test, cfg: &CompareConfig) -> f64 {
    if test.is_p_value() {
        cfg.p_value
    } else {
        cfg.distance
    }
}

fn decide(test: Test, stat: f64, threshold: f64) -> bool {
    if test.is_p_value() {
        stat < threshold
    } else {
        stat >= threshold
    }
}

/// Expected counts below this are pooled into one bucket before chi-squared.
const MIN_EXPECTED: f64 = 5.0;

/// Compares category counts (reference as pairs, current as [`Counts`]).
fn categorical(name: &str, r: &[(&str, u64)], cur: &Counts, cfg: &CompareConfig) -> FeatureDrift {
    let rt: u64 = r.iter().map(|x| x.1).sum();
    let ct = cur.total;
    let test = cfg
        .categorical_test
        .unwrap_or(if rt <= cfg.small_reference {
            Test::ChiSquared
        } else {
            Test::JensenShannon
        });
    let enough = rt >= cfg.min_samples && ct >= cfg.min_samples;
    let mut out = FeatureDrift {
        name: name.to_string(),
        kind: Kind::Categorical,
        test,
        statistic: None,
        threshold: threshold(test, cfg),
        drift: false,
        enough_data: enough,
        psi: None,
        psi_band: None,
        reference_n: rt,
        current_n: ct,
    };
    if !enough {
        return out;
    }
    let mut ref_counts: Vec<f64> = r.iter().map(|x| x.1 as f64).collect();
    let mut cur_counts: Vec<f64> = r.iter().map(|x| cur.get(x.0) as f64).collect();
    for (k, v) in &cur.counts {
        if !r.iter().any(|x| x.0 == &**k) {
            ref_counts.push(0.0);
            cur_counts.push(*v as f64);
        }
    }
    let stat = match test {
        Test::ChiSquared | Test::Ks | Test::ZTest => {
            let k = ct as f64 / rt as f64;
            let (mut obs, mut exp) = (Vec::new(), Vec::new());
            let (mut pooled_o, mut pooled_e) = (0.0, 0.0);
            for (o, e) in cur_counts.iter().zip(&ref_counts) {
                let e = e * k;
                if e < MIN_EXPECTED {
                    pooled_o += o;
                    pooled_e += e;
                } else {
                    obs.push(*o);
                    exp.push(e);
                }
            }
            if pooled_o > 0.0 || pooled_e > 0.0 {
                obs.push(pooled_o);
                // A category the reference never saw: expect half a call rather than none,
                // so one stray value is not an infinite statistic.
                exp.push(pooled_e.max(0.5));
            }
            chisquare(&obs, &exp).p
        }
        Test::JensenShannon | Test::Wasserstein => js_distance(&ref_counts, &cur_counts),
    };
    let v = psi(&ref_counts, &cur_counts);
    out.statistic = Some(stat);
    out.drift = decide(test, stat, out.threshold);
    out.psi = Some(v);
    out.psi_band = Some(psi_band(v));
    out
}

fn numeric_histograms(name: &str, r: &[f64], c: &[f64], bins: usize) -> Histograms {
    let q = |v: &[f64], f: f64| -> Option<f64> {
        (!v.is_empty()).then(|| v[((v.len() - 1) as f64 * f) as usize])
    };
    let lo = [q(r, 0.01), q(c, 0.01)]
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
    let hi = [q(r, 0.99), q(c, 0.99)]
        .into_iter()
        .flatten()
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let width = (hi - lo) / bins as f64;
    let edges: Vec<f64> = (1..bins).map(|i| lo + width * i as f64).collect();
    let shares = |v: &[f64]| -> Vec<f64> {
        let counts = bin_counts(v, &edges);
        let n = v.len().max(1) as f64;
        counts.into_iter().map(|x| x / n).collect()
    };
    Histograms {
        name: name.to_string(),
        labels: (0..bins)
            .map(|i| {
                format!(
                    "{}–{}",
                    short(lo + width * i as f64),
                    short(lo + width * (i + 1) as f64)
                )
            })
            .collect(),
        reference: shares(r),
        current: shares(c),
    }
}

fn short(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// Compares a yes/no feature with the two-proportion z-test (as Evidently does for binary
/// features of a small reference). Used for every reference size: a rare rate that doubles
/// (refusals 1 % → 2 %) barely moves a Jensen–Shannon distance, yet it is the drift that
/// matters most. PSI is reported beside, as for every feature.
fn rate_feature(name: &str, r: (u64, u64), c: (u64, u64), cfg: &CompareConfig) -> FeatureDrift {
    if let Some(test) = cfg.categorical_test {
        let mut cur = Counts::default();
        cur.counts.insert("yes".into(), c.0);
        cur.counts.insert("no".into(), c.1.saturating_sub(c.0));
        cur.total = c.1;
        let rr = [("yes", r.0), ("no", r.1.saturating_sub(r.0))];
        return categorical(
            name,
            &rr,
            &cur,
            &CompareConfig {
                categorical_test: Some(test),
                ..cfg.clone()
            },
        );
    }
    let test = Test::ZTest;
    let enough = r.1 >= cfg.min_samples && c.1 >= cfg.min_samples;
    let mut out = FeatureDrift {
        name: name.to_string(),
        kind: Kind::Categorical,
        test,
        statistic: None,
        threshold: cfg.p_value,
        drift: false,
        enough_data: enough,
        psi: None,
        psi_band: None,
        reference_n: r.1,
        current_n: c.1,
    };
    if !enough {
        return out;
    }
    let p = z_test(r.0 as f64, r.1 as f64, c.0 as f64, c.1 as f64);
    let v = psi(
        &[r.0 as f64, r.1.saturating_sub(r.0) as f64],
        &[c.0 as f64, c.1.saturating_sub(c.0) as f64],
    );
    out.statistic = Some(p);
    out.drift = p < cfg.p_value;
    out.psi = Some(v);
    out.psi_band = Some(psi_band(v));
    out
}
