//! The list panes' row indexes: conversations, traces, flagged calls and all calls, filtered by the
//! query (review labels joined from the annotations, for `label:`) and sorted, as small snapshots of the numbers each column shows. They are rebuilt
//! from the store only when it changed (and at most a few times per second), so a frame
//! costs O(visible rows) even with 100,000 conversations; a paused view keeps its snapshot.

use crate::annotations::{Annotations, LabelledCall};
use crate::engine::read::alerts::DrillSort;
use crate::engine::read::review::ReviewQueue;
use crate::engine::store::{Conversation, Seq, Store, StoredCall, Trace};
use crate::model::query::{contains_ignore_case, severity_rank, Field, Filterable, Query};
use crate::model::record::{Call, FeedbackKind, Flag, Nanos, Status};
use std::cmp::Ordering;

/// Columns of the conversations table, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvColumn {
    Last,
    User,
    Models,
    Turns,
    Tokens,
    Cost,
    Latency,
    Flags,
    Feedback,
}

impl ConvColumn {
    /// Every column, in display order.
    pub const ALL: [ConvColumn; 9] = [
        ConvColumn::Last,
        ConvColumn::User,
        ConvColumn::Models,
        ConvColumn::Turns,
        ConvColumn::Tokens,
        ConvColumn::Cost,
        ConvColumn::Latency,
        ConvColumn::Flags,
        ConvColumn::Feedback,
    ];

    /// Column heading.
    pub fn title(self) -> &'static str {
        match self {
            ConvColumn::Last => "last",
            ConvColumn::User => "user",
            ConvColumn::Models => "models",
            ConvColumn::Turns => "turns",
            ConvColumn::Tokens => "tokens",
            ConvColumn::Cost => "cost",
            ConvColumn::Latency => "worst",
            ConvColumn::Flags => "flags",
            ConvColumn::Feedback => "fb",
        }
    }

    /// The column after this one (wrapping), for the sort key.
    pub fn next(self) -> ConvColumn {
        let i = ConvColumn::ALL.iter().position(|c| *c == self).unwrap_or(0);
        ConvColumn::ALL[(i + 1) % ConvColumn::ALL.len()]
    }
}

/// Columns the traces list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceColumn {
    Last,
    Duration,
    Spans,
    Errors,
    Tokens,
    Cost,
}

impl TraceColumn {
    /// Every sortable column, in display order.
    pub const ALL: [TraceColumn; 6] = [
        TraceColumn::Last,
        TraceColumn::Duration,
        TraceColumn::Spans,
        TraceColumn::Errors,
        TraceColumn::Tokens,
        TraceColumn::Cost,
    ];

    /// Column heading.
    pub fn title(self) -> &'static str {
        match self {
            TraceColumn::Last => "last",
            TraceColumn::Duration => "duration",
            TraceColumn::Spans => "spans",
            TraceColumn::Errors => "err",
            TraceColumn::Tokens => "tokens",
            TraceColumn::Cost => "cost",
        }
    }

    /// The column after this one (wrapping).
    pub fn next(self) -> TraceColumn {
        let i = TraceColumn::ALL
            .iter()
            .position(|c| *c == self)
            .unwrap_or(0);
        TraceColumn::ALL[(i + 1) % TraceColumn::ALL.len()]
    }
}

/// One conversation's numbers as of the last rebuild.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvRow {
    pub key: Box<str>,
    pub last: Nanos,
    pub turns: u64,
    pub errors: u64,
    pub tokens: u64,
    pub cost_usd: f64,
    pub unpriced: u64,
    pub worst_ms: f64,
    pub flags: u64,
    pub feedback_up: u64,
    pub feedback_down: u64,
    pub feedback_other: u64,
}

impl ConvRow {
    fn new(c: &Conversation) -> ConvRow {
        ConvRow {
            key: c.key.clone(),
            last: c.last,
            turns: c.calls,
            errors: c.errors,
            tokens: c.input_tokens + c.output_tokens,
            cost_usd: c.cost_usd,
            unpriced: c.unpriced_calls,
            worst_ms: c.worst_latency_ms,
            flags: c.flags,
            feedback_up: c.feedback_up,
            feedback_down: c.feedback_down,
            feedback_other: c.feedback_other,
        }
    }
}

