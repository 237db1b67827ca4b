//! What a headless command lets into the engine: an event-time range (`--since`/`--until`)
//! and a filter (`--filter`, the TUI's query language). Records outside are *skipped*,
//! counted here, never rejected: they decoded fine, the user just asked for less.
//!
//! The gate also counts the bytes and records the pipeline has seen, so a progress bar can
//! read how far the input is without touching the engine.

use crate::annotations::{Annotations, LabelledCall};
use crate::model::query::Query;
use crate::model::record::{Nanos, Record};
use std::sync::atomic::{AtomicU64, Ordering};

/// A half-open event-time range `[since, until)`; an open end is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// First event time admitted (inclusive).
    pub since: Option<Nanos>,
    /// First event time no longer admitted (exclusive).
    pub until: Option<Nanos>,
}

impl TimeRange {
    /// True when neither end is set.
    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Whether event time `t` is in the range. A record without an event time is inside
    /// only an unbounded range: it cannot be placed.
    pub fn contains(&self, t: Option<Nanos>) -> bool {
        if self.is_unbounded() {
            return true;
        }
        let Some(t) = t else { return false };
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

/// The range and filter of one command run, with its counters (shared between the
/// pipeline's threads, hence atomics).
#[derive(Debug, Default)]
pub struct RecordGate {
    range: TimeRange,
    filter: Option<Query>,
    /// Review labels the filter's `label:` and `has:label` terms read.
    labels: Option<Annotations>,
    skipped: AtomicU64,
    seen: AtomicU64,
    bytes: AtomicU64,
}

impl RecordGate {
    /// A gate for `range` and `filter` (`None` or an empty query lets every call through).
    pub fn new(range: TimeRange, filter: Option<Query>) -> RecordGate {
        RecordGate {
            range,
            filter: filter.filter(|q| !q.is_empty()),
            ..RecordGate::default()
        }
    }

    /// The gate with review labels joined to its calls, so `--filter label:bad` means what it
    /// means in the TUI. A label on a whole conversation applies to calls that name that
    /// conversation (`conversation_id`); sessions the TUI derives from user and time gaps
    /// exist only there.
    pub fn with_labels(mut self, labels: Annotations) -> RecordGate {
        self.labels = Some(labels);
        self
    }

    /// The time range.
    pub fn range(&self) -> TimeRange {
        self.range
    }

    /// The filter, when one is set.
    pub fn filter(&self) -> Option<&Query> {
        self.filter.as_ref()
    }

    /// True when the gate may skip anything (a range or a filter is set).
    pub fn is_active(&self) -> bool {
        !self.range.is_unbounded() || self.filter.is_some()
    }

    /// True when deciding needs the whole record (a filter), not only its event time.
    pub fn needs_records(&self) -> bool {
        self.filter.is_some()
    }

    /// Whether `r` goes on to the engine; counts it as seen, and as skipped when not. The
    /// filter applies to calls and spans; feedback and attachments only need to be in range
    /// (they join calls by id).
    pub fn admit(&self, r: &Record) -> bool {
        let ok = self.range.contains(r.time())
            && match (r, &self.filter) {
                (Record::Call(c), Some(q)) => match &self.labels {
                    Some(ann) => q.matches(&LabelledCall {
                        call: c,
                        conversation: c.conversation_id.as_deref(),
                        annotations: ann,
                    }),
                    None => q.matches(&**c),
                },
                _ => true,
            };
        self.count(ok)
    }

    /// Whether a call known only by its event time goes on (valid only when
    /// [`RecordGate::needs_records`] is false); counts like [`RecordGate::admit`].
    pub fn admit_time(&self, t: Option<Nanos>) -> bool {
        self.count(self.range.contains(t))
    }

    fn count(&self, ok: bool) -> bool {
        self.seen.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.skipped.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Notes bytes read by a source (for progress).
    pub fn note_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// Records left out by the range or the filter.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Records the gate has decided on.
    pub fn seen(&self) -> u64 {
        self.seen.load(Ordering::Relaxed)
    }

    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::Call;

    fn call(t: Option<Nanos>, model: &str) -> Record {
        Record::Call(Box::new(Call {
            id: "c".into(),
            end: t,
            model: Some(model.into()),
            ..Call::default()
        }))
    }

    #[test]
    fn range_is_half_open_and_skips_are_counted() {
        let g = RecordGate::new(
            TimeRange {
                since: Some(10),
                until: Some(20),
            },
            None,
        );
        assert!(!g.admit(&call(Some(9), "a")));
        assert!(g.admit(&call(Some(10), "a")));
        assert!(g.admit(&call(Some(19), "a")));
        assert!(!g.admit(&call(Some(20), "a")));
        assert!(
            !g.admit(&call(None, "a")),
            "an unplaceable record is outside a range"
        );
        assert_eq!((g.seen(), g.skipped()), (5, 3));
    }

    #[test]
    fn filter_applies_to_calls() {
        let q = Query::parse("model:gpt-4*").ok();
        let g = RecordGate::new(TimeRange::default(), q);
        assert!(g.needs_records());
        assert!(g.admit(&call(None, "gpt-4o")));
        assert!(!g.admit(&call(None, "claude")));
        assert_eq!(g.skipped(), 1);
        assert!(!RecordGate::new(TimeRange::default(), Query::parse("").ok()).is_active());
    }
}
