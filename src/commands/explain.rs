//! `llmmon report --explain[=N] FILE...`: how the first N lines of each file are decoded, so
//! a user can see a `[[formats]]` mapping at work and find the keys llmmon does not read.

use crate::config::Config;
use crate::decode::{Decoder, Explanation};
use crate::present::sanitize;
use anyhow::{bail, Context, Result};
use std::io::{BufRead, Write};

/// Explains the first `lines` lines of each source (files or `-`); exit 0.
pub fn run(cfg: &Config, sources: &[String], lines: usize) -> Result<i32> {
    if sources.is_empty() {
        bail!("--explain needs a file (or - for stdin)");
    }
    let decoder = Decoder::with_formats(cfg.formats());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for source in sources {
        let reader: Box<dyn BufRead> = if source == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            let f = std::fs::File::open(source).with_context(|| format!("cannot read {source}"))?;
            Box::new(std::io::BufReader::new(f))
        };
        writeln!(out, "{}", sanitize::line(source))?;
        for (i, line) in reader.split(b'\n').take(lines).enumerate() {
            let line = line.with_context(|| format!("reading {source}"))?;
            let e = decoder.explain(&line, 0);
            write_one(&mut out, i + 1, &e)?;
        }
    }
    out.flush()?;
    Ok(0)
}

fn list(items: &[String]) -> String {
    sanitize::line(&items.join(", ")).into_owned()
}

fn write_one(out: &mut impl Write, no: usize, e: &Explanation) -> std::io::Result<()> {
    let outcome = match &e.outcome {
        Ok(1) => "1 record".to_owned(),
        Ok(n) => format!("{n} records"),
        Err(r) => format!("rejected: {}", sanitize::line(&r.to_string())),
    };
    writeln!(
        out,
        "  line {no}: {} -> {outcome}",
        sanitize::line(&e.format)
    )?;
    if !e.read.is_empty() {
        writeln!(out, "    read:    {}", list(&e.read))?;
    }
    if !e.absent.is_empty() {
        writeln!(out, "    absent:  {}", list(&e.absent))?;
    }
    if !e.ignored.is_empty() {
        writeln!(out, "    ignored: {}", list(&e.ignored))?;
    }
    if let Some(note) = &e.note {
        writeln!(out, "    note:    {}", sanitize::line(note))?;
    }
    Ok(())
}
