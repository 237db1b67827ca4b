//! Histogram bars with percentile markers: the shape of a latency or TTFT distribution with
//! p50/p90/p95/p99 pinned on it, from fixed bucket bounds and counts (as the engine's
//! histograms export them).
//!
//! Layout, bottom up: a legend row (`p50 120ms  p90 450ms ...`), a marker row with the
//! percentile names under the buckets that hold them, a row of bucket bounds, and the bars.
//! Rows are dropped from the top down when the area is short. Buckets that hold a
//! percentile are drawn in the marker style, always paired with the marker text below them.

use super::EIGHTHS;
use crate::present::format::fit;
use crate::present::sanitize;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

/// A named percentile value to mark (`label` like `p95`).
#[derive(Debug, Clone, PartialEq)]
pub struct Percentile {
    pub label: String,
    pub value: f64,
}

impl Percentile {
    /// A percentile marker.
    pub fn new(label: impl Into<String>, value: f64) -> Percentile {
        Percentile {
            label: label.into(),
            value,
        }
    }
}

/// The histogram widget. `bounds` are ascending bucket upper bounds; `counts` has one entry
/// per bound, plus optionally one more for the overflow bucket above the last bound.
#[derive(Debug, Clone)]
pub struct HistogramBars<'a> {
    bounds: &'a [f64],
    counts: &'a [u64],
    percentiles: &'a [Percentile],
    format: fn(f64) -> String,
    theme: &'a Theme,
}

