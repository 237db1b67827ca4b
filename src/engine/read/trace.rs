//! A trace laid out as a tree on a time axis, with its critical path, its costliest branch
//! and tokens and cost rolled up each subtree, and the summary the traces list shows (service,
//! root span, model, user). Views draw it; they never build it. A cost that is not known is
//! kept apart from $0 ([`Cost`]): an unpriced LLM call, or one priced from no token counts.
//!
//! The critical path is the chain of spans that decides when the trace ends: from each span,
//! the child that ended last, then — walking back from that child's start — the child that
//! ended last before it began, and so on; each chosen child is followed the same way. So a
//! sequential agent run (chat → tool → chat) has every step on the path, parallel children
//! only the one that finished last, and nested spans the chain down to the leaf.

use crate::engine::store::{Seq, Store};
use crate::model::record::{Call, CostProvenance, Operation, Status};
use std::collections::HashMap;

/// Depth beyond which spans are drawn at the same indent (and recursion stops).
const MAX_DEPTH: u16 = 12;

/// A cost that may be partly unknown, so a missing price is never shown as `$0`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    /// Sum of the costs that are known.
    pub known_usd: f64,
    /// Some LLM call in it has no known cost: `known_usd` is a lower bound.
    pub unknown: bool,
}

impl Cost {
    /// What one span costs on its own; an LLM call without a known cost is `unknown`.
    pub fn of(c: &Call) -> Cost {
        let known = known_cost(c);
        Cost {
            known_usd: known.unwrap_or(0.0),
            unknown: known.is_none() && c.operation.is_llm_call(),
        }
    }

    fn add(&mut self, other: Cost) {
        self.known_usd += other.known_usd;
        self.unknown |= other.unknown;
    }
}

/// The call's cost if it is known. A cost computed from the price table for a call that
/// reported no token counts (an OTel streaming span without `include_usage`) is not a cost
/// of zero but an unknown one. The pricer itself now leaves such a call unpriced
/// (`Pricer::quote`); this keeps the trace view honest for a call that was priced that way
/// anyway.
pub fn known_cost(c: &Call) -> Option<f64> {
    let no_tokens = own_tokens(c).is_none();
    let guessed = matches!(c.cost_source, Some(CostProvenance::Computed { .. })) && no_tokens;
    c.cost_usd.filter(|_| !guessed)
}

/// The span's own input + output tokens, `None` when it reported neither.
pub fn own_tokens(c: &Call) -> Option<u64> {
    match (c.tokens.input, c.tokens.output) {
        (None, None) => None,
        (i, o) => Some(i.unwrap_or(0).saturating_add(o.unwrap_or(0))),
    }
}

/// What a span adds to its ancestors' rollups. Only LLM calls are billed, so only they are
/// summed: an agent or workflow span that repeats its children's usage is not counted twice,
/// and a subtree's total agrees with the trace totals the store keeps.
fn billed(c: &Call) -> (Cost, u64) {
    if c.operation.is_llm_call() {
        (Cost::of(c), own_tokens(c).unwrap_or(0))
    } else {
        (Cost::default(), 0)
    }
}

/// One span placed in the tree and on the time axis.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRow {
    pub seq: Seq,
    pub depth: u16,
    pub start_ms: f64,
    pub end_ms: f64,
    pub label: String,
    /// The span's own cost, as reported or priced.
    pub cost: Cost,
    /// The span's own input + output tokens, `None` when not reported.
    pub tokens: Option<u64>,
    /// Cost of the LLM calls in the span and everything under it.
    pub subtree_cost: Cost,
    /// Tokens of the LLM calls in the span and everything under it.
    pub subtree_tokens: u64,
    /// Spans under this one, at any depth.
    pub descendants: usize,
    pub error: bool,
    /// No parent among the retained spans although it names one.
    pub orphan: bool,
    pub on_critical_path: bool,
    pub on_costliest_branch: bool,
}

/// A trace laid out for drawing: rows in tree order and the axis length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceTree {
    pub rows: Vec<SpanRow>,
    pub axis_ms: f64,
}

/// What the traces list shows of a trace besides its id: who sent it and what it was.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceSummary {
    /// The OTel `service.name` (kept as the calls' `app`), the root's first.
    pub service: Option<String>,
    /// The root span's label (`trip_booking`, `chat gpt-4o`).
    pub root: Option<String>,
    /// The root's model, else the first LLM call's.
    pub model: Option<String>,
    /// The root's user, else the first span's that names one.
    pub user: Option<String>,
    /// Cost of the trace's LLM calls.
    pub cost: Cost,
    /// Tokens of the trace's LLM calls.
    pub tokens: u64,
}

