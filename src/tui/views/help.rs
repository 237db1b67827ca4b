//! The `?` overlay: every binding of the focused context and the global ones, generated
//! from the effective keymap, plus a reminder of the query language.

use super::block;
use crate::tui::app::App;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// Query-language reminder lines shown under the keys.
const QUERY_HELP: [&str; 3] = [
    "filter: model:gpt-4o user:alice latency>2s cost>0.01 status:error flag:pii",
    "        -model:gpt-4o-mini has:feedback (a OR b) \"bare words\" model:gpt-4*",
    "n/N: next/previous row (lists) or search hit (detail)",
];

/// Draws the overlay centred in `area`, starting at line `scroll`.
pub fn draw(f: &mut Frame, area: Rect, app: &App, scroll: usize) {
    let t = &app.theme;
    let mut lines: Vec<Line> = app
        .keymap
        .help(app.context())
        .into_iter()
        .map(|h| {
            Line::from(vec![
                Span::styled(format!("{:>14}  ", h.keys), t.key),
                Span::raw(h.description),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.extend(QUERY_HELP.iter().map(|s| Line::styled(*s, t.dim)));
    let w = area.width.saturating_sub(4).min(90);
    let h = area.height.saturating_sub(2);
    let r = Rect::new(area.x + (area.width - w) / 2, area.y + 1, w, h);
    let max_scroll = lines.len().saturating_sub(usize::from(h.saturating_sub(2)));
    let scroll = scroll.min(max_scroll);
    f.render_widget(Clear, r);
    let title = format!(
        " keys: {} (j/k scroll, any other key closes) ",
        app.context().name()
    );
    f.render_widget(
        Paragraph::new(lines)
            .block(block(&title, t, true))
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        r,
    );
}
