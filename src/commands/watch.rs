//! `llmmon [watch] SOURCE...` and `llmmon demo`: the live TUI on sources or on the built-in
//! generator. Wires config (theme, keys, mouse, fps), the pipeline and the engine, then
//! hands them to the event loop.

use super::{enricher, source_options, specs_with_otlp};
use crate::cli::{DemoArgs, WatchArgs};
use crate::config::Config;
use crate::engine::Engine;
use crate::notify::{Notifier, NotifyConfig};
use crate::pipeline::{ExtraSpawner, Mode, Pipeline};
use crate::source::SourceSpec;
use crate::tui::app::App;
use crate::tui::keymap::{KeyList, KeyOverrides, Keymap};
use crate::tui::theme::{Theme, ThemeName};
use anyhow::{bail, Context, Result};
use std::io::IsTerminal;

/// Longest the TUI waits, after quitting, for queued notifications to be delivered.
const QUIT_NOTIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The effective keymap: defaults patched by `[tui.keys]`.
pub fn keymap(cfg: &Config) -> Result<Keymap> {
    let mut overrides = KeyOverrides::new();
    for (name, value) in &cfg.tui.keys {
        let list: KeyList = value.clone().try_into().map_err(|e| {
            anyhow::anyhow!("[tui.keys] {name}: expected a key string or a list of them ({e})")
        })?;
        overrides.insert(name.clone(), list);
    }
    Keymap::with_overrides(&overrides).context("[tui.keys]")
}

/// The theme: `--theme`, else `[tui] theme`; `NO_COLOR` forces mono.
pub fn theme(cfg: &Config, flag: Option<&str>) -> Result<Theme> {
    let name: ThemeName = flag
        .unwrap_or(&cfg.tui.theme)
        .parse()
        .map_err(|e: String| anyhow::anyhow!("theme: {e}"))?;
    Ok(Theme::from_env(Some(name)))
}

/// Opens the TUI on the given sources. Exit code 0 on a normal quit.
pub fn run(cfg: &Config, args: &WatchArgs) -> Result<i32> {
    let specs = specs_with_otlp(&args.sources, &args.otlp)?;
    // A file that does not exist yet is waited for (`tail -F`); one that exists but cannot
    // be read is an error now, not a silent empty pane.
    for spec in &specs {
        if let SourceSpec::File(p) = spec {
            if let (true, Err(e)) = (p.exists(), std::fs::File::open(p)) {
                bail!("cannot read {}: {e}", p.display());
            }
        }
    }
    let has_stdin = specs.iter().any(|s| matches!(s, SourceSpec::Stdin));
    if has_stdin && std::io::stdin().is_terminal() {
        bail!("`-` reads records from stdin, but stdin is a terminal: pipe a log into llmmon");
    }
    let demo = if specs.iter().any(|s| matches!(s, SourceSpec::Demo)) {
        Some(demo_spawner(7, 1.0, crate::cli::ScenarioArg::Incident))
    } else {
        None
    };
    let mut sub = vec!["watch"];
    if args.from_start {
        sub.push("--from-start");
    }
    let mut all = args.sources.clone();
    all.extend(args.otlp.source());
    let open = crate::notify::open_command(cfg.path.as_deref(), &sub, &all);
    let report = crate::notify::report_command(cfg.path.as_deref(), &all, None);
    live(
        cfg,
        &specs,
        args.from_start,
        args.theme.as_deref(),
        demo,
        open,
        report,
    )
}

/// Opens the TUI on the built-in generator at `--speed`.
pub fn run_demo(cfg: &Config, args: &DemoArgs) -> Result<i32> {
    if !(args.speed.is_finite() && args.speed > 0.0) {
        bail!("--speed must be a positive number, e.g. 2");
    }
    let spawner = demo_spawner(args.seed, args.speed, args.scenario);
    let (seed, speed) = (args.seed.to_string(), args.speed.to_string());
    let scenario = match args.scenario {
        crate::cli::ScenarioArg::Steady => "steady",
        crate::cli::ScenarioArg::Incident => "incident",
    };
    let sub = [
        "demo",
        "--seed",
        &seed,
        "--speed",
        &speed,
        "--scenario",
        scenario,
    ];
    let open = crate::notify::open_command(cfg.path.as_deref(), &sub, &[]);
    live(
        cfg,
        &[SourceSpec::Demo],
        true,
        args.theme.as_deref(),
        Some(spawner),
        open,
        None,
    )
}

type Spawner = Box<dyn FnMut() -> ExtraSpawner>;

/// The built-in generator for `demo` sources, in real time at `speed`.
fn demo_spawner(seed: u64, speed: f64, scenario: crate::cli::ScenarioArg) -> Spawner {
    Box::new(super::demo_spawner(seed, speed, super::scenario(scenario)))
}

fn live(
    cfg: &Config,
    specs: &[SourceSpec],
    from_start: bool,
    theme_flag: Option<&str>,
    demo: Option<Spawner>,
    open: String,
    report: Option<crate::notify::ReportCommand>,
) -> Result<i32> {
    if !std::io::stdout().is_terminal() {
        bail!("the live view needs a terminal; use `llmmon report` for text or JSON output");
    }
    let keymap = keymap(cfg)?;
    let theme = theme(cfg, theme_flag)?;
    let mut engine_cfg = cfg.engine_config()?;
    engine_cfg.wall_clock = Some(crate::engine::future::system_now);
    let windows = engine_cfg.windows.clone();
    let mut ncfg = NotifyConfig::from_config(cfg);
    ncfg.open = Some(open);
    ncfg.report = report;
    let notifier = Notifier::start(ncfg)?;
    let mut engine = Engine::new(engine_cfg);
    let (enricher, table) = enricher(cfg, true)?;
    let opts = source_options(cfg, true, from_start)?;
    let mut demo = demo;
    let mut pipeline = Pipeline::start(
        specs,
        &opts,
        enricher,
        &mut engine,
        Mode::Owned,
        || match demo.as_mut() {
            Some(d) => d(),
            None => Box::new(|_, _| tokio::spawn(async {})),
        },
        super::judge_setup(cfg, &table, None)?,
    )?;
    let mut app = App::new(keymap, theme, windows);
    app.mouse = cfg.tui.mouse;
    app.from_start = from_start;
    if from_start {
        app.load_sizes = specs
            .iter()
            .map(|s| match s {
                SourceSpec::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                _ => None,
            })
            .collect();
    }
    app.price_date = Some(table.date.clone());
    app.annotations = super::annotations(cfg, None)?;
    if notifier.active() {
        app.notify = Some(notifier.stats.clone());
    }
    app.judge = pipeline.judge();
    let result = crate::tui::run::run(&mut app, &mut engine, &mut pipeline, &notifier, cfg.tui.fps);
    pipeline.shutdown();
    // Give notifications queued just before quitting a moment to leave.
    notifier.shutdown(std::time::Instant::now() + QUIT_NOTIFY_WAIT);
    result?;
    Ok(0)
}
