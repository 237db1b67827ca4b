//! `llmmon report SOURCE... [--json] [--window 5m] [--duration 30s]`.

use super::{enricher, source_options, specs_with_otlp};
use crate::cli::ReportArgs;
use crate::config::Config;
use crate::engine::{parse_duration, Engine, Scope};
use crate::pipeline::InlinePipeline;
use crate::source::SourceSpec;
use anyhow::{bail, Result};
use std::io::Write;

/// A one-shot summary needs no content for drill-down: the store keeps counts only.
const REPORT_MAX_CALLS: usize = 0;

/// Reads every source to its end (or `--duration`) and prints the summary. Exit code 0, or
/// 1 when a source could not be read.
pub fn run(cfg: &Config, args: &ReportArgs) -> Result<i32> {
    let specs = specs_with_otlp(&args.sources, &args.otlp)?;
    for spec in &specs {
        if let SourceSpec::File(p) = spec {
            if let Err(e) = std::fs::File::open(p) {
                bail!("cannot read {}: {e}", p.display());
            }
        }
    }
    let window = match &args.window {
        Some(w) => Some(
            parse_duration(w)
                .ok_or_else(|| anyhow::anyhow!("--window {w:?} is not a duration like 5m"))?,
        ),
        None => None,
    };
    let deadline = super::deadline(args.duration.as_deref())?;
    if deadline.is_none() && specs.iter().any(|s| matches!(s, SourceSpec::Demo)) {
        bail!("the demo source never ends: give --duration (e.g. --duration 10s)");
    }
    let mut engine_cfg = cfg.engine_config()?;
    engine_cfg.windows = window.into_iter().collect();
    engine_cfg.store.max_calls = REPORT_MAX_CALLS;
    let mut engine = Engine::new(engine_cfg);
    engine.drift = match &args.baseline {
        Some(path) => {
            let profile = crate::engine::drift::profile::Profile::load(path)?;
            crate::engine::drift::DriftState::with_baseline(
                crate::engine::drift::DriftConfig {
                    window_ns: None,
                    ..crate::engine::drift::DriftConfig::default()
                },
                profile,
            )
        }
        None => crate::engine::drift::DriftState::disabled(),
    };
    // Drift needs whole calls: a baseline keeps the detectors (and the owned path) on.
    let detect = !args.no_detectors || args.baseline.is_some();
    let (enricher, table) = enricher(cfg, detect)?;
    let opts = source_options(cfg, false, true)?;
    let mut pipeline = InlinePipeline::start(
        &specs,
        &opts,
        enricher,
        &mut engine,
        super::demo_spawner(7, f64::INFINITY, crate::demo::Scenario::Incident),
    )?;
    pipeline.stop_on_interrupt();
    super::announce_receivers(&specs, &engine, deadline);
    pipeline.drain_into(&mut engine, deadline);
    pipeline.shutdown();

    let scope = window.map_or(Scope::SinceStart, Scope::Window);
    let summary = engine.summary(scope);
    let failures = super::source_failures(&engine);
    if failures.len() < engine.sources.len() {
        let text = if args.json {
            with_drift(&engine, &summary, args.baseline.is_some())? + "\n"
        } else {
            let mut t = crate::report::to_text(&engine, &summary, args.top, &table.date);
            if args.baseline.is_some() {
                let d = engine.drift.report();
                t.push_str(&crate::engine::drift::report::to_text(
                    d.as_ref(),
                    &engine.drift.quality_report(),
                ));
            }
            t
        };
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(e.into());
            }
        }
    }
    for f in &failures {
        eprintln!("llmmon: {f}");
    }
    Ok(i32::from(!failures.is_empty()))
}

/// The summary JSON, with `drift` and `quality` added when a baseline was given.
fn with_drift(engine: &Engine, summary: &crate::engine::Summary, baseline: bool) -> Result<String> {
    if !baseline {
        return Ok(crate::report::to_json(summary, true)?);
    }
    let mut v = serde_json::to_value(summary)?;
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("drift".into(), serde_json::to_value(engine.drift.report())?);
        m.insert(
            "quality".into(),
            serde_json::to_value(engine.drift.quality_report())?,
        );
    }
    Ok(serde_json::to_string_pretty(&v)?)
}
