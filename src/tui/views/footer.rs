//! The footer: the filter or label prompt while editing, a status message after an action, else the
//! focused context's key hints generated from the live keymap.

use crate::present::format::clock;
use crate::present::sanitize;
use crate::tui::app::App;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Draws the footer row.
pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let line = if let Some(text) = &app.filter.editing {
        let mut spans = vec![
            Span::styled("/", t.key),
            Span::raw(sanitize::line(text).into_owned()),
            Span::styled("█", t.dim),
        ];
        if let Some(e) = &app.filter.error {
            spans.push(Span::styled(format!("  ✗ {}", sanitize::line(e)), t.crit));
        } else {
            spans.push(Span::styled("  enter apply · esc cancel", t.dim));
        }
        Line::from(spans)
    } else if let Some(p) = &app.label_prompt {
        Line::from(vec![
            Span::styled("label: ", t.key),
            Span::raw(sanitize::line(&p.text).into_owned()),
            Span::styled("█", t.dim),
            Span::styled(
                "  good · bad · hallucination · unsafe (or any word), then a note · enter save · esc cancel",
                t.dim,
            ),
        ])
    } else if let Some(e) = &app.filter.error {
        Line::styled(format!("✗ {}", sanitize::line(e)), t.crit)
    } else if let Some(s) = &app.status {
        Line::styled(sanitize::line(s).into_owned(), t.warn)
    } else {
        let mut spans = Vec::new();
        for (key, label) in app.keymap.footer(app.context()) {
            spans.push(Span::styled(key, t.key));
            spans.push(Span::styled(format!(" {label}  "), t.footer));
        }
        if !app.filter.text.is_empty() {
            spans.push(Span::styled(
                format!("filter: {}", sanitize::line(&app.filter.text)),
                t.hit,
            ));
        }
        if let Some((from, to)) = app.filter.range {
            spans.push(Span::styled(
                format!("  alert window {}–{}", clock(from), clock(to)),
                t.hit,
            ));
        }
        Line::from(spans)
    };
    f.render_widget(Paragraph::new(line).style(t.footer), area);
}
