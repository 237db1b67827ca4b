//! `llmmon completions SHELL` and the man pages, both generated from the clap definition in
//! [`crate::cli`] so they always name the flags the binary really has.

use crate::cli::{Cli, CompletionsArgs, ShellArg};
use anyhow::Result;
use clap::CommandFactory;

/// Writes the completion script for the shell asked for to stdout; exit 0.
pub fn run(args: &CompletionsArgs) -> Result<i32> {
    let shell = match args.shell {
        ShellArg::Bash => clap_complete::Shell::Bash,
        ShellArg::Zsh => clap_complete::Shell::Zsh,
        ShellArg::Fish => clap_complete::Shell::Fish,
        ShellArg::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "llmmon", &mut script);
    super::emit(&String::from_utf8_lossy(&script), false)?;
    Ok(0)
}

/// The man pages, `(file name, roff)`: `llmmon.1` and one `llmmon-SUBCOMMAND.1` per
/// subcommand, as `clap_mangen::generate_to` would write them (docs/man/ ships them; the
/// test `man_page_is_current` keeps them current).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    fn render(cmd: clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
            render(sub, out)?;
        }
        let man = clap_mangen::Man::new(cmd);
        let mut roff = Vec::new();
        man.render(&mut roff)?;
        out.push((man.get_filename(), roff));
        Ok(())
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    render(cmd, &mut out)?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