/// What the tree shows of a span: `tool NAME`, the span name, or `OPERATION MODEL`, with
/// the tools an LLM call asked for.
fn span_label(c: &Call) -> String {
    let op = c.operation;
    let name = c.name.as_deref().filter(|n| !n.is_empty());
    let mut s = match (op, name) {
        (Operation::Tool, Some(n)) => format!("tool {n}"),
        (_, Some(n)) => n.to_string(),
        (_, None) => format!("{} {}", op.as_str(), c.model_name().unwrap_or("")),
    };
    if op != Operation::Tool && !c.tool_calls.is_empty() {
        let tools: Vec<&str> = c.tool_calls.iter().map(|t| t.name.as_str()).collect();
        s.push_str(&format!(" → {}", tools.join(",")));
    }
    s
}

/// A retained span with its interval.
struct Span<'a> {
    seq: Seq,
    call: &'a Call,
    start: i64,
    end: i64,
}

/// The retained spans of trace `id` up to `max_seq`, in arrival order.
fn spans_of<'a>(store: &'a Store, id: &str, max_seq: Option<Seq>) -> Vec<Span<'a>> {
    let Some(tr) = store.traces().get(id) else {
        return Vec::new();
    };
    tr.spans
        .iter()
        .filter(|&&s| max_seq.is_none_or(|m| s <= m))
        .filter_map(|&s| store.get(s))
        .map(|sc| {
            let c = &sc.call;
            let end = c.end.unwrap_or(sc.time);
            let lat_ns = c.effective_latency_ms().map_or(0, |l| (l * 1e6) as i64);
            let start = c.start.unwrap_or(end - lat_ns).min(end);
            Span {
                seq: sc.seq,
                call: c,
                start,
                end,
            }
        })
        .collect()
}

/// Builds the tree of trace `id` from the store; spans newer than `max_seq` are left out.
pub fn tree(store: &Store, id: &str, max_seq: Option<Seq>) -> TraceTree {
    layout(&spans_of(store, id, max_seq))
}

/// Summarises trace `id` for its row in the list; spans newer than `max_seq` are left out.
pub fn summary(store: &Store, id: &str, max_seq: Option<Seq>) -> TraceSummary {
    summarise(&spans_of(store, id, max_seq))
}

fn summarise(spans: &[Span<'_>]) -> TraceSummary {
    // The root is the earliest span that names no parent, else the earliest span at all.
    let no_parent = |s: &&Span<'_>| s.call.parent_span_id.as_deref().is_none_or(str::is_empty);
    let earliest = |a: &&Span<'_>, b: &&Span<'_>| (a.start, a.seq).cmp(&(b.start, b.seq));
    let root = spans
        .iter()
        .filter(no_parent)
        .min_by(earliest)
        .or_else(|| spans.iter().min_by(earliest));
    let first = |pick: fn(&Call) -> Option<&str>| {
        root.and_then(|r| pick(r.call))
            .or_else(|| spans.iter().find_map(|s| pick(s.call)))
            .map(str::to_owned)
    };
    let mut cost = Cost::default();
    let mut tokens = 0u64;
    for s in spans {
        let (c, t) = billed(s.call);
        cost.add(c);
        tokens = tokens.saturating_add(t);
    }
    TraceSummary {
        service: first(|c| c.app.as_deref()),
        root: root.map(|r| span_label(r.call)),
        model: root
            .and_then(|r| r.call.model_name())
            .map(str::to_owned)
            .or_else(|| {
                spans
                    .iter()
                    .filter(|s| s.call.operation.is_llm_call())
                    .min_by(earliest)
                    .and_then(|s| s.call.model_name())
                    .map(str::to_owned)
            }),
        user: first(|c| c.user.as_deref()),
        cost,
        tokens,
    }
}

fn layout(spans: &[Span<'_>]) -> TraceTree {
    if spans.is_empty() {
        return TraceTree::default();
    }
    let t0 = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let t1 = spans.iter().map(|s| s.end).max().unwrap_or(t0);
    let by_span: HashMap<&str, usize> = spans
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.call.span_id.as_deref().map(|id| (id, i)))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut roots = Vec::new();
    let mut orphan = vec![false; spans.len()];
    for (i, s) in spans.iter().enumerate() {
        match s.call.parent_span_id.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => match by_span.get(p) {
                Some(&parent) if parent != i => children[parent].push(i),
                _ => {
                    orphan[i] = true;
                    roots.push(i);
                }
            },
            None => roots.push(i),
        }
    }
    let by_start = |v: &mut Vec<usize>| v.sort_by_key(|&i| (spans[i].start, spans[i].seq));
    by_start(&mut roots);
    for c in &mut children {
        by_start(c);
    }
    let order = tree_order(&roots, &children, spans.len());
    let roll = rollup(spans, &children, &order);
    let mut critical = vec![false; spans.len()];
    critical_path(spans, &roots, &children, &mut critical);
    let mut costly = vec![false; spans.len()];
    let mut cur = costliest(&roots, &roll);
    while let Some(i) = cur {
        if costly[i] {
            break;
        }
        costly[i] = true;
        cur = costliest(&children[i], &roll);
    }
    let rows = order
        .iter()
        .map(|&(i, depth)| {
            let s = &spans[i];
            let c = s.call;
            SpanRow {
                seq: s.seq,
                depth,
                start_ms: (s.start - t0) as f64 / 1e6,
                end_ms: (s.end - t0) as f64 / 1e6,
                label: span_label(c),
                cost: Cost::of(c),
                tokens: own_tokens(c),
                subtree_cost: roll[i].cost,
                subtree_tokens: roll[i].tokens,
                descendants: roll[i].spans,
                error: c.status == Status::Error,
                orphan: orphan[i],
                on_critical_path: critical[i],
                on_costliest_branch: costly[i],
            }
        })
        .collect();
    TraceTree {
        rows,
        axis_ms: ((t1 - t0) as f64 / 1e6).max(0.001),
    }
}

