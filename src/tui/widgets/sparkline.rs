//! One labelled sparkline row: `calls/s ▁▂▃▅▇█▅▃ 12.3`. Newest value at the right; missing
//! points (no data for that slot) stay blank rather than being drawn as zero.

use super::EIGHTHS;
use crate::present::format::fit;
use crate::present::sanitize;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

/// A label, a series and the current value, drawn on the first row of the area.
#[derive(Debug, Clone)]
pub struct SparklineRow<'a> {
    label: &'a str,
    values: &'a [Option<f64>],
    value_text: &'a str,
    label_width: Option<u16>,
    max: Option<f64>,
    style: Style,
    theme: &'a Theme,
}

impl<'a> SparklineRow<'a> {
    /// A row for `values` (oldest first) with the current value printed at the right.
    pub fn new(
        label: &'a str,
        values: &'a [Option<f64>],
        value_text: &'a str,
        theme: &'a Theme,
    ) -> SparklineRow<'a> {
        SparklineRow {
            label,
            values,
            value_text,
            label_width: None,
            max: None,
            style: theme.bar,
            theme,
        }
    }

    /// Pads or cuts the label to this many columns, so stacked rows line up.
    pub fn label_width(mut self, w: u16) -> SparklineRow<'a> {
        self.label_width = Some(w);
        self
    }

    /// Scale against this maximum instead of the visible maximum (to compare rows).
    pub fn max(mut self, max: f64) -> SparklineRow<'a> {
        self.max = Some(max);
        self
    }

    /// Style of the sparkline glyphs (e.g. the theme's `crit` for an error-rate row; pair
    /// it with the value text, which carries the number).
    pub fn style(mut self, style: Style) -> SparklineRow<'a> {
        self.style = style;
        self
    }
}

/// The glyph for `v` on a scale to `max`: zero is the lowest bar, missing is blank.
fn glyph(v: Option<f64>, max: f64) -> char {
    match v {
        Some(v) if v.is_finite() && max > 0.0 => {
            let i = ((v / max).clamp(0.0, 1.0) * 7.0).round() as usize;
            EIGHTHS[i.min(7)]
        }
        Some(_) => EIGHTHS[0],
        None => ' ',
    }
}

impl Widget for SparklineRow<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let label = sanitize::line(self.label);
        let value = sanitize::line(self.value_text);
        let width = area.width as usize;
        let label_w = self
            .label_width
            .map_or(label.width() + 1, usize::from)
            .min(width);
        let value_w = value.width().min(width - label_w);
        buf.set_stringn(
            area.x,
            area.y,
            fit(&label, label_w.saturating_sub(1)),
            label_w,
            self.theme.dim,
        );
        let value_x = area.right() - value_w as u16;
        buf.set_stringn(
            value_x,
            area.y,
            fit(&value, value_w),
            value_w,
            self.theme.base,
        );
        let spark_w = width.saturating_sub(label_w + value_w + 1);
        let shown = &self.values[self.values.len().saturating_sub(spark_w)..];
        let max = self.max.unwrap_or_else(|| {
            shown
                .iter()
                .flatten()
                .copied()
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max)
        });
        let x0 = area.x + (label_w + spark_w - shown.len()) as u16;
        for (i, &v) in shown.iter().enumerate() {
            if let Some(cell) = buf.cell_mut((x0 + i as u16, area.y)) {
                cell.set_char(glyph(v, max)).set_style(self.style);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use super::*;

    #[test]
    fn row_with_gaps_and_zero() {
        let theme = Theme::dark();
        let values = [
            Some(1.0),
            Some(2.0),
            None,
            Some(0.0),
            Some(4.0),
            Some(8.0),
            Some(6.0),
        ];
        let t = render(
            30,
            1,
            SparklineRow::new("calls/s", &values, "6.0", &theme).label_width(9),
        );
        insta::assert_snapshot!(t.backend());
        let buf = t.backend().buffer();
        let full = &buf[(24, 0)];
        assert_eq!(full.symbol(), "█");
        assert_eq!(full.fg, theme.bar.fg.unwrap());
    }

    #[test]
    fn keeps_newest_values_when_narrow() {
        let theme = Theme::dark();
        let values: Vec<Option<f64>> = (0..100).map(|i| Some(f64::from(i))).collect();
        let t = render(
            20,
            1,
            SparklineRow::new("tok/s", &values, "99", &theme).style(theme.warn),
        );
        insta::assert_snapshot!(t.backend());
        assert_eq!(t.backend().buffer()[(16, 0)].symbol(), "█");
        assert_eq!(t.backend().buffer()[(16, 0)].fg, theme.warn.fg.unwrap());
    }

    #[test]
    fn hostile_label_is_sanitised_and_tiny_areas_are_fine() {
        let theme = Theme::mono();
        let t = render(
            30,
            1,
            SparklineRow::new("a\x1b]0;x\x07", &[Some(1.0)], "1", &theme),
        );
        insta::assert_snapshot!(t.backend());
        for w in 1..8 {
            render(
                w,
                1,
                SparklineRow::new("errors", &[Some(1.0), None], "100%", &theme),
            );
        }
    }
}
