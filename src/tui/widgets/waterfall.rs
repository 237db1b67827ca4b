//! Waterfall rows for agent traces: one span per row, its name indented by depth, and a bar
//! placed on the trace's time axis. The bar's fill glyph encodes heat (latency or cost,
//! relative to the trace) as well as its colour, so it reads in mono too; a failed span is
//! marked `✗`, a span on the critical path `►`.

use crate::present::format::{fit, fmt_ms};
use crate::present::sanitize;
use crate::tui::theme::{Heat, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

/// One span of a trace on a shared time axis. Offsets are in milliseconds from the trace
/// start; `axis_ms` is the trace's total duration.
#[derive(Debug, Clone)]
pub struct WaterfallRow<'a> {
    label: &'a str,
    depth: u16,
    start_ms: f64,
    end_ms: f64,
    axis_ms: f64,
    heat: Heat,
    annotation: &'a str,
    error: bool,
    critical: bool,
    label_width: u16,
    annotation_width: u16,
    theme: &'a Theme,
}

impl<'a> WaterfallRow<'a> {
    /// A span from `start_ms` to `end_ms` on an axis of `axis_ms`.
    pub fn new(label: &'a str, start_ms: f64, end_ms: f64, axis_ms: f64, theme: &'a Theme) -> Self {
        WaterfallRow {
            label,
            depth: 0,
            start_ms,
            end_ms,
            axis_ms,
            heat: Heat::Low,
            annotation: "",
            error: false,
            critical: false,
            label_width: 24,
            annotation_width: 14,
            theme,
        }
    }

    /// Nesting depth in the trace tree (two columns of indent per level).
    pub fn depth(mut self, depth: u16) -> Self {
        self.depth = depth;
        self
    }

    /// How hot the bar is drawn.
    pub fn heat(mut self, heat: Heat) -> Self {
        self.heat = heat;
        self
    }

    /// Text at the right of the row (`1.2s $0.004 820 tok`).
    pub fn annotation(mut self, text: &'a str) -> Self {
        self.annotation = text;
        self
    }

    /// Marks the span as failed.
    pub fn error(mut self, error: bool) -> Self {
        self.error = error;
        self
    }

    /// Marks the span as on the critical path (or the costliest branch).
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// Columns for the label and the annotation; the bar gets the rest.
    pub fn widths(mut self, label: u16, annotation: u16) -> Self {
        self.label_width = label;
        self.annotation_width = annotation;
        self
    }
}

/// Start and end columns (end exclusive, at least one cell) of a span on a `width`-cell axis.
pub fn bar_columns(start_ms: f64, end_ms: f64, axis_ms: f64, width: u16) -> Option<(u16, u16)> {
    if width == 0 || !(start_ms.is_finite() && end_ms.is_finite()) {
        return None;
    }
    let axis = if axis_ms.is_finite() && axis_ms > 0.0 {
        axis_ms
    } else {
        1.0
    };
    let w = f64::from(width);
    let s = ((start_ms / axis) * w).floor().clamp(0.0, w - 1.0) as u16;
    let e = ((end_ms.max(start_ms) / axis) * w).ceil().clamp(0.0, w) as u16;
    Some((s, e.max(s + 1)))
}

impl Widget for WaterfallRow<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let width = area.width;
        let label_w = self.label_width.min(width);
        let ann_w = self.annotation_width.min(width - label_w);
        let bar_w = width.saturating_sub(label_w + ann_w + 2);
        let (mark, mark_style) = if self.error {
            ("✗", self.theme.crit)
        } else if self.critical {
            ("►", self.theme.marker)
        } else {
            (" ", self.theme.base)
        };
        buf.set_stringn(area.x, area.y, mark, label_w as usize, mark_style);
        let indent = usize::from(self.depth.min(16) * 2);
        let name = sanitize::line(self.label);
        let room = (label_w as usize).saturating_sub(2 + indent);
        let label_style = if self.error {
            self.theme.crit
        } else {
            self.theme.base
        };
        if room > 0 {
            let x = area.x + 2 + indent as u16;
            buf.set_stringn(x, area.y, fit(&name, room), room, label_style);
        }
        let bar_x = area.x + label_w + 1;
        if let Some((s, e)) = bar_columns(self.start_ms, self.end_ms, self.axis_ms, bar_w) {
            let style = self.theme.heat(self.heat);
            for col in s..e {
                if let Some(cell) = buf.cell_mut((bar_x + col, area.y)) {
                    cell.set_char(self.heat.glyph()).set_style(style);
                }
            }
        }
        let ann = sanitize::line(self.annotation);
        let ann = fit(&ann, ann_w as usize);
        let ann_x = area.right() - ann.width() as u16;
        buf.set_stringn(ann_x, area.y, &ann, ann_w as usize, self.theme.dim);
    }
}

/// The time axis above a waterfall: tick labels at 0, ¼, ½, ¾ and the end, where they fit.
#[derive(Debug, Clone)]
pub struct WaterfallAxis<'a> {
    axis_ms: f64,
    label_width: u16,
    annotation_width: u16,
    theme: &'a Theme,
}

