//! Thin binary: parse the command line, load config, dispatch to a subcommand.

use clap::{CommandFactory, Parser};
use llmmon::cli::{Cli, Command};
use llmmon::commands;
use llmmon::config::Config;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `check` promises exit 3 on a usage error (2 means "critical alert").
            let code = if e.use_stderr() && is_check() {
                3
            } else {
                e.exit_code()
            };
            let _ = e.print();
            return ExitCode::from(u8::try_from(code).unwrap_or(1));
        }
    };
    let input_error = if matches!(cli.command, Some(Command::Check(_))) {
        commands::check::INPUT_ERROR
    } else {
        1
    };
    match run(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("llmmon: {e:#}");
            ExitCode::from(u8::try_from(input_error).unwrap_or(1))
        }
    }
}

/// True when the first non-option argument is the `check` subcommand.
fn is_check() -> bool {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--config" {
            args.next();
        } else if !a.starts_with('-') {
            return a == "check";
        }
    }
    false
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let cfg = Config::load(cli.config.as_deref())?;
    match cli.command {
        Some(Command::Report(args)) => commands::report::run(&cfg, &args),
        Some(Command::Gen(args)) => commands::gen::run(&args),
        Some(Command::Baseline(args)) => commands::baseline::run(&cfg, &args),
        Some(Command::Scan(args)) => commands::scan::run(&cfg, &args),
        Some(Command::Watch(args)) => commands::watch::run(&cfg, &args),
        Some(Command::Demo(args)) => commands::watch::run_demo(&cfg, &args),
        Some(Command::Check(args)) => commands::check::run(&cfg, &args),
        Some(Command::Export(args)) => commands::export::run(&cfg, &args),
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
