//! Pane 3, Traces: the list of traces above the waterfall of the selected one; Enter opens
//! the waterfall full height with a span cursor. The tree is rebuilt from the stored spans:
//! spans whose parent never arrived (or was evicted) hang under the trace root as orphans.
//! The critical path and the costliest branch (built by [`crate::engine::read::trace`]) are marked with `►`,
//! whichever the bars are coloured by.

use super::conversations::list_title;
use super::{block, body_rows, scroll_to};
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
    let traces = engine.store.traces();
    let rows: Vec<Row> = idx.rows[first..(first + h).min(idx.rows.len())]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let user = traces
                .get(&r.id)
                .and_then(|tr| tr.user.as_deref())
                .unwrap_or("-");
            let err = if r.errors > 0 {
                Cell::from(Span::styled(format!("✗{}", r.errors), t.crit))
            } else {
                Cell::from("-")
            };
            let row = Row::new(vec![
                Cell::from(clock(r.last)),
                Cell::from(fit(&sanitize::line(&r.id), 18).into_owned()),
                Cell::from(fit(&sanitize::line(user), 10).into_owned()),
                Cell::from(right(&r.spans.to_string(), 5)),
                err,
                Cell::from(right(&fmt_ms(r.duration_ms()), 8)),
                Cell::from(right(&fmt_count(r.tokens), 7)),
                Cell::from(trace_cost(engine, r)),
            ]);
            if first + i == app.traces.pos {
                row.style(t.selection)
            } else {
                row
            }
        })
        .collect();
    let widths = [8, 18, 10, 5, 4, 8, 7, 9].map(Constraint::Length);
    let header = Row::new([
        "last", "trace", "user", "spans", "err", "duration", "tokens", "cost",
    ])
    .style(t.title);
    f.render_widget(Table::new(rows, widths).header(header), inner);
    if let Some(id) = &app.traces.key {
        draw_waterfall(f, wf_area, app, engine, id, None);
    }
}

/// The trace's cost, marked `?` when a retained LLM span has no price (never a silent $0).
fn trace_cost(engine: &Engine, r: &crate::tui::rows::TraceRow) -> String {
    let store = &engine.store;
    let unpriced = store.traces().get(&r.id).is_some_and(|tr| {
        tr.spans
            .iter()
            .filter_map(|&s| store.get(s))
            .any(|c| c.call.operation.is_llm_call() && c.call.cost_usd.is_none())
    });
    let mut s = fmt_cost(r.cost_usd);
    if unpriced {
        s.push('?');
    }
    right(&s, 9)
}

/// Draws one trace's waterfall full height, with the span cursor at `cursor`.
pub fn draw_full(f: &mut Frame, area: Rect, app: &App, engine: &Engine, id: &str, cursor: usize) {
    draw_waterfall(f, area, app, engine, id, Some(cursor));
}

fn draw_waterfall(
    f: &mut Frame,
    area: Rect,
    app: &App,
    engine: &Engine,
    id: &str,
    cursor: Option<usize>,
) {
    let t = &app.theme;
    let tree = crate::engine::read::trace::tree(&engine.store, id, app.max_seq());
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
    let ann_w = 22u16.min(inner.width / 4);
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
    let max_cost = tree.rows.iter().map(|r| r.cost_usd).fold(0.0, f64::max);
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
                    r.cost_usd / max_cost
                } else {
                    0.0
                }),
                r.on_costliest_branch,
            ),
        };
        // Cost and tokens of the span with everything under it; `?` where some LLM call
        // in it has no known price (never a silent $0).
        let mut ann = fmt_ms(r.end_ms - r.start_ms);
        match (r.subtree_cost_usd > 0.0, r.subtree_unpriced) {
            (false, true) => ann.push_str(" $?"),
            (true, true) => ann.push_str(&format!(" {}+?", fmt_cost(r.subtree_cost_usd))),
            (true, false) => ann.push_str(&format!(" {}", fmt_cost(r.subtree_cost_usd))),
            (false, false) => {}
        }
        if r.subtree_tokens > 0 {
            ann.push_str(&format!(" {}t", fmt_count(r.subtree_tokens)));
        }
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
