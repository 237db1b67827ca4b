//! The message shown instead of the panes when the terminal is below the minimum size.

use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

/// "Terminal too small": the current and the needed size, centred.
#[derive(Debug, Clone)]
pub struct TooSmall<'a> {
    need: (u16, u16),
    theme: &'a Theme,
}

impl<'a> TooSmall<'a> {
    /// The message for a UI that needs at least `need` = (columns, rows).
    pub fn new(need: (u16, u16), theme: &'a Theme) -> TooSmall<'a> {
        TooSmall { need, theme }
    }

    /// Whether an area of this size is below the minimum.
    pub fn applies(&self, area: Rect) -> bool {
        area.width < self.need.0 || area.height < self.need.1
    }
}

impl Widget for TooSmall<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Clear.render(area, buf);
        let lines = vec![
            Line::styled("Terminal too small", self.theme.crit),
            Line::styled(
                format!(
                    "{}×{}, need {}×{}",
                    area.width, area.height, self.need.0, self.need.1
                ),
                self.theme.base,
            ),
            Line::styled("enlarge it, or q to quit", self.theme.dim),
        ];
        let height = (lines.len() as u16).min(area.height);
        let top = area.y + (area.height - height) / 2;
        let inner = Rect::new(area.x, top, area.width, area.bottom() - top);
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .render(inner, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use super::*;

    #[test]
    fn message_is_centred() {
        let theme = Theme::dark();
        let t = render(40, 7, TooSmall::new((80, 24), &theme));
        insta::assert_snapshot!(t.backend());
        let buf = t.backend().buffer();
        let first = (0..40).find(|&x| buf[(x, 2)].symbol() == "T").unwrap();
        assert_eq!(buf[(first, 2)].fg, theme.crit.fg.unwrap());
    }

    #[test]
    fn applies_below_minimum_only() {
        let theme = Theme::dark();
        let w = TooSmall::new((80, 24), &theme);
        assert!(w.applies(Rect::new(0, 0, 79, 24)));
        assert!(w.applies(Rect::new(0, 0, 80, 23)));
        assert!(!w.applies(Rect::new(0, 0, 80, 24)));
    }

    #[test]
    fn tiny_terminals_do_not_panic() {
        let theme = Theme::dark();
        for w in 1..12 {
            for h in 1..4 {
                render(w, h, TooSmall::new((80, 24), &theme));
            }
        }
    }
}
