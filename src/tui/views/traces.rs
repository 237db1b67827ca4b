//! Pane 3, Traces: the list of traces (service, root span, model, user, cost) above the
//! waterfall of the selected one; Enter opens the waterfall full height with a span cursor
//! and the attributes of the span under it. The tree is rebuilt from the stored spans:
//! spans whose parent never arrived (or was evicted) hang under the trace root as orphans.
//! The critical path and the costliest branch (built by [`crate::engine::read::trace`]) are
//! marked with `►`, whichever the bars are coloured by. Each row shows its span's own cost
//! and tokens and, for a span with children, its subtree's (`Σ`); an unknown cost is `?`,
//! a partly known one `$0.0040+?`, never `$0`.

mod panel;

use super::conversations::list_title;
use super::{block, body_rows, scroll_to};
use crate::engine::read::trace::{self, Cost, SpanRow, TraceTree};
use crate::engine::Engine;
use crate::present::format::{clock, fmt_cost, fmt_count, right};
use crate::present::format::{fit, fmt_ms};
use crate::present::sanitize;
use crate::tui::app::{App, ColorBy};
use crate::tui::theme::Heat;
use crate::tui::widgets::waterfall::{WaterfallAxis, WaterfallRow};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

/// Draws the traces list (top) and the selected trace's waterfall (bottom).
pub fn draw(f: &mut Frame, area: Rect, app: &App, engine: &Engine) {
    let t = &app.theme;
    let idx = &app.trace_index;
    let (col, asc) = app.trace_sort;
    let sort = format!("{} {}", col.title(), if asc { "▲" } else { "▼" });
    let title = list_title(
        "Traces",
        idx.rows.len(),
        idx.total,
        app.traces.pos,
        !app.filter.text.is_empty(),
        &sort,
    );
    let [list_area, wf_area] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let outer = block(&title, t, true);
    let inner = outer.inner(list_area);
    f.render_widget(outer, list_area);
    if idx.rows.is_empty() {
        let msg = if idx.total == 0 {
            "No traces yet. Spans with a trace id (agents, tools, workflows, OTLP spans) appear here as a tree with a waterfall."
        } else {
            "No trace matches the filter (Esc clears it)."
        };
        f.render_widget(Paragraph::new(Line::styled(msg, t.dim)), inner);
        f.render_widget(block(" waterfall ", t, false), wf_area);
        return;
    }
    let body = body_rows(inner);
    app.traces.area.set(body);
    let h = usize::from(body.height);
    let first = scroll_to(&app.traces.offset, app.traces.pos, h, idx.rows.len());
    let wide = inner.width >= 120;
    let rows: Vec<Row> = idx.rows[first..(first + h).min(idx.rows.len())]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let s = trace::summary(&engine.store, &r.id, app.max_seq());
            let text = |v: Option<&str>, w: usize| {
                Cell::from(fit(&sanitize::line(v.unwrap_or("-")), w).into_owned())
            };
            let err = if r.errors > 0 {
                Cell::from(Span::styled(format!("✗{}", r.errors), t.crit))
            } else {
                Cell::from("-")
            };
            let mut cells = vec![
                Cell::from(clock(r.last)),
                text(s.service.as_deref(), if wide { 14 } else { 10 }),
                text(s.root.as_deref(), usize::from(inner.width)),
            ];
            if wide {
                cells.push(text(s.model.as_deref(), 14));
            }
            cells.extend([
                text(s.user.as_deref(), if wide { 10 } else { 8 }),
                Cell::from(right(&r.spans.to_string(), 5)),
                err,
                Cell::from(right(&fmt_ms(r.duration_ms()), 8)),
            ]);
            if wide {
                cells.push(Cell::from(right(&fmt_count(s.tokens), 7)));
            }
            cells.push(Cell::from(right(&cost_text(s.cost), 10)));
            if wide {
                cells.push(text(Some(&r.id), 18));
            }
            let row = Row::new(cells);
            if first + i == app.traces.pos {
                row.style(t.selection)
            } else {
                row
            }
        })
        .collect();
    let (widths, header) = if wide {
        (
            vec![
                Constraint::Length(8),
                Constraint::Length(14),
                Constraint::Fill(1),
                Constraint::Length(14),
                Constraint::Length(10),
                Constraint::Length(5),
                Constraint::Length(4),
                Constraint::Length(8),
                Constraint::Length(7),
                Constraint::Length(10),
                Constraint::Length(18),
            ],
            vec![
                "last",
                "service",
                "root span",
                "model",
                "user",
                "spans",
                "err",
                "duration",
                "tokens",
                "cost",
                "trace",
            ],
        )
    } else {
        (
            vec![
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Fill(1),
                Constraint::Length(8),
                Constraint::Length(5),
                Constraint::Length(4),
                Constraint::Length(8),
                Constraint::Length(10),
            ],
            vec![
                "last",
                "service",
                "root span",
                "user",
                "spans",
                "err",
                "duration",
                "cost",
            ],
        )
    };
    let header = Row::new(header).style(t.title);
    f.render_widget(Table::new(rows, widths).header(header), inner);
    if let Some(id) = &app.traces.key {
        let tree = trace::tree(&engine.store, id, app.max_seq());
        draw_waterfall(f, wf_area, app, id, &tree, None);
    }
}

