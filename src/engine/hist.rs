//! Fixed-size HDR histograms with explicit bounds, one kind per metric, and the percentile
//! summary every view prints. No raw samples are ever kept.

use hdrhistogram::{Counter, Histogram};
use serde::Serialize;

/// The distributions llmmon keeps, each with its unit, scale and bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// End-to-end latency (ms), recorded in microseconds up to 1 h.
    Latency,
    /// Time to first token (ms), recorded in microseconds up to 1 h.
    Ttft,
    /// Time per output token after the first (ms), recorded in microseconds up to 1 min.
    Tpot,
    /// Input tokens per call, up to 100 M.
    InputTokens,
    /// Output tokens per call, up to 100 M.
    OutputTokens,
    /// Cost per call (USD), recorded in micro-dollars up to $10,000.
    Cost,
}

impl Metric {
    /// Every metric, in display order.
    pub const ALL: [Metric; 6] = [
        Metric::Latency,
        Metric::Ttft,
        Metric::Tpot,
        Metric::InputTokens,
        Metric::OutputTokens,
        Metric::Cost,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// Multiplier from the metric's display unit to the integer recorded.
    fn scale(self) -> f64 {
        match self {
            Metric::Latency | Metric::Ttft | Metric::Tpot => 1_000.0,
            Metric::InputTokens | Metric::OutputTokens => 1.0,
            Metric::Cost => 1_000_000.0,
        }
    }

    /// Highest trackable value, in recorded units; larger values are clamped and counted.
    fn highest(self) -> u64 {
        match self {
            Metric::Latency | Metric::Ttft => 3_600_000_000,
            Metric::Tpot => 60_000_000,
            Metric::InputTokens | Metric::OutputTokens => 100_000_000,
            Metric::Cost => 10_000_000_000,
        }
    }
}

/// Significant digits kept: 2 means every percentile is within 1 % of the true value.
const SIGFIG: u8 = 2;

/// A lazily allocated histogram of one metric plus exact count, sum, min and max.
#[derive(Debug, Clone)]
pub struct Hist<C: Counter = u64> {
    metric: Metric,
    h: Option<Box<Histogram<C>>>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    clamped: u64,
}

impl<C: Counter> Hist<C> {
    /// An empty histogram; memory is taken on the first value only.
    pub fn new(metric: Metric) -> Self {
        Hist {
            metric,
            h: None,
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            clamped: 0,
        }
    }

    fn histogram(metric: Metric) -> Option<Box<Histogram<C>>> {
        Histogram::new_with_bounds(1, metric.highest(), SIGFIG)
            .ok()
            .map(Box::new)
    }

    /// Records one value in the metric's display unit (ms, tokens, USD). Negative and
    /// non-finite values are ignored.
    pub fn record(&mut self, v: f64) {
        if !v.is_finite() || v < 0.0 {
            return;
        }
        self.count += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        let raw = (v * self.metric.scale()).round();
        let highest = self.metric.highest();
        let raw = if raw >= highest as f64 {
            self.clamped += 1;
            highest
        } else {
            (raw as u64).max(1)
        };
        if self.h.is_none() {
            self.h = Self::histogram(self.metric);
        }
        if let Some(h) = self.h.as_mut() {
            h.saturating_record(raw);
        }
    }

