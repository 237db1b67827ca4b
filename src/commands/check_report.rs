//! What `check` found, as one value every output format renders (text in `check`, CSV and
//! Markdown in `format`, JSON through serde), so the formats never reach back into `check`.

use crate::engine::alerts::{AlertState, AlertStatus, Level, Transition};
use serde::Serialize;

/// What `check --json` prints.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    /// `ok`, `warn` or `crit`.
    pub result: &'static str,
    pub exit_code: i32,
    pub calls: u64,
    /// Every transition to firing (including level changes), in event time.
    pub fired: Vec<&'a Transition>,
    /// State of each rule at the end of the input.
    pub rules: Vec<RuleEnd>,
    pub budgets: Vec<crate::engine::budgets::BudgetLine>,
    pub forecasts: Vec<String>,
    /// Rules (not group instances) that had no value at the end of the input: too few
    /// calls, or a drift metric before two drift windows closed.
    pub unavailable: Vec<String>,
    /// `--since`/`--until`/`--filter` and the records they skipped (absent without them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<serde_json::Value>,
}

/// A rule's state at the end of the input.
#[derive(Debug, Serialize)]
pub struct RuleEnd {
    pub name: String,
    pub metric: String,
    pub status: AlertStatus,
    pub level: Option<Level>,
    pub value: Option<f64>,
}

impl<'a> CheckReport<'a> {
    /// The verdict over the alert state at the end of the input: what fired (in event time),
    /// each rule's end state, budgets and forecasts, and the exit code the worst level gives.
    pub fn of(alerts: &'a AlertState, calls: u64, range: Option<serde_json::Value>) -> Self {
        let fired: Vec<&Transition> = alerts
            .history()
            .iter()
            .filter(|t| t.to == AlertStatus::Firing && !t.renotify)
            .collect();
        let worst = alerts.sink.worst;
        let code = match worst {
            None => 0,
            Some(Level::Warn) => 1,
            Some(Level::Crit) => 2,
        };
        CheckReport {
            result: worst.map_or("ok", Level::as_str),
            exit_code: code,
            calls,
            fired,
            rules: alerts
                .rules
                .iter()
                .map(|r| RuleEnd {
                    name: r.rule.name.clone(),
                    metric: r.rule.metric.to_string(),
                    status: r.status(),
                    level: r.level(),
                    value: r.last_value,
                })
                .collect(),
            budgets: alerts.budgets.lines(),
            forecasts: alerts
                .budgets
                .forecasts()
                .iter()
                .map(|f| f.describe())
                .collect(),
            unavailable: alerts
                .rules
                .iter()
                .filter(|r| r.group.is_none() && r.last_value.is_none())
                .map(|r| r.rule.name.clone())
                .collect(),
            range,
        }
    }
}
