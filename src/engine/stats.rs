//! Counters and distributions of a set of LLM calls (one window slot, one group, or
//! everything since start), and the summary views print from them.

use super::hist::{HistSet, Metric, Percentiles};
use crate::model::facts::CallFacts;
use crate::model::record::{Nanos, Status};
use hdrhistogram::Counter;
use serde::Serialize;
use std::collections::BTreeMap;

/// Distinct error types kept per scope before the rest are counted as `(other)`.
const MAX_ERROR_TYPES: usize = 32;

/// Which histograms a scope keeps: everything for the global scope, latency and TTFT for
/// groups (so hundreds of users stay cheap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistMask {
    All,
    LatencyOnly,
}

/// Aggregates of LLM calls: exact counters plus bounded histograms.
#[derive(Debug, Clone)]
pub struct Stats<C: Counter = u64> {
    pub calls: u64,
    pub errors: u64,
    pub errors_by_type: BTreeMap<String, u64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub reasoning_tokens: u64,
    /// Sum of all known costs (reported plus computed).
    pub cost_usd: f64,
    pub cost_reported_usd: f64,
    pub cost_computed_usd: f64,
    /// Calls whose cost is unknown: no reported cost and no price for the model.
    pub unpriced_calls: u64,
    pub first: Option<Nanos>,
    pub last: Option<Nanos>,
    pub hists: HistSet<C>,
    mask: HistMask,
}

impl<C: Counter> Stats<C> {
    /// Empty stats keeping the histograms named by `mask`.
    pub fn new(mask: HistMask) -> Self {
        Stats {
            calls: 0,
            errors: 0,
            errors_by_type: BTreeMap::new(),
            input_tokens: 0,
            output_tokens: 0,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            reasoning_tokens: 0,
            cost_usd: 0.0,
            cost_reported_usd: 0.0,
            cost_computed_usd: 0.0,
            unpriced_calls: 0,
            first: None,
            last: None,
            hists: HistSet::default(),
            mask,
        }
    }

    /// Adds one LLM call observed at event time `t`.
    pub fn observe(&mut self, c: &CallFacts<'_>, t: Nanos) {
        self.calls += 1;
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        if c.status == Status::Error {
            self.errors += 1;
            let ty = c.error_type.unwrap_or("error");
            bump_bounded(&mut self.errors_by_type, ty);
        }
        let tk = &c.tokens;
        self.input_tokens = self.input_tokens.saturating_add(tk.input.unwrap_or(0));
        self.output_tokens = self.output_tokens.saturating_add(tk.output.unwrap_or(0));
        self.cache_read_tokens = self
            .cache_read_tokens
            .saturating_add(tk.cache_read.unwrap_or(0));
        self.cache_write_tokens = self
            .cache_write_tokens
            .saturating_add(tk.cache_write.unwrap_or(0));
        self.reasoning_tokens = self
            .reasoning_tokens
            .saturating_add(tk.reasoning.unwrap_or(0));
        match (c.cost_usd, c.cost_computed) {
            (Some(usd), true) => {
                self.cost_usd += usd;
                self.cost_computed_usd += usd;
            }
            (Some(usd), false) => {
                self.cost_usd += usd;
                self.cost_reported_usd += usd;
            }
            (None, _) => self.unpriced_calls += 1,
        }
        if let Some(v) = c.effective_latency_ms() {
            self.hists.record(Metric::Latency, v);
        }
        if let Some(v) = c.ttft_ms {
            self.hists.record(Metric::Ttft, v);
        }
        if self.mask == HistMask::All {
            if let Some(v) = c.tpot_ms() {
                self.hists.record(Metric::Tpot, v);
            }
            if let Some(v) = tk.input {
                self.hists.record(Metric::InputTokens, v as f64);
            }
            if let Some(v) = tk.output {
                self.hists.record(Metric::OutputTokens, v as f64);
            }
            if let Some(v) = c.cost_usd {
                self.hists.record(Metric::Cost, v);
            }
        }
    }

