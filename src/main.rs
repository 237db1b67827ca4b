//! Thin binary: parse the command line, load config, dispatch to a subcommand.

use clap::{CommandFactory, Parser};
use llmmon::cli::{Cli, Command};
use llmmon::commands;
use llmmon::config::Config;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("llmmon: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let cfg = Config::load(cli.config.as_deref())?;
    match cli.command {
        Some(Command::Report(args)) => commands::report::run(&cfg, &args),
        Some(Command::Gen(args)) => commands::gen::run(&args),
        Some(Command::Baseline(args)) => commands::baseline::run(&cfg, &args),
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
