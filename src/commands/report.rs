//! `llmmon report SOURCE... [--format text|json|csv|markdown] [--since T] [--until T]
//! [--filter Q] [--window 5m] [--duration 30s]`.

use super::{enricher, source_options, specs_with_otlp};
use crate::cli::{OutputFormat, ReportArgs};
use crate::config::Config;
use crate::engine::{parse_duration, Engine, Scope};
use crate::gate::RecordGate;
use crate::pipeline::{Mode, Pipeline};
use crate::source::SourceSpec;
use anyhow::{bail, Result};

/// A one-shot summary needs no content for drill-down: the store keeps counts only.
const REPORT_MAX_CALLS: usize = 0;

/// Groups per table in text and Markdown when `--top` is not given (JSON and CSV: all).
const DEFAULT_TOP: usize = 10;

/// Reads every source to its end (or `--duration`) and prints the summary. Exit code 0, 1
/// when a source failed part-way, 3 when no source could be read.
pub fn run(cfg: &Config, args: &ReportArgs) -> Result<i32> {
    if let Some(lines) = args.explain {
        return super::explain::run(cfg, &args.sources, lines);
    }
    let specs = specs_with_otlp(&args.sources, &args.otlp)?;
    super::files_readable(&specs)?;
    let window = match &args.window {
        Some(w) => Some(
            parse_duration(w)
                .ok_or_else(|| anyhow::anyhow!("--window {w:?} is not a duration like 5m"))?,
        ),
        None => None,
    };
    let gate = super::range::gate(cfg, &args.select, &specs)?;
    let deadline = super::deadline(args.duration.as_deref())?;
    if deadline.is_none() && specs.iter().any(|s| matches!(s, SourceSpec::Demo)) {
        bail!("the demo source never ends: give --duration (e.g. --duration 10s)");
    }
    let mut engine_cfg = cfg.engine_config()?;
    engine_cfg.windows = window.into_iter().collect();
    // A judge's verdicts join their calls in the store (for the judged model); without
    // one the report keeps no calls.
    if !cfg.judge.active() {
        engine_cfg.store.max_calls = REPORT_MAX_CALLS;
    }
    let mut engine = Engine::new(engine_cfg);
    engine.drift = match &args.baseline {
        Some(path) => {
            let profile = crate::engine::drift::profile::Profile::load(path)?;
            crate::engine::drift::DriftState::with_baseline(
                crate::engine::drift::DriftConfig {
                    window_ns: None,
                    ..engine.drift.config().clone()
                },
                profile,
            )
        }
        None => crate::engine::drift::DriftState::disabled(engine.drift.config().clone()),
    };
    // Drift needs whole calls: a baseline keeps the detectors (and the owned path) on.
    let detect = !args.no_detectors || args.baseline.is_some();
    let (enricher, table) = enricher(cfg, detect)?;
    let opts = source_options(cfg, false, true)?;
    let mut pipeline = Pipeline::start_gated(
        &specs,
        &opts,
        enricher,
        &mut engine,
        Mode::Facts,
        super::demo_spawner(7, f64::INFINITY, crate::demo::Scenario::Incident),
        crate::pipeline::Extras {
            gate: Some(gate.clone()),
            judge: super::judge_setup(cfg, &table, None)?,
        },
    )?;
    pipeline.stop_on_interrupt();
    super::announce_receivers(&specs, &engine, deadline);
    let progress = super::progress::Progress::start(&specs, &gate, args.select.range.quiet);
    pipeline.drain_into(&mut engine, deadline);
    drop(progress);
    let judge_run = pipeline.judge().map(|(stats, cfg)| stats.snapshot(&cfg));
    pipeline.shutdown();

    let scope = window.map_or(Scope::SinceStart, Scope::Window);
    let mut summary = engine.summary(scope);
    let failures = super::source_failures(&engine);
    let format = args.format.get();
    let top = args.top.unwrap_or(match format {
        OutputFormat::Text | OutputFormat::Markdown => DEFAULT_TOP,
        OutputFormat::Json | OutputFormat::Csv => usize::MAX,
    });
    if failures.len() < engine.sources.len() {
        let range = super::range::describe(&gate);
        let range = range.as_deref().map(|r| (r, gate.skipped()));
        let text = match format {
            OutputFormat::Json => {
                if args.top.is_some() {
                    super::format::keep_top(&mut summary, top);
                }
                with_drift(
                    &engine,
                    &summary,
                    args.baseline.is_some(),
                    &gate,
                    judge_run.as_ref(),
                )? + "\n"
            }
            OutputFormat::Csv => super::format::report_csv(&summary, top),
            OutputFormat::Markdown => super::format::report_markdown(&summary, top, range),
            OutputFormat::Text if gate.is_active() && engine.records == 0 => {
                format!("{}\n", super::range::nothing_in_range(&gate))
            }
            OutputFormat::Text => {
                let mut t = String::new();
                if let Some((what, skipped)) = range {
                    t.push_str(&format!(
                        "range   {what}: {} records in range, {} skipped\n",
                        crate::present::format::count(engine.records),
                        crate::present::format::count(skipped)
                    ));
                }
                t.push_str(&crate::report::to_text(&engine, &summary, top, &table.date));
                if let Some(run) = &judge_run {
                    t.push_str(&crate::present::sanitize::line(&run.line()));
                    t.push('\n');
                }
                if args.baseline.is_some() {
                    let d = engine.drift.report();
                    t.push_str(&crate::engine::drift::report::to_text(
                        d.as_ref(),
                        &engine.drift.quality_report(),
                    ));
                } else if engine.verdicts > 0 {
                    t.push_str("\nquality: LLM judge verdicts\n");
                    t.push_str(&crate::engine::drift::report::judge_text(
                        &engine.drift.quality.judge_report(),
                    ));
                }
                t
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
    }
    for f in &failures {
        crate::present::terminal::eprintln(format!("llmmon: {f}"));
    }
    Ok(if failures.is_empty() {
        0
    } else if failures.len() < engine.sources.len() {
        1
    } else {
        super::USAGE_ERROR
    })
}

/// The summary JSON, with `range` (when `--since`, `--until` or `--filter` was given),
/// with a baseline `drift` and `quality` added, without one `quality.judge` when the
/// input held LLM judge verdicts (the other quality signals need a baseline's whole calls),
/// and the judge's counters under `quality.judge.run` when it ran.
fn with_drift(
    engine: &Engine,
    summary: &crate::engine::Summary,
    baseline: bool,
    gate: &RecordGate,
    judge: Option<&crate::judge::JudgeRun>,
) -> Result<String> {
    let judged = engine.verdicts > 0;
    if !baseline && !gate.is_active() && !judged && judge.is_none() {
        return Ok(crate::report::to_json(summary, true)?);
    }
    let mut v = serde_json::to_value(summary)?;
    if let serde_json::Value::Object(m) = &mut v {
        if gate.is_active() {
            m.insert("range".into(), super::range::to_json(gate));
        }
        if baseline {
            m.insert("drift".into(), serde_json::to_value(engine.drift.report())?);
            m.insert(
                "quality".into(),
                serde_json::to_value(engine.drift.quality_report())?,
            );
        } else if judged {
            m.insert(
                "quality".into(),
                serde_json::json!({ "judge": engine.drift.quality.judge_report() }),
            );
        }
        if let Some(run) = judge {
            let quality = m.entry("quality").or_insert_with(|| serde_json::json!({}));
            if let serde_json::Value::Object(q) = quality {
                let j = q.entry("judge").or_insert_with(|| serde_json::json!({}));
                if let serde_json::Value::Object(j) = j {
                    j.insert("run".into(), serde_json::to_value(run)?);
                }
            }
        }
    }
    Ok(crate::present::json::to_string_pretty(&v)?)
}
