//! The footer: the filter prompt, the label editor or the overwrite question while open, a status message after an action, else the
//! focused context's key hints generated from the live keymap.

use crate::present::format::clock;
use crate::present::sanitize;
use crate::tui::app::{App, LabelField};
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
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
        let on_label = p.field == LabelField::Label;
        let mut spans = vec![Span::styled("label: ", t.key)];
        spans.extend(field(&p.label, on_label, t));
        spans.push(Span::styled("  note: ", t.key));
        spans.extend(field(&p.note, !on_label, t));
        spans.push(Span::styled(
            if on_label {
                "  good · bad · hallucination · unsafe (or any word) · tab note · esc cancel"
            } else {
                "  enter save · shift+tab label · esc cancel"
            },
            t.dim,
        ));
        Line::from(spans)
    } else if app.export_prompt.is_some() {
        Line::styled(
            sanitize::line(app.status.as_deref().unwrap_or("overwrite? y/n")).into_owned(),
            t.warn,
        )
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

/// One text field of the label editor, with a block cursor where typing goes when it has
/// the focus.
fn field<'a>(input: &tui_input::Input, focused: bool, t: &Theme) -> Vec<Span<'a>> {
    let clean = |s: &str| sanitize::line(s).into_owned();
    let value = input.value();
    if !focused {
        return vec![Span::raw(clean(value))];
    }
    // Split the raw text at the cursor first: sanitising may change its length.
    let at = value
        .char_indices()
        .nth(input.cursor())
        .map_or(value.len(), |(i, _)| i);
    let (before, rest) = value.split_at(at);
    let mut chars = rest.chars();
    let under = chars.next();
    vec![
        Span::raw(clean(before)),
        match under {
            Some(c) => Span::styled(
                clean(&c.to_string()),
                t.key.add_modifier(Modifier::REVERSED),
            ),
            None => Span::styled("█", t.dim),
        },
        Span::raw(clean(chars.as_str())),
    ]
}
