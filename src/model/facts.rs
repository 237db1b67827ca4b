//! The fields of a call that the engine's numbers depend on, borrowed. Both an owned
//! [`Call`] and a decoder's borrowed wire record produce a [`CallFacts`], and every window,
//! group, series and store counter is computed from it, so the TUI (owned calls) and
//! `report` (borrowed lines, no content kept) agree on every number.

use crate::model::record::{
    derive_latency_ms, derive_tpot_ms, Call, CostProvenance, Flag, Nanos, Operation, Status, Tokens,
};

/// What the engine counts of one call or span.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CallFacts<'a> {
    pub id: &'a str,
    pub start: Option<Nanos>,
    pub end: Option<Nanos>,
    pub ts: Option<Nanos>,
    pub conversation_id: Option<&'a str>,
    pub user: Option<&'a str>,
    pub app: Option<&'a str>,
    /// Requested model.
    pub model: Option<&'a str>,
    pub response_model: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub operation: Operation,
    pub status: Status,
    pub error_type: Option<&'a str>,
    pub latency_ms: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub tokens: Tokens,
    pub cost_usd: Option<f64>,
    /// True when the cost came from a price table rather than the source.
    pub cost_computed: bool,
    pub trace_id: Option<&'a str>,
    pub span_id: Option<&'a str>,
    pub flags: &'a [Flag],
}

impl<'a> CallFacts<'a> {
    /// The facts of an owned call.
    pub fn of(c: &'a Call) -> Self {
        CallFacts {
            id: &c.id,
            start: c.start,
            end: c.end,
            ts: c.ts,
            conversation_id: c.conversation_id.as_deref(),
            user: c.user.as_deref(),
            app: c.app.as_deref(),
            model: c.model.as_deref(),
            response_model: c.response_model.as_deref(),
            provider: c.provider.as_deref(),
            operation: c.operation,
            status: c.status,
            error_type: c.error_type.as_deref(),
            latency_ms: c.latency_ms,
            ttft_ms: c.ttft_ms,
            tokens: c.tokens,
            cost_usd: c.cost_usd,
            cost_computed: matches!(c.cost_source, Some(CostProvenance::Computed { .. })),
            trace_id: c.trace_id.as_deref(),
            span_id: c.span_id.as_deref(),
            flags: &c.flags,
        }
    }

    /// The record's own time: end, else start, else its single timestamp.
    pub fn event_time(&self) -> Option<Nanos> {
        self.end.or(self.start).or(self.ts)
    }

    /// Latency as reported, or derived from start and end.
    pub fn effective_latency_ms(&self) -> Option<f64> {
        derive_latency_ms(self.latency_ms, self.start, self.end)
    }

    /// Time per output token after the first, when latency, TTFT and output tokens allow it.
    pub fn tpot_ms(&self) -> Option<f64> {
        derive_tpot_ms(
            self.effective_latency_ms(),
            self.ttft_ms,
            self.tokens.output,
        )
    }

    /// The model name used for grouping: requested, else response model.
    pub fn model_name(&self) -> Option<&'a str> {
        self.model.or(self.response_model)
    }

    /// An owned call with these facts and no content, for the engine to hold a record it
    /// cannot judge yet (the far-future guard); its facts equal these.
    pub fn to_call(&self) -> Call {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        let cost_source = match (self.cost_usd, self.cost_computed) {
            (Some(_), true) => Some(CostProvenance::Computed {
                table_date: String::new(),
            }),
            (Some(_), false) => Some(CostProvenance::Reported),
            (None, _) => None,
        };
        Call {
            id: self.id.to_owned(),
            start: self.start,
            end: self.end,
            ts: self.ts,
            conversation_id: owned(self.conversation_id),
            user: owned(self.user),
            app: owned(self.app),
            model: owned(self.model),
            response_model: owned(self.response_model),
            provider: owned(self.provider),
            operation: self.operation,
            status: self.status,
            error_type: owned(self.error_type),
            latency_ms: self.latency_ms,
            ttft_ms: self.ttft_ms,
            tokens: self.tokens,
            cost_usd: self.cost_usd,
            cost_source,
            trace_id: owned(self.trace_id),
            span_id: owned(self.span_id),
            flags: self.flags.to_vec(),
            ..Call::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_of_a_call_agree_with_its_own_methods() {
        let mut c = Call {
            start: Some(1_000_000),
            end: Some(901_000_000),
            ttft_ms: Some(100.0),
            response_model: Some("m-2025".into()),
            ..Call::default()
        };
        c.tokens.output = Some(9);
        let f = CallFacts::of(&c);
        assert_eq!(f.event_time(), c.event_time());
        assert_eq!(f.effective_latency_ms(), c.effective_latency_ms());
        assert_eq!(f.tpot_ms(), c.tpot_ms());
        assert_eq!(f.model_name(), c.model_name());
        assert_eq!(CallFacts::of(&f.to_call()), f);
    }
}