    /// Adds another scope's aggregates into this one.
    pub fn merge<D: Counter>(&mut self, o: &Stats<D>) {
        self.calls += o.calls;
        self.errors += o.errors;
        for (k, v) in &o.errors_by_type {
            *self.errors_by_type.entry(k.clone()).or_default() += v;
        }
        self.input_tokens = self.input_tokens.saturating_add(o.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(o.output_tokens);
        self.cache_read_tokens = self.cache_read_tokens.saturating_add(o.cache_read_tokens);
        self.cache_write_tokens = self.cache_write_tokens.saturating_add(o.cache_write_tokens);
        self.reasoning_tokens = self.reasoning_tokens.saturating_add(o.reasoning_tokens);
        self.cost_usd += o.cost_usd;
        self.cost_reported_usd += o.cost_reported_usd;
        self.cost_computed_usd += o.cost_computed_usd;
        self.unpriced_calls += o.unpriced_calls;
        self.first = match (self.first, o.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = self.last.max(o.last);
        self.hists.merge(&o.hists);
    }

    /// Error share of calls (0 when there were none).
    pub fn error_rate(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.errors as f64 / self.calls as f64
        }
    }

    /// The printable summary. `span_secs` is the time the scope covers, for rates.
    pub fn summary(&self, span_secs: f64) -> StatsSummary {
        let per_sec = |x: f64| {
            if span_secs > 0.0 {
                round6(x / span_secs)
            } else {
                0.0
            }
        };
        StatsSummary {
            calls: self.calls,
            errors: self.errors,
            error_rate: round6(self.error_rate()),
            errors_by_type: self.errors_by_type.clone(),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cache_read_tokens: self.cache_read_tokens,
            cache_write_tokens: self.cache_write_tokens,
            reasoning_tokens: self.reasoning_tokens,
            cost_usd: round_usd(self.cost_usd),
            cost_reported_usd: round_usd(self.cost_reported_usd),
            cost_computed_usd: round_usd(self.cost_computed_usd),
            unpriced_calls: self.unpriced_calls,
            latency_ms: self.hists.get(Metric::Latency).summary(),
            ttft_ms: self.hists.get(Metric::Ttft).summary(),
            tpot_ms: self.hists.get(Metric::Tpot).summary(),
            input_tokens_per_call: self.hists.get(Metric::InputTokens).summary(),
            output_tokens_per_call: self.hists.get(Metric::OutputTokens).summary(),
            cost_per_call_usd: self.hists.get(Metric::Cost).summary(),
            span_secs: round6(span_secs),
            calls_per_sec: per_sec(self.calls as f64),
            tokens_per_sec: per_sec(self.input_tokens.saturating_add(self.output_tokens) as f64),
            cost_per_min_usd: per_sec(self.cost_usd * 60.0),
        }
    }
}

fn bump_bounded(map: &mut BTreeMap<String, u64>, key: &str) {
    if let Some(n) = map.get_mut(key) {
        *n += 1;
    } else if map.len() < MAX_ERROR_TYPES {
        map.insert(key.to_string(), 1);
    } else {
        *map.entry("(other)".to_string()).or_default() += 1;
    }
}

/// Rounds to 6 decimals so printed sums do not show float noise.
pub fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Rounds dollars to 1e-10 (a ten-thousandth of a micro-dollar): exact for people, free of
/// float noise for machines.
pub fn round_usd(v: f64) -> f64 {
    (v * 1e10).round() / 1e10
}

/// What `report --json` and the TUI print for one scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatsSummary {
    pub calls: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub errors_by_type: BTreeMap<String, u64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub reasoning_tokens: u64,
    pub cost_usd: f64,
    pub cost_reported_usd: f64,
    pub cost_computed_usd: f64,
    pub unpriced_calls: u64,
    pub latency_ms: Percentiles,
    pub ttft_ms: Percentiles,
    pub tpot_ms: Percentiles,
    pub input_tokens_per_call: Percentiles,
    pub output_tokens_per_call: Percentiles,
    pub cost_per_call_usd: Percentiles,
    pub span_secs: f64,
    pub calls_per_sec: f64,
    pub tokens_per_sec: f64,
    pub cost_per_min_usd: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::{Call, CostProvenance, Tokens};

    fn call(lat: f64, cost: Option<f64>, err: bool) -> Call {
        Call {
            latency_ms: Some(lat),
            status: if err { Status::Error } else { Status::Ok },
            error_type: err.then(|| "RateLimitError".into()),
            tokens: Tokens {
                input: Some(100),
                output: Some(10),
                ..Tokens::default()
            },
            cost_usd: cost,
            cost_source: cost.map(|_| CostProvenance::Reported),
            ..Call::default()
        }
    }

    #[test]
    fn counts_costs_and_unpriced() {
        let mut s: Stats = Stats::new(HistMask::All);
        s.observe(&CallFacts::of(&call(100.0, Some(0.5), false)), 0);
        s.observe(&CallFacts::of(&call(300.0, None, true)), 2_000_000_000);
        let sum = s.summary(2.0);
        assert_eq!(sum.calls, 2);
        assert_eq!(sum.errors, 1);
        assert_eq!(sum.unpriced_calls, 1);
        assert_eq!(sum.cost_usd, 0.5);
        assert_eq!(sum.input_tokens, 200);
        assert_eq!(sum.calls_per_sec, 1.0);
        assert_eq!(sum.errors_by_type.get("RateLimitError"), Some(&1));
        assert_eq!(sum.latency_ms.max, Some(300.0));
    }
}
