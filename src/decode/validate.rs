//! Range checks on the numbers of a decoded call, one rule for every format and for both
//! the owned and the borrowed decode paths. A number no real call has (a negative cost, a
//! latency of a year, TTFT past the whole latency, an end before the start, a token count
//! that would overflow a sum) rejects the line as `out_of_range` instead of skewing every
//! percentile and total after it. An LLM judge's verdict must name its criterion and score
//! in 0..=1, or it would skew every judge mean and the hallucination rate.

use super::{Reject, RejectReason};
use crate::model::facts::CallFacts;
use crate::model::record::{Feedback, Record};

/// The largest token count one call may report (a trillion; real calls are below 10^7).
/// Far below `u64::MAX`, so no sum of counts can wrap.
pub const MAX_TOKENS: u64 = 1_000_000_000_000;

/// The largest cost one call may report, in USD.
pub const MAX_COST_USD: f64 = 1_000_000.0;

/// The longest latency (and TTFT) one call may report: seven days, in ms (long agent runs
/// included).
pub const MAX_LATENCY_MS: f64 = 7.0 * 24.0 * 3_600_000.0;

/// TTFT may exceed the latency by this much (ms) before it is refused: producers round
/// both independently.
const TTFT_SLACK_MS: f64 = 1.0;

/// Checks a decoded record: a call's numbers, a judge verdict's name and score.
pub fn record(r: &Record) -> Result<(), Reject> {
    match r {
        Record::Call(c) => facts(&CallFacts::of(c)),
        Record::Feedback(f) => verdict(f),
        Record::Attachment(_) => Ok(()),
    }
}

/// Checks a judge verdict (other feedback passes): it needs a criterion name and a score in
/// 0..=1.
pub fn verdict(f: &Feedback) -> Result<(), Reject> {
    if !f.is_judge_verdict() {
        return Ok(());
    }
    if f.criterion().is_none() {
        return Err(Reject::new(
            RejectReason::MissingField,
            "a judge verdict needs `name` (its criterion, e.g. judge.groundedness)",
        ));
    }
    match f.value {
        None => Err(Reject::new(
            RejectReason::MissingField,
            "a judge verdict needs `value` (its score in 0..=1)",
        )),
        Some(v) if !(0.0..=1.0).contains(&v) => Err(Reject::new(
            RejectReason::OutOfRange,
            format!("judge verdict score {} is outside 0..=1", shown(v)),
        )),
        Some(_) => Ok(()),
    }
}

/// Checks the numbers of one call.
pub fn facts(f: &CallFacts<'_>) -> Result<(), Reject> {
    let bad = |what: String| Err(Reject::new(RejectReason::OutOfRange, what));
    let t = f.tokens;
    for (name, v) in [
        ("input", t.input),
        ("output", t.output),
        ("cache_read", t.cache_read),
        ("cache_write", t.cache_write),
        ("reasoning", t.reasoning),
    ] {
        if let Some(n) = v.filter(|n| *n > MAX_TOKENS) {
            return bad(format!("{name} tokens {n} is over {MAX_TOKENS}"));
        }
    }
    if let Some(c) = f.cost_usd {
        if !(0.0..=MAX_COST_USD).contains(&c) {
            return bad(format!(
                "cost {c} USD is outside 0..={MAX_COST_USD}",
                c = shown(c)
            ));
        }
    }
    for (name, v) in [("latency", f.latency_ms), ("ttft", f.ttft_ms)] {
        if let Some(ms) = v {
            if !(0.0..=MAX_LATENCY_MS).contains(&ms) {
                return bad(format!(
                    "{name} {ms} ms is outside 0..={MAX_LATENCY_MS}",
                    ms = shown(ms)
                ));
            }
        }
    }
    if let (Some(s), Some(e)) = (f.start, f.end) {
        if e < s {
            return bad(format!("end {e} is before start {s}"));
        }
    }
    if let (Some(ttft), Some(lat)) = (f.ttft_ms, f.effective_latency_ms()) {
        if ttft > lat + TTFT_SLACK_MS {
            return bad(format!(
                "ttft {} ms is more than the latency {} ms",
                shown(ttft),
                shown(lat)
            ));
        }
    }
    Ok(())
}

/// A number for a rejection detail: finite numbers as they are, never `inf` or `NaN`.
fn shown(v: f64) -> String {
    if v.is_finite() && v.abs() < 1e12 {
        format!("{v}")
    } else if v.is_finite() {
        format!("{v:e}")
    } else {
        "(not finite)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::Call;

    fn check(c: Call) -> Option<RejectReason> {
        facts(&CallFacts::of(&c)).err().map(|r| r.reason)
    }

    #[test]
    fn plausible_numbers_pass() {
        let mut c = Call {
            latency_ms: Some(900.0),
            ttft_ms: Some(120.0),
            cost_usd: Some(0.02),
            start: Some(1),
            end: Some(2),
            ..Call::default()
        };
        c.tokens.input = Some(1_000);
        assert_eq!(check(c), None);
    }

    #[test]
    fn impossible_numbers_are_out_of_range() {
        let base = Call::default;
        let mut huge = base();
        huge.tokens.output = Some(u64::MAX);
        let cases = [
            huge,
            Call {
                cost_usd: Some(1e300),
                ..base()
            },
            Call {
                cost_usd: Some(-0.5),
                ..base()
            },
            Call {
                latency_ms: Some(-3.0),
                ..base()
            },
            Call {
                latency_ms: Some(1e12),
                ..base()
            },
            Call {
                latency_ms: Some(100.0),
                ttft_ms: Some(500.0),
                ..base()
            },
            Call {
                start: Some(10),
                end: Some(5),
                ..base()
            },
        ];
        for c in cases {
            let shown = format!("{c:?}");
            assert_eq!(check(c), Some(RejectReason::OutOfRange), "{shown}");
        }
    }

    #[test]
    fn judge_verdicts_need_a_name_and_a_score_in_range() {
        use crate::model::record::FeedbackKind;
        let v = |name: Option<&str>, value: Option<f64>, judge: Option<&str>| Feedback {
            call_id: "c".into(),
            time: None,
            kind: FeedbackKind::Score,
            value,
            comment: None,
            user: None,
            name: name.map(Into::into),
            judge: judge.map(Into::into),
        };
        let reason = |f: Feedback| verdict(&f).err().map(|r| r.reason);
        let named = Some("judge.groundedness");
        assert_eq!(reason(v(named, Some(0.2), Some("gpt-4o-mini"))), None);
        assert_eq!(reason(v(named, Some(1.0), None)), None);
        assert_eq!(
            reason(v(named, Some(1.5), None)),
            Some(RejectReason::OutOfRange)
        );
        assert_eq!(
            reason(v(named, Some(-0.1), None)),
            Some(RejectReason::OutOfRange)
        );
        assert_eq!(
            reason(v(named, None, None)),
            Some(RejectReason::MissingField)
        );
        assert_eq!(
            reason(v(None, Some(0.5), Some("gpt-4o-mini"))),
            Some(RejectReason::MissingField)
        );
        assert_eq!(
            reason(v(Some("judge."), Some(0.5), None)),
            Some(RejectReason::MissingField)
        );
        // A person's rating on a 1-5 scale is not a verdict and is not range-checked.
        assert_eq!(reason(v(Some("csat"), Some(4.0), None)), None);
    }
}