/// One trace's numbers as of the last rebuild.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRow {
    pub id: Box<str>,
    pub first: Nanos,
    pub last: Nanos,
    pub spans: u64,
    pub llm_calls: u64,
    pub errors: u64,
    pub tokens: u64,
    pub cost_usd: f64,
}

impl TraceRow {
    fn new(t: &Trace) -> TraceRow {
        TraceRow {
            id: t.id.clone(),
            first: t.first,
            last: t.last,
            spans: t.span_count,
            llm_calls: t.llm_calls,
            errors: t.errors,
            tokens: t.tokens,
            cost_usd: t.cost_usd,
        }
    }

    /// Wall time the trace covers, in milliseconds.
    pub fn duration_ms(&self) -> f64 {
        (self.last - self.first).max(0) as f64 / 1e6
    }
}

/// A filtered, sorted snapshot of one list, with the totals for the hit count.
#[derive(Debug, Clone)]
pub struct Index<R> {
    pub rows: Vec<R>,
    /// Items before filtering.
    pub total: usize,
    /// Position of the most recently active row (what follow selects).
    pub newest: Option<usize>,
}

impl<R> Default for Index<R> {
    fn default() -> Self {
        Index {
            rows: Vec::new(),
            total: 0,
            newest: None,
        }
    }
}

