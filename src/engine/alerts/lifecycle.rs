//! The lifecycle vocabulary rules and budgets share: levels, states, the [`Transition`] each
//! step of either produces, and the [`Sink`] (bounded history and notifier outbox) they go
//! to. Budgets depend on this, not on the rule engine, so the two do not import each other.

use super::drill::{cause_query, scope_of, sort_of, Drill};
use super::metric::AlertMetric;
use super::why::Why;
use crate::engine::format_duration;
use crate::model::record::Nanos;
use serde::Serialize;
use std::collections::VecDeque;

/// Transitions kept for the Alerts pane and `check` unless configured.
pub const DEFAULT_HISTORY: usize = 1000;
/// Transitions waiting to be picked up by notifiers before the oldest are dropped.
const OUTBOX_CAP: usize = 256;

/// How bad a breached threshold is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Warn,
    Crit,
}

impl Level {
    /// Lower-case name used in output (`warn`, `crit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warn => "warn",
            Level::Crit => "crit",
        }
    }
}

/// Where a rule (or budget) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Ok,
    /// The condition holds but not yet for the rule's `for`.
    Pending,
    Firing,
    /// The condition stopped holding after firing (only ever the target of a transition).
    Resolved,
}

impl AlertStatus {
    /// Lower-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Ok => "ok",
            AlertStatus::Pending => "pending",
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }
}

/// One step of a rule's (or budget's) lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// Rule name (budgets: `budget.daily`, `budget.user:alice`, ...).
    pub rule: String,
    /// The instance of the rule this step belongs to (`user=alice` for a per-user budget);
    /// `None` for a rule over its whole scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub metric: String,
    /// The rule's filter as written (empty: all calls).
    pub filter: String,
    pub from: AlertStatus,
    pub to: AlertStatus,
    /// Level in effect after the step (`None` once ok or resolved).
    pub level: Option<Level>,
    /// Event time of the step.
    #[serde(serialize_with = "ser_time")]
    pub at: Nanos,
    /// The value that caused the step (`None`: no data).
    pub value: Option<f64>,
    /// The threshold the value was compared with.
    pub threshold: Option<f64>,
    /// Window length (ns) the value covers.
    pub window_ns: i64,
    /// True when this is a reminder of an alert still firing, not a change.
    pub renotify: bool,
    /// Which values stand out in the step's bad calls, attached by the engine when a step
    /// to firing is recorded (`None` before, and for other steps); serialised with its
    /// top 3 items.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::why::serialize_notified"
    )]
    pub why: Option<Why>,
}

fn ser_time<S: serde::Serializer>(t: &Nanos, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::model::record::format_time(*t))
}

impl Transition {
    /// One-line description, e.g. `FIRING crit error rate: 25.0% > 20.0% (5m, all calls)`.
    pub fn describe(&self) -> String {
        let what = if self.renotify {
            "STILL FIRING".to_string()
        } else {
            self.to.as_str().to_uppercase()
        };
        let level = self
            .level
            .map(|l| format!(" {}", l.as_str()))
            .unwrap_or_default();
        let metric = AlertMetric::parse(&self.metric).ok();
        let fmt = |v: f64| match &metric {
            Some(m) => m.format_value(v),
            None => format!("{v:.4}"),
        };
        let value = self.value.map_or("no data".to_string(), fmt);
        let thr = self
            .threshold
            .map(|t| format!(" vs {}", fmt(t)))
            .unwrap_or_default();
        let scope = if self.filter.is_empty() {
            "all calls"
        } else {
            &self.filter
        };
        format!(
            "{what}{level} {}: {}={value}{thr} ({}, {scope})",
            self.rule,
            self.metric,
            format_duration(self.window_ns)
        )
    }

    /// True for the steps people are told about: firing, level changes, reminders, resolved.
    pub fn notifies(&self) -> bool {
        matches!(self.to, AlertStatus::Firing | AlertStatus::Resolved)
    }

    /// The cause of this step: the calls of the window that produced the value which match
    /// the rule's filter, the instance's group and the metric's predicate.
    pub fn drill(&self) -> Drill {
        let metric = AlertMetric::parse(&self.metric).unwrap_or(AlertMetric::CallsPerMin);
        Drill {
            query: cause_query(&metric, &self.filter, self.group.as_deref(), self.threshold),
            filter: scope_of(&self.filter, self.group.as_deref()).to_string(),
            group: self.group.clone(),
            from: self.at.saturating_sub(self.window_ns),
            to: self.at,
            sort: sort_of(&metric),
        }
    }
}

/// Where transitions go: the bounded history and the notifier outbox.
#[derive(Debug, Clone)]
pub struct Sink {
    pub history: VecDeque<Transition>,
    outbox: VecDeque<Transition>,
    cap: usize,
    /// Transitions dropped from the outbox because nobody picked them up in time.
    pub dropped: u64,
    /// The worst level that fired since start (what `check` exits on).
    pub worst: Option<Level>,
    /// Transitions pushed since start, so the engine can find the ones it has not
    /// explained yet ([`Sink::explain_new`]).
    pub pushed: u64,
}

impl Default for Sink {
    fn default() -> Self {
        Sink::new(DEFAULT_HISTORY)
    }
}

impl Sink {
    /// Takes the transitions waiting for notifiers, oldest first.
    pub fn take_outbox(&mut self) -> Vec<Transition> {
        self.outbox.drain(..).collect()
    }

    /// A sink keeping `cap` transitions (0 means [`DEFAULT_HISTORY`]).
    pub fn new(cap: usize) -> Sink {
        Sink {
            history: VecDeque::new(),
            outbox: VecDeque::new(),
            cap: if cap == 0 { DEFAULT_HISTORY } else { cap },
            dropped: 0,
            worst: None,
            pushed: 0,
        }
    }

    /// Records a transition.
    pub fn push(&mut self, t: Transition) {
        self.pushed += 1;
        if t.to == AlertStatus::Firing {
            self.worst = self.worst.max(t.level);
        }
        if t.notifies() {
            if self.outbox.len() >= OUTBOX_CAP {
                self.outbox.pop_front();
                self.dropped += 1;
            }
            self.outbox.push_back(t.clone());
        }
        if self.history.len() >= self.cap {
            self.history.pop_front();
        }
        self.history.push_back(t);
    }

    /// Attaches `explain`'s answer to the steps to firing pushed after the first `seen`
    /// that have none yet, newest first and at most `cap` of them, in the history and the
    /// notifier outbox alike. Returns how many such steps are still waiting (for a later
    /// call: a burst of firing instances is explained a few at a time).
    pub fn explain_new(
        &mut self,
        seen: u64,
        cap: usize,
        mut explain: impl FnMut(&Transition) -> Why,
    ) -> usize {
        let new = usize::try_from(self.pushed.saturating_sub(seen))
            .unwrap_or(usize::MAX)
            .min(self.history.len());
        let start = self.history.len() - new;
        let (mut left, mut waiting) = (cap, 0);
        let mut notified = Vec::new();
        for t in self.history.range_mut(start..).rev() {
            if t.to == AlertStatus::Firing && t.why.is_none() {
                if left > 0 {
                    left -= 1;
                    t.why = Some(explain(t));
                } else {
                    waiting += 1;
                }
            }
            if t.notifies() {
                notified.push(t.why.clone());
            }
        }
        // The outbox holds the same notifying steps in the same order, newest last.
        for (t, why) in self.outbox.iter_mut().rev().zip(notified) {
            if t.why.is_none() {
                t.why = why;
            }
        }
        waiting
    }
}
