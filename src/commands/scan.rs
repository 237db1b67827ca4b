//! `llmmon scan [FILE|-] [--text] [--json] [--fail-on LEVEL]`: the detectors over records
//! (any format llmmon decodes) or plain text lines, for CI and pre-commit hooks.
//! `--since`/`--until`/`--filter` narrow the records scanned (not plain text lines).
//! Exit codes: 0 clean (or below `--fail-on`), 1 findings at or above it, 3 unreadable
//! input or a usage error.

use super::detectors;
use crate::cli::{LevelArg, ScanArgs};
use crate::config::Config;
use crate::decode::Decoder;
use crate::engine::Engine;
use crate::enrich::safety::Detectors;
use crate::gate::RecordGate;
use crate::model::record::Severity;
use crate::pipeline::{Mode, Pipeline, Update};
use crate::scan::{scan_records, scan_text_lines, ScanOptions};
use crate::source::SourceSpec;
use crate::source::SourceState;
use anyhow::{bail, Result};
use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;

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
    let select = &args.select;
    if args.text
        && (select.range.since.is_some() || select.range.until.is_some() || select.filter.is_some())
    {
        bail!("--since, --until and --filter select records; plain --text lines have no fields");
    }
    let det = detectors(cfg)?;
    if args.otlp.otlp.is_some() {
        let specs = super::specs_with_otlp(&[], &args.otlp)?;
        let gate = super::range::gate(cfg, select, &specs)?;
        return scan_otlp(cfg, args, &det, &specs, &gate);
    }
    let spec = match args.input.as_deref() {
        None | Some("-") => SourceSpec::Stdin,
        Some(path) => SourceSpec::File(path.into()),
    };
    let gate = super::range::gate(cfg, select, std::slice::from_ref(&spec))?;
    let input: Box<dyn BufRead> = match &spec {
        SourceSpec::File(path) => match std::fs::File::open(path) {
            Ok(f) => Box::new(BufReader::with_capacity(
                1 << 20,
                super::progress::Counted::new(f, gate.clone()),
            )),
            Err(e) => bail!("cannot read {}: {e}", path.display()),
        },
        _ => Box::new(BufReader::new(std::io::stdin().lock())),
    };
    let progress =
        super::progress::Progress::start(std::slice::from_ref(&spec), &gate, select.range.quiet);
    let opts = ScanOptions {
        text_mode: args.text,
        json: args.json,
        fail_on: args.fail_on.map(severity),
        max_line_bytes: cfg.sources.max_line_bytes,
    };
    let mut out = output(args.json);
    let mut rejected = 0u64;
    let mut first_reject = None;
    let summary = if args.text {
        scan_text_lines(&det, input, &opts, &mut out)?
    } else {
        let mut dec = Decoder::with_formats(cfg.formats());
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
                buf.drain(..)
                    .filter(|r| gate.admit(r))
                    .map(move |r| (no, r))
                    .collect::<Vec<_>>()
            });
        let mut summary = scan_records(&det, records, &opts, &mut out)?;
        summary.oversize = oversize;
        summary
    };
    out.flush()?;
    drop(progress);
    let mut err = crate::present::terminal::Text::new(std::io::stderr().lock());
    summary.write_summary(&mut err)?;
    write_skipped(&mut err, &gate)?;
    if rejected > 0 {
        writeln!(
            err,
            "  {rejected} line(s) could not be decoded (first: {})",
            first_reject.unwrap_or_default()
        )?;
    }
    Ok(summary.exit_code(opts.fail_on))
}

/// "N records outside --since/--until/--filter skipped" on stderr, when a gate is set.
fn write_skipped(err: &mut impl Write, gate: &RecordGate) -> std::io::Result<()> {
    match super::range::describe(gate) {
        Some(what) if gate.seen() == gate.skipped() => {
            writeln!(err, "  {} ({what})", super::range::nothing_in_range(gate))
        }
        Some(what) => writeln!(
            err,
            "  {} records in range, {} skipped ({what})",
            gate.seen() - gate.skipped(),
            gate.skipped()
        ),
        None => Ok(()),
    }
}

/// `scan --otlp`: the detectors over calls as they arrive, until `--duration` or Ctrl-C.
/// Exit 3 when the receiver cannot listen.
fn scan_otlp(
    cfg: &Config,
    args: &ScanArgs,
    det: &Detectors,
    specs: &[SourceSpec],
    gate: &Arc<RecordGate>,
) -> Result<i32> {
    let deadline = super::deadline(args.duration.as_deref())?;
    let mut engine = Engine::new(cfg.engine_config()?);
    let (enricher, _) = super::enricher(cfg, false)?;
    let mut pipeline = Pipeline::start_gated(
        specs,
        &super::source_options(cfg, true, false)?,
        enricher,
        &mut engine,
        Mode::Owned,
        super::demo_spawner(7, 1.0, crate::demo::Scenario::Steady),
        crate::pipeline::Extras {
            gate: Some(gate.clone()),
            judge: None,
        },
    )?;
    pipeline.stop_on_interrupt();
    super::announce_receivers(specs, &engine, deadline);
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
        match pipeline.next_until(deadline)? {
            Update::Batch {
                records, rejects, ..
            } => {
                rejected += rejects.len() as u64;
                pending.extend(records);
            }
            Update::State {
                state: SourceState::Error(e),
                ..
            } => {
                failure = Some(e);
                return None;
            }
            _ => {}
        }
    });
    let mut out = output(args.json);
    let summary = scan_records(det, records, &opts, &mut out)?;
    out.flush()?;
    pipeline.shutdown();
    if let Some(e) = failure {
        crate::present::terminal::eprintln(format!("llmmon: {e}"));
        return Ok(super::USAGE_ERROR);
    }
    let mut err = crate::present::terminal::Text::new(std::io::stderr().lock());
    summary.write_summary(&mut err)?;
    write_skipped(&mut err, gate)?;
    if rejected > 0 {
        writeln!(err, "  {rejected} item(s) could not be decoded")?;
    }
    Ok(summary.exit_code(opts.fail_on))
}

/// Where findings go: JSON lines as written (their strings escape every control), text
/// through the terminal sanitiser.
fn output(json: bool) -> std::io::BufWriter<Box<dyn Write>> {
    let stdout = std::io::stdout().lock();
    let out: Box<dyn Write> = if json {
        Box::new(stdout)
    } else {
        Box::new(crate::present::terminal::Text::new(stdout))
    };
    std::io::BufWriter::new(out)
}
