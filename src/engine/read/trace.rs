//! A trace laid out as a tree on a time axis, with its critical path, its costliest branch
//! and tokens and cost rolled up each subtree. Views draw it; they never build it.
//!
//! The critical path is the chain of spans that decides when the trace ends: from each span,
//! the child that ended last, then — walking back from that child's start — the child that
//! ended last before it began, and so on; each chosen child is followed the same way. So a
//! sequential agent run (chat → tool → chat) has every step on the path, parallel children
//! only the one that finished last, and nested spans the chain down to the leaf.

use crate::engine::store::{Seq, Store};
use crate::model::record::{Call, Operation, Status};
use std::collections::HashMap;

/// Depth beyond which spans are drawn at the same indent (and recursion stops).
const MAX_DEPTH: u16 = 12;

/// One span placed in the tree and on the time axis.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRow {
    pub seq: Seq,
    pub depth: u16,
    pub start_ms: f64,
    pub end_ms: f64,
    pub label: String,
    /// The span's own cost (0 when unknown).
    pub cost_usd: f64,
    /// An LLM call the source reported no cost for and the price table did not know.
    pub unpriced: bool,
    /// The span's own input + output tokens.
    pub tokens: u64,
    /// Cost of the span and everything under it.
    pub subtree_cost_usd: f64,
    /// Tokens of the span and everything under it.
    pub subtree_tokens: u64,
    /// Some LLM call in the subtree has no known cost: the rolled-up cost is a lower bound.
    pub subtree_unpriced: bool,
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

/// Builds the tree of trace `id` from the store; spans newer than `max_seq` are left out.
pub fn tree(store: &Store, id: &str, max_seq: Option<Seq>) -> TraceTree {
    let Some(tr) = store.traces().get(id) else {
        return TraceTree::default();
    };
    let spans: Vec<Span<'_>> = tr
        .spans
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
        .collect();
    layout(&spans)
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
                cost_usd: c.cost_usd.unwrap_or(0.0),
                unpriced: unpriced(c),
                tokens: own_tokens(c),
                subtree_cost_usd: roll[i].cost,
                subtree_tokens: roll[i].tokens,
                subtree_unpriced: roll[i].unpriced,
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

fn unpriced(c: &Call) -> bool {
    c.operation.is_llm_call() && c.cost_usd.is_none()
}

fn own_tokens(c: &Call) -> u64 {
    c.tokens
        .input
        .unwrap_or(0)
        .saturating_add(c.tokens.output.unwrap_or(0))
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

/// Tokens, cost and unpriced-ness of each subtree.
#[derive(Debug, Clone, Copy, Default)]
struct Rollup {
    cost: f64,
    tokens: u64,
    unpriced: bool,
}

/// Rolls every subtree up, children before parents (the reverse of the tree order).
fn rollup(spans: &[Span<'_>], children: &[Vec<usize>], order: &[(usize, u16)]) -> Vec<Rollup> {
    let mut roll = vec![Rollup::default(); spans.len()];
    let mut done = vec![false; spans.len()];
    for &(i, _) in order.iter().rev() {
        let c = spans[i].call;
        let mut r = Rollup {
            cost: c.cost_usd.unwrap_or(0.0),
            tokens: own_tokens(c),
            unpriced: unpriced(c),
        };
        for &k in &children[i] {
            if done[k] {
                r.cost += roll[k].cost;
                r.tokens = r.tokens.saturating_add(roll[k].tokens);
                r.unpriced |= roll[k].unpriced;
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
        .filter(|&i| roll[i].cost > 0.0)
        .max_by(|&a, &b| roll[a].cost.total_cmp(&roll[b].cost))
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

    #[test]
    fn cost_and_tokens_roll_up_and_unknown_cost_is_marked() {
        let t = laid_out(&[
            call("agent", None, 0, 300, None),
            call("chat1", Some("agent"), 0, 100, Some(0.01)),
            call("chat2", Some("agent"), 200, 300, Some(0.02)),
        ]);
        let root = &t.rows[0];
        assert!((root.subtree_cost_usd - 0.03).abs() < 1e-12);
        assert_eq!(root.subtree_tokens, 45);
        assert!(
            root.subtree_unpriced,
            "the agent span itself is an unpriced chat"
        );
        assert!(!t.rows[1].subtree_unpriced);
        assert_eq!(
            t.rows.iter().filter(|r| r.on_costliest_branch).count(),
            2,
            "agent and chat2"
        );
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
