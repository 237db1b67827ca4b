//! Pane 2, Conversations: one row per conversation from the cached index, built only for
//! the visible rows; the title carries the hit count, the selected position and the sort.

use super::{block, body_rows, scroll_to};
use crate::engine::Engine;
use crate::present::format::{clock, fmt_cost, fmt_count, right};
use crate::present::format::{fit, fmt_ms};
use crate::present::sanitize;
use crate::tui::app::App;
use crate::tui::rows::{ConvColumn, ConvRow};
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

/// Title text shared by the list panes: `name  hits/total · row k · sort col ▼`.
pub fn list_title(
    name: &str,
    hits: usize,
    total: usize,
    pos: usize,
    filtered: bool,
    sort: &str,
) -> String {
    let count = if filtered {
        format!("{hits}/{total} hits")
    } else {
        format!("{total}")
    };
    let at = if hits > 0 {
        format!(" · row {}/{hits}", pos + 1)
    } else {
        String::new()
    };
    format!(" {name} {count}{at} · sort {sort} ")
}

/// Draws the conversations table.
pub fn draw(f: &mut Frame, area: Rect, app: &App, engine: &Engine) {
    let t = &app.theme;
    let idx = &app.conv_index;
    let (col, asc) = app.conv_sort;
    let sort = format!("{} {}", col.title(), if asc { "▲" } else { "▼" });
    let title = list_title(
        "Conversations",
        idx.rows.len(),
        idx.total,
        app.conv.pos,
        !app.filter.text.is_empty(),
        &sort,
    );
    let outer = block(&title, t, true);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    if idx.rows.is_empty() {
        let msg = if idx.total == 0 {
            "No conversations yet. Calls with a session id, or a user (grouped by a 30 min gap), appear here."
        } else {
            "No conversation matches the filter (Esc clears it)."
        };
        f.render_widget(Paragraph::new(Line::styled(msg, t.dim)), inner);
        return;
    }
    let wide = inner.width >= 120;
    let (user_w, models_w) = if wide { (16, 28) } else { (10, 14) };
    let body = body_rows(inner);
    app.conv.area.set(body);
    let h = usize::from(body.height);
    let first = scroll_to(&app.conv.offset, app.conv.pos, h, idx.rows.len());
    let convs = engine.store.conversations();
    let rows: Vec<Row> = idx.rows[first..(first + h).min(idx.rows.len())]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let c = convs.get(&r.key);
            let user = c.and_then(|c| c.user.as_deref()).unwrap_or("-");
            let models = c
                .map(|c| {
                    c.models
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let mark = if app.is_marked(engine, &r.key) {
                "★"
            } else {
                " "
            };
            let mut cells = vec![
                Cell::from(format!("{mark}{}", clock(r.last))),
                Cell::from(fit(&sanitize::line(user), user_w).into_owned()),
                Cell::from(fit(&sanitize::line(&models), models_w).into_owned()),
                Cell::from(right(&r.turns.to_string(), 5)),
                Cell::from(right(&fmt_count(r.tokens), 7)),
                cost_cell(r, app),
                latency_cell(r, app),
                flags_cell(r, app),
                Cell::from(feedback(r)),
            ];
            if wide {
                cells.insert(1, Cell::from(fit(&sanitize::line(&r.key), 24).into_owned()));
            }
            let row = Row::new(cells);
            if first + i == app.conv.pos {
                row.style(t.selection)
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(9),
        Constraint::Length(user_w as u16),
        Constraint::Length(models_w as u16),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(6),
    ];
    let mut header: Vec<Span> = ConvColumn::ALL
        .iter()
        .map(|c| Span::styled(c.title(), if *c == col { t.key } else { t.title }))
        .collect();
    if wide {
        widths.insert(1, Constraint::Length(24));
        header.insert(1, Span::styled("conversation", t.title));
    }
    let table = Table::new(rows, widths).header(Row::new(header));
    f.render_widget(table, inner);
}

fn cost_cell<'a>(r: &ConvRow, app: &App) -> Cell<'a> {
    let t = &app.theme;
    let mut s = fmt_cost(r.cost_usd);
    if r.unpriced > 0 {
        s.push('?');
        return Cell::from(Span::styled(right(&s, 9), t.cost_unpriced));
    }
    Cell::from(right(&s, 9))
}

fn latency_cell<'a>(r: &ConvRow, app: &App) -> Cell<'a> {
    let t = &app.theme;
    let s = right(&fmt_ms(r.worst_ms), 6);
    if r.errors > 0 {
        Cell::from(Span::styled(format!("{s}✗"), t.crit))
    } else {
        Cell::from(format!("{s} "))
    }
}

fn flags_cell<'a>(r: &ConvRow, app: &App) -> Cell<'a> {
    if r.flags == 0 {
        return Cell::from(right("-", 5));
    }
    Cell::from(Span::styled(
        right(&format!("⚑{}", r.flags), 5),
        app.theme.warn,
    ))
}

fn feedback(r: &ConvRow) -> String {
    match (r.feedback_up, r.feedback_down) {
        (0, 0) if r.feedback_other == 0 => "-".into(),
        (0, 0) => format!("·{}", r.feedback_other),
        (u, 0) => format!("+{u}"),
        (0, d) => format!("-{d}"),
        (u, d) => format!("+{u}-{d}"),
    }
}