fn cmp_f64(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

fn newest_by<R>(rows: &[R], last: impl Fn(&R) -> Nanos) -> Option<usize> {
    rows.iter()
        .enumerate()
        .max_by(|a, b| last(a.1).cmp(&last(b.1)).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i)
}

/// Conversations matching `query` with a retained turn in `range` (inclusive event times),
/// sorted by `column` (descending unless `ascending`).
pub fn conversations(
    store: &Store,
    ann: &Annotations,
    query: &Query,
    range: Option<(Nanos, Nanos)>,
    column: ConvColumn,
    ascending: bool,
) -> Index<ConvRow> {
    let all = store.conversations();
    let in_range = |c: &Conversation| {
        range.is_none_or(|(from, to)| {
            c.turns
                .iter()
                .filter_map(|&s| store.get(s))
                .any(|sc| (from..=to).contains(&sc.time))
        })
    };
    let mut rows: Vec<ConvRow> = all
        .values()
        .filter(|c| {
            query.is_empty()
                || query.matches(&ConvItem {
                    conv: c,
                    store,
                    ann,
                })
        })
        .filter(|c| in_range(c))
        .map(ConvRow::new)
        .collect();
    match column {
        ConvColumn::User => rows.sort_by_cached_key(|r| {
            all.get(&r.key)
                .and_then(|c| c.user.clone())
                .unwrap_or_default()
        }),
        ConvColumn::Models => rows.sort_by_cached_key(|r| {
            all.get(&r.key)
                .map(|c| c.models.iter().cloned().collect::<Vec<_>>().join(","))
                .unwrap_or_default()
        }),
        _ => rows.sort_unstable_by(|a, b| {
            let o = match column {
                ConvColumn::Turns => a.turns.cmp(&b.turns),
                ConvColumn::Tokens => a.tokens.cmp(&b.tokens),
                ConvColumn::Cost => cmp_f64(a.cost_usd, b.cost_usd),
                ConvColumn::Latency => cmp_f64(a.worst_ms, b.worst_ms),
                ConvColumn::Flags => a.flags.cmp(&b.flags),
                ConvColumn::Feedback => {
                    (a.feedback_down, a.feedback_up).cmp(&(b.feedback_down, b.feedback_up))
                }
                _ => a.last.cmp(&b.last),
            };
            o.then_with(|| a.last.cmp(&b.last))
                .then_with(|| a.key.cmp(&b.key))
        }),
    }
    let text_sort = matches!(column, ConvColumn::User | ConvColumn::Models);
    // Text columns read best A→Z by default; numbers largest first.
    if ascending == text_sort {
        rows.reverse();
    }
    Index {
        newest: newest_by(&rows, |r| r.last),
        total: all.len(),
        rows,
    }
}

/// Traces matching `query`, sorted by `column` (descending unless `ascending`).
pub fn traces(
    store: &Store,
    ann: &Annotations,
    query: &Query,
    column: TraceColumn,
    ascending: bool,
) -> Index<TraceRow> {
    let all = store.traces();
    let mut rows: Vec<TraceRow> = all
        .values()
        .filter(|t| {
            query.is_empty()
                || query.matches(&TraceItem {
                    trace: t,
                    store,
                    ann,
                })
        })
        .map(TraceRow::new)
        .collect();
    rows.sort_unstable_by(|a, b| {
        let o = match column {
            TraceColumn::Last => a.last.cmp(&b.last),
            TraceColumn::Duration => cmp_f64(a.duration_ms(), b.duration_ms()),
            TraceColumn::Spans => a.spans.cmp(&b.spans),
            TraceColumn::Errors => a.errors.cmp(&b.errors),
            TraceColumn::Tokens => a.tokens.cmp(&b.tokens),
            TraceColumn::Cost => cmp_f64(a.cost_usd, b.cost_usd),
        };
        o.then_with(|| a.last.cmp(&b.last))
            .then_with(|| a.id.cmp(&b.id))
    });
    if !ascending {
        rows.reverse();
    }
    Index {
        newest: newest_by(&rows, |r| r.last),
        total: all.len(),
        rows,
    }
}

/// Flagged calls matching `query`, newest first.
pub fn flagged(store: &Store, ann: &Annotations, query: &Query) -> Index<Seq> {
    let rows: Vec<Seq> = store
        .flagged()
        .rev()
        .filter(|&s| query.is_empty() || store.get(s).is_some_and(|c| matches(query, c, ann)))
        .collect();
    Index {
        newest: (!rows.is_empty()).then_some(0),
        total: store.flagged().len(),
        rows,
    }
}

/// Every retained call and span matching `query` with event time in `range` (inclusive),
/// in `sort` order: newest first, or the worst first for the number an alert watches.
/// Ties keep the newest first, so the order is stable while rows arrive.
pub fn calls(
    store: &Store,
    ann: &Annotations,
    query: &Query,
    range: Option<(Nanos, Nanos)>,
    sort: DrillSort,
) -> Index<Seq> {
    let matching = |sc: &&StoredCall| {
        range.is_none_or(|(from, to)| (from..=to).contains(&sc.time))
            && (query.is_empty() || matches(query, sc, ann))
    };
    let mut hits: Vec<&StoredCall> = store.calls().rev().filter(matching).collect();
    let worst = |sc: &StoredCall| sort.worst_key(&sc.call);
    // Newest by event time (records may arrive out of order); the sorts are stable and
    // start from the reversed arrival order, so ties keep the latest arrival first.
    hits.sort_by_key(|sc| std::cmp::Reverse(sc.time));
    if sort != DrillSort::Newest {
        hits.sort_by(|a, b| cmp_f64(worst(b), worst(a)));
    }
    let newest = newest_by(&hits, |sc| sc.time);
    Index {
        rows: hits.iter().map(|sc| sc.seq).collect(),
        total: store.len(),
        newest,
    }
}

/// One row of the Review pane: the queue item (by position in the snapshot's queue) and
/// the label in effect on its call, if it has been reviewed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    pub seq: Seq,
    /// Position in [`ReviewQueue::items`].
    pub item: usize,
    pub label: Option<String>,
}

/// The review queue's calls the store still holds that match `query` with event time in
/// `range` (inclusive), in queue order, each with its latest label.
pub fn review(
    queue: &ReviewQueue,
    store: &Store,
    ann: &Annotations,
    query: &Query,
    range: Option<(Nanos, Nanos)>,
) -> Index<ReviewRow> {
    let rows = queue
        .items
        .iter()
        .enumerate()
        .filter(|(_, it)| range.is_none_or(|(from, to)| (from..=to).contains(&it.time)))
        .filter(|(_, it)| {
            store
                .get(it.seq)
                .is_some_and(|sc| query.is_empty() || matches(query, sc, ann))
        })
        .map(|(item, it)| ReviewRow {
            seq: it.seq,
            item,
            label: ann
                .for_call(&it.call_id)
                .last()
                .and_then(|a| a.label.clone()),
        })
        .collect();
    Index {
        rows,
        total: queue.items.len(),
        newest: None,
    }
}

