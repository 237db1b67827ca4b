//! CSV and Markdown renderings of `report` and `check`, beside the text and JSON ones.
//!
//! CSV is one row per group (report) or per rule and budget (check) under one header, for
//! spreadsheets; Markdown is tables ready to paste into a postmortem. Both take `--top`,
//! and group order is the text report's: cost, then calls, then name.

use super::check_report::CheckReport;
use crate::engine::{GroupSummary, Summary};
use crate::present::format::{count, ms, usd};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The group tables of a summary, in output order, with the column title of each.
pub const DIMENSIONS: [(&str, &str); 4] = [
    ("model", "by model"),
    ("provider", "by provider"),
    ("user", "by user"),
    ("app", "by app"),
];

/// The groups of dimension `dim` (a [`DIMENSIONS`] key).
fn groups<'a>(s: &'a Summary, dim: &str) -> &'a BTreeMap<String, GroupSummary> {
    match dim {
        "model" => &s.by_model,
        "provider" => &s.by_provider,
        "user" => &s.by_user,
        _ => &s.by_app,
    }
}

/// Groups by cost, then calls, then name, at most `top` of them.
pub fn ranked(
    groups: &BTreeMap<String, GroupSummary>,
    top: usize,
) -> Vec<(&String, &GroupSummary)> {
    let mut rows: Vec<_> = groups.iter().collect();
    rows.sort_by(|a, b| {
        b.1.cost_usd
            .total_cmp(&a.1.cost_usd)
            .then(b.1.calls.cmp(&a.1.calls))
            .then(a.0.cmp(b.0))
    });
    rows.truncate(top);
    rows
}

/// Keeps the `top` groups of each dimension (for `--top` with JSON).
pub fn keep_top(s: &mut Summary, top: usize) {
    for map in [
        &mut s.by_model,
        &mut s.by_provider,
        &mut s.by_user,
        &mut s.by_app,
    ] {
        let keep: Vec<String> = ranked(map, top)
            .into_iter()
            .map(|(k, _)| k.clone())
            .collect();
        map.retain(|k, _| keep.contains(k));
    }
}

/// One CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v}"))
}

/// The CSV header of [`report_csv`].
pub const REPORT_CSV_HEADER: &str = "dimension,group,calls,errors,error_rate,input_tokens,\
output_tokens,cost_usd,unpriced_calls,latency_p50_ms,latency_p95_ms,latency_p99_ms,\
ttft_p50_ms,ttft_p95_ms";

fn csv_row(out: &mut String, dim: &str, name: &str, g: &GroupSummary) {
    let _ = writeln!(
        out,
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        dim,
        csv_field(name),
        g.calls,
        g.errors,
        g.error_rate,
        g.input_tokens,
        g.output_tokens,
        g.cost_usd,
        g.unpriced_calls,
        opt(g.latency_ms.p50),
        opt(g.latency_ms.p95),
        opt(g.latency_ms.p99),
        opt(g.ttft_ms.p50),
        opt(g.ttft_ms.p95),
    );
}

/// The totals of a summary as a group (the `all` row and the Markdown overview).
fn total(s: &Summary) -> GroupSummary {
    GroupSummary {
        calls: s.calls,
        errors: s.errors,
        error_rate: s.error_rate,
        input_tokens: s.input_tokens,
        output_tokens: s.output_tokens,
        cost_usd: s.cost_usd,
        unpriced_calls: s.unpriced_calls,
        latency_ms: s.latency_ms,
        ttft_ms: s.ttft_ms,
    }
}

/// `report --format csv`: a header, an `all` row with the totals, then one row per group
/// of each dimension (at most `top` per dimension).
pub fn report_csv(s: &Summary, top: usize) -> String {
    let mut out = String::from(REPORT_CSV_HEADER);
    out.push('\n');
    csv_row(&mut out, "all", "all", &total(s));
    for (dim, _) in DIMENSIONS {
        for (name, g) in ranked(groups(s, dim), top) {
            csv_row(&mut out, dim, name, g);
        }
    }
    out
}

