//! Thin binary: parse the command line, load config, dispatch to a subcommand.

use clap::{CommandFactory, Parser};
use llmmon::cli::{Cli, Command};
use llmmon::commands;
use llmmon::config::Config;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes (the table in `llmmon --help` and the README, "Command line"): 0 fine, 1
/// findings or warnings, 2 critical, 3 usage or input error, whatever the subcommand.
fn main() -> ExitCode {
    let usage_error = ExitCode::from(u8::try_from(commands::USAGE_ERROR).unwrap_or(3));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version print to stdout and are not errors.
            return if e.use_stderr() {
                usage_error
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            llmmon::present::terminal::eprintln(format!("llmmon: {e:#}"));
            usage_error
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    if let Some(Command::Completions(args)) = &cli.command {
        return commands::completions::run(args);
    }
    let cfg = Config::load(cli.config.as_deref())?;
    match cli.command {
        Some(Command::Report(args)) => commands::report::run(&cfg, &args),
        Some(Command::Gen(args)) => commands::gen::run(&args),
        Some(Command::Judge(args)) => commands::judge::run(&cfg, &args),
        Some(Command::Baseline(args)) => commands::baseline::run(&cfg, &args),
        Some(Command::Scan(args)) => commands::scan::run(&cfg, &args),
        Some(Command::Watch(args)) => commands::watch::run(&cfg, &args),
        Some(Command::Demo(args)) => commands::watch::run_demo(&cfg, &args),
        Some(Command::Check(args)) => commands::check::run(&cfg, &args),
        Some(Command::Export(args)) => commands::export::run(&cfg, &args),
        Some(Command::Completions(args)) => commands::completions::run(&args),
        Some(Command::Prices(args)) => commands::prices::run(&cfg, &args),
        None if !cli.watch.sources.is_empty() => commands::watch::run(&cfg, &cli.watch),
        None => {
            let usage = Cli::command().render_usage();
            let text = format!(
                "{usage}\n\n\
                 Open the live view on a log:   llmmon app.jsonl   (or -, ws://..., demo)\n\
                 See it on built-in traffic:    llmmon demo\n\
                 Summarise a log:               llmmon report app.jsonl [--json]\n\n\
                 More: llmmon --help\n"
            );
            // A closed pipe (`llmmon | head`) is not an error worth a panic.
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
            Ok(0)
        }
    }
}