/// `$0.0123`; `$0.0123+?` when some LLM call in it has no known price; `?` when none has
/// (an unknown cost is never shown as `$0`).
fn cost_text(c: Cost) -> String {
    match (c.unknown, c.known_usd > 0.0) {
        (true, true) => format!("{}+?", fmt_cost(c.known_usd)),
        (true, false) => "?".into(),
        (false, _) => fmt_cost(c.known_usd),
    }
}

/// Cost and tokens, each only when there is something to say: `$0.0020 140t`, `? 0t`.
fn cost_and_tokens(c: Cost, tokens: Option<u64>) -> Option<String> {
    let cost = (c.unknown || c.known_usd > 0.0).then(|| cost_text(c));
    let tokens = tokens.map(|n| format!("{}t", fmt_count(n)));
    match (cost, tokens) {
        (Some(c), Some(t)) => Some(format!("{c} {t}")),
        (c, t) => c.or(t),
    }
}

/// What the LLM calls of a span's subtree add up to, if any was billed or unpriced.
fn subtree_sum(r: &SpanRow) -> Option<String> {
    let tokens = (r.subtree_tokens > 0).then_some(r.subtree_tokens);
    cost_and_tokens(r.subtree_cost, tokens)
}

/// The right-hand text of a span row: its duration, its own cost and tokens, and for a
/// span with children what its subtree's LLM calls add up to (`Σ$0.0040 280t`).
fn annotation(r: &SpanRow) -> String {
    let mut parts = vec![fmt_ms(r.end_ms - r.start_ms)];
    parts.extend(cost_and_tokens(r.cost, r.tokens));
    if r.descendants > 0 {
        parts.extend(subtree_sum(r).map(|sum| format!("Σ{sum}")));
    }
    parts.join(" ")
}

/// Draws one trace's waterfall full height, with the span cursor at `cursor` and the
/// attributes of the span under it beside it (or below it on a narrow terminal).
pub fn draw_full(f: &mut Frame, area: Rect, app: &App, engine: &Engine, id: &str, cursor: usize) {
    let tree = trace::tree(&engine.store, id, app.max_seq());
    let [wf_area, panel_area] = if area.width >= 120 {
        let side = (area.width * 2 / 5).min(64);
        Layout::horizontal([Constraint::Min(60), Constraint::Length(side)]).areas(area)
    } else {
        let below = (area.height / 2).min(12);
        Layout::vertical([Constraint::Min(6), Constraint::Length(below)]).areas(area)
    };
    draw_waterfall(f, wf_area, app, id, &tree, Some(cursor));
    let span = tree.rows.get(cursor);
    let call = span
        .and_then(|r| engine.store.get(r.seq))
        .map(|sc| &sc.call);
    panel::draw(f, panel_area, &app.theme, span.zip(call));
}

