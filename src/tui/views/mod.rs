//! Drawing: the frame (header, focused pane or drill-down, footer, overlays) from the app
//! state and the engine. Views read; they never compute statistics or change state (the
//! only writes are the cells that remember the list areas for mouse clicks and scrolling).

pub mod alerts;
pub mod calls;
pub mod conversations;
pub mod detail;
pub mod drift;
pub mod flagged;
pub mod footer;
pub mod header;
pub mod help;
pub mod overview;
pub mod review;
pub mod sources;
pub mod traces;

use super::app::{App, Pane, Target, MIN_SIZE};
use super::theme::Theme;
use super::widgets::too_small::TooSmall;
use crate::engine::Engine;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, BorderType, Borders};
use ratatui::Frame;

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App, engine: &Engine) {
    let area = f.area();
    let small = TooSmall::new(MIN_SIZE, &app.theme);
    if small.applies(area) {
        f.render_widget(small, area);
        return;
    }
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(f, head, app, engine);
    match app.stack.last() {
        Some(d) => match (&d.target, d.json) {
            (Target::Trace(id), false) => traces::draw_full(f, body, app, engine, id, d.cursor),
            _ => detail::draw(f, body, app, engine, d),
        },
        None if app.sources_open => sources::draw(f, body, app),
        None => match app.pane {
            Pane::Overview => overview::draw(f, body, app),
            Pane::Conversations => conversations::draw(f, body, app, engine),
            Pane::Traces => traces::draw(f, body, app, engine),
            Pane::Flagged => flagged::draw(f, body, app, engine),
            Pane::Drift => drift::draw(f, body, app),
            Pane::Alerts => alerts::draw(f, body, app),
            Pane::Calls => calls::draw(f, body, app, engine),
            Pane::Review => review::draw(f, body, app, engine),
        },
    }
    footer::draw(f, foot, app);
    if let Some(scroll) = app.help {
        help::draw(f, body, app, scroll);
    }
}

/// A bordered block with a title; the focused one uses the focus border style.
pub fn block<'a>(title: &'a str, theme: &Theme, focus: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Plain)
        .border_style(if focus {
            theme.border_focus
        } else {
            theme.border
        })
        .title(title)
        .title_style(theme.title)
}

/// Keeps the selected row visible: returns the first row to draw and remembers it.
pub fn scroll_to(
    offset: &std::cell::Cell<usize>,
    selected: usize,
    height: usize,
    len: usize,
) -> usize {
    let mut first = offset.get();
    if height == 0 {
        return first;
    }
    if selected < first {
        first = selected;
    } else if selected >= first + height {
        first = selected + 1 - height;
    }
    first = first.min(len.saturating_sub(height));
    offset.set(first);
    first
}

/// Inner rows of a list block after its header row.
pub fn body_rows(inner: Rect) -> Rect {
    Rect::new(
        inner.x,
        inner.y + 1,
        inner.width,
        inner.height.saturating_sub(1),
    )
}