/// Whether a stored call matches `query`, its review labels included.
pub fn matches(query: &Query, sc: &StoredCall, ann: &Annotations) -> bool {
    query.matches(&LabelledCall {
        call: &sc.call,
        conversation: sc.conversation.as_deref(),
        annotations: ann,
    })
}

/// The finding that best says why `call` is in a list filtered by `query`: the most
/// severe flag that matches the query on its own (so `flag:injection` shows the injection,
/// not a more severe leak on the same call), else the most severe flag.
pub fn shown_flag<'a>(call: &'a Call, query: &Query) -> Option<&'a Flag> {
    let worst = |it: &mut dyn Iterator<Item = &'a Flag>| it.max_by_key(|f| f.severity);
    let matching = worst(
        &mut call
            .flags
            .iter()
            .filter(|f| query.is_empty() || query.matches(&OneFlag { call, flag: f })),
    );
    matching.or_else(|| worst(&mut call.flags.iter()))
}

/// A call seen with only one of its flags, to ask which flag a query's flag terms meant.
struct OneFlag<'a> {
    call: &'a Call,
    flag: &'a Flag,
}

impl Filterable for OneFlag<'_> {
    fn any_text(&self, field: &Field, pred: &mut dyn FnMut(&str) -> bool) -> bool {
        match field {
            Field::Flag => pred(&self.flag.detector) || pred(&self.flag.rule),
            f => self.call.any_text(f, pred),
        }
    }

    fn any_num(&self, field: &Field, pred: &mut dyn FnMut(f64) -> bool) -> bool {
        match field {
            Field::Severity => pred(severity_rank(self.flag.severity)),
            f => self.call.any_num(f, pred),
        }
    }

    fn has(&self, field: &Field) -> bool {
        match field {
            Field::Flag => true,
            f => self.call.has(f),
        }
    }

    fn full_text_contains(&self, needle: &str) -> bool {
        self.call.full_text_contains(needle)
    }
}

/// A conversation as the query language sees it: its totals plus the retained turns, with
/// the review labels made on it or on any of its turns.
pub struct ConvItem<'a> {
    pub conv: &'a Conversation,
    pub store: &'a Store,
    pub ann: &'a Annotations,
}

impl ConvItem<'_> {
    fn any_turn(&self, f: impl FnMut(&crate::engine::store::StoredCall) -> bool) -> bool {
        self.conv
            .turns
            .iter()
            .filter_map(|&s| self.store.get(s))
            .any(f)
    }
}

impl Filterable for ConvItem<'_> {
    fn any_text(&self, field: &Field, pred: &mut dyn FnMut(&str) -> bool) -> bool {
        let c = self.conv;
        match field {
            Field::Model => c.models.iter().any(|m| pred(m)),
            Field::User => c.user.as_deref().is_some_and(&mut *pred),
            Field::App => c.app.as_deref().is_some_and(&mut *pred),
            Field::Conversation => pred(&c.key),
            Field::Label => {
                self.ann.labels_of_conversation(&c.key).any(&mut *pred)
                    || self.any_turn(|t| {
                        self.ann
                            .labels_of_call(&t.call.id, Some(&c.key))
                            .any(&mut *pred)
                    })
            }
            Field::Status => (c.errors > 0 && pred("error")) || (c.calls > c.errors && pred("ok")),
            Field::Flag => {
                c.flag_detectors.iter().any(|d| pred(d))
                    || self.any_turn(|t| t.call.flags.iter().any(|f| pred(&f.rule)))
            }
            Field::Feedback => {
                (c.feedback_up > 0 && pred("thumbs_up"))
                    || (c.feedback_down > 0 && pred("thumbs_down"))
                    || self.any_turn(|t| t.feedback.iter().any(|f| pred(feedback_name(f.kind))))
            }
            _ => self.any_turn(|t| t.call.any_text(field, &mut *pred)),
        }
    }

    fn any_num(&self, field: &Field, pred: &mut dyn FnMut(f64) -> bool) -> bool {
        let c = self.conv;
        match field {
            Field::Cost => pred(c.cost_usd),
            Field::Tokens => pred((c.input_tokens + c.output_tokens) as f64),
            Field::InputTokens => pred(c.input_tokens as f64),
            Field::OutputTokens => pred(c.output_tokens as f64),
            Field::Latency => c.calls > 0 && pred(c.worst_latency_ms),
            _ => self.any_turn(|t| t.call.any_num(field, &mut *pred)),
        }
    }

    fn has(&self, field: &Field) -> bool {
        let c = self.conv;
        match field {
            Field::Feedback => c.feedback_up + c.feedback_down + c.feedback_other > 0,
            Field::Error => c.errors > 0,
            Field::Flag => c.flags > 0,
            f => self.any_text(f, &mut |_| true) || self.any_num(f, &mut |_| true),
        }
    }

    fn full_text_contains(&self, needle: &str) -> bool {
        contains_ignore_case(&self.conv.key, needle)
            || self
                .conv
                .user
                .as_deref()
                .is_some_and(|u| contains_ignore_case(u, needle))
            || self.any_turn(|t| t.call.full_text_contains(needle))
    }
}

