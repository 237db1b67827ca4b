//! Reusable widgets that draw plain data handed to them (bucket counts, series, span
//! offsets): no engine types, so panes compose them and tests feed them fixed numbers.
//! Every text they draw goes through [`crate::tui::sanitize`].

pub mod histogram;
pub mod sparkline;
pub mod too_small;
pub mod waterfall;

use std::borrow::Cow;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Bar glyphs from one eighth to a full cell, for sub-cell resolution.
pub(crate) const EIGHTHS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Shortens `s` to at most `width` terminal columns, ending in `…` when cut.
pub fn fit(s: &str, width: usize) -> Cow<'_, str> {
    if s.width() <= width {
        return Cow::Borrowed(s);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

/// Formats milliseconds compactly: `850ms`, `1.2s`, `12s`, `2.5m`.
pub fn fmt_ms(ms: f64) -> String {
    if !ms.is_finite() {
        return "-".to_string();
    }
    let trim = |s: String| s.strip_suffix(".0").map(str::to_string).unwrap_or(s);
    if ms.abs() < 1.0 && ms != 0.0 {
        format!("{ms:.2}ms")
    } else if ms.abs() < 1000.0 {
        format!("{ms:.0}ms")
    } else if ms.abs() < 10_000.0 {
        trim(format!("{:.1}", ms / 1000.0)) + "s"
    } else if ms.abs() < 60_000.0 {
        format!("{:.0}s", ms / 1000.0)
    } else {
        trim(format!("{:.1}", ms / 60_000.0)) + "m"
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_by_columns() {
        assert_eq!(fit("hello", 5), "hello");
        assert_eq!(fit("hello", 4), "hel…");
        assert_eq!(fit("日本語", 4), "日…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("abc", 1), "…");
    }

    #[test]
    fn ms_formatting() {
        assert_eq!(fmt_ms(0.0), "0ms");
        assert_eq!(fmt_ms(0.25), "0.25ms");
        assert_eq!(fmt_ms(850.0), "850ms");
        assert_eq!(fmt_ms(1200.0), "1.2s");
        assert_eq!(fmt_ms(2000.0), "2s");
        assert_eq!(fmt_ms(12_400.0), "12s");
        assert_eq!(fmt_ms(150_000.0), "2.5m");
        assert_eq!(fmt_ms(f64::NAN), "-");
    }
}