impl<'a> HistogramBars<'a> {
    /// Bars for these buckets; values are formatted with [`crate::present::format::fmt_ms`] unless changed.
    pub fn new(bounds: &'a [f64], counts: &'a [u64], theme: &'a Theme) -> HistogramBars<'a> {
        HistogramBars {
            bounds,
            counts,
            percentiles: &[],
            format: crate::present::format::fmt_ms,
            theme,
        }
    }

    /// Percentiles to mark and list in the legend.
    pub fn percentiles(mut self, p: &'a [Percentile]) -> HistogramBars<'a> {
        self.percentiles = p;
        self
    }

    /// How bucket bounds and percentile values are printed.
    pub fn format(mut self, f: fn(f64) -> String) -> HistogramBars<'a> {
        self.format = f;
        self
    }

    /// Number of buckets drawn (bounds, plus overflow if counted).
    fn buckets(&self) -> usize {
        self.counts.len().min(self.bounds.len() + 1)
    }

    /// Index of the bucket holding `v`: the first bound ≥ `v`, else the overflow or last one.
    pub fn bucket_of(&self, v: f64) -> Option<usize> {
        let n = self.buckets();
        if n == 0 || v.is_nan() {
            return None;
        }
        let i = self
            .bounds
            .iter()
            .position(|&b| v <= b)
            .unwrap_or(self.bounds.len());
        Some(i.min(n - 1))
    }

    fn bucket_label(&self, i: usize) -> String {
        match self.bounds.get(i) {
            Some(&b) => (self.format)(b),
            None => format!(
                ">{}",
                self.bounds
                    .last()
                    .map_or(String::new(), |&b| (self.format)(b))
            ),
        }
    }
}

impl Widget for HistogramBars<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let n = self.buckets();
        let counts = &self.counts[..n];
        let total: u64 = counts.iter().sum();
        let bottom = area.bottom() - 1;
        if total == 0 {
            buf.set_stringn(
                area.x,
                area.y,
                "no data in this window",
                area.width as usize,
                self.theme.dim,
            );
            return;
        }
        // Legend.
        let mut x = area.x;
        for (i, p) in self.percentiles.iter().enumerate() {
            let label = sanitize::line(&p.label);
            let value = (self.format)(p.value);
            let gap = if i == 0 { "" } else { "  " };
            let room = area.right().saturating_sub(x) as usize;
            let text = format!("{gap}{label} ");
            if text.width() + value.width() > room {
                break;
            }
            buf.set_string(x, bottom, &text, self.theme.marker);
            x += text.width() as u16;
            buf.set_string(x, bottom, &value, self.theme.base);
            x += value.width() as u16;
        }
        if area.height < 2 || n == 0 {
            return;
        }
        let col_w = (area.width as usize / n).max(1);
        let bar_w = if col_w >= 3 { col_w - 1 } else { col_w };
        let visible = n.min(area.width as usize);
        let marked: Vec<Vec<&str>> = (0..visible)
            .map(|b| {
                self.percentiles
                    .iter()
                    .filter(|p| self.bucket_of(p.value) == Some(b))
                    .map(|p| p.label.trim_start_matches('p'))
                    .collect()
            })
            .collect();
        // Marker row.
        let marker_y = bottom - 1;
        for (b, labels) in marked.iter().enumerate() {
            if labels.is_empty() {
                continue;
            }
            let x = area.x + (b * col_w) as u16;
            let text = format!("▲{}", labels.join("/"));
            let text = fit(&text, col_w.max(1));
            buf.set_stringn(x, marker_y, sanitize::line(&text), col_w, self.theme.marker);
        }
        if area.height < 3 {
            return;
        }
        // Axis row: bucket bounds where they fit without overlapping.
        let mut bars_bottom = marker_y - 1;
        if area.height >= 4 {
            let axis_y = marker_y - 1;
            let mut free_from = area.x;
            for b in 0..visible {
                let x = area.x + (b * col_w) as u16;
                if x < free_from {
                    continue;
                }
                let label = self.bucket_label(b);
                if x as usize + label.width() > area.right() as usize {
                    break;
                }
                buf.set_string(x, axis_y, &label, self.theme.dim);
                free_from = x + label.width() as u16 + 1;
            }
            bars_bottom = axis_y - 1;
        }
        // Bars.
        let rows = (bars_bottom - area.y + 1) as u64;
        let max = counts.iter().copied().max().unwrap_or(0).max(1);
        for (b, &count) in counts.iter().enumerate().take(visible) {
            let eighths = (count * rows * 8).div_ceil(max);
            let style = if marked[b].is_empty() {
                self.theme.bar
            } else {
                self.theme.marker
            };
            let x0 = area.x + (b * col_w) as u16;
            for r in 0..rows {
                let fill = eighths.saturating_sub(r * 8).min(8);
                if fill == 0 {
                    break;
                }
                let glyph = EIGHTHS[fill as usize - 1];
                let y = bars_bottom - r as u16;
                for dx in 0..bar_w as u16 {
                    if let Some(cell) = buf.cell_mut((x0 + dx, y)) {
                        cell.set_char(glyph).set_style(style);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use super::*;

    const BOUNDS: [f64; 8] = [10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 1280.0];
    const COUNTS: [u64; 9] = [2, 10, 40, 80, 30, 12, 5, 1, 3];

    fn pcts() -> Vec<Percentile> {
        vec![
            Percentile::new("p50", 70.0),
            Percentile::new("p90", 150.0),
            Percentile::new("p95", 300.0),
            Percentile::new("p99", 2000.0),
        ]
    }

    #[test]
    fn bars_with_markers() {
        let theme = Theme::dark();
        let p = pcts();
        let t = render(
            45,
            10,
            HistogramBars::new(&BOUNDS, &COUNTS, &theme).percentiles(&p),
        );
        insta::assert_snapshot!(t.backend());
        let buf = t.backend().buffer();
        // Bucket 2 (20..40 ms) is a plain bar; bucket 3 (40..80) holds p50 and is marked.
        let plain = &buf[(2 * 5, 6)];
        assert_eq!(plain.fg, theme.bar.fg.unwrap());
        let marked = &buf[(3 * 5, 6)];
        assert_eq!(marked.symbol(), "█");
        assert_eq!(marked.fg, theme.marker.fg.unwrap());
        assert_eq!(buf[(15, 8)].symbol(), "▲");
    }

    #[test]
    fn short_area_keeps_legend_and_markers() {
        let theme = Theme::mono();
        let p = pcts();
        let t = render(
            45,
            2,
            HistogramBars::new(&BOUNDS, &COUNTS, &theme).percentiles(&p),
        );
        insta::assert_snapshot!(t.backend());
    }

    #[test]
    fn empty_histogram_says_so() {
        let theme = Theme::dark();
        let t = render(30, 4, HistogramBars::new(&BOUNDS, &[0; 8], &theme));
        insta::assert_snapshot!(t.backend());
    }

    #[test]
    fn narrow_area_never_panics() {
        let theme = Theme::dark();
        let p = pcts();
        for w in 0..12 {
            for h in 0..6 {
                render(
                    w.max(1),
                    h.max(1),
                    HistogramBars::new(&BOUNDS, &COUNTS, &theme).percentiles(&p),
                );
            }
        }
        render(20, 5, HistogramBars::new(&[], &[], &theme));
        render(
            20,
            5,
            HistogramBars::new(&BOUNDS, &COUNTS[..3], &theme).percentiles(&p),
        );
    }

    #[test]
    fn bucket_lookup() {
        let theme = Theme::dark();
        let h = HistogramBars::new(&BOUNDS, &COUNTS, &theme);
        assert_eq!(h.bucket_of(5.0), Some(0));
        assert_eq!(h.bucket_of(10.0), Some(0));
        assert_eq!(h.bucket_of(10.5), Some(1));
        assert_eq!(h.bucket_of(1e9), Some(8));
        assert_eq!(h.bucket_of(f64::NAN), None);
        let no_overflow = HistogramBars::new(&BOUNDS, &COUNTS[..8], &theme);
        assert_eq!(no_overflow.bucket_of(1e9), Some(7));
    }
}
