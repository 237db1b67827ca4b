//! The cause of an alert as a query: what Enter on an alert opens and what the "why" ranking
//! takes as the set of bad calls. One function builds it for rules, instances and budgets, so
//! every view agrees on which calls an alert is about.

use super::metric::AlertMetric;
use crate::engine::quality::{DEFAULT_HALLUCINATION_BELOW, GROUNDEDNESS};
use crate::model::record::Nanos;
use serde::Serialize;

/// What the Alerts pane opens on Enter: calls matching `query` with event time in
/// `[from, to]`, listed in `sort` order (worst first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drill {
    /// The full cause predicate in the query language: the rule's filter AND the instance's
    /// group AND the metric's predicate (`(app:web) model:gpt-4o latency>5000ms`).
    pub query: String,
    /// The rule's filter as written (empty: all calls): the calls the bad ones are compared
    /// with ("why") are the rest of the window within it.
    pub filter: String,
    /// The instance the drill is for (`model=gpt-4o`, as in [`super::Transition::group`]);
    /// `None` for a rule over its whole scope.
    pub group: Option<String>,
    pub from: Nanos,
    pub to: Nanos,
    /// How the opened list is ordered so the worst call comes first.
    pub sort: DrillSort,
}

/// Which calls of a drill come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillSort {
    /// Slowest first (latency rules).
    Latency,
    /// Slowest time to first token first (TTFT rules).
    Ttft,
    /// Most expensive first (cost rules and budgets).
    Cost,
    /// Highest flag severity first (flag rules).
    Severity,
    /// Newest first (error rates and everything else).
    Newest,
}

impl DrillSort {
    /// How bad `c` is by this order, higher first; calls without the measure come last.
    /// `Newest` ranks every call alike, leaving the newest-first order it is applied over.
    pub fn worst_key(self, c: &crate::model::record::Call) -> f64 {
        match self {
            DrillSort::Latency => c.effective_latency_ms().unwrap_or(f64::NEG_INFINITY),
            DrillSort::Ttft => c.ttft_ms.unwrap_or(f64::NEG_INFINITY),
            DrillSort::Cost => c.cost_usd.unwrap_or(f64::NEG_INFINITY),
            DrillSort::Severity => c
                .flags
                .iter()
                .map(|f| crate::model::query::severity_rank(f.severity))
                .fold(f64::NEG_INFINITY, f64::max),
            DrillSort::Newest => 0.0,
        }
    }
}

/// The cause query of `metric` over `filter` (as written), for the instance `group`
/// (`model=gpt-4o`, as in [`super::Transition::group`]) and the threshold in effect.
pub fn cause_query(
    metric: &AlertMetric,
    filter: &str,
    group: Option<&str>,
    threshold: Option<f64>,
) -> String {
    let mut terms = Vec::new();
    let filter = filter.trim();
    if !filter.is_empty() {
        terms.push(format!("({filter})"));
    }
    if let Some((field, value)) = group.and_then(|g| g.split_once('=')) {
        terms.push(format!("{field}:{}", quote(value)));
    }
    if let Some(p) = predicate(metric, threshold) {
        terms.push(p);
    }
    terms.join(" ")
}

/// The scope a step's bad calls are compared within ("why"): the rule's filter as written,
/// without the instance's own predicate. An instance's filter is its template's wrapped in
/// parentheses and followed by the group predicate (`(status:ok) model:"gpt-4o"`), or the
/// predicate alone when the template has none; this undoes that, so an instance's calls
/// are compared with the rest of the template's scope (the other models too).
pub fn scope_of<'a>(filter: &'a str, group: Option<&str>) -> &'a str {
    let f = filter.trim();
    if group.is_none() || f.is_empty() {
        return f;
    }
    if !f.starts_with('(') {
        return "";
    }
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for (i, c) in f.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return f[1..i].trim();
                }
            }
            _ => {}
        }
    }
    f
}

/// The order that puts a metric's worst calls first.
pub fn sort_of(metric: &AlertMetric) -> DrillSort {
    match metric {
        AlertMetric::Latency(_) | AlertMetric::Tpot(_) => DrillSort::Latency,
        AlertMetric::Ttft(_) => DrillSort::Ttft,
        AlertMetric::Cost | AlertMetric::CostPerMin => DrillSort::Cost,
        AlertMetric::Flags(_) | AlertMetric::FlagRate(_) => DrillSort::Severity,
        _ => DrillSort::Newest,
    }
}

/// The per-call condition that makes a call one of the metric's bad calls, if it has one.
fn predicate(metric: &AlertMetric, threshold: Option<f64>) -> Option<String> {
    let ms = |field: &str| threshold.map(|t| format!("{field}>{}ms", t.max(0.0).round()));
    match metric {
        AlertMetric::Latency(_) => ms("latency"),
        AlertMetric::Ttft(_) => ms("ttft"),
        AlertMetric::ErrorRate => Some("status:error".into()),
        AlertMetric::Flags(f) | AlertMetric::FlagRate(f) => Some(format!("flag:{}", quote(f))),
        AlertMetric::JudgeMean(name) => threshold.map(|t| format!("score.{name}<{t}")),
        // The calls judged ungrounded (at the default threshold: a step carries only the
        // alert's own threshold, the share).
        AlertMetric::HallucinationRate => Some(format!(
            "score.{GROUNDEDNESS}<{DEFAULT_HALLUCINATION_BELOW}"
        )),
        AlertMetric::Cost | AlertMetric::CostPerMin => Some("cost>0".into()),
        _ => None,
    }
}

/// A query value, quoted when it holds anything but plain name characters.
fn quote(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@'));
    if plain {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::query::Query;

    fn parses(q: &str) {
        assert!(Query::parse(q).is_ok(), "{q} does not parse");
    }

    #[test]
    fn latency_cause_is_filter_group_and_threshold() {
        let q = cause_query(
            &AlertMetric::Latency(0.95),
            "app:web OR app:api",
            Some("model=gpt-4o"),
            Some(5000.0),
        );
        assert_eq!(q, "(app:web OR app:api) model:gpt-4o latency>5000ms");
        parses(&q);
    }

    #[test]
    fn each_metric_names_its_bad_calls() {
        let flag = cause_query(&AlertMetric::FlagRate("injection".into()), "", None, None);
        assert_eq!(flag, "flag:injection");
        let err = cause_query(&AlertMetric::ErrorRate, "", Some("provider=openai"), None);
        assert_eq!(err, "provider:openai status:error");
        let cost = cause_query(&AlertMetric::Cost, "", Some("user=bob smith"), None);
        assert_eq!(cost, "user:\"bob smith\" cost>0");
        for q in [flag, err, cost] {
            parses(&q);
        }
        assert_eq!(sort_of(&AlertMetric::Cost), DrillSort::Cost);
        assert_eq!(sort_of(&AlertMetric::Latency(0.5)), DrillSort::Latency);
    }

    #[test]
    fn an_instance_is_compared_within_its_templates_scope() {
        assert_eq!(
            scope_of("(status:ok) model:\"gpt-4o\"", Some("model=gpt-4o")),
            "status:ok"
        );
        assert_eq!(
            scope_of("((a OR b) \")(\") user:\"x\"", Some("user=x")),
            "(a OR b) \")(\""
        );
        assert_eq!(scope_of("user:\"bob\"", Some("user=bob")), "");
        assert_eq!(scope_of("app:web", None), "app:web");
        assert_eq!(scope_of("", Some("user=alice")), "");
    }
}
