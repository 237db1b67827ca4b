//! What a rule watches: the metrics a rule can name, how each is written and printed, and
//! how its thresholds are spelled (`2s`, `5%`, `$3`).

use std::fmt;

/// The quantity a rule watches. `drift.*` are fed by the drift engine as its windows close
/// (`drift.<feature>` is that feature's population stability index); `rephrase_rate` by its
/// quality tracker, per follow-up turn; `judge.*` by the scores calls carry and by LLM judge
/// verdicts, each at the judged call's event time.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertMetric {
    /// Latency percentile (ms); the field is the quantile (0.95 for `latency.p95`).
    Latency(f64),
    Ttft(f64),
    Tpot(f64),
    ErrorRate,
    CallsPerMin,
    TokensPerMin,
    CostPerMin,
    /// Sum of cost (USD) over the window.
    Cost,
    /// Number of findings of a detector family over the window.
    Flags(String),
    /// Share of calls with at least one finding of a detector family.
    FlagRate(String),
    DriftShare,
    Drift(String),
    /// Thumbs down over thumbs up plus down.
    FeedbackNegativeRate,
    /// Mean of a named score: one carried by calls (`Call::scores`) or an LLM judge's
    /// verdicts on that criterion.
    JudgeMean(String),
    /// Share of the judge's groundedness verdicts below the hallucination threshold.
    HallucinationRate,
    RephraseRate,
}

/// Every metric form a rule accepts, for error messages and docs.
pub const METRIC_NAMES: &str = "latency.p50|p90|p95|p99, ttft.*, tpot.*, error_rate, \
calls_per_min, tokens_per_min, cost_per_min, cost, flags.<family>, flag_rate.<family>, \
drift.share, drift.<feature>, feedback.negative_rate, judge.<name>.mean, \
judge.hallucination_rate, rephrase_rate";

/// How a threshold is written for a metric, so `warn = "2s"` works for latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdUnit {
    /// Milliseconds; strings may carry a unit (`2s`, `500ms`).
    Millis,
    /// A share in 0..=1; strings may be percentages (`5%`).
    Ratio,
    /// US dollars; strings may start with `$`.
    Usd,
    /// A plain number.
    Number,
}

