//! `llmmon export SOURCE... (--flagged | --marked | --filter QUERY) [--format chat|raw]
//! [--redact] -o FILE [--incident-report FILE.md]`.

use crate::annotations::Annotations;
use crate::cli::{ExportArgs, ExportFormat};
use crate::config::Config;
use crate::export::redact::{PatternRedactor, Redactor};
use crate::export::{incident, select, write_chat, write_raw, Format, Range, Selection};
use crate::gate::RecordGate;
use anyhow::{bail, Context, Result};
use std::io::Write;

/// Reads the sources, writes the dataset and/or the report; exit 0.
pub fn run(cfg: &Config, args: &ExportArgs) -> Result<i32> {
    let sel = if args.flagged {
        Some(Selection::Flagged)
    } else if args.marked {
        Some(Selection::Marked)
    } else if let Some(q) = &args.filter {
        Some(Selection::Filter(super::range::parse_filter(q)?))
    } else {
        None
    };
    if args.output.is_some() != sel.is_some() {
        bail!("a dataset needs both -o FILE and one of --flagged, --marked or --filter");
    }
    if args.output.is_none() && args.incident_report.is_none() {
        bail!("nothing to write: give -o FILE with a selection, or --incident-report FILE.md");
    }
    let specs = super::parse_specs(&args.sources)?;
    let time = super::range::time_range(&args.range, &specs)?;
    // The incident report's header names the range; its end is the last instant inside.
    let range = Range {
        from: time.since,
        to: time.until.map(|u| u - 1),
    };
    let gate = std::sync::Arc::new(RecordGate::new(time, None));
    let ann = match args.annotations.clone().or_else(|| cfg.annotations_path()) {
        Some(p) => Annotations::open(&p)?,
        None => Annotations::in_memory(),
    };
    if let Some(w) = ann.warning() {
        eprintln!("llmmon: {w}");
    }
    let engine_cfg = cfg.engine_config()?;
    let engine = super::check::read_to_end(cfg, &specs, None, engine_cfg, &gate, args.range.quiet)?;
    if gate.is_active() {
        crate::present::terminal::eprintln(format!(
            "llmmon: {} records in range, {} skipped",
            engine.records,
            gate.skipped()
        ));
    }
    if engine.store.evicted.calls > 0 {
        crate::present::terminal::eprintln(format!(
            "llmmon: {} older calls did not fit in memory and are not exported (raise [engine] max_calls)",
            engine.store.evicted.calls
        ));
    }
    let redactor = PatternRedactor;
    let redactor: Option<&dyn Redactor> = args.redact.then_some(&redactor as &dyn Redactor);
    if let (Some(path), Some(sel)) = (&args.output, &sel) {
        let calls = select(&engine, sel, &ann, range);
        let file = create(path, args.force)?;
        let mut out = std::io::BufWriter::new(file);
        let format = match args.format {
            ExportFormat::Chat => Format::Chat,
            ExportFormat::Raw => Format::Raw,
        };
        let w = match format {
            Format::Chat => write_chat(&mut out, &engine, &calls, &ann, redactor)?,
            Format::Raw => write_raw(&mut out, &calls, &ann, redactor)?,
        };
        out.flush()?;
        crate::present::terminal::eprintln(format!(
            "llmmon: wrote {} {} ({} calls) to {}{}",
            w.items,
            if format == Format::Chat {
                "conversations"
            } else {
                "records"
            },
            w.calls,
            path.display(),
            if w.skipped > 0 {
                format!("; {} without an answer skipped", w.skipped)
            } else {
                String::new()
            }
        ));
    }
    if let Some(path) = &args.incident_report {
        let calls: Vec<_> = engine
            .store
            .calls()
            .filter(|s| s.call.operation.is_llm_call() && range.contains(s.time))
            .collect();
        let md = incident::render(&engine, &calls, range, &ann, redactor);
        create(path, args.force)?
            .write_all(md.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        crate::present::terminal::eprintln(format!(
            "llmmon: wrote the incident report to {}",
            path.display()
        ));
    }
    Ok(0)
}

/// Creates an output file; an existing file is refused unless `force`, so a typo in `-o`
/// cannot silently replace a dataset.
fn create(path: &std::path::Path, force: bool) -> Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    if force {
        o.create(true).truncate(true);
    } else {
        o.create_new(true);
    }
    o.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!("{} exists; pass --force to overwrite it", path.display())
        } else {
            anyhow::Error::new(e).context(format!("cannot create {}", path.display()))
        }
    })
}
