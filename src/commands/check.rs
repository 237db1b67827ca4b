//! `llmmon check SOURCE... [--config F] [--baseline F] [--json]`: every alert rule and
//! budget over the input in one pass, for CI gates and cron. Exit 0 when nothing fired, 1 on
//! a warning, 2 on a critical, 3 on a usage or input error.

use super::specs_with_otlp;
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::engine::alerts::{AlertStatus, Level, Transition};
use crate::engine::{Engine, EngineConfig};
use crate::source::SourceSpec;
use anyhow::{bail, Result};
use serde::Serialize;
use std::io::Write;
use std::time::Instant;

/// Exit code of a usage or input error.
pub const INPUT_ERROR: i32 = 3;

/// Reads every source to its end (or until `deadline`) into a fresh engine. Fails on a
/// source that cannot be opened, a live-only source (WebSocket, demo, OTLP) without a
/// deadline, or when a source failed.
pub fn read_to_end(
    cfg: &Config,
    specs: &[SourceSpec],
    deadline: Option<Instant>,
    engine_cfg: EngineConfig,
) -> Result<Engine> {
    for spec in specs {
        match spec {
            SourceSpec::File(p) => {
                if let Err(e) = std::fs::File::open(p) {
                    bail!("cannot read {}: {e}", p.display());
                }
            }
            SourceSpec::Stdin => {}
            other if deadline.is_none() => {
                bail!("{other} never ends; give --duration (e.g. --duration 60s)")
            }
            _ => {}
        }
    }
    let mut engine = Engine::new(engine_cfg);
    super::read_until(
        cfg,
        specs,
        &mut engine,
        crate::demo::Scenario::Incident,
        deadline,
    )?;
    let failures = super::source_failures(&engine);
    if !failures.is_empty() {
        bail!("{}", failures.join("; "));
    }
    if let Some(now) = engine.now {
        engine.alerts.flush(now);
    }
    Ok(engine)
}

/// What `check --json` prints.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    /// `ok`, `warn` or `crit`.
    pub result: &'static str,
    pub exit_code: i32,
    pub calls: u64,
    /// Every transition to firing (including level changes), in event time.
    pub fired: Vec<&'a Transition>,
    /// State of each rule at the end of the input.
    pub rules: Vec<RuleEnd>,
    pub budgets: Vec<crate::engine::budgets::BudgetLine>,
    pub forecasts: Vec<String>,
    /// Rules whose metric the engine does not compute yet (always "no data").
    pub unavailable: Vec<String>,
}

/// A rule's state at the end of the input.
#[derive(Debug, Serialize)]
pub struct RuleEnd {
    pub name: String,
    pub metric: String,
    pub status: AlertStatus,
    pub level: Option<Level>,
    pub value: Option<f64>,
}

/// Runs the check and returns the exit code.
pub fn run(cfg: &Config, args: &CheckArgs) -> Result<i32> {
    if let Some(b) = &args.baseline {
        if let Err(e) = std::fs::metadata(b) {
            bail!("cannot read baseline {}: {e}", b.display());
        }
    }
    let mut engine_cfg = cfg.engine_config()?;
    // The store is for drill-down; a check needs only the aggregates.
    engine_cfg.store.max_calls = 1000;
    let specs = specs_with_otlp(&args.sources, &args.otlp)?;
    let deadline = super::deadline(args.duration.as_deref())?;
    let engine = read_to_end(cfg, &specs, deadline, engine_cfg)?;
    let alerts = &engine.alerts;
    let fired: Vec<&Transition> = alerts
        .history()
        .iter()
        .filter(|t| t.to == AlertStatus::Firing && !t.renotify)
        .collect();
    let worst = alerts.sink.worst;
    let code = match worst {
        None => 0,
        Some(Level::Warn) => 1,
        Some(Level::Crit) => 2,
    };
    let report = CheckReport {
        result: worst.map_or("ok", Level::as_str),
        exit_code: code,
        calls: engine.windows.total.all.calls,
        fired,
        rules: alerts
            .rules
            .iter()
            .map(|r| RuleEnd {
                name: r.rule.name.clone(),
                metric: r.rule.metric.to_string(),
                status: r.status(),
                level: r.level(),
                value: r.last_value,
            })
            .collect(),
        budgets: alerts.budgets.lines(),
        forecasts: alerts
            .budgets
            .forecasts()
            .iter()
            .map(|f| f.describe())
            .collect(),
        unavailable: alerts
            .rules
            .iter()
            .filter(|r| r.rule.metric.is_unavailable())
            .map(|r| r.rule.name.clone())
            .collect(),
    };
    let text = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        to_text(&report)
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    Ok(code)
}

fn to_text(r: &CheckReport) -> String {
    let mut s = String::new();
    for t in &r.fired {
        s.push_str(&format!(
            "{}  {}\n",
            crate::record::format_time(t.at),
            t.describe()
        ));
    }
    for b in &r.budgets {
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
            "note: rule {u:?} has no data (metric not computed yet)\n"
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