fn draw_waterfall(
    f: &mut Frame,
    area: Rect,
    app: &App,
    id: &str,
    tree: &TraceTree,
    cursor: Option<usize>,
) {
    let t = &app.theme;
    let (by, mark) = match app.color_by {
        ColorBy::Latency => ("latency", "► critical path"),
        ColorBy::Cost => ("cost", "► costliest branch"),
    };
    let title = format!(
        " trace {} · {} spans · colour by {by} (c) · {mark} ",
        fit(&sanitize::line(id), 24),
        tree.rows.len()
    );
    let outer = block(&title, t, cursor.is_some());
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    if tree.rows.is_empty() || inner.height < 2 {
        f.render_widget(
            Paragraph::new(Line::styled("no retained spans for this trace", t.dim)),
            inner,
        );
        return;
    }
    let label_w = (inner.width / 3).clamp(16, 40);
    let ann_w = (inner.width / 3).min(30);
    f.render_widget(
        WaterfallAxis::new(tree.axis_ms, label_w, ann_w, t),
        Rect::new(inner.x, inner.y, inner.width, 1),
    );
    let body = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    let h = usize::from(body.height);
    let sel = cursor.unwrap_or(usize::MAX);
    let first = if cursor.is_some() && sel >= h {
        sel + 1 - h
    } else {
        0
    };
    let max_dur = tree
        .rows
        .iter()
        .map(|r| r.end_ms - r.start_ms)
        .fold(0.0, f64::max);
    let max_cost = tree
        .rows
        .iter()
        .map(|r| r.cost.known_usd)
        .fold(0.0, f64::max);
    for (i, r) in tree.rows.iter().enumerate().skip(first).take(h) {
        let y = body.y + (i - first) as u16;
        let (heat, critical) = match app.color_by {
            ColorBy::Latency => (
                Heat::from_fraction(if max_dur > 0.0 {
                    (r.end_ms - r.start_ms) / max_dur
                } else {
                    0.0
                }),
                r.on_critical_path,
            ),
            ColorBy::Cost => (
                Heat::from_fraction(if max_cost > 0.0 {
                    r.cost.known_usd / max_cost
                } else {
                    0.0
                }),
                r.on_costliest_branch,
            ),
        };
        let ann = annotation(r);
        let label = if r.orphan {
            format!("⋯{}", r.label)
        } else {
            r.label.clone()
        };
        let row_area = Rect::new(body.x, y, body.width, 1);
        f.render_widget(
            WaterfallRow::new(&label, r.start_ms, r.end_ms, tree.axis_ms, t)
                .depth(r.depth)
                .heat(heat)
                .annotation(&ann)
                .error(r.error)
                .critical(critical)
                .widths(label_w, ann_w),
            row_area,
        );
        if i == sel {
            f.buffer_mut().set_style(row_area, t.selection);
        }
    }
    if cursor.is_some() {
        let hint = Line::from(vec![
            Span::styled(" enter ", t.key),
            Span::styled("open span  ⋯ = parent not (yet) seen ", t.dim),
        ]);
        let y = area.bottom().saturating_sub(1);
        f.render_widget(
            Paragraph::new(hint),
            Rect::new(area.x + 2, y, area.width.saturating_sub(4), 1),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(known_usd: f64, unknown: bool) -> Cost {
        Cost { known_usd, unknown }
    }

    #[test]
    fn an_unknown_cost_is_never_zero() {
        assert_eq!(cost_text(cost(0.0042, false)), "$0.0042");
        assert_eq!(cost_text(cost(0.0042, true)), "$0.0042+?");
        assert_eq!(cost_text(cost(0.0, true)), "?");
        assert_eq!(cost_text(cost(0.0, false)), "$0", "a known zero");
        assert_eq!(cost_and_tokens(cost(0.0, false), None), None);
        assert_eq!(
            cost_and_tokens(cost(0.0, true), Some(140)).as_deref(),
            Some("? 140t")
        );
    }

    #[test]
    fn a_row_shows_its_own_and_its_subtree_s_totals() {
        let row = SpanRow {
            seq: 0,
            depth: 0,
            start_ms: 0.0,
            end_ms: 1200.0,
            label: "agent".into(),
            cost: Cost::default(),
            tokens: None,
            subtree_cost: cost(0.004, true),
            subtree_tokens: 280,
            descendants: 3,
            error: false,
            orphan: false,
            on_critical_path: false,
            on_costliest_branch: false,
        };
        assert_eq!(annotation(&row), "1.2s Σ$0.0040+? 280t");
        let leaf = SpanRow {
            cost: cost(0.002, false),
            tokens: Some(140),
            subtree_cost: cost(0.002, false),
            subtree_tokens: 140,
            descendants: 0,
            ..row.clone()
        };
        assert_eq!(annotation(&leaf), "1.2s $0.0020 140t");
        let tool_under_nothing = SpanRow {
            subtree_cost: Cost::default(),
            subtree_tokens: 0,
            descendants: 2,
            ..row
        };
        assert_eq!(
            annotation(&tool_under_nothing),
            "1.2s",
            "nothing billed, no Σ"
        );
    }
}
