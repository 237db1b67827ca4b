//! The Markdown incident report: what happened in a time range, the alerts timeline, the
//! worst offenders by cost, latency and flags, and a few example conversations (redacted on
//! request). Every outside text is flattened to one line and stripped of control characters
//! and table syntax.

use super::redact::{redact_call, Redactor};
use super::Range;
use crate::annotations::Annotations;
use crate::engine::store::StoredCall;
use crate::engine::{Engine, Scope};
use crate::model::record::format_time;
use std::fmt::Write;

/// Rows per "top offenders" table.
const TOP: usize = 10;
/// Example conversations shown.
const EXAMPLES: usize = 3;
/// Characters kept of each quoted message.
const QUOTE: usize = 400;

fn cell(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| match c {
            '|' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// Builds the report over `calls` (the calls in range), with the engine's alert history;
/// sanitised for terminals, line breaks kept.
pub fn render(
    engine: &Engine,
    calls: &[&StoredCall],
    range: Range,
    ann: &Annotations,
    redactor: Option<&dyn Redactor>,
) -> String {
    let mut md = String::new();
    let s = engine.summary(Scope::SinceStart);
    let from = range
        .from
        .map(format_time)
        .or(s.from.clone())
        .unwrap_or_default();
    let to = range
        .to
        .map(format_time)
        .or(s.to.clone())
        .unwrap_or_default();
    let _ = writeln!(md, "# llmmon incident report\n\n**Range:** {from} → {to}\n");
    let n = calls.len();
    let errors = calls
        .iter()
        .filter(|c| c.call.status == crate::model::record::Status::Error)
        .count();
    let costs: Vec<f64> = calls.iter().filter_map(|c| c.call.cost_usd).collect();
    let cost = cost_cell(costs.iter().sum(), costs.is_empty());
    let flagged = calls.iter().filter(|c| !c.call.flags.is_empty()).count();
    let mut lat: Vec<f64> = calls
        .iter()
        .filter_map(|c| c.call.effective_latency_ms())
        .collect();
    lat.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        lat.get(((lat.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .map_or("-".to_string(), |v| format!("{v:.0} ms"))
    };
    let _ = writeln!(
        md,
        "## Summary\n\n| calls | errors | cost | flagged | p50 latency | p95 latency |\n|---|---|---|---|---|---|\n| {n} | {errors} ({:.1}%) | {cost} | {flagged} | {} | {} |\n",
        if n > 0 { errors as f64 * 100.0 / n as f64 } else { 0.0 },
        pct(0.5),
        pct(0.95),
    );

    let _ = writeln!(md, "## Alerts timeline\n");
    let hist: Vec<_> = engine
        .alerts
        .history()
        .iter()
        .filter(|t| range.contains(t.at))
        .collect();
    if hist.is_empty() {
        let _ = writeln!(md, "No alert changed state in this range.\n");
    } else {
        let _ = writeln!(md, "| time | rule | step | level | value | threshold | scope |\n|---|---|---|---|---|---|---|");
        for t in hist {
            let m = crate::engine::alerts::AlertMetric::parse(&t.metric).ok();
            let f = |v: Option<f64>| match (v, &m) {
                (Some(v), Some(m)) => m.format_value(v),
                (Some(v), None) => format!("{v:.4}"),
                (None, _) => "no data".into(),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} → {} | {} | {} | {} | {} |",
                format_time(t.at),
                cell(&t.rule, 60),
                t.from.as_str(),
                t.to.as_str(),
                t.level.map_or("-", |l| l.as_str()),
                f(t.value),
                f(t.threshold),
                cell(
                    if t.filter.is_empty() {
                        "all calls"
                    } else {
                        &t.filter
                    },
                    60
                ),
            );
        }
        let _ = writeln!(md);
    }

    why_section(&mut md, engine, range, redactor.is_some());

    // Per conversation (or lone call): cost, worst latency, flags.
    struct Row<'a> {
        key: String,
        cost: f64,
        /// Turns without a known cost.
        unpriced: usize,
        worst: f64,
        flags: usize,
        turns: Vec<&'a StoredCall>,
    }
    let mut rows: std::collections::BTreeMap<String, Row> = Default::default();
    for c in calls {
        let key = c
            .conversation
            .as_deref()
            .map_or_else(|| format!("call:{}", c.call.id), String::from);
        let r = rows.entry(key.clone()).or_insert_with(|| Row {
            key,
            cost: 0.0,
            unpriced: 0,
            worst: 0.0,
            flags: 0,
            turns: Vec::new(),
        });
        match c.call.cost_usd {
            Some(v) => r.cost += v,
            None => r.unpriced += 1,
        }
        r.worst = r.worst.max(c.call.effective_latency_ms().unwrap_or(0.0));
        r.flags += c.call.flags.len();
        r.turns.push(c);
    }
    let mut rows: Vec<Row> = rows.into_values().collect();
    let mut table = |title: &str, rows: &mut Vec<Row>, key: fn(&Row) -> f64| {
        rows.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.key.cmp(&b.key)));
        let _ = writeln!(md, "## Top conversations by {title}\n\n| conversation | turns | cost | worst latency | flags |\n|---|---|---|---|---|");
        for r in rows.iter().filter(|r| key(r) > 0.0).take(TOP) {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.0} ms | {} |",
                cell(&r.key, 60),
                r.turns.len(),
                cost_cell(r.cost, r.unpriced == r.turns.len()),
                r.worst,
                r.flags
            );
        }
        let _ = writeln!(md);
    };
    table("cost", &mut rows, |r| r.cost);
    table("latency", &mut rows, |r| r.worst);
    table("flags", &mut rows, |r| r.flags as f64);

    let _ = writeln!(md, "## Example conversations\n");
    rows.sort_by(|a, b| {
        b.flags
            .cmp(&a.flags)
            .then(b.worst.total_cmp(&a.worst))
            .then(a.key.cmp(&b.key))
    });
    for r in rows.iter().take(EXAMPLES) {
        let _ = writeln!(md, "### {}\n", cell(&r.key, 80));
        for s in &r.turns {
            let c = match redactor {
                Some(rd) => redact_call(&s.call, rd),
                None => s.call.clone(),
            };
            let user = c.last_user_message().unwrap_or("");
            let _ = writeln!(
                md,
                "- **{}** `{}` {} {:.0} ms\n  - user: {}\n  - assistant: {}",
                format_time(s.time),
                cell(&c.id, 40),
                cell(c.model_name().unwrap_or("?"), 40),
                c.effective_latency_ms().unwrap_or(0.0),
                cell(user, QUOTE),
                cell(c.output.as_deref().unwrap_or(""), QUOTE),
            );
            for f in &c.flags {
                let _ = writeln!(
                    md,
                    "  - flag: {} / {} ({}): {}",
                    cell(&f.detector, 30),
                    cell(&f.rule, 40),
                    f.severity.as_str(),
                    cell(&f.snippet, 80)
                );
            }
            for a in ann.for_call(&s.call.id) {
                let _ = writeln!(
                    md,
                    "  - review: {} {}",
                    cell(a.label.as_deref().unwrap_or(""), 40),
                    cell(a.note.as_deref().unwrap_or(""), 200)
                );
            }
        }
        let _ = writeln!(md);
    }
    // The report holds names and text from the data, and people `cat` it: no control
    // character reaches their terminal.
    crate::present::terminal::text(&md).into_owned()
}

