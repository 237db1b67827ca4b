//! Reusable widgets that draw plain data handed to them (bucket counts, series, span
//! offsets): no engine types, so panes compose them and tests feed them fixed numbers.
//! Every text they draw goes through [`crate::present::sanitize`].

pub mod histogram;
pub mod sparkline;
pub mod too_small;
pub mod waterfall;

/// Bar glyphs from one eighth to a full cell, for sub-cell resolution.
pub(crate) const EIGHTHS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

#[cfg(test)]
pub(crate) mod test_support {
    use ratatui::backend::TestBackend;
    use ratatui::widgets::Widget;
    use ratatui::Terminal;

    /// Renders one widget over the whole of a `w`×`h` test terminal.
    pub fn render(w: u16, h: u16, widget: impl Widget) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| f.render_widget(widget, f.area())).unwrap();
        t
    }
}
