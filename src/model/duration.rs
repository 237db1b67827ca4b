//! The one duration grammar: config (`window = "5m"`), command-line flags (`--duration 1min`,
//! `--since 2h`), alert rules and the query language (`latency>1.5s`) all read durations
//! here, so a spelling that works in one place works in every other.
//!
//! A duration is a number (fractions allowed: `1.5m`, `0.25s`) followed by a unit:
//! `us`/`µs`, `ms`, `s`/`sec`/`secs`/`second(s)`, `m`/`min`/`mins`/`minute(s)`,
//! `h`/`hr`/`hrs`/`hour(s)`, `d`/`day(s)`, `w`/`week(s)`, in any case, with optional space
//! between number and unit. What a bare number means depends on where it is written (see
//! [`Bare`]).

use thiserror::Error;

const NS_PER_MS: f64 = 1e6;

/// What a number written without a unit means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bare {
    /// Seconds: config values and flags (`--duration 90`).
    Seconds,
    /// Refused, except zero: a query term (`latency>2` could be seconds or milliseconds).
    NeedsUnit,
}

/// Why a text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurationError {
    #[error("'{0}' is not a number followed by a unit (e.g. 500ms, 30s, 5m, 1h, 2d)")]
    NotANumber(String),
    #[error("unknown unit '{unit}' in '{text}'; use us, ms, s, m (or min), h, d or w")]
    UnknownUnit { text: String, unit: String },
    #[error("'{0}' needs a unit, e.g. 500ms, 2s or 1.5m")]
    NeedsUnit(String),
    #[error("'{0}' is out of range")]
    OutOfRange(String),
}

/// Nanoseconds in one unit, for every spelling the grammar accepts.
fn unit_ns(unit: &str) -> Option<f64> {
    Some(match unit {
        "us" | "µs" | "μs" => 1e3,
        "ms" => NS_PER_MS,
        "s" | "sec" | "secs" | "second" | "seconds" => 1e9,
        "m" | "min" | "mins" | "minute" | "minutes" => 60e9,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600e9,
        "d" | "day" | "days" => 86_400e9,
        "w" | "week" | "weeks" => 604_800e9,
        _ => return None,
    })
}

/// Parses a duration into (possibly fractional) nanoseconds; negative values are kept so a
/// caller can say why they are wrong in its own terms.
pub fn parse_ns(text: &str, bare: Bare) -> Result<f64, DurationError> {
    let t = text.trim();
    let num_len = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && c == '-')))
        .map_or(t.len(), |(i, _)| i);
    let (num, unit) = t.split_at(num_len);
    let n: f64 = num
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && num.bytes().any(|b| b.is_ascii_digit()))
        .ok_or_else(|| DurationError::NotANumber(t.to_owned()))?;
    let unit = unit.trim().to_lowercase();
    let scale = if unit.is_empty() {
        match bare {
            Bare::Seconds => 1e9,
            Bare::NeedsUnit if n == 0.0 => 1.0,
            Bare::NeedsUnit => return Err(DurationError::NeedsUnit(t.to_owned())),
        }
    } else {
        unit_ns(&unit).ok_or_else(|| DurationError::UnknownUnit {
            text: t.to_owned(),
            unit: unit.clone(),
        })?
    };
    let ns = n * scale;
    if ns.is_finite() && ns.abs() < i64::MAX as f64 {
        Ok(ns)
    } else {
        Err(DurationError::OutOfRange(t.to_owned()))
    }
}

/// Parses a positive duration (config, flags, rules) into whole nanoseconds; bare numbers
/// are seconds. `None` for anything that is not a positive duration.
pub fn parse_positive_ns(text: &str) -> Option<i64> {
    parse_ns(text, Bare::Seconds)
        .ok()
        .filter(|ns| *ns >= 1.0)
        .map(|ns| ns as i64)
}

/// Parses a query-term duration into milliseconds (the unit latency fields are kept in).
pub fn parse_ms(text: &str) -> Result<f64, DurationError> {
    parse_ns(text, Bare::NeedsUnit).map(|ns| ns / NS_PER_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000_000;

    #[test]
    fn every_spelling_of_a_minute_is_the_same() {
        for s in [
            "1m", "1min", "1 min", "1mins", "1minute", "60s", "60", "60sec", "1M",
        ] {
            assert_eq!(parse_positive_ns(s), Some(60 * SECOND), "{s}");
        }
    }

    #[test]
    fn units_from_microseconds_to_weeks() {
        assert_eq!(parse_positive_ns("250us"), Some(250_000));
        assert_eq!(parse_positive_ns("500ms"), Some(500_000_000));
        assert_eq!(parse_positive_ns("1.5m"), Some(90 * SECOND));
        assert_eq!(parse_positive_ns("2h"), Some(7200 * SECOND));
        assert_eq!(parse_positive_ns("1d"), Some(86_400 * SECOND));
        assert_eq!(parse_positive_ns("1w"), Some(7 * 86_400 * SECOND));
    }

    #[test]
    fn config_refuses_what_is_not_a_positive_duration() {
        for s in ["", "x", "5 parsecs", "-5m", "0", "0s", "1e400s", "."] {
            assert_eq!(parse_positive_ns(s), None, "{s}");
        }
    }

    #[test]
    fn queries_need_a_unit_except_for_zero() {
        assert_eq!(parse_ms("2s"), Ok(2000.0));
        assert_eq!(parse_ms("1min"), Ok(60_000.0));
        assert_eq!(parse_ms("0"), Ok(0.0));
        assert_eq!(parse_ms("2"), Err(DurationError::NeedsUnit("2".into())));
        assert!(matches!(
            parse_ms("2x"),
            Err(DurationError::UnknownUnit { .. })
        ));
    }
}
