//! `llmmon baseline SOURCE... -o baseline.json`: profiles a golden dataset so that `report
//! --baseline` (and the live Drift pane) can compare later traffic with it.

use super::parse_specs;
use crate::cli::BaselineArgs;
use crate::config::Config;
use crate::engine::drift::{DriftConfig, DriftState};
use crate::engine::Engine;
use crate::source::SourceSpec;
use anyhow::{bail, Context, Result};

/// Values sampled per numeric feature before the profile keeps 1,000 quantiles.
const BASELINE_SAMPLE: usize = 20_000;

/// Reads every source to its end and writes the profile. Exit code 0, or 1 when a source
/// could not be read.
pub fn run(cfg: &Config, args: &BaselineArgs) -> Result<i32> {
    let specs = parse_specs(&args.sources)?;
    super::files_readable(&specs)?;
    if specs.iter().any(|s| matches!(s, SourceSpec::Demo)) {
        bail!("a baseline needs sources that end: write demo traffic with `llmmon gen` first");
    }
    let gate = super::range::gate(cfg, &args.select, &specs)?;
    let mut engine_cfg = cfg.engine_config()?;
    engine_cfg.windows = Vec::new();
    engine_cfg.store.max_calls = 1000;
    let mut engine = Engine::new(engine_cfg);
    engine.drift = DriftState::profiling(DriftConfig {
        sample: BASELINE_SAMPLE,
        window_terms: args.terms.saturating_mul(25).max(20_000),
        profile_terms: args.terms,
        ..engine.drift.config().clone()
    });
    let progress = super::progress::Progress::start(&specs, &gate, args.select.range.quiet);
    super::read_until(
        cfg,
        &specs,
        &mut engine,
        crate::demo::Scenario::Steady,
        None,
        Some(gate.clone()),
        false,
    )?;
    drop(progress);
    if gate.is_active() {
        crate::present::terminal::eprintln(format!(
            "llmmon: {} records in range, {} skipped",
            engine.records,
            gate.skipped()
        ));
    }
    let failures = super::source_failures(&engine);
    for f in &failures {
        crate::present::terminal::eprintln(format!("llmmon: {f}"));
    }
    let failed = !failures.is_empty();
    let profile = engine.drift.current_profile(args.sources.clone());
    if profile.records == 0 {
        if gate.is_active() {
            bail!(
                "{}: no LLM calls to profile",
                super::range::nothing_in_range(&gate)
            );
        }
        bail!("no LLM calls in the sources: nothing to profile");
    }
    let json = serde_json::to_string_pretty(&profile)?;
    std::fs::write(&args.output, json + "\n")
        .with_context(|| format!("writing {}", args.output.display()))?;
    crate::present::terminal::eprintln(format!(
        "llmmon: baseline of {} LLM calls written to {}",
        profile.records,
        args.output.display()
    ));
    Ok(i32::from(failed))
}