/// A Markdown table cell: pipes escaped, line breaks as spaces.
fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// `report --format markdown`: an overview table, then one table per dimension.
/// `range` is the `--since/--until/--filter` description and skipped count, when set.
pub fn report_markdown(s: &Summary, top: usize, range: Option<(&str, u64)>) -> String {
    let mut out = String::new();
    let span = match (&s.from, &s.to) {
        (Some(f), Some(t)) => format!(" ({f} → {t})"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "## llmmon report — {}{}\n",
        md_cell(&s.window),
        md_cell(&span)
    );
    let _ = writeln!(out, "| metric | value |\n|---|---:|");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(out, "| {k} | {} |", md_cell(&v));
    };
    if let Some((what, skipped)) = range {
        row("range", what.to_string());
        row("skipped records", count(skipped));
    }
    row("records", count(s.records));
    row("LLM calls", count(s.calls));
    row(
        "errors",
        format!("{} ({})", count(s.errors), pct(s.error_rate)),
    );
    row("input tokens", count(s.input_tokens));
    row("output tokens", count(s.output_tokens));
    row("cost", usd(s.cost_usd));
    row("unpriced calls", count(s.unpriced_calls));
    row(
        "latency p50 / p95 / p99",
        format!(
            "{} / {} / {}",
            ms(s.latency_ms.p50),
            ms(s.latency_ms.p95),
            ms(s.latency_ms.p99)
        ),
    );
    row(
        "TTFT p50 / p95",
        format!("{} / {}", ms(s.ttft_ms.p50), ms(s.ttft_ms.p95)),
    );
    for (dim, title) in DIMENSIONS {
        let all = groups(s, dim);
        if all.is_empty() {
            continue;
        }
        let rows = ranked(all, top);
        let _ = writeln!(
            out,
            "\n### {}{}\n",
            title[..1].to_uppercase() + &title[1..],
            if rows.len() < all.len() {
                format!(" (top {} of {})", rows.len(), all.len())
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "| {dim} | calls | err% | in tok | out tok | cost | p50 | p95 | p99 |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for (name, g) in rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                md_cell(name),
                count(g.calls),
                pct(g.error_rate),
                count(g.input_tokens),
                count(g.output_tokens),
                usd(g.cost_usd),
                ms(g.latency_ms.p50),
                ms(g.latency_ms.p95),
                ms(g.latency_ms.p99)
            );
        }
    }
    out
}

/// The CSV header of [`check_csv`].
pub const CHECK_CSV_HEADER: &str = "kind,name,metric,status,level,value,limit";

/// `check --format csv`: one row per rule (its state at the end of the input) and per
/// budget (spent against limit), at most `top` of each.
pub fn check_csv(r: &CheckReport, top: usize) -> String {
    let mut out = String::from(CHECK_CSV_HEADER);
    out.push('\n');
    for rule in r.rules.iter().take(top) {
        let _ = writeln!(
            out,
            "rule,{},{},{},{},{},",
            csv_field(&rule.name),
            csv_field(&rule.metric),
            rule.status.as_str(),
            rule.level.map_or("", |l| l.as_str()),
            opt(rule.value)
        );
    }
    for b in r.budgets.iter().take(top) {
        let _ = writeln!(
            out,
            "budget,{},cost_usd,{},{},{},{}",
            csv_field(&b.name),
            if b.level.is_some() { "firing" } else { "ok" },
            b.level.map_or("", |l| l.as_str()),
            b.spent_usd,
            b.limit_usd
        );
    }
    out
}

/// `check --format markdown`: the verdict, then tables of fired alerts, rules and budgets.
pub fn check_markdown(r: &CheckReport, top: usize, range: Option<(&str, u64)>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## llmmon check — {}\n\n{} alert(s) fired over {} calls.",
        r.result.to_uppercase(),
        r.fired.len(),
        count(r.calls)
    );
    if let Some((what, skipped)) = range {
        let _ = writeln!(
            out,
            "Range: {}; {} records skipped.",
            md_cell(what),
            count(skipped)
        );
    }
    if !r.fired.is_empty() {
        let _ = writeln!(out, "\n### Fired\n\n| time | alert | why |\n|---|---|---|");
        for t in r.fired.iter().take(top) {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                crate::model::record::format_time(t.at),
                md_cell(&t.describe()),
                md_cell(&t.why.as_ref().map(|w| w.headline()).unwrap_or_default())
            );
        }
    }
    if !r.rules.is_empty() {
        let _ = writeln!(
            out,
            "\n### Rules\n\n| rule | metric | status | level | value |\n|---|---|---|---|---:|"
        );
        for rule in r.rules.iter().take(top) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md_cell(&rule.name),
                md_cell(&rule.metric),
                rule.status.as_str(),
                rule.level.map_or("", |l| l.as_str()),
                rule.value
                    .map_or("no data".to_string(), |v| format!("{v:.4}"))
            );
        }
    }
    if !r.budgets.is_empty() {
        let _ = writeln!(
            out,
            "\n### Budgets\n\n| budget | spent | limit | level |\n|---|---:|---:|---|"
        );
        for b in r.budgets.iter().take(top) {
            let _ = writeln!(
                out,
                "| {} | ${:.2} | ${:.2} | {} |",
                md_cell(&b.name),
                b.spent_usd,
                b.limit_usd,
                b.level.map_or("", |l| l.as_str())
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("gpt-4o"), "gpt-4o");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md_cell("a|b\nc"), "a\\|b c");
    }
}