fn feedback_name(k: FeedbackKind) -> &'static str {
    match k {
        FeedbackKind::ThumbsUp => "thumbs_up",
        FeedbackKind::ThumbsDown => "thumbs_down",
        FeedbackKind::Score => "score",
        FeedbackKind::Comment => "comment",
        FeedbackKind::Copy => "copy",
        FeedbackKind::Implicit => "implicit",
    }
}

/// A trace as the query language sees it: its totals plus its retained spans, with the
/// review labels on any of them.
pub struct TraceItem<'a> {
    pub trace: &'a Trace,
    pub store: &'a Store,
    pub ann: &'a Annotations,
}

impl TraceItem<'_> {
    fn any_span(&self, mut f: impl FnMut(&crate::model::record::Call) -> bool) -> bool {
        self.trace
            .spans
            .iter()
            .filter_map(|&s| self.store.get(s))
            .any(|c| f(&c.call))
    }
}

impl Filterable for TraceItem<'_> {
    fn any_text(&self, field: &Field, pred: &mut dyn FnMut(&str) -> bool) -> bool {
        let t = self.trace;
        match field {
            Field::Trace => pred(&t.id),
            Field::Conversation => t.conversation.as_deref().is_some_and(&mut *pred),
            Field::User => t.user.as_deref().is_some_and(&mut *pred),
            Field::Label => t.spans.iter().filter_map(|&s| self.store.get(s)).any(|sc| {
                self.ann
                    .labels_of_call(&sc.call.id, sc.conversation.as_deref())
                    .any(&mut *pred)
            }),
            Field::Status => (t.errors > 0 && pred("error")) || (t.errors == 0 && pred("ok")),
            _ => self.any_span(|c| c.any_text(field, &mut *pred)),
        }
    }

    fn any_num(&self, field: &Field, pred: &mut dyn FnMut(f64) -> bool) -> bool {
        let t = self.trace;
        match field {
            Field::Cost => pred(t.cost_usd),
            Field::Tokens => pred(t.tokens as f64),
            Field::Latency => pred((t.last - t.first).max(0) as f64 / 1e6),
            Field::Severity => {
                self.any_span(|c| c.flags.iter().any(|f| pred(severity_rank(f.severity))))
            }
            _ => self.any_span(|c| c.any_num(field, &mut *pred)),
        }
    }

    fn has(&self, field: &Field) -> bool {
        match field {
            Field::Error => self.trace.errors > 0 || self.any_span(|c| c.status == Status::Error),
            f => self.any_text(f, &mut |_| true) || self.any_num(f, &mut |_| true),
        }
    }

    fn full_text_contains(&self, needle: &str) -> bool {
        contains_ignore_case(&self.trace.id, needle)
            || self.any_span(|c| c.full_text_contains(needle))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::StoreConfig;
    use crate::model::record::{Severity, TextField};

    fn store() -> Store {
        let mut s = Store::new(StoreConfig::default());
        for (i, (conv, user, model, cost)) in [
            ("a", "alice", "gpt-4o", 0.5),
            ("b", "bob", "gpt-4o-mini", 0.1),
            ("a", "alice", "gpt-4o", 0.25),
            ("c", "carol", "claude", 2.0),
        ]
        .into_iter()
        .enumerate()
        {
            let t = i as i64 * 1_000_000_000;
            s.add_call(
                Call {
                    id: format!("c{i}"),
                    conversation_id: Some(conv.into()),
                    user: Some(user.into()),
                    model: Some(model.into()),
                    cost_usd: Some(cost),
                    end: Some(t),
                    trace_id: Some(format!("t{conv}")),
                    ..Call::default()
                },
                t,
            );
        }
        s
    }

    #[test]
    fn conversations_sort_and_filter() {
        let s = store();
        let all = conversations(
            &s,
            &Annotations::in_memory(),
            &Query::all(),
            None,
            ConvColumn::Last,
            false,
        );
        let keys: Vec<&str> = all.rows.iter().map(|r| &*r.key).collect();
        assert_eq!(keys, ["c", "a", "b"]);
        assert_eq!(all.newest, Some(0));
        let by_cost = conversations(
            &s,
            &Annotations::in_memory(),
            &Query::all(),
            None,
            ConvColumn::Cost,
            true,
        );
        assert_eq!(by_cost.rows[0].key.as_ref(), "b");
        let by_user = conversations(
            &s,
            &Annotations::in_memory(),
            &Query::all(),
            None,
            ConvColumn::User,
            false,
        );
        assert_eq!(by_user.rows[0].key.as_ref(), "a");
        let q = Query::parse("model:gpt-4o* -user:bob").unwrap();
        let hits = conversations(
            &s,
            &Annotations::in_memory(),
            &q,
            None,
            ConvColumn::Last,
            false,
        );
        assert_eq!((hits.rows.len(), hits.total), (1, 3));
        assert_eq!(hits.rows[0].turns, 2);
        let q = Query::parse("cost>1").unwrap();
        assert_eq!(
            conversations(
                &s,
                &Annotations::in_memory(),
                &q,
                None,
                ConvColumn::Last,
                false
            )
            .rows
            .len(),
            1
        );
    }

    #[test]
    fn calls_list_newest_first_or_worst_first_within_range() {
        let s = store();
        let newest = calls(
            &s,
            &Annotations::in_memory(),
            &Query::all(),
            None,
            DrillSort::Newest,
        );
        let ids = |idx: &Index<Seq>| -> Vec<String> {
            idx.rows
                .iter()
                .map(|&q| s.get(q).unwrap().call.id.clone())
                .collect()
        };
        assert_eq!(ids(&newest), ["c3", "c2", "c1", "c0"]);
        assert_eq!((newest.newest, newest.total), (Some(0), 4));
        let by_cost = calls(
            &s,
            &Annotations::in_memory(),
            &Query::all(),
            None,
            DrillSort::Cost,
        );
        assert_eq!(ids(&by_cost), ["c3", "c0", "c2", "c1"]);
        assert_eq!(by_cost.newest, Some(0));
        let q = Query::parse("model:gpt-4o").unwrap();
        let ranged = calls(
            &s,
            &Annotations::in_memory(),
            &q,
            Some((1_000_000_000, 3_000_000_000)),
            DrillSort::Cost,
        );
        assert_eq!(ids(&ranged), ["c2"]);
    }

    #[test]
    fn the_shown_flag_is_the_one_the_filter_asked_for() {
        let flag = |detector: &str, severity| Flag {
            detector: detector.into(),
            rule: format!("{detector}.rule"),
            severity,
            score: 1.0,
            field: TextField::Output,
            start: 0,
            end: 1,
            snippet: "x".into(),
        };
        let call = Call {
            flags: vec![
                flag("injection", Severity::Medium),
                flag("leak", Severity::High),
            ],
            ..Call::default()
        };
        let q = Query::parse("flag:injection").unwrap();
        assert_eq!(shown_flag(&call, &q).unwrap().detector, "injection");
        assert_eq!(shown_flag(&call, &Query::all()).unwrap().detector, "leak");
        let none = Query::parse("flag:pii").unwrap();
        assert_eq!(shown_flag(&call, &none).unwrap().detector, "leak");
    }

    #[test]
    fn traces_sort_newest_first() {
        let s = store();
        let t = traces(
            &s,
            &Annotations::in_memory(),
            &Query::all(),
            TraceColumn::Last,
            false,
        );
        assert_eq!(t.rows[0].id.as_ref(), "tc");
        let q = Query::parse("user:alice").unwrap();
        assert_eq!(
            traces(&s, &Annotations::in_memory(), &q, TraceColumn::Last, false)
                .rows
                .len(),
            1
        );
    }
}
