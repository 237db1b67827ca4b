//! `llmmon judge FILE…`: the live judge run offline over logged calls with the same
//! `[judge]` configuration. The verdicts go to `--out` as feedback records (which `report`,
//! `check` and the TUI read back beside the log), and the figures the engine computed from
//! them (mean per criterion and model, hallucination rate, the judge's own counters) are
//! printed.

use crate::cli::JudgeArgs;
use crate::config::Config;
use crate::engine::drift::{DriftConfig, DriftState};
use crate::engine::Engine;
use crate::pipeline::{Mode, Pipeline};
use crate::source::SourceSpec;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Judges every file to its end and prints the figures. Exit code 0, 1 when a file could
/// not be read or some verdicts could not be had.
pub fn run(cfg: &Config, args: &JudgeArgs) -> Result<i32> {
    let specs = super::parse_specs(&args.files)?;
    super::files_readable(&specs)?;
    if let Some(other) = specs
        .iter()
        .find(|s| !matches!(s, SourceSpec::File(_) | SourceSpec::Stdin))
    {
        bail!("llmmon judge reads logs that end (files or -), not {other}");
    }
    let mut section = cfg.judge.clone();
    if !section.active() {
        bail!(
            "llmmon judge needs a [judge] section with `endpoint` and `model` in the config \
             (see llmmon.toml.example)"
        );
    }
    section.enabled = Some(true);
    if let Some(s) = args.sample {
        section.sample = s;
    }
    let (enricher, table) = super::enricher(cfg, true)?;
    let Some(judge) = section.build(&table)? else {
        bail!("the [judge] section is switched off (enabled = false)");
    };
    let tee: Option<crate::judge::Tee> = match &args.out {
        Some(p) => {
            let f = std::fs::File::create(p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            Some(Arc::new(Mutex::new(Box::new(std::io::BufWriter::new(f)))))
        }
        None => None,
    };
    let mut engine_cfg = cfg.engine_config()?;
    engine_cfg.windows = Vec::new();
    let mut engine = Engine::new(engine_cfg);
    engine.drift = DriftState::new(DriftConfig {
        window_ns: None,
        ..engine.drift.config().clone()
    });
    let opts = super::source_options(cfg, false, true)?;
    let mut pipeline = Pipeline::start_gated(
        &specs,
        &opts,
        enricher,
        &mut engine,
        Mode::Owned,
        super::demo_spawner(7, f64::INFINITY, crate::demo::Scenario::Incident),
        crate::pipeline::Extras {
            gate: None,
            judge: Some(crate::judge::JudgeSetup {
                cfg: Arc::new(judge),
                tee: tee.clone(),
                wait: true,
            }),
        },
    )?;
    pipeline.stop_on_interrupt();
    pipeline.drain_into(&mut engine, None);
    let run = pipeline.judge().map(|(stats, c)| stats.snapshot(&c));
    pipeline.shutdown();
    if let Some(t) = &tee {
        if let Ok(mut w) = t.lock() {
            w.flush().context("writing the verdicts")?;
        }
    }
    let failures = super::source_failures(&engine);
    let quality = serde_json::to_value(engine.drift.quality_report())?;
    let figures = quality.get("judge").cloned().unwrap_or_default();
    let text = if args.json {
        let mut v = serde_json::json!({ "judge": figures, "run": run });
        if let Some(p) = &args.out {
            v["verdicts"] = serde_json::Value::String(p.display().to_string());
        }
        crate::present::json::to_string_pretty(&v)? + "\n"
    } else {
        figures_text(&figures, run.as_ref(), args.out.as_deref())
    };
    super::emit(&text, !args.json)?;
    for f in &failures {
        crate::present::terminal::eprintln(format!("llmmon: {f}"));
    }
    let gave_up = run.as_ref().is_some_and(|r| r.failed + r.unfinished > 0);
    Ok(if failures.is_empty() && !gave_up {
        0
    } else {
        1
    })
}

/// The figures as text: one line per criterion, the hallucination rate, the counters.
fn figures_text(
    figures: &serde_json::Value,
    run: Option<&crate::judge::JudgeRun>,
    out: Option<&std::path::Path>,
) -> String {
    let mut t = String::new();
    // This judge's verdicts alone: the log's own scores (`scores` on its calls) are left out.
    let criteria = figures.get("verdicts");
    if let Some(serde_json::Value::Object(m)) = criteria {
        for (name, v) in m {
            let (Some(mean), Some(n)) = (
                v.get("mean").and_then(serde_json::Value::as_f64),
                v.get("count").and_then(serde_json::Value::as_u64),
            ) else {
                continue;
            };
            t.push_str(&format!("{name:<16} mean {mean:.2} over {n} verdicts\n"));
        }
    }
    if let Some(rate) = figures
        .get("hallucination_rate")
        .and_then(serde_json::Value::as_f64)
    {
        let h = figures.get("hallucination");
        let get = |k: &str| {
            h.and_then(|h| h.get(k))
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
        };
        t.push_str(&format!(
            "hallucination    {:.1}% ({} of {} grounded answers below the threshold)\n",
            rate * 100.0,
            get("below"),
            get("judged")
        ));
    }
    if let Some(r) = run {
        t.push_str(&r.line());
        t.push('\n');
        if let Some(e) = &r.last_error {
            t.push_str(&format!("last error: {e}\n"));
        }
    }
    if let Some(p) = out {
        t.push_str(&format!("verdicts written to {}\n", p.display()));
    }
    t
}
