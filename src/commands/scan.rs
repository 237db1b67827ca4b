//! `llmmon scan [FILE|-] [--text] [--json] [--fail-on LEVEL]`: the detectors over records
//! (any format llmmon decodes) or plain text lines, for CI and pre-commit hooks.
//! Exit codes: 0 clean (or below `--fail-on`), 1 findings at or above it, 2 unreadable input.

use super::detectors;
use crate::cli::{LevelArg, ScanArgs};
use crate::config::Config;
use crate::decode::Decoder;
use crate::engine::Engine;
use crate::enrich::safety::Detectors;
use crate::pipeline::{Pipeline, Update};
use crate::record::Severity;
use crate::scan::{scan_records, scan_text_lines, ScanOptions};
use crate::source::SourceState;
use anyhow::Result;
use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};

fn severity(l: LevelArg) -> Severity {
    match l {
        LevelArg::Info => Severity::Info,
        LevelArg::Low => Severity::Low,
        LevelArg::Medium => Severity::Medium,
        LevelArg::High => Severity::High,
        LevelArg::Critical => Severity::Critical,
    }
}

/// Runs the scan and returns the exit code.
pub fn run(cfg: &Config, args: &ScanArgs) -> Result<i32> {
    let det = detectors(cfg)?;
    if args.otlp.otlp.is_some() {
        return scan_otlp(cfg, args, &det);
    }
    let input: Box<dyn BufRead> = match args.input.as_deref() {
        None | Some("-") => Box::new(BufReader::new(std::io::stdin().lock())),
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => Box::new(BufReader::with_capacity(1 << 20, f)),
            Err(e) => {
                eprintln!("llmmon: cannot read {path}: {e}");
                return Ok(2);
            }
        },
    };
    let opts = ScanOptions {
        text_mode: args.text,
        json: args.json,
        fail_on: args.fail_on.map(severity),
        max_line_bytes: cfg.sources.max_line_bytes,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut rejected = 0u64;
    let mut first_reject = None;
    let summary = if args.text {
        scan_text_lines(&det, input, &opts, &mut out)?
    } else {
        let mut dec = Decoder::new();
        let mut buf = Vec::new();
        let mut oversize = 0u64;
        let records = crate::scan::capped_lines(input, opts.max_line_bytes)
            .map_while(Result::ok)
            .filter_map(|line| match line {
                crate::scan::CappedLine::Text(no, bytes) => Some((no, bytes)),
                crate::scan::CappedLine::Oversize(..) => {
                    oversize += 1;
                    None
                }
            })
            .flat_map(|(no, line)| {
                buf.clear();
                let now = jiff::Timestamp::now().as_nanosecond() as i64;
                if let Err(e) = dec.decode(&line, now, &mut buf) {
                    rejected += 1;
                    first_reject.get_or_insert_with(|| format!("line {no}: {e}"));
                }
                buf.drain(..).map(move |r| (no, r)).collect::<Vec<_>>()
            });
        let mut summary = scan_records(&det, records, &opts, &mut out)?;
        summary.oversize = oversize;
        summary
    };
    out.flush()?;
    let mut err = std::io::stderr().lock();
    summary.write_summary(&mut err)?;
    if rejected > 0 {
        writeln!(
            err,
            "  {rejected} line(s) could not be decoded (first: {})",
            first_reject.unwrap_or_default()
        )?;
    }
    Ok(summary.exit_code(opts.fail_on))
}

/// `scan --otlp`: the detectors over calls as they arrive, until `--duration` or Ctrl-C.
/// Exit 2 when the receiver cannot listen.
fn scan_otlp(cfg: &Config, args: &ScanArgs, det: &Detectors) -> Result<i32> {
    let specs = super::specs_with_otlp(&[], &args.otlp)?;
    let deadline = super::deadline(args.duration.as_deref())?;
    let mut engine = Engine::new(cfg.engine_config()?);
    let (enricher, _) = super::enricher(cfg, false)?;
    let mut pipeline = Pipeline::start(
        &specs,
        &super::source_options(cfg, true, false)?,
        enricher,
        &mut engine,
        super::demo_spawner(7, 1.0, crate::demo::Scenario::Steady),
    )?;
    pipeline.stop_on_interrupt();
    super::announce_receivers(&specs, &engine, deadline);
    let opts = ScanOptions {
        text_mode: false,
        json: args.json,
        fail_on: args.fail_on.map(severity),
        ..ScanOptions::default()
    };
    let mut pending = std::collections::VecDeque::new();
    let mut failure = None;
    let mut rejected = 0u64;
    let records = std::iter::from_fn(|| loop {
        if let Some(r) = pending.pop_front() {
            return Some(r);
        }
        if pipeline.interrupted() || deadline.is_some_and(|d| Instant::now() >= d) {
            return None;
        }
        match pipeline.next(Duration::from_millis(100)) {
            Some(Update::Batch {
                records, rejects, ..
            }) => {
                rejected += rejects.len() as u64;
                pending.extend(records);
            }
            Some(Update::State {
                state: SourceState::Error(e),
                ..
            }) => {
                failure = Some(e);
                return None;
            }
            _ => {}
        }
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let summary = scan_records(det, records, &opts, &mut out)?;
    out.flush()?;
    pipeline.shutdown();
    if let Some(e) = failure {
        eprintln!("llmmon: {e}");
        return Ok(2);
    }
    let mut err = std::io::stderr().lock();
    summary.write_summary(&mut err)?;
    if rejected > 0 {
        writeln!(err, "  {rejected} item(s) could not be decoded")?;
    }
    Ok(summary.exit_code(opts.fail_on))
}
