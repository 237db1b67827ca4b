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
        Some(Command::Check(args)) => commands::check::run(&cfg, &args),
        Some(Command::Export(args)) => commands::export::run(&cfg, &args),
        Some(_) => anyhow::bail!("TEMP"),
        None if cli.watch.sources.is_empty() => {
            let mut cmd = Cli::command();
            println!("{}", cmd.render_usage());
            println!();
            println!("Open the live view on a log:   llmmon app.jsonl   (or -, ws://..., demo)");
            println!("See it on built-in traffic:    llmmon demo");
            println!("Summarise a log:               llmmon report app.jsonl [--json]");
            println!();
            println!("More: llmmon --help");
            Ok(0)
        }
        None => anyhow::bail!("TEMP"),
    }
}
