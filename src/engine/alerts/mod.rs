//! Alert rules and their lifecycle, evaluated in event time.
//!
//! Each rule keeps its own small ring of time buckets fed with the calls its filter matches,
//! and is evaluated at every bucket boundary the event clock crosses (the step is the window
//! divided by six unless `every` says otherwise). Evaluation uses only complete buckets, so a
//! replayed log fires the same alerts at the same moments however it is batched.
//!
//! Lifecycle: `ok → pending` (the condition holds, waiting for `for`) `→ firing → resolved`
//! (back to ok). Every step is a [`Transition`] with its event time, the value that caused it
//! and the threshold it was compared with, kept in a bounded history and queued for
//! notifiers.

mod drill;
pub mod lifecycle;
mod metric;

pub use drill::{cause_query, sort_of, Drill, DrillSort};
pub use lifecycle::{AlertStatus, Level, Sink, Transition, DEFAULT_HISTORY};
pub use metric::{parse_threshold, AlertMetric, ThresholdUnit, METRIC_NAMES};

use super::budgets::{BudgetConfig, Budgets};
use super::hist::{Hist, Metric as HistMetric};
use super::SECOND;
use crate::model::query::Query;
use crate::model::record::{Call, Feedback, FeedbackKind, Nanos, Status};
use serde::Serialize;
use std::collections::VecDeque;

/// Buckets per window unless a rule sets `every`.
pub const DEFAULT_STEPS: i64 = 6;

/// What a rule does when its window has no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoData {
    /// Treat as healthy: a firing alert resolves.
    #[default]
    Ok,
    /// Treat as breached at the rule's highest level.
    Alert,
    /// Leave the state as it is.
    Keep,
}

impl NoData {
    /// Parses `ok`, `alert` or `keep`.
    pub fn parse(s: &str) -> Option<NoData> {
        match s.trim() {
            "ok" => Some(NoData::Ok),
            "alert" => Some(NoData::Alert),
            "keep" => Some(NoData::Keep),
            _ => None,
        }
    }
}

/// One configured alert rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub metric: AlertMetric,
    /// Window length (ns) the metric is computed over.
    pub window_ns: i64,
    /// Evaluation step (ns): the rule is evaluated each time event time crosses a multiple.
    pub step_ns: i64,
    pub warn: Option<f64>,
    pub crit: Option<f64>,
    /// How long (ns) the condition must hold before pending becomes firing.
    pub for_ns: i64,
    pub filter: Query,
    /// The filter as written, for display and for the Conversations drill-down.
    pub filter_text: String,
    pub no_data: NoData,
    /// Re-send a firing alert this often (ns); `None` sends it once.
    pub renotify_ns: Option<i64>,
    /// True when values *below* the thresholds are bad (judge scores by default).
    pub below: bool,
}

impl Rule {
    /// A rule with the given metric and window, no thresholds yet, evaluated every sixth of
    /// the window.
    pub fn new(name: impl Into<String>, metric: AlertMetric, window_ns: i64) -> Rule {
        let window_ns = window_ns.max(SECOND);
        Rule {
            name: name.into(),
            below: metric.lower_is_worse(),
            metric,
            window_ns,
            step_ns: (window_ns / DEFAULT_STEPS).max(SECOND),
            warn: None,
            crit: None,
            for_ns: 0,
            filter: Query::all(),
            filter_text: String::new(),
            no_data: NoData::Ok,
            renotify_ns: None,
        }
    }

    fn breached(&self, v: f64, threshold: Option<f64>) -> bool {
        threshold.is_some_and(|t| if self.below { v < t } else { v > t })
    }

    /// The level a value breaches, if any.
    pub fn level_of(&self, v: f64) -> Option<Level> {
        if self.breached(v, self.crit) {
            Some(Level::Crit)
        } else if self.breached(v, self.warn) {
            Some(Level::Warn)
        } else {
            None
        }
    }

    /// The threshold of a level.
    pub fn threshold(&self, level: Level) -> Option<f64> {
        match level {
            Level::Warn => self.warn,
            Level::Crit => self.crit,
        }
    }

    /// The highest level the rule has a threshold for.
    pub fn top_level(&self) -> Level {
        if self.crit.is_some() {
            Level::Crit
        } else {
            Level::Warn
        }
    }