/// Depth-first order with depths; each span once, even if the parent links loop.
fn tree_order(roots: &[usize], children: &[Vec<usize>], n: usize) -> Vec<(usize, u16)> {
    let mut out = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    // Spans caught in a parent loop are reached from no root: they are shown as roots.
    let mut stack: Vec<(usize, u16)> = roots.iter().rev().map(|&r| (r, 0)).collect();
    let mut next_unreached = 0..n;
    while let Some((i, depth)) = stack
        .pop()
        .or_else(|| next_unreached.by_ref().find(|&i| !seen[i]).map(|i| (i, 0)))
    {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        out.push((i, depth));
        for &k in children[i].iter().rev() {
            stack.push((k, depth.saturating_add(1).min(MAX_DEPTH)));
        }
    }
    out
}

/// Billed tokens and cost of each subtree.
#[derive(Debug, Clone, Copy, Default)]
struct Rollup {
    cost: Cost,
    tokens: u64,
    /// Spans under this one.
    spans: usize,
}

/// Rolls every subtree up, children before parents (the reverse of the tree order).
fn rollup(spans: &[Span<'_>], children: &[Vec<usize>], order: &[(usize, u16)]) -> Vec<Rollup> {
    let mut roll = vec![Rollup::default(); spans.len()];
    let mut done = vec![false; spans.len()];
    for &(i, _) in order.iter().rev() {
        let (cost, tokens) = billed(spans[i].call);
        let mut r = Rollup {
            cost,
            tokens,
            spans: 0,
        };
        for &k in &children[i] {
            if done[k] {
                r.cost.add(roll[k].cost);
                r.tokens = r.tokens.saturating_add(roll[k].tokens);
                r.spans += 1 + roll[k].spans;
            }
        }
        roll[i] = r;
        done[i] = true;
    }
    roll
}

/// The child with the costliest subtree, if any costs anything.
fn costliest(v: &[usize], roll: &[Rollup]) -> Option<usize> {
    v.iter()
        .copied()
        .filter(|&i| roll[i].cost.known_usd > 0.0)
        .max_by(|&a, &b| roll[a].cost.known_usd.total_cmp(&roll[b].cost.known_usd))
}

/// Marks the critical path under the children `kids` (of a span or of the trace itself):
/// the last to end, then the last to end before that one started, and so on, each followed
/// into its own children. Iterative, so a deep or looping trace cannot overflow the stack.
fn critical_path(spans: &[Span<'_>], roots: &[usize], children: &[Vec<usize>], on: &mut [bool]) {
    let mut work: Vec<&[usize]> = vec![roots];
    while let Some(kids) = work.pop() {
        let mut before = i64::MAX;
        loop {
            let next = kids
                .iter()
                .copied()
                .filter(|&i| !on[i] && spans[i].end <= before)
                .max_by_key(|&i| (spans[i].end, std::cmp::Reverse(spans[i].seq)));
            let Some(i) = next else { break };
            on[i] = true;
            work.push(&children[i]);
            before = spans[i].start;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A span `id` under `parent` from `start` to `end` (ms), costing `cost`.
    fn call(id: &str, parent: Option<&str>, start: i64, end: i64, cost: Option<f64>) -> Call {
        Call {
            id: id.into(),
            name: Some(id.into()),
            span_id: Some(id.into()),
            parent_span_id: parent.map(Into::into),
            start: Some(start * 1_000_000),
            end: Some(end * 1_000_000),
            cost_usd: cost,
            operation: Operation::Chat,
            tokens: crate::model::record::Tokens {
                input: Some(10),
                output: Some(5),
                ..Default::default()
            },
            ..Call::default()
        }
    }

    fn laid_out(calls: &[Call]) -> TraceTree {
        let spans: Vec<Span<'_>> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| Span {
                seq: i as Seq,
                call: c,
                start: c.start.unwrap_or(0),
                end: c.end.unwrap_or(0),
            })
            .collect();
        layout(&spans)
    }

    fn critical(t: &TraceTree) -> Vec<&str> {
        t.rows
            .iter()
            .filter(|r| r.on_critical_path)
            .map(|r| r.label.as_str())
            .collect()
    }

    #[test]
    fn a_sequential_agent_run_is_critical_all_along() {
        let t = laid_out(&[
            call("agent", None, 0, 300, None),
            call("chat1", Some("agent"), 0, 100, Some(0.01)),
            call("tool", Some("agent"), 100, 200, None),
            call("chat2", Some("agent"), 200, 300, Some(0.02)),
        ]);
        assert_eq!(critical(&t), ["agent", "chat1", "tool", "chat2"]);
    }

    #[test]
    fn of_parallel_children_only_the_last_to_end_is_critical() {
        let t = laid_out(&[
            call("root", None, 0, 500, None),
            call("fast", Some("root"), 10, 200, None),
            call("slow", Some("root"), 10, 480, None),
            call("mid", Some("root"), 20, 300, None),
        ]);
        assert_eq!(critical(&t), ["root", "slow"]);
    }

    #[test]
    fn nested_spans_follow_the_chain_to_the_leaf() {
        let t = laid_out(&[
            call("root", None, 0, 1000, None),
            call("plan", Some("root"), 0, 200, None),
            call("work", Some("root"), 200, 1000, None),
            call("a", Some("work"), 200, 600, None),
            call("b", Some("work"), 250, 400, None),
            call("c", Some("work"), 600, 990, None),
            call("c1", Some("c"), 610, 980, None),
        ]);
        assert_eq!(critical(&t), ["root", "plan", "work", "a", "c", "c1"]);
    }

    /// A span of operation `op` (tokens 10 + 5 unless changed).
    fn span(id: &str, parent: Option<&str>, op: Operation, cost: Option<f64>) -> Call {
        Call {
            operation: op,
            ..call(id, parent, 0, 100, cost)
        }
    }

    fn row<'a>(t: &'a TraceTree, label: &str) -> &'a SpanRow {
        t.rows.iter().find(|r| r.label == label).unwrap()
    }

    #[test]
    fn each_span_has_its_own_and_its_subtree_s_llm_tokens_and_cost() {
        let mut agent = span("agent", Some("root"), Operation::Agent, None);
        agent.tokens.input = Some(20);
        agent.tokens.output = Some(10);
        let t = laid_out(&[
            span("root", None, Operation::Workflow, None),
            agent,
            span("chat1", Some("agent"), Operation::Chat, Some(0.01)),
            span("tool", Some("agent"), Operation::Tool, Some(0.5)),
            span("chat2", Some("agent"), Operation::Chat, Some(0.02)),
        ]);
        let agent = row(&t, "agent");
        assert_eq!(agent.tokens, Some(30), "its own usage is shown");
        assert_eq!(
            agent.subtree_tokens, 30,
            "but only LLM calls are summed: the agent's usage repeats its chats'"
        );
        assert!((agent.subtree_cost.known_usd - 0.03).abs() < 1e-12);
        assert!(!agent.subtree_cost.unknown);
        assert_eq!(agent.descendants, 3);
        let root = row(&t, "root");
        assert_eq!((root.subtree_tokens, root.descendants), (30, 4));
        assert_eq!(root.subtree_cost, agent.subtree_cost);
        assert_eq!(root.tokens, Some(15));
        let chat = row(&t, "chat1");
        assert_eq!((chat.tokens, chat.subtree_tokens), (Some(15), 15));
        assert_eq!(chat.cost, chat.subtree_cost);
        assert_eq!(
            row(&t, "tool tool").cost.known_usd,
            0.5,
            "a tool's own cost is shown, not billed"
        );
        assert_eq!(
            t.rows.iter().filter(|r| r.on_costliest_branch).count(),
            3,
            "root, agent and chat2"
        );
    }

    #[test]
    fn an_unpriced_llm_call_makes_its_own_cost_unknown_and_its_ancestors_partial() {
        let t = laid_out(&[
            span("agent", None, Operation::Agent, None),
            span("chat1", Some("agent"), Operation::Chat, Some(0.01)),
            span("chat2", Some("agent"), Operation::Chat, None),
        ]);
        let chat2 = row(&t, "chat2");
        assert_eq!(
            chat2.cost,
            Cost {
                known_usd: 0.0,
                unknown: true
            }
        );
        let agent = row(&t, "agent");
        assert!(!agent.cost.unknown, "an agent span has no price to miss");
        assert!((agent.subtree_cost.known_usd - 0.01).abs() < 1e-12);
        assert!(agent.subtree_cost.unknown, "the sum is a lower bound");
        assert!(!row(&t, "chat1").subtree_cost.unknown);
    }

    #[test]
    fn a_price_computed_without_token_counts_is_unknown_not_zero() {
        let computed = Some(CostProvenance::Computed {
            table_date: "2026-11-01".into(),
        });
        let mut stream = span("stream", None, Operation::Chat, Some(0.0));
        stream.tokens = Default::default();
        stream.cost_source = computed.clone();
        assert_eq!(known_cost(&stream), None);
        assert!(Cost::of(&stream).unknown);
        assert_eq!(own_tokens(&stream), None);
        let mut zero = span("zero", None, Operation::Chat, Some(0.0));
        zero.tokens.input = Some(0);
        zero.tokens.output = Some(0);
        zero.cost_source = computed;
        assert_eq!(known_cost(&zero), Some(0.0), "zero tokens do cost $0");
        let mut reported = stream.clone();
        reported.cost_source = Some(CostProvenance::Reported);
        assert_eq!(known_cost(&reported), Some(0.0), "the source said $0");
    }

    #[test]
    fn the_summary_names_the_root_its_service_model_and_user() {
        let mut root = span("trip_booking", None, Operation::Workflow, None);
        root.app = Some("trip-planner".into());
        root.start = Some(0);
        let mut chat = span("chat", Some("trip_booking"), Operation::Chat, Some(0.01));
        chat.model = Some("gpt-4o".into());
        chat.user = Some("alice".into());
        chat.start = Some(-5);
        let unpriced = span("chat2", Some("trip_booking"), Operation::Chat, None);
        let calls = [chat, unpriced, root];
        let spans: Vec<Span<'_>> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| Span {
                seq: i as Seq,
                call: c,
                start: c.start.unwrap_or(0),
                end: c.end.unwrap_or(0),
            })
            .collect();
        let s = summarise(&spans);
        assert_eq!(
            s.root.as_deref(),
            Some("trip_booking"),
            "not the earliest span"
        );
        assert_eq!(s.service.as_deref(), Some("trip-planner"));
        assert_eq!(s.model.as_deref(), Some("gpt-4o"), "the first LLM call's");
        assert_eq!(s.user.as_deref(), Some("alice"));
        assert_eq!(s.tokens, 30);
        assert!(s.cost.unknown && (s.cost.known_usd - 0.01).abs() < 1e-12);
        assert_eq!(summarise(&[]), TraceSummary::default());
    }

    #[test]
    fn a_parent_loop_does_not_hang() {
        let t = laid_out(&[
            call("a", Some("b"), 0, 10, None),
            call("b", Some("a"), 0, 10, None),
        ]);
        assert_eq!(t.rows.len(), 2, "both spans are shown");
    }
}
