//! Pane 5 before its capability exists: a clear statement of what will appear
//! there, never invented numbers.

use super::block;
use crate::tui::app::App;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// The Drift pane's empty state.
pub fn drift(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let lines = vec![
        Line::styled("Drift detection is not running in this build.", t.title),
        Line::raw(""),
        Line::raw("When it is, this pane compares the current window with a baseline: per feature"),
        Line::raw("(latency, tokens, cost, model mix, topics) the test used (KS, chi-squared,"),
        Line::raw("Wasserstein, Jensen-Shannon, PSI), its score, the threshold and whether it"),
        Line::raw("drifted, plus the words that became typical of the new window."),
        Line::raw(""),
        Line::styled(
            "No numbers are shown until the engine computes them.",
            t.dim,
        ),
    ];
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(" Drift ", t, true)),
        area,
    );
}
