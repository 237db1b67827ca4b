//! What the Alerts pane and the header show of the alert state: every rule with its value
//! and the event time that value is "as of", the recent transitions, the firing count and
//! the banner, copied so a paused screen keeps them.

use crate::engine::alerts::why::Why;
use crate::engine::alerts::{
    cause_query, sort_of, AlertMetric, AlertState, AlertStatus, Level, RuleState, Transition,
};
/// What Enter on an alert opens, and in which order: views take these from the read model.
pub use crate::engine::alerts::{Drill, DrillSort};
use crate::model::record::Nanos;

/// Transitions kept for the pane (the rest stay in `llmmon check --json`).
pub const RECENT: usize = 50;

/// One rule as the pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRow {
    pub name: String,
    pub metric: AlertMetric,
    pub status: AlertStatus,
    pub level: Option<Level>,
    /// The value of the latest evaluation (`None`: no data).
    pub value: Option<f64>,
    /// Event time of the latest evaluation: what `value` is "as of".
    pub as_of: Option<Nanos>,
    /// Threshold of the level in effect (else the warning threshold).
    pub threshold: Option<f64>,
    /// True when lower values are worse (`<` rather than `>`).
    pub below: bool,
    /// When the current pending or firing state began.
    pub since: Option<Nanos>,
    pub window_ns: i64,
    /// The filter the rule applies, or "all calls".
    pub scope: String,
    /// What Enter opens: the rule's bad calls over the window it was last evaluated on.
    pub drill: Drill,
}

impl RuleRow {
    fn of(r: &RuleState) -> RuleRow {
        RuleRow {
            name: r.rule.name.clone(),
            metric: r.rule.metric.clone(),
            status: r.status(),
            level: r.level(),
            value: r.last_value,
            as_of: r.last_eval,
            threshold: r.threshold(),
            below: r.rule.below,
            since: r.since(),
            window_ns: r.rule.window_ns,
            scope: r.rule.scope().to_string(),
            drill: r.drill().unwrap_or_else(|| Drill {
                query: cause_query(&r.rule.metric, &r.rule.filter_text, None, r.threshold()),
                filter: crate::engine::alerts::scope_of(&r.rule.filter_text, r.group.as_deref())
                    .to_string(),
                group: r.group.clone(),
                from: i64::MIN,
                to: i64::MAX,
                sort: sort_of(&r.rule.metric),
            }),
        }
    }
}

/// A grouped rule: how many instances it has made and what the cap kept out.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    pub name: String,
    /// The dimension (`model`, `user`, `tag:tier`).
    pub by: String,
    pub instances: usize,
    pub cap: usize,
    /// Calls of values beyond the cap, not evaluated.
    pub over_cap: u64,
}

/// The alert state as views show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertsView {
    /// Grouped rules with their instance counts (the instances are in `rules`).
    pub groups: Vec<GroupRow>,
    /// Rules, firing first (critical first), then pending, then by latest change.
    pub rules: Vec<RuleRow>,
    /// The latest transitions, newest first.
    pub recent: Vec<Transition>,
    /// Rules and budgets firing now.
    pub firing: usize,
    /// Whether a critical rule or an exceeded budget is firing.
    pub critical: bool,
    /// The header's banner: the worst firing alert and how many fire.
    pub banner: Option<String>,
}

impl AlertsView {
    /// Copies the rows out of the alert state.
    pub fn of(a: &AlertState) -> AlertsView {
        let firing = a.firing();
        AlertsView {
            groups: a
                .groups
                .iter()
                .map(|g| GroupRow {
                    name: g.template.name.clone(),
                    by: g
                        .template
                        .group_by
                        .as_ref()
                        .map(|b| b.as_str())
                        .unwrap_or_default(),
                    instances: g.instances(),
                    cap: g.template.max_groups,
                    over_cap: g.over_cap,
                })
                .collect(),
            rules: a.ordered().into_iter().map(RuleRow::of).collect(),
            recent: a.history().iter().rev().take(RECENT).cloned().collect(),
            firing: firing.len(),
            critical: firing.iter().any(|f| f.0 == Level::Crit),
            banner: a.banner(),
        }
    }

    /// Selectable rows: rules, then recent transitions.
    pub fn len(&self) -> usize {
        self.rules.len() + self.recent.len()
    }

    /// True when there is neither a rule nor a transition to show.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Why the row at `pos` fired: a transition's ranking taken when it fired, else (a rule
    /// pending or firing now, or a step that was not ranked) `rank` of its drill now. An
    /// OK rule has no bad calls to explain.
    pub fn why_at(&self, pos: usize, rank: impl FnOnce(&Drill) -> Why) -> Option<Why> {
        match self.rules.get(pos) {
            Some(r) if matches!(r.status, AlertStatus::Firing | AlertStatus::Pending) => {
                Some(rank(&r.drill))
            }
            Some(_) => None,
            None => {
                let t = self.recent.get(pos - self.rules.len())?;
                if t.to != AlertStatus::Firing {
                    return None;
                }
                t.why.clone().or_else(|| Some(rank(&t.drill())))
            }
        }
    }

    /// What Enter opens for the row at `pos`.
    pub fn drill_at(&self, pos: usize) -> Option<Drill> {
        match self.rules.get(pos) {
            Some(r) => Some(r.drill.clone()),
            None => self
                .recent
                .get(pos - self.rules.len())
                .map(Transition::drill),
        }
    }
}
