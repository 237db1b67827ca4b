//! Numbers, durations, money and times as people read them, shared by the TUI and the
//! headless text outputs so a figure looks the same on screen and in `report`. Every
//! function prints something finite: a value that is not a number shows as `-`, never as
//! `inf` or `NaN`.

use std::borrow::Cow;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `$0.0123`, `$1.23`, `$1,234`: enough digits to see small per-call costs (table cells).
pub fn fmt_cost(usd: f64) -> String {
    if !usd.is_finite() {
        "-".into()
    } else if usd == 0.0 {
        "$0".into()
    } else if usd.abs() < 0.01 {
        format!("${usd:.4}")
    } else if usd.abs() < 100.0 {
        format!("${usd:.2}")
    } else {
        format!("${usd:.0}")
    }
}

/// Input and output tokens as `1.2k→40` (`-` for a side not reported); `None` when neither
/// was reported.
pub fn token_pair(input: Option<u64>, output: Option<u64>) -> Option<String> {
    let side = |n: Option<u64>| n.map_or("-".into(), fmt_count);
    (input.is_some() || output.is_some()).then(|| format!("{}→{}", side(input), side(output)))
}

/// `950`, `12.3k`, `4.5M` (table cells).
pub fn fmt_count(n: u64) -> String {
    if n < 10_000 {
        n.to_string()
    } else if n < 1_000_000 {
        format!("{:.1}k", n as f64 / 1e3)
    } else {
        format!("{:.1}M", n as f64 / 1e6)
    }
}

/// Formats milliseconds compactly: `850ms`, `1.2s`, `12s`, `2.5m` (table cells).
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

/// Thousands separators for counts: `1,234,567` (reports).
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Dollars with the precision that suits the amount (reports).
pub fn usd(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v == 0.0 {
        "$0".into()
    } else if v.abs() < 0.01 {
        format!("${v:.6}")
    } else if v.abs() < 100.0 {
        format!("${v:.4}")
    } else {
        format!("${v:.2}")
    }
}

/// Milliseconds as `850ms`, `12.30s` or `2m05s` (reports).
pub fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) if !v.is_finite() => "-".into(),
        None => "-".into(),
        Some(v) if v < 1000.0 => format!("{v:.0}ms"),
        Some(v) if v < 60_000.0 => format!("{:.2}s", v / 1000.0),
        Some(v) => format!(
            "{}m{:02}s",
            (v / 60_000.0) as u64,
            ((v % 60_000.0) / 1000.0) as u64
        ),
    }
}

/// Right-aligns `s` in `w` columns.
pub fn right(s: &str, w: usize) -> String {
    format!("{s:>w$}")
}

/// `HH:MM:SS` of an event time (UTC), for table cells.
pub fn clock(ns: i64) -> String {
    let t = crate::model::record::format_time(ns);
    t.get(11..19).map_or(t.clone(), str::to_string)
}

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
        assert_eq!(ms(Some(850.0)), "850ms");
        assert_eq!(ms(Some(125_000.0)), "2m05s");
    }

    #[test]
    fn nothing_prints_inf_or_nan() {
        for v in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            for s in [fmt_cost(v), fmt_ms(v), usd(v), ms(Some(v))] {
                assert_eq!(s, "-");
            }
        }
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
