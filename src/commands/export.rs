//! `llmmon export SOURCE... (--flagged | --marked | --filter QUERY | --reviewed)
//! [--format chat|raw] [--redact] -o FILE [--incident-report FILE.md]`.

use crate::annotations::Annotations;
use crate::cli::{ExportArgs, ExportFormat};
use crate::config::Config;
use crate::engine::read::agreement;
use crate::export::redact::{PatternRedactor, Redactor};
use crate::export::{incident, reviewed, select, write_chat, write_raw, Format, Range, Selection};
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
    if args.output.is_some() != (sel.is_some() || args.reviewed) {
        bail!(
            "a dataset needs both -o FILE and one of --flagged, --marked, --filter or --reviewed"
        );
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
    let ann = super::annotations(cfg, args.annotations.clone())?;
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
    if let (Some(path), true) = (&args.output, args.reviewed) {
        write_reviewed(&engine, &ann, range, redactor, path, args.force)?;
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

/// `--reviewed`: the evaluation dataset, then a summary on stderr: what was written, by
/// label, and the judge/human agreement per criterion.
fn write_reviewed(
    engine: &crate::engine::Engine,
    ann: &Annotations,
    range: Range,
    redactor: Option<&dyn Redactor>,
    path: &std::path::Path,
    force: bool,
) -> Result<()> {
    let rows = reviewed::select(engine, ann, range);
    let labelled = ann.labelled_calls().count();
    let mut out = std::io::BufWriter::new(create(path, force)?);
    let s = reviewed::write(&mut out, &rows, redactor)?;
    out.flush()?;
    let labels: Vec<String> = s.labels.iter().map(|(l, n)| format!("{l} {n}")).collect();
    let mut lines = vec![format!(
        "llmmon: wrote {} reviewed calls to {}{}; {} with a judge verdict",
        s.written.items,
        path.display(),
        if labels.is_empty() {
            String::new()
        } else {
            format!(" ({})", labels.join(", "))
        },
        s.judged
    )];
    if labelled > rows.len() {
        lines.push(format!(
            "llmmon: {} labelled calls are not in these sources (or outside the range)",
            labelled - rows.len()
        ));
    }
    lines.push(match agreement::summary(&s.agreement) {
        Some(a) => format!("llmmon: judge/human agreement (Cohen's kappa): {a}"),
        None => "llmmon: judge/human agreement: no call has both a judge score and a good, bad or hallucination label".into(),
    });
    for l in lines {
        crate::present::terminal::eprintln(l);
    }
    Ok(())
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