impl<'a> WaterfallAxis<'a> {
    /// An axis for a trace lasting `axis_ms`, aligned with rows of the given widths.
    pub fn new(axis_ms: f64, label_width: u16, annotation_width: u16, theme: &'a Theme) -> Self {
        WaterfallAxis {
            axis_ms,
            label_width,
            annotation_width,
            theme,
        }
    }
}

impl Widget for WaterfallAxis<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let label_w = self.label_width.min(area.width);
        let ann_w = self.annotation_width.min(area.width - label_w);
        let bar_w = area.width.saturating_sub(label_w + ann_w + 2);
        if bar_w == 0 {
            return;
        }
        let bar_x = area.x + label_w + 1;
        let mut free_from = bar_x;
        for q in 0..=4u16 {
            let label = fmt_ms(self.axis_ms * f64::from(q) / 4.0);
            let col = (u32::from(bar_w - 1) * u32::from(q) / 4) as u16;
            let lw = label.width() as u16;
            // The last tick is right-aligned to the axis end.
            let x = if q == 4 {
                (bar_x + bar_w).saturating_sub(lw)
            } else {
                bar_x + col
            };
            if x < free_from || x + lw > bar_x + bar_w {
                continue;
            }
            buf.set_string(x, area.y, &label, self.theme.dim);
            free_from = x + lw + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::layout::{Constraint, Layout};
    use ratatui::Terminal;

    #[test]
    fn columns_on_the_axis() {
        assert_eq!(bar_columns(0.0, 1000.0, 1000.0, 10), Some((0, 10)));
        assert_eq!(bar_columns(500.0, 600.0, 1000.0, 10), Some((5, 6)));
        assert_eq!(
            bar_columns(500.0, 500.0, 1000.0, 10),
            Some((5, 6)),
            "instant spans stay visible"
        );
        assert_eq!(bar_columns(1000.0, 1000.0, 1000.0, 10), Some((9, 10)));
        assert_eq!(bar_columns(-5.0, 2000.0, 1000.0, 10), Some((0, 10)));
        assert_eq!(bar_columns(0.0, 1.0, 0.0, 10), Some((0, 10)));
        assert_eq!(bar_columns(f64::NAN, 1.0, 1.0, 10), None);
        assert_eq!(bar_columns(0.0, 1.0, 1.0, 0), None);
    }

    #[test]
    fn trace_waterfall() {
        let theme = Theme::dark();
        let mut t = Terminal::new(TestBackend::new(60, 5)).unwrap();
        t.draw(|f| {
            let rows = Layout::vertical([Constraint::Length(1); 5]).split(f.area());
            f.render_widget(WaterfallAxis::new(4000.0, 20, 12, &theme), rows[0]);
            let spans = [
                (
                    "FlightAgent",
                    0,
                    0.0,
                    4000.0,
                    Heat::Critical,
                    "4s $0.020",
                    false,
                    true,
                ),
                (
                    "plan",
                    1,
                    0.0,
                    800.0,
                    Heat::Low,
                    "800ms $0.004",
                    false,
                    false,
                ),
                (
                    "search_flights",
                    1,
                    800.0,
                    3000.0,
                    Heat::High,
                    "2.2s",
                    true,
                    true,
                ),
                (
                    "summarise",
                    1,
                    3000.0,
                    4000.0,
                    Heat::Medium,
                    "1s $0.010",
                    false,
                    true,
                ),
            ];
            for (i, (name, depth, s, e, heat, ann, err, crit)) in spans.into_iter().enumerate() {
                let row = WaterfallRow::new(name, s, e, 4000.0, &theme)
                    .depth(depth)
                    .heat(heat)
                    .annotation(ann)
                    .error(err)
                    .critical(crit)
                    .widths(20, 12);
                f.render_widget(row, rows[i + 1]);
            }
        })
        .unwrap();
        insta::assert_snapshot!(t.backend());
        let buf = t.backend().buffer();
        assert_eq!(buf[(21, 1)].symbol(), "█");
        assert_eq!(buf[(21, 1)].fg, theme.heat(Heat::Critical).fg.unwrap());
        assert_eq!(buf[(21, 2)].symbol(), "░");
        assert_eq!(buf[(21, 2)].fg, theme.heat(Heat::Low).fg.unwrap());
        assert_eq!(buf[(0, 3)].symbol(), "✗");
        assert_eq!(buf[(0, 3)].fg, theme.crit.fg.unwrap());
    }

    #[test]
    fn hostile_names_and_tiny_widths() {
        let theme = Theme::mono();
        let t = render(
            40,
            1,
            WaterfallRow::new("tool\x1b[2J\u{202e}x", 0.0, 5.0, 10.0, &theme)
                .annotation("\x07")
                .widths(16, 4),
        );
        insta::assert_snapshot!(t.backend());
        for w in 1..30 {
            render(
                w,
                1,
                WaterfallRow::new("x", 0.0, 5.0, 10.0, &theme).depth(40),
            );
            render(w, 1, WaterfallAxis::new(10.0, 20, 12, &theme));
        }
    }
}