    /// Adds another histogram of the same metric into this one.
    pub fn merge<D: Counter>(&mut self, other: &Hist<D>) {
        if other.count == 0 {
            return;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.clamped += other.clamped;
        let Some(src) = other.h.as_ref() else { return };
        if self.h.is_none() {
            self.h = Self::histogram(self.metric);
        }
        if let Some(dst) = self.h.as_mut() {
            for v in src.iter_recorded() {
                let n = v.count_at_value().as_u64();
                if let Some(n) = C::from_u64(n) {
                    dst.saturating_record_n(v.value_iterated_to(), n);
                }
            }
        }
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact sum of recorded values.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Value at quantile `q` (0..=1) in the display unit, within 1 % (exact max at q = 1).
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        if q >= 1.0 {
            return Some(self.max);
        }
        let h = self.h.as_ref()?;
        let v = h.median_equivalent(h.value_at_quantile(q));
        // Never report a percentile outside the exact observed range.
        Some((v as f64 / self.metric.scale()).clamp(self.min, self.max))
    }

    /// The percentile summary printed by `report` and drawn by the TUI.
    pub fn summary(&self) -> Percentiles {
        let q = |x| self.quantile(x).map(round3);
        Percentiles {
            count: self.count,
            mean: (self.count > 0).then(|| round3(self.sum / self.count as f64)),
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            max: (self.count > 0).then(|| round3(self.max)),
        }
    }

    /// Counts per bucket for drawing: `(upper bound in display unit, count)` pairs over
    /// logarithmic steps; empty when nothing was recorded.
    pub fn buckets(&self, n: usize) -> Vec<(f64, u64)> {
        let Some(h) = self.h.as_ref() else {
            return Vec::new();
        };
        if n == 0 || self.count == 0 {
            return Vec::new();
        }
        let scale = self.metric.scale();
        let lo = (self.min * scale).max(1.0);
        let hi = (self.max * scale).max(lo + 1.0);
        let step = (hi / lo).ln() / n as f64;
        let mut out: Vec<(f64, u64)> = (1..=n)
            .map(|i| (lo * (step * i as f64).exp() / scale, 0))
            .collect();
        for v in h.iter_recorded() {
            let x = (h.median_equivalent(v.value_iterated_to()) as f64).clamp(lo, hi);
            let i = (((x / lo).ln() / step).ceil() as usize).clamp(1, n) - 1;
            out[i].1 += v.count_at_value().as_u64();
        }
        out
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// p50/p90/p95/p99/max of one metric, `null` where no value was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// All six histograms of a scope; those not wanted stay unallocated.
#[derive(Debug, Clone)]
pub struct HistSet<C: Counter = u64> {
    hists: [Hist<C>; 6],
}

impl<C: Counter> Default for HistSet<C> {
    fn default() -> Self {
        HistSet {
            hists: Metric::ALL.map(Hist::new),
        }
    }
}

impl<C: Counter> HistSet<C> {
    /// The histogram of one metric.
    pub fn get(&self, m: Metric) -> &Hist<C> {
        &self.hists[m.index()]
    }

    /// Records a value for one metric.
    pub fn record(&mut self, m: Metric, v: f64) {
        self.hists[m.index()].record(v);
    }

    /// Merges every histogram of `other` into this set.
    pub fn merge<D: Counter>(&mut self, other: &HistSet<D>) {
        for (a, b) in self.hists.iter_mut().zip(other.hists.iter()) {
            a.merge(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_one_percent() {
        let mut h: Hist = Hist::new(Metric::Latency);
        for i in 1..=1000 {
            h.record(i as f64);
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        for (got, want) in [
            (s.p50, 500.0),
            (s.p90, 900.0),
            (s.p95, 950.0),
            (s.p99, 990.0),
        ] {
            let got = got.unwrap();
            assert!((got - want).abs() / want <= 0.01, "{got} vs {want}");
        }
        assert_eq!(s.max, Some(1000.0));
        assert_eq!(s.mean, Some(500.5));
    }

    #[test]
    fn merge_of_parts_equals_whole() {
        let mut whole: Hist = Hist::new(Metric::Cost);
        let mut a: Hist<u32> = Hist::new(Metric::Cost);
        let mut b: Hist<u32> = Hist::new(Metric::Cost);
        for i in 0..500 {
            let v = 0.0001 * (i as f64 + 1.0);
            whole.record(v);
            if i % 3 == 0 {
                a.record(v)
            } else {
                b.record(v)
            }
        }
        let mut m: Hist = Hist::new(Metric::Cost);
        m.merge(&a);
        m.merge(&b);
        assert_eq!(m.summary(), whole.summary());
    }

    #[test]
    fn huge_values_are_clamped_not_lost() {
        let mut h: Hist = Hist::new(Metric::Tpot);
        h.record(1e12);
        h.record(f64::NAN);
        h.record(-1.0);
        assert_eq!(h.count(), 1);
        assert_eq!(h.summary().max, Some(1e12));
    }

    #[test]
    fn buckets_cover_every_value() {
        let mut h: Hist = Hist::new(Metric::Latency);
        for i in 1..=300 {
            h.record(i as f64 * 10.0);
        }
        let b = h.buckets(20);
        assert_eq!(b.len(), 20);
        assert_eq!(b.iter().map(|x| x.1).sum::<u64>(), 300);
    }
}