impl AlertMetric {
    /// Parses a metric name such as `latency.p95` or `flags.pii`.
    pub fn parse(s: &str) -> Result<AlertMetric, String> {
        let bad = || format!("unknown metric {s:?}; expected one of {METRIC_NAMES}");
        let quantile = |p: &str| match p {
            "p50" => Some(0.50),
            "p90" => Some(0.90),
            "p95" => Some(0.95),
            "p99" => Some(0.99),
            _ => None,
        };
        let ident = |x: &str| {
            !x.is_empty()
                && x.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        let m = match s.trim() {
            "error_rate" => AlertMetric::ErrorRate,
            "calls_per_min" => AlertMetric::CallsPerMin,
            "tokens_per_min" => AlertMetric::TokensPerMin,
            "cost_per_min" => AlertMetric::CostPerMin,
            "cost" => AlertMetric::Cost,
            "drift.share" => AlertMetric::DriftShare,
            "feedback.negative_rate" => AlertMetric::FeedbackNegativeRate,
            "judge.hallucination_rate" => AlertMetric::HallucinationRate,
            "rephrase_rate" => AlertMetric::RephraseRate,
            other => {
                let (head, rest) = other.split_once('.').ok_or_else(bad)?;
                match head {
                    "latency" => AlertMetric::Latency(quantile(rest).ok_or_else(bad)?),
                    "ttft" => AlertMetric::Ttft(quantile(rest).ok_or_else(bad)?),
                    "tpot" => AlertMetric::Tpot(quantile(rest).ok_or_else(bad)?),
                    "flags" if ident(rest) => AlertMetric::Flags(rest.to_string()),
                    "flag_rate" if ident(rest) => AlertMetric::FlagRate(rest.to_string()),
                    "drift" if ident(rest) => AlertMetric::Drift(rest.to_string()),
                    "judge" => match rest.strip_suffix(".mean") {
                        Some(name) if ident(name) => AlertMetric::JudgeMean(name.to_string()),
                        _ => return Err(bad()),
                    },
                    _ => return Err(bad()),
                }
            }
        };
        Ok(m)
    }

    /// How thresholds of this metric are written.
    pub fn unit(&self) -> ThresholdUnit {
        match self {
            AlertMetric::Latency(_) | AlertMetric::Ttft(_) | AlertMetric::Tpot(_) => {
                ThresholdUnit::Millis
            }
            AlertMetric::ErrorRate
            | AlertMetric::FlagRate(_)
            | AlertMetric::FeedbackNegativeRate
            | AlertMetric::HallucinationRate
            | AlertMetric::RephraseRate
            | AlertMetric::DriftShare => ThresholdUnit::Ratio,
            AlertMetric::CostPerMin | AlertMetric::Cost => ThresholdUnit::Usd,
            _ => ThresholdUnit::Number,
        }
    }

    /// True when low values are the bad ones by default (judge scores).
    pub fn lower_is_worse(&self) -> bool {
        matches!(self, AlertMetric::JudgeMean(_))
    }

    /// True for metrics fed by closed drift windows rather than by each call.
    pub fn is_window_level(&self) -> bool {
        matches!(self, AlertMetric::DriftShare | AlertMetric::Drift(_))
    }

    /// Formats a value of this metric for people (`2.35s`, `4.0%`, `$1.20`).
    pub fn format_value(&self, v: f64) -> String {
        match self.unit() {
            ThresholdUnit::Millis if v >= 1000.0 => format!("{:.2}s", v / 1000.0),
            ThresholdUnit::Millis => format!("{v:.0}ms"),
            ThresholdUnit::Ratio => format!("{:.1}%", v * 100.0),
            ThresholdUnit::Usd => format!("${v:.4}"),
            ThresholdUnit::Number => {
                if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.3}")
                }
            }
        }
    }
}

impl fmt::Display for AlertMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = |q: f64| format!("p{:.0}", q * 100.0);
        match self {
            AlertMetric::Latency(q) => write!(f, "latency.{}", p(*q)),
            AlertMetric::Ttft(q) => write!(f, "ttft.{}", p(*q)),
            AlertMetric::Tpot(q) => write!(f, "tpot.{}", p(*q)),
            AlertMetric::ErrorRate => f.write_str("error_rate"),
            AlertMetric::CallsPerMin => f.write_str("calls_per_min"),
            AlertMetric::TokensPerMin => f.write_str("tokens_per_min"),
            AlertMetric::CostPerMin => f.write_str("cost_per_min"),
            AlertMetric::Cost => f.write_str("cost"),
            AlertMetric::Flags(x) => write!(f, "flags.{x}"),
            AlertMetric::FlagRate(x) => write!(f, "flag_rate.{x}"),
            AlertMetric::DriftShare => f.write_str("drift.share"),
            AlertMetric::Drift(x) => write!(f, "drift.{x}"),
            AlertMetric::FeedbackNegativeRate => f.write_str("feedback.negative_rate"),
            AlertMetric::JudgeMean(x) => write!(f, "judge.{x}.mean"),
            AlertMetric::HallucinationRate => f.write_str("judge.hallucination_rate"),
            AlertMetric::RephraseRate => f.write_str("rephrase_rate"),
        }
    }
}

/// Parses a threshold written as text (`"2s"`, `"5%"`, `"$3"`, `"0.5"`) for a metric.
pub fn parse_threshold(s: &str, unit: ThresholdUnit) -> Option<f64> {
    let s = s.trim();
    let v = match unit {
        ThresholdUnit::Millis => match s.parse::<f64>() {
            Ok(v) => v,
            Err(_) => crate::engine::parse_duration(s)? as f64 / 1e6,
        },
        ThresholdUnit::Ratio => match s.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
            None => s.parse().ok()?,
        },
        ThresholdUnit::Usd => s.strip_prefix('$').unwrap_or(s).trim().parse().ok()?,
        ThresholdUnit::Number => s.parse().ok()?,
    };
    v.is_finite().then_some(v)
}