    /// Human scope: the filter, or "all calls".
    pub fn scope(&self) -> &str {
        if self.filter_text.trim().is_empty() {
            "all calls"
        } else {
            &self.filter_text
        }
    }
}

/// The rules that ship with llmmon (turn them off with `[alerting] default_rules = false`).
pub fn default_rules() -> Vec<Rule> {
    let mut latency = Rule::new(
        "slow calls (p95 latency)",
        AlertMetric::Latency(0.95),
        300 * SECOND,
    );
    latency.warn = Some(10_000.0);
    latency.crit = Some(30_000.0);
    latency.for_ns = 60 * SECOND;
    let mut errors = Rule::new("error rate", AlertMetric::ErrorRate, 300 * SECOND);
    errors.warn = Some(0.05);
    errors.crit = Some(0.20);
    errors.for_ns = 60 * SECOND;
    let mut injection = Rule::new(
        "prompt injection attempts",
        AlertMetric::FlagRate("injection".into()),
        900 * SECOND,
    );
    injection.warn = Some(0.02);
    injection.crit = Some(0.10);
    let mut secrets = Rule::new(
        "secrets in traffic",
        AlertMetric::Flags("secret".into()),
        900 * SECOND,
    );
    secrets.warn = Some(0.0);
    secrets.crit = Some(5.0);
    vec![latency, errors, injection, secrets]
}

/// Everything alerting needs from configuration.
#[derive(Debug, Clone, Default)]
pub struct AlertsConfig {
    pub rules: Vec<Rule>,
    pub budgets: BudgetConfig,
    /// Transitions kept in the history (0 means [`DEFAULT_HISTORY`]).
    pub history: usize,
}

/// Accumulated numbers of one bucket of one rule.
#[derive(Debug, Clone)]
struct Bucket {
    no: i64,
    num: f64,
    den: f64,
    hist: Hist<u32>,
}

