//! Pane 4, Flagged: every retained call carrying flags, newest first, with its most severe
//! finding (detector, severity, rule, sanitised matched snippet) and how many more it has.

use super::conversations::list_title;
use super::{block, body_rows, scroll_to};
use crate::engine::Engine;
use crate::present::format::clock;
use crate::present::format::fit;
use crate::present::sanitize;
use crate::tui::app::App;
use crate::tui::theme::severity_label;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

/// Draws the flagged list.
pub fn draw(f: &mut Frame, area: Rect, app: &App, engine: &Engine) {
    let t = &app.theme;
    let idx = &app.flagged_index;
    let title = list_title(
        "Flagged",
        idx.rows.len(),
        idx.total,
        app.flagged.pos,
        !app.filter.text.is_empty(),
        "newest",
    );
    let outer = block(&title, t, true);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    if idx.rows.is_empty() {
        let msg = if idx.total == 0 {
            "Nothing flagged. Records whose detectors found injection, PII, secrets, leaks or toxicity appear here, newest first."
        } else {
            "No flagged record matches the filter (Esc clears it)."
        };
        f.render_widget(Paragraph::new(Line::styled(msg, t.dim)), inner);
        return;
    }
    let body = body_rows(inner);
    app.flagged.area.set(body);
    let h = usize::from(body.height);
    let first = scroll_to(&app.flagged.offset, app.flagged.pos, h, idx.rows.len());
    let snippet_w = usize::from(inner.width.saturating_sub(8 + 5 + 10 + 14 + 10 + 14 + 7));
    let rows: Vec<Row> = idx.rows[first..(first + h).min(idx.rows.len())]
        .iter()
        .enumerate()
        .map(|(i, &seq)| {
            let Some(sc) = engine.store.get(seq) else {
                return Row::new(vec![Cell::from("(evicted)")]);
            };
            let c = &sc.call;
            let Some(worst) = c.flags.iter().max_by_key(|f| f.severity) else {
                return Row::new(vec![Cell::from(clock(sc.time))]);
            };
            let more = if c.flags.len() > 1 {
                format!(" +{}", c.flags.len() - 1)
            } else {
                String::new()
            };
            let shown = super::detail::shown_snippet(worst, app.redact);
            let snippet = format!("«{}»{more}", sanitize::line(&shown));
            let row = Row::new(vec![
                Cell::from(clock(sc.time)),
                Cell::from(Span::styled(
                    severity_label(worst.severity),
                    t.severity(worst.severity),
                )),
                Cell::from(fit(&sanitize::line(&worst.detector), 10).into_owned()),
                Cell::from(fit(&sanitize::line(&worst.rule), 14).into_owned()),
                Cell::from(fit(&sanitize::line(c.user.as_deref().unwrap_or("-")), 10).into_owned()),
                Cell::from(fit(&sanitize::line(c.model_name().unwrap_or("-")), 14).into_owned()),
                Cell::from(fit(&snippet, snippet_w).into_owned()),
            ]);
            if first + i == app.flagged.pos {
                row.style(t.selection)
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Length(10),
        Constraint::Length(14),
        Constraint::Length(10),
        Constraint::Length(14),
        Constraint::Min(8),
    ];
    let header = Row::new([
        "time", "sev", "detector", "rule", "user", "model", "matched",
    ])
    .style(t.title);
    f.render_widget(Table::new(rows, widths).header(header), inner);
}
