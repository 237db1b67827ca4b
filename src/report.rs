//! `llmmon report`: the engine's summary as text people can read, or as the stable JSON
//! object documented in the README. Numbers come from [`Engine::summary`], the same code
//! the TUI reads, so the two always agree.

use crate::engine::hist::Percentiles;
use crate::engine::sources::SourceStats;
use crate::engine::{Engine, GroupSummary, Summary};
use crate::present::format::{count, ms, usd};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Writes the JSON object (one line, pretty-printed when `pretty`), with every terminal
/// control in its strings escaped (see [`crate::present::json`]).
pub fn to_json(summary: &Summary, pretty: bool) -> serde_json::Result<String> {
    if pretty {
        crate::present::json::to_string_pretty(summary)
    } else {
        crate::present::json::to_string(summary)
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn pline(label: &str, p: &Percentiles) -> String {
    if p.count == 0 {
        return format!("{label:<12} no data\n");
    }
    format!(
        "{label:<12} p50 {:>8}  p90 {:>8}  p95 {:>8}  p99 {:>8}  max {:>8}  (n={})\n",
        ms(p.p50),
        ms(p.p90),
        ms(p.p95),
        ms(p.p99),
        ms(p.max),
        count(p.count)
    )
}

fn group_table(out: &mut String, title: &str, groups: &BTreeMap<String, GroupSummary>, top: usize) {
    if groups.is_empty() {
        return;
    }
    let rows = crate::engine::read::ranked(
        groups.iter().map(|(k, g)| (k.clone(), g.clone())),
        crate::engine::read::Rank::Cost,
    );
    let _ = writeln!(
        out,
        "\n{title:<28} {:>8} {:>7} {:>11} {:>10} {:>12} {:>9} {:>9} {:>9}",
        "calls", "err%", "in tok", "out tok", "cost", "p50", "p95", "p99"
    );
    for (name, g) in rows.iter().take(top) {
        let cost = if g.unpriced_calls == g.calls && g.calls > 0 {
            "unpriced".to_string()
        } else if g.unpriced_calls > 0 {
            format!("{}+?", usd(g.cost_usd))
        } else {
            usd(g.cost_usd)
        };
        let _ = writeln!(
            out,
            "  {:<26} {:>8} {:>7} {:>11} {:>10} {:>12} {:>9} {:>9} {:>9}",
            truncate(name, 26),
            count(g.calls),
            pct(g.error_rate),
            count(g.input_tokens),
            count(g.output_tokens),
            cost,
            ms(g.latency_ms.p50),
            ms(g.latency_ms.p95),
            ms(g.latency_ms.p99)
        );
    }
    if rows.len() > top {
        let _ = writeln!(out, "  … {} more (--top N shows more)", rows.len() - top);
    }
}

fn truncate(s: &str, n: usize) -> String {
    crate::present::format::fit(s, n).into_owned()
}

/// The human-readable report.
pub fn to_text(engine: &Engine, s: &Summary, top: usize, price_date: &str) -> String {
    let mut out = String::new();
    let range = match (&s.from, &s.to) {
        (Some(f), Some(t)) => format!(" ({f} → {t})"),
        _ => String::new(),
    };
    let _ = writeln!(out, "llmmon report — {}{range}", s.window);
    let verdicts = if s.verdicts > 0 {
        format!("   judge verdicts {}", count(s.verdicts))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "records {}   LLM calls {}   other spans {}   feedback {}{verdicts}   attachments {}   metric points {}",
        count(s.records),
        count(s.calls),
        count(s.spans),
        count(s.feedback),
        count(s.attachments),
        count(s.metric_points)
    );
    let _ = writeln!(
        out,
        "errors  {} ({}){}",
        count(s.errors),
        pct(s.error_rate),
        if s.detail.errors_by_type.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = s
                .detail
                .errors_by_type
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            format!("   {}", parts.join(", "))
        }
    );
    let d = &s.detail;
    let _ = writeln!(
        out,
        "tokens  in {}   out {}   cache read {}   cache write {}   reasoning {}",
        count(d.input_tokens),
        count(d.output_tokens),
        count(d.cache_read_tokens),
        count(d.cache_write_tokens),
        count(d.reasoning_tokens)
    );
    let _ = writeln!(
        out,
        "cost    {}   reported by source {}   computed from price table ({price_date}) {}   unpriced calls {}",
        usd(s.cost_usd),
        usd(d.cost_reported_usd),
        usd(d.cost_computed_usd),
        count(s.unpriced_calls)
    );
    if d.span_secs > 0.0 {
        let _ = writeln!(
            out,
            "rates   {:.2} calls/s   {:.1} tokens/s   {}/min over {:.0}s",
            d.calls_per_sec,
            d.tokens_per_sec,
            usd(d.cost_per_min_usd),
            d.span_secs
        );
    }
    out.push('\n');
    out.push_str(&pline("latency", &s.latency_ms));
    out.push_str(&pline("ttft", &s.ttft_ms));
    out.push_str(&pline("per token", &d.tpot_ms));
    group_table(&mut out, "by model", &s.by_model, top);
    group_table(&mut out, "by provider", &s.by_provider, top);
    group_table(&mut out, "by user", &s.by_user, top);
    group_table(&mut out, "by app", &s.by_app, top);
    if !s.flags.by_detector.is_empty() {
        let _ = writeln!(
            out,
            "\nflags ({} records flagged)",
            count(s.flags.flagged_records)
        );
        for (det, f) in &s.flags.by_detector {
            let sev: Vec<String> = f
                .by_severity
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let _ = writeln!(
                out,
                "  {det:<12} {:>6}   {:>8.2} per 1k calls   {}",
                count(f.total),
                f.per_1k_calls,
                sev.join(", ")
            );
        }
    }
    let _ = writeln!(out, "\nsources");
    for src in &engine.sources {
        source_lines(&mut out, src);
    }
    let ev = &s.evicted;
    if ev.conversations + ev.traces > 0 || !ev.groups_folded.is_empty() {
        let _ = writeln!(
            out,
            "\nbounded store: evicted {} conversations, {} traces; folded into (other): {:?}",
            count(ev.conversations),
            count(ev.traces),
            ev.groups_folded
        );
    }
    out
}

fn source_lines(out: &mut String, src: &SourceStats) {
    let rejected: Vec<String> = src
        .rejected
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(
        out,
        "  {} ({}, {}): lines {}   records {}   rejected {}{}{}",
        src.id,
        src.kind.as_str(),
        src.state_label(),
        count(src.lines),
        count(src.records),
        count(src.rejected_total()),
        if rejected.is_empty() {
            String::new()
        } else {
            format!(" ({})", rejected.join(", "))
        },
        if src.throttled > 0 {
            format!(
                "   throttled {} requests (answered 503, retried by the sender)",
                count(src.throttled)
            )
        } else {
            String::new()
        }
    );
    for r in &src.samples {
        let _ = writeln!(out, "    {}:{}: {}", src.id, r.line_no, r.reject);
    }
    if src.rejected_total() > src.samples.len() as u64 {
        let _ = writeln!(
            out,
            "    … {} more rejected lines",
            src.rejected_total() - src.samples.len() as u64
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_for_people() {
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(12.5), "$12.5000");
        assert_eq!(ms(Some(850.0)), "850ms");
        assert_eq!(ms(Some(12_300.0)), "12.30s");
        assert_eq!(ms(Some(125_000.0)), "2m05s");
        assert_eq!(ms(None), "-");
    }
}
