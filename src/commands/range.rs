//! `--since`, `--until`, `--now` and `--filter` turned into a [`RecordGate`].
//!
//! Times are RFC 3339 (or epoch numbers, as in records), `today`/`yesterday` (UTC midnight of
//! the wall clock), `now`, or a duration in the one grammar of [`parse_duration`] (`2h`,
//! `30m`, `90s`, `1d`) counted back from the newest record in the input, or from the wall
//! clock with `--now`.
//!
//! "The newest record" needs the whole input before anything is admitted. For files that is
//! a first pass that only decodes event times (streamed, so memory stays bounded, at the
//! cost of reading the files twice); a source that cannot be read twice (stdin, WebSocket,
//! OTLP, demo) is refused with a hint to use `--now` or an absolute time.

use crate::cli::{RangeArgs, SelectArgs};
use crate::config::Config;
use crate::decode::{Decoded, Decoder};
use crate::engine::parse_duration;
use crate::gate::{RecordGate, TimeRange};
use crate::model::query::{Field, Query};
use crate::model::record::{format_time, parse_time_str, Nanos};
use crate::source::SourceSpec;
use anyhow::{anyhow, bail, Result};
use std::io::BufRead;
use std::sync::Arc;

const DAY: Nanos = 86_400_000_000_000;

/// A `--since`/`--until` value before it is anchored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// An event time.
    At(Nanos),
    /// This long before the anchor (the newest record, or now with `--now`).
    Ago(Nanos),
}

/// Parses one time value; `flag` names it in the error.
pub fn parse_when(s: &str, flag: &str, wall_now: Nanos) -> Result<When> {
    let t = s.trim();
    let midnight = wall_now.div_euclid(DAY) * DAY;
    match t.to_ascii_lowercase().as_str() {
        "now" => return Ok(When::At(wall_now)),
        "today" => return Ok(When::At(midnight)),
        "yesterday" => return Ok(When::At(midnight - DAY)),
        _ => {}
    }
    // A duration needs its unit: a bare number is an epoch time, as in records.
    if t.ends_with(|c: char| c.is_ascii_alphabetic()) && !t.contains([':', 'T', '-']) {
        if let Some(ns) = parse_duration(t) {
            return Ok(When::Ago(ns));
        }
    }
    if let Some(ns) = parse_time_str(t) {
        return Ok(When::At(ns));
    }
    bail!(
        "{flag} {s:?} is not a time: use RFC 3339 (2026-11-26T14:00:00Z), a duration (2h, 30m), \
         today, yesterday or now"
    )
}

/// The wall clock in unix nanoseconds.
fn wall_now() -> Nanos {
    i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX)
}

/// The newest event time in the files of `specs` (a first pass over them), or an error
/// naming the source that cannot be read twice.
fn newest_event_time(specs: &[SourceSpec]) -> Result<Option<Nanos>> {
    let mut newest: Option<Nanos> = None;
    for spec in specs {
        let SourceSpec::File(path) = spec else {
            bail!(
                "a relative --since/--until counts back from the newest record, which {spec} \
                 cannot tell in advance: add --now or give an absolute time"
            );
        };
        let file = std::fs::File::open(path)
            .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
        let mut dec = Decoder::new();
        let mut note = |t: Option<Nanos>| {
            if let Some(t) = t {
                newest = Some(newest.map_or(t, |n| n.max(t)));
            }
        };
        let arrival = wall_now();
        for line in std::io::BufReader::with_capacity(1 << 20, file).split(b'\n') {
            let line = line.map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
            // Undecodable lines have no time; the real pass counts them as rejected.
            let _ = dec.decode_facts(&line, arrival, &mut |d| match d {
                Decoded::Facts(f) => note(f.event_time()),
                Decoded::Record(r) => note(r.time()),
            });
        }
    }
    Ok(newest)
}

/// The event-time range `args` asks for over `specs`.
pub fn time_range(args: &RangeArgs, specs: &[SourceSpec]) -> Result<TimeRange> {
    let now = wall_now();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_when(s, "--since", now))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_when(s, "--until", now))
        .transpose()?;
    let relative = [since, until]
        .iter()
        .any(|w| matches!(w, Some(When::Ago(_))));
    let anchor = if relative && !args.now {
        newest_event_time(specs)?
    } else {
        Some(now)
    };
    let resolve = |w: Option<When>| -> Option<Nanos> {
        match w? {
            When::At(t) => Some(t),
            // No record has a time: nothing can be in a relative range, so anchor at 0.
            When::Ago(d) => Some(anchor.unwrap_or(0).saturating_sub(d)),
        }
    };
    let range = TimeRange {
        since: resolve(since),
        until: resolve(until),
    };
    if let (Some(s), Some(u)) = (range.since, range.until) {
        if s >= u {
            bail!(
                "--since {} is not before --until {}: the range is empty",
                format_time(s),
                format_time(u)
            );
        }
    }
    Ok(range)
}

