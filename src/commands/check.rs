//! `llmmon check SOURCE... [--config F] [--baseline F] [--format F] [--since T] [--until T]
//! [--filter Q]`: every alert rule and budget over the input in one pass, for CI gates and
//! cron. Exit 0 when nothing fired, 1 on a warning, 2 on a critical, 3 on a usage or input
//! error.

use super::check_report::CheckReport;
use super::specs_with_otlp;
use crate::cli::{CheckArgs, OutputFormat};
use crate::config::Config;
use crate::engine::alerts::Transition;
use crate::engine::{Engine, EngineConfig};
use crate::gate::RecordGate;
use crate::notify::{self, NotifyConfig};
use crate::source::SourceSpec;
use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Calls `check` keeps at most, for ranking each alert's "why" when it fires.
const CHECK_MAX_CALLS: usize = 20_000;

/// Reads every source to its end (or until `deadline`) into a fresh engine, letting in what
/// `gate` admits (with a progress bar unless `quiet`). Fails on a source that cannot be
/// opened, a live-only source (WebSocket, demo, OTLP) without a deadline, or when a source
/// failed.
pub fn read_to_end(
    cfg: &Config,
    specs: &[SourceSpec],
    deadline: Option<Instant>,
    engine_cfg: EngineConfig,
    gate: &Arc<RecordGate>,
    quiet: bool,
) -> Result<Engine> {
    super::files_readable(specs)?;
    for spec in specs {
        match spec {
            SourceSpec::File(_) | SourceSpec::Stdin => {}
            other if deadline.is_none() => {
                bail!("{other} never ends; give --duration (e.g. --duration 60s)")
            }
            _ => {}
        }
    }
    let mut engine = Engine::new(engine_cfg);
    let progress = super::progress::Progress::start(specs, gate, quiet);
    super::read_until(
        cfg,
        specs,
        &mut engine,
        crate::demo::Scenario::Incident,
        deadline,
        Some(gate.clone()),
        true,
    )?;
    drop(progress);
    let failures = super::source_failures(&engine);
    if !failures.is_empty() {
        bail!("{}", failures.join("; "));
    }
    if let Some(now) = engine.now {
        engine.flush_alerts(now);
    }
    Ok(engine)
}

/// Runs the check and returns the exit code.
pub fn run(cfg: &Config, args: &CheckArgs) -> Result<i32> {
    if let Some(b) = &args.baseline {
        if let Err(e) = std::fs::metadata(b) {
            bail!("cannot read baseline {}: {e}", b.display());
        }
    }
    let mut engine_cfg = cfg.engine_config()?;
    // The store is for drill-down; a check needs the aggregates, and the calls of each
    // alert's window when it fires to rank its "why" (bounded: the newest calls only).
    engine_cfg.store.max_calls = engine_cfg.store.max_calls.min(CHECK_MAX_CALLS);
    let specs = specs_with_otlp(&args.sources, &args.otlp)?;
    let gate = super::range::gate(cfg, &args.select, &specs)?;
    let deadline = super::deadline(args.duration.as_deref())?;
    let mut engine = read_to_end(
        cfg,
        &specs,
        deadline,
        engine_cfg,
        &gate,
        args.select.range.quiet,
    )?;
    let events = engine.alerts.take_notifications();
    let alerts = &engine.alerts;
    let report = CheckReport::of(
        alerts,
        engine.windows.total.all.calls,
        gate.is_active().then(|| super::range::to_json(&gate)),
    );
    let code = report.exit_code;
    let format = args.format.get();
    let top = args.top.unwrap_or(usize::MAX);
    let range = super::range::describe(&gate);
    let range = range.as_deref().map(|r| (r, gate.skipped()));
    let text = match format {
        OutputFormat::Json => crate::present::json::to_string_pretty(&report)? + "\n",
        OutputFormat::Csv => super::format::check_csv(&report, top),
        OutputFormat::Markdown => super::format::check_markdown(&report, top, range),
        OutputFormat::Text => {
            let mut t = String::new();
            if let Some((what, skipped)) = range {
                t.push_str(&if engine.records == 0 {
                    format!("{}\n", super::range::nothing_in_range(&gate))
                } else {
                    format!(
                        "range {what}: {} records in range, {} skipped\n",
                        engine.records, skipped
                    )
                });
            }
            t + &to_text(&report, top)
        }
    };
    super::emit(
        &text,
        matches!(format, OutputFormat::Text | OutputFormat::Markdown),
    )?;
    if format != OutputFormat::Text && gate.is_active() && engine.records == 0 {
        crate::present::terminal::eprintln(format!(
            "llmmon: {}",
            super::range::nothing_in_range(&gate)
        ));
    }
    if !args.no_notify {
        notify(cfg, args, events, alerts.sink.dropped)?;
    }
    Ok(code)
}

/// Longest `check` waits for notifications to be delivered before it exits.
const NOTIFY_WAIT_CAP: Duration = Duration::from_secs(60);

/// Sends what fired (webhook, command, bell on a terminal's stderr) and waits, bounded,
/// for delivery so a cron job's POST really leaves; the outcome goes to stderr.
fn notify(cfg: &Config, args: &CheckArgs, events: Vec<Transition>, lost: u64) -> Result<()> {
    if cfg.tui.bell && std::io::stderr().is_terminal() && events.iter().any(notify::rings) {
        eprint!("\x07");
    }
    let mut sub = vec!["check"];
    if let Some(d) = &args.duration {
        sub.extend(["--duration", d.as_str()]);
    }
    let mut ncfg = NotifyConfig::from_config(cfg);
    ncfg.open = Some(notify::open_command(
        cfg.path.as_deref(),
        &sub,
        &args.sources,
    ));
    ncfg.report = notify::report_command(
        cfg.path.as_deref(),
        &args.sources,
        args.select.filter.as_deref(),
    );
    if let Some(stats) = notify::deliver_all(ncfg, events, NOTIFY_WAIT_CAP)? {
        stats
            .dropped
            .fetch_add(lost, std::sync::atomic::Ordering::Relaxed);
        let why = stats
            .last_error()
            .map(|e| format!(" (last error: {e})"))
            .unwrap_or_default();
        crate::present::terminal::eprintln(format!(
            "llmmon: notifications: {}{why}",
            stats.summary()
        ));
    }
    Ok(())
}

fn to_text(r: &CheckReport, top: usize) -> String {
    let mut s = String::new();
    for t in r.fired.iter().take(top) {
        s.push_str(&format!(
            "{}  {}\n",
            crate::model::record::format_time(t.at),
            t.describe()
        ));
        if let Some(why) = &t.why {
            // Values come from the data: one sanitised line.
            let line = crate::present::sanitize::line(&why.headline()).into_owned();
            s.push_str(&format!("  why: {line}\n"));
        }
    }
    for b in r.budgets.iter().take(top) {
        s.push_str(&format!(
            "budget {}: ${:.2} of ${:.2}{}\n",
            b.name,
            b.spent_usd,
            b.limit_usd,
            b.level
                .map(|l| format!(" ({})", l.as_str()))
                .unwrap_or_default()
        ));
    }
    for f in &r.forecasts {
        s.push_str(&format!("{f}\n"));
    }
    for u in &r.unavailable {
        s.push_str(&format!(
            "note: rule {u:?} had no data at the end of the input\n"
        ));
    }
    s.push_str(&format!(
        "{}: {} alert(s) fired over {} calls\n",
        r.result.to_uppercase(),
        r.fired.len(),
        r.calls
    ));
    s
}