impl Bucket {
    fn empty(no: i64, metric: HistMetric) -> Bucket {
        Bucket {
            no,
            num: 0.0,
            den: 0.0,
            hist: Hist::new(metric),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Ok,
    Pending { since: Nanos },
    Firing { since: Nanos, notified: Nanos },
}

/// A rule with its buckets and lifecycle state.
#[derive(Debug, Clone)]
pub struct RuleState {
    pub rule: Rule,
    buckets: Vec<Bucket>,
    /// Number of buckets a window covers.
    span: i64,
    /// Next bucket boundary (as a bucket number) to evaluate at.
    next_eval: Option<i64>,
    phase: Phase,
    level: Option<Level>,
    /// Event time the clock first reached this rule (to compute rates on a short start).
    first: Option<Nanos>,
    /// Value and time of the latest evaluation.
    pub last_value: Option<f64>,
    pub last_eval: Option<Nanos>,
}

impl RuleState {
    fn new(rule: Rule) -> RuleState {
        let span = (rule.window_ns / rule.step_ns).max(1);
        let hm = hist_metric(&rule.metric);
        RuleState {
            buckets: (0..span + 2).map(|_| Bucket::empty(i64::MIN, hm)).collect(),
            span,
            rule,
            next_eval: None,
            phase: Phase::Ok,
            level: None,
            first: None,
            last_value: None,
            last_eval: None,
        }
    }

    fn bucket_no(&self, t: Nanos) -> i64 {
        t.div_euclid(self.rule.step_ns)
    }

    fn bucket(&mut self, no: i64) -> Option<&mut Bucket> {
        let len = self.buckets.len() as i64;
        let hm = hist_metric(&self.rule.metric);
        let b = &mut self.buckets[no.rem_euclid(len) as usize];
        if b.no > no {
            return None;
        }
        if b.no != no {
            *b = Bucket::empty(no, hm);
        }
        Some(b)
    }

    /// Current status for display.
    pub fn status(&self) -> AlertStatus {
        match self.phase {
            Phase::Ok => AlertStatus::Ok,
            Phase::Pending { .. } => AlertStatus::Pending,
            Phase::Firing { .. } => AlertStatus::Firing,
        }
    }

    /// Level in effect while pending or firing.
    pub fn level(&self) -> Option<Level> {
        self.level
    }

    /// Event time the current pending or firing state began.
    pub fn since(&self) -> Option<Nanos> {
        match self.phase {
            Phase::Ok => None,
            Phase::Pending { since } | Phase::Firing { since, .. } => Some(since),
        }
    }

    /// The threshold of the level in effect (else the warning threshold).
    pub fn threshold(&self) -> Option<f64> {
        self.level
            .and_then(|l| self.rule.threshold(l))
            .or(self.rule.warn)
            .or(self.rule.crit)
    }

    /// The cause of the alert: its bad calls (filter AND metric predicate) over the window
    /// that is (or was last) evaluated, worst first.
    pub fn drill(&self) -> Option<Drill> {
        let to = self.last_eval?;
        let window = self.rule.window_ns;
        let from = self.since().map_or(to.saturating_sub(window), |s| {
            s.saturating_sub(window).min(to.saturating_sub(window))
        });
        Some(Drill {
            query: cause_query(
                &self.rule.metric,
                &self.rule.filter_text,
                None,
                self.threshold(),
            ),
            from,
            to,
            sort: sort_of(&self.rule.metric),
        })
    }

    fn observe_call(&mut self, c: &Call, t: Nanos) {
        if self.rule.metric.is_unavailable() || !self.rule.filter.matches(c) {
            return;
        }
        let no = self.bucket_no(t);
        let metric = self.rule.metric.clone();
        let Some(b) = self.bucket(no) else { return };
        let is_error = c.status == Status::Error;
        match &metric {
            AlertMetric::Latency(_) => record(&mut b.hist, c.effective_latency_ms()),
            AlertMetric::Ttft(_) => record(&mut b.hist, c.ttft_ms),
            AlertMetric::Tpot(_) => record(&mut b.hist, c.tpot_ms()),
            AlertMetric::ErrorRate => {
                b.num += f64::from(u8::from(is_error));
                b.den += 1.0;
            }
            AlertMetric::CallsPerMin => b.num += 1.0,
            AlertMetric::TokensPerMin => {
                b.num += (c.tokens.input.unwrap_or(0) + c.tokens.output.unwrap_or(0)) as f64
            }
            AlertMetric::CostPerMin | AlertMetric::Cost => b.num += c.cost_usd.unwrap_or(0.0),
            AlertMetric::Flags(fam) => {
                b.num += c.flags.iter().filter(|f| &f.detector == fam).count() as f64
            }
            AlertMetric::FlagRate(fam) => {
                b.num += f64::from(u8::from(c.flags.iter().any(|f| &f.detector == fam)));
                b.den += 1.0;
            }
            AlertMetric::JudgeMean(name) => {
                if let Some(v) = c.scores.get(name).filter(|v| v.is_finite()) {
                    b.num += v;
                    b.den += 1.0;
                }
            }
            AlertMetric::FeedbackNegativeRate
            | AlertMetric::DriftShare
            | AlertMetric::Drift(_)
            | AlertMetric::RephraseRate => {}
        }
    }

    fn observe_feedback(&mut self, f: &Feedback, call: Option<&Call>, t: Nanos) {
        if self.rule.metric != AlertMetric::FeedbackNegativeRate {
            return;
        }
        let matches = match call {
            Some(c) => self.rule.filter.matches(c),
            None => self.rule.filter.is_empty(),
        };
        let (neg, counted) = match f.kind {
            FeedbackKind::ThumbsDown => (1.0, true),
            FeedbackKind::ThumbsUp => (0.0, true),
            _ => (0.0, false),
        };
        if !matches || !counted {
            return;
        }
        let no = self.bucket_no(t);
        if let Some(b) = self.bucket(no) {
            b.num += neg;
            b.den += 1.0;
        }
    }

    /// The metric over the buckets before boundary bucket `k`.
    fn value_at(&self, k: i64) -> Option<f64> {
        let lo = k - self.span;
        let mut num = 0.0;
        let mut den = 0.0;
        let mut hist: Hist<u64> = Hist::new(hist_metric(&self.rule.metric));
        for b in self.buckets.iter().filter(|b| b.no >= lo && b.no < k) {
            num += b.num;
            den += b.den;
            hist.merge(&b.hist);
        }
        let boundary = k.saturating_mul(self.rule.step_ns);
        let covered = self.first.map_or(self.rule.window_ns, |f| {
            boundary.saturating_sub(f).clamp(1, self.rule.window_ns)
        });
        let minutes = covered as f64 / (60.0 * SECOND as f64);
        let ratio = || (den > 0.0).then(|| num / den);
        match &self.rule.metric {
            AlertMetric::Latency(q) | AlertMetric::Ttft(q) | AlertMetric::Tpot(q) => {
                hist.quantile(*q)
            }
            AlertMetric::ErrorRate
            | AlertMetric::FlagRate(_)
            | AlertMetric::FeedbackNegativeRate
            | AlertMetric::JudgeMean(_) => ratio(),
            AlertMetric::CallsPerMin | AlertMetric::TokensPerMin | AlertMetric::CostPerMin => {
                Some(num / minutes)
            }
            AlertMetric::Cost | AlertMetric::Flags(_) => Some(num),
            AlertMetric::DriftShare | AlertMetric::Drift(_) | AlertMetric::RephraseRate => None,
        }
    }

    /// Evaluates at boundary bucket `k`, pushing any transition.
    fn evaluate(&mut self, k: i64, out: &mut Sink) {
        self.evaluate_at(k, k.saturating_mul(self.rule.step_ns), out);
    }

    /// Evaluates the buckets before boundary bucket `k`, stamping the result (and any
    /// transition) with event time `at`.
    fn evaluate_at(&mut self, k: i64, at: Nanos, out: &mut Sink) {
        let value = self.value_at(k);
        self.last_value = value;
        self.last_eval = Some(at);
        let cond = match value {
            Some(v) => self.rule.level_of(v),
            None => match self.rule.no_data {
                NoData::Ok => None,
                NoData::Alert => Some(self.rule.top_level()),
                NoData::Keep => return,
            },
        };
        let rule = &self.rule;
        let mut step = |from, to, level: Option<Level>, renotify| {
            let threshold = level.and_then(|l| rule.threshold(l)).or(match to {
                AlertStatus::Resolved | AlertStatus::Ok => rule.warn.or(rule.crit),
                _ => None,
            });
            out.push(Transition {
                rule: rule.name.clone(),
                group: None,
                metric: rule.metric.to_string(),
                filter: rule.filter_text.clone(),
                from,
                to,
                level,
                at,
                value,
                threshold,
                window_ns: rule.window_ns,
                renotify,
            });
        };
        match (self.phase, cond) {
            (Phase::Ok, None) => {}
            (Phase::Ok, Some(l)) if rule.for_ns == 0 => {
                step(AlertStatus::Ok, AlertStatus::Firing, Some(l), false);
                self.phase = Phase::Firing {
                    since: at,
                    notified: at,
                };
            }
            (Phase::Ok, Some(l)) => {
                step(AlertStatus::Ok, AlertStatus::Pending, Some(l), false);
                self.phase = Phase::Pending { since: at };
            }
            (Phase::Pending { since }, Some(l)) => {
                if at.saturating_sub(since) >= rule.for_ns {
                    step(AlertStatus::Pending, AlertStatus::Firing, Some(l), false);
                    self.phase = Phase::Firing {
                        since: at,
                        notified: at,
                    };
                }
            }
            (Phase::Pending { .. }, None) => {
                step(AlertStatus::Pending, AlertStatus::Ok, None, false);
                self.phase = Phase::Ok;
            }
            (Phase::Firing { since, notified }, Some(l)) => {
                if Some(l) != self.level {
                    step(AlertStatus::Firing, AlertStatus::Firing, Some(l), false);
                    self.phase = Phase::Firing {
                        since,
                        notified: at,
                    };
                } else if rule
                    .renotify_ns
                    .is_some_and(|r| at.saturating_sub(notified) >= r)
                {
                    step(AlertStatus::Firing, AlertStatus::Firing, Some(l), true);
                    self.phase = Phase::Firing {
                        since,
                        notified: at,
                    };
                }
            }
            (Phase::Firing { .. }, None) => {
                step(AlertStatus::Firing, AlertStatus::Resolved, None, false);
                self.phase = Phase::Ok;
            }
        }
        self.level = match self.phase {
            Phase::Ok => None,
            _ => cond,
        };
    }

    /// Evaluates every boundary up to and including bucket `k`.
    fn advance_to(&mut self, t: Nanos, out: &mut Sink) {
        let k = self.bucket_no(t);
        let Some(mut next) = self.next_eval else {
            self.next_eval = Some(k + 1);
            self.first = Some(t);
            return;
        };
        while next <= k {
            // After a long quiet gap every window is empty: skip the identical evaluations.
            if k.saturating_sub(next) > self.span + 2 {
                self.evaluate(next, out);
                next = k;
            }
            self.evaluate(next, out);
            next += 1;
        }
        self.next_eval = Some(next);
    }
}

fn record(h: &mut Hist<u32>, v: Option<f64>) {
    if let Some(v) = v {
        h.record(v);
    }
}

fn hist_metric(m: &AlertMetric) -> HistMetric {
    match m {
        AlertMetric::Ttft(_) => HistMetric::Ttft,
        AlertMetric::Tpot(_) => HistMetric::Tpot,
        _ => HistMetric::Latency,
    }
}

/// All alert rules, budgets and their history: the engine's alert state.
#[derive(Debug, Clone)]
pub struct AlertState {
    pub rules: Vec<RuleState>,
    pub budgets: Budgets,
    pub sink: Sink,
}

impl Default for AlertState {
    fn default() -> Self {
        AlertState::new(AlertsConfig::default())
    }
}

impl AlertState {
    /// State for the configured rules and budgets.
    pub fn new(cfg: AlertsConfig) -> AlertState {
        AlertState {
            rules: cfg.rules.into_iter().map(RuleState::new).collect(),
            budgets: Budgets::new(cfg.budgets),
            sink: Sink::new(cfg.history),
        }
    }

    /// Moves the event clock to `t`, evaluating every rule at each boundary crossed.
    pub fn advance(&mut self, t: Nanos) {
        for r in &mut self.rules {
            r.advance_to(t, &mut self.sink);
        }
        self.budgets.advance(t, &mut self.sink);
    }

    /// Feeds one LLM call at event time `t` (after advancing the clock to it).
    pub fn observe_call(&mut self, c: &Call, t: Nanos) {
        self.advance(t);
        for r in &mut self.rules {
            r.observe_call(c, t);
        }
        self.budgets.observe_call(c, t, &mut self.sink);
    }

    /// Feeds one piece of feedback; `call` is the call it refers to when known (for filters).
    pub fn observe_feedback(&mut self, f: &Feedback, call: Option<&Call>, t: Nanos) {
        self.advance(t);
        for r in &mut self.rules {
            r.observe_feedback(f, call, t);
        }
    }

    /// Closes the input: evaluates every boundary up to `now`, then the partial last bucket
    /// once, stamped `now`, so the last stretch of a finished input counts and no alert time
    /// falls after the newest record (`check` calls this at end of input).
    pub fn flush(&mut self, now: Nanos) {
        for r in &mut self.rules {
            r.advance_to(now, &mut self.sink);
            let k = r.bucket_no(now);
            if k.saturating_mul(r.rule.step_ns) < now && r.next_eval.is_some() {
                // The partial bucket the input ended in, stamped with the newest record's
                // time: no alert time falls after the data.
                r.evaluate_at(k.saturating_add(1), now, &mut self.sink);
            }
        }
    }

    /// Transitions worth notifying about since the last call (firing, resolved, reminders).
    pub fn take_notifications(&mut self) -> Vec<Transition> {
        self.sink.take_outbox()
    }

    /// The full bounded history, oldest first.
    pub fn history(&self) -> &VecDeque<Transition> {
        &self.sink.history
    }

    /// Rules ordered for the Alerts pane: firing (crit first), then pending, then the rest by
    /// most recent transition.
    pub fn ordered(&self) -> Vec<&RuleState> {
        let mut v: Vec<&RuleState> = self.rules.iter().collect();
        let rank = |r: &RuleState| match r.status() {
            AlertStatus::Firing => 0,
            AlertStatus::Pending => 1,
            _ => 2,
        };
        let last_change = |r: &RuleState| {
            self.sink
                .history
                .iter()
                .rev()
                .find(|t| t.rule == r.rule.name)
                .map_or(i64::MIN, |t| t.at)
        };
        v.sort_by_key(|r| {
            (
                rank(r),
                std::cmp::Reverse(r.level()),
                std::cmp::Reverse(last_change(r)),
            )
        });
        v
    }

    /// Everything firing now, rules and budgets alike: (level, name, what it measures).
    /// A budget at its warning share or over its limit fires like a rule does.
    pub fn firing(&self) -> Vec<(Level, String, String)> {
        let mut out: Vec<(Level, String, String)> = self
            .rules
            .iter()
            .filter(|r| r.status() == AlertStatus::Firing)
            .map(|r| {
                let value = r
                    .last_value
                    .map_or("no data".to_string(), |v| r.rule.metric.format_value(v));
                (
                    r.level().unwrap_or(Level::Warn),
                    r.rule.name.clone(),
                    format!("{} = {value}", r.rule.metric),
                )
            })
            .collect();
        out.extend(self.budgets.lines().into_iter().filter_map(|b| {
            Some((
                b.level?,
                format!("budget.{}", b.name),
                format!("spent ${:.2} of ${:.2}", b.spent_usd, b.limit_usd),
            ))
        }));
        out
    }

    /// The header banner: the worst firing alert or budget and how many fire, if any.
    pub fn banner(&self) -> Option<String> {
        let firing = self.firing();
        let (level, name, what) = firing.iter().max_by_key(|f| f.0)?;
        let more = if firing.len() > 1 {
            format!(" (+{} more)", firing.len() - 1)
        } else {
            String::new()
        };
        Some(format!(
            "{} {name}: {what}{more}",
            level.as_str().to_uppercase()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_at(lat: f64, err: bool) -> Call {
        Call {
            latency_ms: Some(lat),
            status: if err { Status::Error } else { Status::Ok },
            ..Call::default()
        }
    }

    #[test]
    fn metrics_parse_and_print_back() {
        for m in [
            "latency.p95",
            "ttft.p50",
            "tpot.p99",
            "error_rate",
            "calls_per_min",
            "tokens_per_min",
            "cost_per_min",
            "cost",
            "flags.pii",
            "flag_rate.injection",
            "drift.share",
            "drift.input_tokens",
            "feedback.negative_rate",
            "judge.helpfulness.mean",
            "rephrase_rate",
        ] {
            assert_eq!(AlertMetric::parse(m).unwrap().to_string(), m);
        }
        for bad in [
            "latency.p42",
            "latency",
            "judge.x",
            "flags.",
            "nope",
            "cost.x",
        ] {
            assert!(AlertMetric::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn thresholds_take_units() {
        assert_eq!(parse_threshold("2s", ThresholdUnit::Millis), Some(2000.0));
        assert_eq!(parse_threshold("250", ThresholdUnit::Millis), Some(250.0));
        assert_eq!(parse_threshold("5%", ThresholdUnit::Ratio), Some(0.05));
        assert_eq!(parse_threshold("$3.5", ThresholdUnit::Usd), Some(3.5));
        assert_eq!(parse_threshold("fast", ThresholdUnit::Millis), None);
    }

    #[test]
    fn for_delays_firing_and_pending_can_clear() {
        let mut r = Rule::new("e", AlertMetric::ErrorRate, 60 * SECOND);
        r.warn = Some(0.5);
        r.for_ns = 20 * SECOND;
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![r],
            ..AlertsConfig::default()
        });
        for s in 0..200 {
            st.observe_call(&call_at(1.0, (30..100).contains(&s)), s * SECOND);
        }
        let kinds: Vec<_> = st
            .history()
            .iter()
            .map(|t| (t.from, t.to, t.at / SECOND))
            .collect();
        assert_eq!(kinds[0].1, AlertStatus::Pending);
        assert_eq!(kinds[1].1, AlertStatus::Firing);
        assert!(kinds[1].2 - kinds[0].2 >= 20);
        assert_eq!(kinds.last().unwrap().1, AlertStatus::Resolved);
        assert_eq!(st.sink.worst, Some(Level::Warn));
    }

    #[test]
    fn flush_evaluates_the_end_of_input_at_the_newest_record() {
        let mut r = Rule::new("e", AlertMetric::ErrorRate, 60 * SECOND);
        r.warn = Some(0.3);
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![r],
            ..AlertsConfig::default()
        });
        let newest = 95 * SECOND + 300_000_000;
        for t in (0..=newest).step_by(500_000_000) {
            st.observe_call(&call_at(1.0, t >= 50 * SECOND), t);
        }
        st.observe_call(&call_at(1.0, true), newest);
        st.flush(newest);
        let times: Vec<Nanos> = st.history().iter().map(|t| t.at).collect();
        assert!(!times.is_empty(), "the error burst fires");
        assert!(times.iter().all(|&t| t <= newest), "{times:?} vs {newest}");
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "in order: {times:?}"
        );
        assert_eq!(st.rules[0].last_eval, Some(newest));
    }

    #[test]
    fn no_data_alert_fires_and_keep_holds() {
        let mut r = Rule::new("d", AlertMetric::DriftShare, 60 * SECOND);
        r.warn = Some(0.3);
        r.no_data = NoData::Alert;
        let mut keep = r.clone();
        keep.name = "k".into();
        keep.no_data = NoData::Keep;
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![r, keep],
            ..AlertsConfig::default()
        });
        for s in 0..30 {
            st.observe_call(&call_at(1.0, false), s * SECOND);
        }
        assert_eq!(st.rules[0].status(), AlertStatus::Firing);
        assert_eq!(st.rules[1].status(), AlertStatus::Ok);
        assert!(st.banner().unwrap().contains("d: drift.share"));
    }

    #[test]
    fn renotify_repeats_while_firing_and_gaps_do_not_spin() {
        let mut r = Rule::new("calls", AlertMetric::CallsPerMin, 60 * SECOND);
        r.warn = Some(1.0);
        r.renotify_ns = Some(30 * SECOND);
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![r],
            ..AlertsConfig::default()
        });
        for s in 0..120 {
            st.observe_call(&call_at(1.0, false), s * SECOND);
        }
        let n = st.take_notifications();
        assert!(n.iter().filter(|t| t.renotify).count() >= 2, "{n:?}");
        // A year-long gap evaluates a bounded number of times and resolves.
        st.observe_call(&call_at(1.0, false), 365 * 86_400 * SECOND);
        assert_eq!(st.history().back().unwrap().to, AlertStatus::Resolved);
        assert!(st.take_notifications().len() <= 3);
    }

    #[test]
    fn an_exceeded_budget_fires_in_the_count_and_the_banner() {
        let mut st = AlertState::new(AlertsConfig {
            budgets: BudgetConfig {
                per_user: Some(1.0),
                ..BudgetConfig::default()
            },
            ..AlertsConfig::default()
        });
        let c = Call {
            cost_usd: Some(0.6),
            user: Some("alice".into()),
            ..call_at(1.0, false)
        };
        st.observe_call(&c, SECOND);
        assert!(st.banner().is_none_or(|b| !b.contains("alice")));
        st.observe_call(&c, 2 * SECOND);
        let firing = st.firing();
        assert_eq!(firing.len(), 1, "{firing:?}");
        assert_eq!(firing[0].0, Level::Crit);
        let banner = st.banner().unwrap();
        assert!(banner.starts_with("CRIT budget.user:alice"), "{banner}");
        let view = crate::engine::read::alerts::AlertsView::of(&st);
        assert_eq!((view.firing, view.critical), (1, true));
        assert_eq!(st.sink.worst, Some(Level::Crit), "check's exit code");
    }

    #[test]
    fn extreme_event_times_do_not_overflow() {
        let mut r = Rule::new("e", AlertMetric::CallsPerMin, 60 * SECOND);
        r.warn = Some(0.5);
        r.renotify_ns = Some(SECOND);
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![r],
            budgets: BudgetConfig {
                daily: Some(1.0),
                ..BudgetConfig::default()
            },
            ..AlertsConfig::default()
        });
        let c = Call {
            cost_usd: Some(2.0),
            ..call_at(1.0, false)
        };
        for t in [i64::MIN + 1, -SECOND, 0, i64::MAX - 1, i64::MAX] {
            st.observe_call(&c, t);
            st.flush(t);
        }
        for r in &st.rules {
            let _ = r.drill();
        }
        let _ = st.budgets.forecasts();
    }
}