/// Parses `--filter`, the error naming the position of the problem.
pub fn parse_filter(q: &str) -> Result<Query> {
    Query::parse(q).map_err(|e| anyhow!("--filter {q:?}: {e}"))
}

/// The gate for a command's `--since`/`--until`/`--filter` over `specs`.
/// A filter on `label:` or `has:label` reads the annotations file the TUI writes.
pub fn gate(cfg: &Config, args: &SelectArgs, specs: &[SourceSpec]) -> Result<Arc<RecordGate>> {
    let filter = args.filter.as_deref().map(parse_filter).transpose()?;
    let labelled = filter.as_ref().is_some_and(|q| q.uses(&Field::Label));
    let mut gate = RecordGate::new(time_range(&args.range, specs)?, filter);
    if labelled {
        gate = gate.with_labels(super::annotations(cfg, None)?);
    }
    Ok(Arc::new(gate))
}

/// "in range" words for output: the range and filter, when set.
pub fn describe(gate: &RecordGate) -> Option<String> {
    if !gate.is_active() {
        return None;
    }
    let r = gate.range();
    let mut parts = Vec::new();
    if let Some(s) = r.since {
        parts.push(format!("since {}", format_time(s)));
    }
    if let Some(u) = r.until {
        parts.push(format!("until {}", format_time(u)));
    }
    if let Some(q) = gate.filter() {
        parts.push(format!("filter {q}"));
    }
    Some(parts.join(", "))
}

/// The line printed when nothing was in range: `0 records in range (N skipped)`.
pub fn nothing_in_range(gate: &RecordGate) -> String {
    format!("0 records in range ({} skipped)", gate.skipped())
}

/// `{"since", "until", "filter", "skipped"}` for JSON output.
pub fn to_json(gate: &RecordGate) -> serde_json::Value {
    let r = gate.range();
    serde_json::json!({
        "since": r.since.map(format_time),
        "until": r.until.map(format_time),
        "filter": gate.filter().map(ToString::to_string),
        "skipped": gate.skipped(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Nanos = 1_764_000_000_000_000_000 + 12 * 3_600_000_000_000;

    #[test]
    fn times_parse_in_every_form() {
        let at = |s| parse_when(s, "--since", NOW).ok();
        assert_eq!(at("2h"), Some(When::Ago(7_200_000_000_000)));
        assert_eq!(at("30m"), Some(When::Ago(1_800_000_000_000)));
        assert_eq!(
            at("2026-11-26T14:00:00Z"),
            parse_time_str("2026-11-26T14:00:00Z").map(When::At)
        );
        let midnight = NOW.div_euclid(DAY) * DAY;
        assert_eq!(at("today"), Some(When::At(midnight)));
        assert_eq!(at("Yesterday"), Some(When::At(midnight - DAY)));
        assert_eq!(at("now"), Some(When::At(NOW)));
        assert_eq!(at("1700000000"), Some(When::At(1_700_000_000_000_000_000)));
        assert!(at("soon").is_none());
        assert!(at("2x").is_none());
        let e = parse_when("soon", "--until", NOW).unwrap_err().to_string();
        assert!(e.starts_with("--until \"soon\" is not a time"), "{e}");
    }

    #[test]
    fn relative_times_need_a_file_or_now() {
        let args = RangeArgs {
            since: Some("2h".into()),
            ..RangeArgs::default()
        };
        let e = time_range(&args, &[SourceSpec::Stdin]).unwrap_err();
        assert!(e.to_string().contains("--now"), "{e}");
        let with_now = RangeArgs { now: true, ..args };
        assert!(time_range(&with_now, &[SourceSpec::Stdin]).is_ok());
    }

    #[test]
    fn an_inverted_range_is_an_error() {
        let args = RangeArgs {
            since: Some("2026-11-26T15:00:00Z".into()),
            until: Some("2026-11-26T14:00:00Z".into()),
            ..RangeArgs::default()
        };
        let e = time_range(&args, &[]).unwrap_err().to_string();
        assert!(e.contains("is not before --until"), "{e}");
    }
}