/// "Why" rows shown per fired alert.
const WHY_ROWS: usize = 5;

/// `## Why`: for each alert that started firing in the range, the values that stand out
/// in its bad calls against the rest of its window, as ranked when it fired. Prompt terms
/// are left out of a redacted report: they are words of the users' messages.
fn why_section(md: &mut String, engine: &Engine, range: Range, redacted: bool) {
    use crate::engine::alerts::AlertStatus;
    use crate::engine::read::why::{percent, Dimension};
    let fired: Vec<_> = engine
        .alerts
        .history()
        .iter()
        .filter(|t| t.to == AlertStatus::Firing && !t.renotify && range.contains(t.at))
        .filter_map(|t| t.why.as_ref().map(|w| (t, w)))
        .collect();
    if fired.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Why\n");
    for (t, why) in fired {
        let _ = writeln!(
            md,
            "### {} {}\n\nBad calls: {}, compared with {} other calls of the window{}.\n",
            format_time(t.at),
            cell(&t.rule, 80),
            why.bad,
            why.rest,
            if why.complete {
                ""
            } else {
                " (the newest of it: the rest was no longer in memory)"
            }
        );
        let items: Vec<_> = why
            .items
            .iter()
            .filter(|i| !(redacted && i.dimension == Dimension::Term))
            .take(WHY_ROWS)
            .collect();
        if items.is_empty() {
            let _ = writeln!(md, "No value stands out.\n");
            continue;
        }
        let _ = writeln!(md, "| value | bad calls | rest | lift |\n|---|---|---|---|");
        for i in items {
            let lift = i.lift_text();
            let _ = writeln!(
                md,
                "| {}={} | {} ({}/{}) | {} ({}/{}) | {lift} |",
                i.dimension.as_str(),
                cell(&i.value, 60),
                percent(i.bad_share),
                i.bad_count,
                i.bad_of,
                percent(i.rest_share),
                i.rest_count,
                i.rest_of
            );
        }
        let _ = writeln!(md);
    }
}

/// A cost cell: dollars at the precision reports use (`$0` for the `-0.0` an empty float sum
/// gives), `?` when nothing in it was priced — an unknown cost is never shown as `$0`.
fn cost_cell(usd: f64, unpriced: bool) -> String {
    if unpriced {
        "? (unpriced)".into()
    } else {
        crate::present::format::usd(usd)
    }
}
