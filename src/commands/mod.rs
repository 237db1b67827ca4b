//! The binary's edge: each subcommand wires config, sources, pipeline, engine and a view
//! together and returns the process exit code. Errors here are `anyhow` with context.

pub mod baseline;
pub mod check;
pub mod check_report;
pub mod completions;
pub mod explain;
pub mod export;
pub mod format;
pub mod gen;
pub mod judge;
pub mod prices;
pub mod progress;
pub mod range;
pub mod report;
pub mod scan;
pub mod watch;

use crate::annotations::Annotations;
use crate::config::Config;
use crate::enrich::pricing::{PriceTable, Pricer};
use crate::enrich::safety::Detectors;
use crate::enrich::Enricher;
use crate::gate::RecordGate;
use crate::source::{SourceOptions, SourceSpec};
use anyhow::{Context, Result};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// Exit code of a usage or input error, for every subcommand (see [`crate::cli::EXIT_CODES`]).
pub const USAGE_ERROR: i32 = 3;

/// Writes a command's output to stdout. Text meant for people (`terminal_safe`: text and
/// Markdown always, CSV when stdout is a terminal) goes through the terminal sanitiser, so
/// an escape sequence in a model or user name cannot reach the terminal. A closed pipe
/// (`llmmon report | head`) is not an error.
pub fn emit(text: &str, terminal_safe: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let text = if terminal_safe || out.is_terminal() {
        crate::present::terminal::text(text)
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Parses source strings, failing on the first bad one with its reason.
pub fn parse_specs(sources: &[String]) -> Result<Vec<SourceSpec>> {
    sources
        .iter()
        .map(|s| s.parse::<SourceSpec>().map_err(anyhow::Error::from))
        .collect()
}

/// Fails on the first file source that cannot be opened, before a headless command starts
/// reading, so a typo is one clear error instead of a failed source in the output.
pub fn files_readable(specs: &[SourceSpec]) -> Result<()> {
    for spec in specs {
        if let SourceSpec::File(p) = spec {
            if let Err(e) = std::fs::File::open(p) {
                anyhow::bail!("cannot read {}: {e}", p.display());
            }
        }
    }
    Ok(())
}

/// The review labels and marks: the file at `explicit`, else the configured one, else none
/// kept (in memory). A file with unreadable lines says so once, on stderr.
pub fn annotations(cfg: &Config, explicit: Option<PathBuf>) -> Result<Annotations> {
    let ann = match explicit.or_else(|| cfg.annotations_path()) {
        Some(p) => Annotations::open(&p)?,
        None => Annotations::in_memory(),
    };
    if let Some(w) = ann.warning() {
        crate::present::terminal::eprintln(format!("llmmon: {w}"));
    }
    Ok(ann)
}

/// The sources named on the command line, with the one `--otlp` stands for last.
pub fn specs_with_otlp(sources: &[String], otlp: &crate::cli::OtlpArgs) -> Result<Vec<SourceSpec>> {
    for s in sources {
        if crate::source::listen_addr(s).is_some() && !std::path::Path::new(s).exists() {
            anyhow::bail!(
                "{s} is not a file; to receive OTLP there write --otlp={s} or otlp://{s}"
            );
        }
    }
    let mut all = sources.to_vec();
    all.extend(otlp.source());
    parse_specs(&all)
}

/// Tells a headless user where OTLP receivers listen and when the summary comes. Call it
/// after the pipeline started: receivers that could not bind are not announced.
pub fn announce_receivers(
    specs: &[SourceSpec],
    engine: &crate::engine::Engine,
    deadline: Option<std::time::Instant>,
) {
    for (i, spec) in specs.iter().enumerate() {
        let failed = engine
            .sources
            .get(i)
            .is_some_and(|s| matches!(s.state, crate::source::SourceState::Error(_)));
        if failed {
            continue;
        }
        if let SourceSpec::Otlp { http, grpc } = spec {
            let grpc = grpc
                .as_ref()
                .map_or(String::new(), |g| format!(", OTLP/gRPC on {g}"));
            let until = match deadline {
                Some(d) => format!(
                    "for {:.0}s",
                    d.saturating_duration_since(std::time::Instant::now())
                        .as_secs_f64()
                ),
                None => "until Ctrl-C".into(),
            };
            crate::present::terminal::eprintln(format!(
                "llmmon: receiving OTLP/HTTP on {http}{grpc} {until}"
            ));
        }
    }
}

/// `--duration` as a deadline from now.
pub fn deadline(duration: Option<&str>) -> Result<Option<std::time::Instant>> {
    let Some(d) = duration else {
        return Ok(None);
    };
    let ns = crate::engine::parse_duration(d)
        .filter(|ns| *ns > 0)
        .ok_or_else(|| anyhow::anyhow!("--duration {d:?} is not a duration like 30s"))?;
    Ok(Some(
        std::time::Instant::now() + std::time::Duration::from_nanos(ns.unsigned_abs()),
    ))
}

/// Source options from config and the environment (tokens never come from argv).
pub fn source_options(cfg: &Config, follow: bool, from_start: bool) -> Result<SourceOptions> {
    Ok(SourceOptions {
        follow,
        from_start,
        reconnect: follow,
        max_line_bytes: cfg.sources.max_line_bytes,
        poll_interval: std::time::Duration::from_millis(cfg.sources.poll_ms.max(10)),
        ws_headers: cfg
            .websocket
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ws_token: cfg.ws_token(),
        otlp: cfg.otlp_options()?,
        formats: cfg.formats(),
        ..SourceOptions::default()
    })
}

/// The safety detectors as configured.
pub fn detectors(cfg: &Config) -> Result<Arc<Detectors>> {
    Ok(Arc::new(
        Detectors::new(&cfg.safety).context("building the safety detectors")?,
    ))
}

/// The enrich stage as configured: price table (built-in or replaced, with overrides) and,
/// when `detect`, the safety detectors.
pub fn enricher(cfg: &Config, detect: bool) -> Result<(Enricher, Arc<PriceTable>)> {
    let table = Arc::new(cfg.price_table().context("loading the price table")?);
    let det = if detect { Some(detectors(cfg)?) } else { None };
    Ok((Enricher::new(Pricer::new(table.clone()), det), table))
}

/// Starts the built-in generator for `demo` sources on the pipeline's runtime.
pub fn demo_spawner(
    seed: u64,
    speed: f64,
    scenario: crate::demo::Scenario,
) -> impl FnMut() -> crate::pipeline::ExtraSpawner {
    move || {
        let opts = crate::demo::DemoOptions {
            speed,
            seed,
            scenario,
            ..crate::demo::DemoOptions::default()
        };
        Box::new(move |id, tx| crate::demo::spawn_demo(id, opts, tx))
    }
}

/// The generator scenario named on the command line.
pub fn scenario(s: crate::cli::ScenarioArg) -> crate::demo::Scenario {
    match s {
        crate::cli::ScenarioArg::Steady => crate::demo::Scenario::Steady,
        crate::cli::ScenarioArg::Incident => crate::demo::Scenario::Incident,
    }
}

/// Reads every source into `engine` through the threaded pipeline, the way the headless
/// commands that need whole calls (`check`, `baseline`, `export`) do, until the sources end,
/// `deadline` passes or Ctrl-C / SIGTERM arrives; only what `gate` admits reaches the
/// engine. A `demo` source plays `scenario` as fast as it can. Returns the price table used.
pub fn read_until(
    cfg: &Config,
    specs: &[SourceSpec],
    engine: &mut crate::engine::Engine,
    scenario: crate::demo::Scenario,
    deadline: Option<std::time::Instant>,
    gate: Option<Arc<RecordGate>>,
    judge: bool,
) -> Result<(Arc<PriceTable>, Option<crate::judge::JudgeRun>)> {
    let (enricher, table) = enricher(cfg, true)?;
    let opts = source_options(cfg, false, true)?;
    let judge = if judge {
        judge_setup(cfg, &table, None)?
    } else {
        None
    };
    let mut pipeline = crate::pipeline::Pipeline::start_gated(
        specs,
        &opts,
        enricher,
        engine,
        crate::pipeline::Mode::Owned,
        demo_spawner(7, f64::INFINITY, scenario),
        crate::pipeline::Extras { gate, judge },
    )?;
    // Only now that every receiver is bound: a port in use must not be announced first.
    announce_receivers(specs, engine, deadline);
    pipeline.stop_on_interrupt();
    pipeline.drain_into(engine, deadline);
    let run = pipeline.judge().map(|(stats, cfg)| stats.snapshot(&cfg));
    pipeline.shutdown();
    Ok((table, run))
}

/// The judge `[judge]` describes, priced from `table`, ready for the pipeline; `tee` also
/// receives every verdict record. `None` when the section leaves it off.
pub fn judge_setup(
    cfg: &Config,
    table: &PriceTable,
    tee: Option<crate::judge::Tee>,
) -> Result<Option<crate::judge::JudgeSetup>> {
    Ok(cfg.judge.build(table)?.map(|c| crate::judge::JudgeSetup {
        cfg: Arc::new(c),
        tee,
        wait: true,
    }))
}

/// One line per source that ended in error: `id: cause`.
pub fn source_failures(engine: &crate::engine::Engine) -> Vec<String> {
    engine
        .sources
        .iter()
        .filter_map(|s| match &s.state {
            crate::source::SourceState::Error(e) => Some(format!("{}: {e}", s.id)),
            _ => None,
        })
        .collect()
}
