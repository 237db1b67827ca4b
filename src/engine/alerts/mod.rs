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
mod group;
pub mod lifecycle;
mod metric;
mod sketch;
pub mod why;

pub use drill::{cause_query, scope_of, sort_of, Drill, DrillSort};
pub use group::{GroupBy, GROUP_NAMES};
pub use lifecycle::{AlertStatus, Level, Sink, Transition, DEFAULT_HISTORY};
pub use metric::{parse_threshold, AlertMetric, ThresholdUnit, METRIC_NAMES};

use super::budgets::{BudgetConfig, Budgets};
use super::drift::WindowResult;
use super::quality::GROUNDEDNESS;
use super::SECOND;
use crate::model::query::Query;
use crate::model::record::{Call, Feedback, FeedbackKind, Nanos, Status};
use serde::Serialize;
use sketch::{Bins, Sketch};
use std::collections::VecDeque;

/// Group instances one rule keeps unless it sets `max_groups`.
pub const DEFAULT_MAX_GROUPS: usize = 100;

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
    /// One instance per value of this dimension, each with its own lifecycle.
    pub group_by: Option<GroupBy>,
    /// Instances kept at most; calls of further values are counted, not evaluated.
    pub max_groups: usize,
    /// Fewer observations than this in the window is "no data" (a rate over 3 calls says
    /// little).
    pub min_calls: u64,
    /// Compare with the rule's own recent past: the value must also be at least
    /// `factor` times what it was over this stretch (ns) before the window.
    pub baseline_ns: Option<i64>,
    /// How many times its baseline a value must reach to breach (with `baseline_ns`).
    pub factor: f64,
}

impl Rule {
    /// A rule with the given metric and window, no thresholds yet, evaluated every second
    /// of event time.
    pub fn new(name: impl Into<String>, metric: AlertMetric, window_ns: i64) -> Rule {
        let window_ns = window_ns.max(SECOND);
        Rule {
            name: name.into(),
            below: metric.lower_is_worse(),
            metric,
            window_ns,
            step_ns: SECOND,
            warn: None,
            crit: None,
            for_ns: 0,
            filter: Query::all(),
            filter_text: String::new(),
            no_data: NoData::Ok,
            renotify_ns: None,
            group_by: None,
            max_groups: DEFAULT_MAX_GROUPS,
            min_calls: 0,
            baseline_ns: None,
            factor: 1.0,
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

/// The ids of the rules that ship with llmmon, for `[alerting] disable = [...]`.
pub const DEFAULT_RULE_IDS: [&str; 7] = [
    "latency",
    "errors",
    "injection",
    "secrets",
    "pii",
    "cost",
    "drift",
];

/// The rules that ship with llmmon, each with its id (turn one off with `[alerting]
/// disable = ["latency"]`, all with `default_rules = false`). Each is scoped to the thing
/// that goes wrong on its own (a model, a provider, a user) and compares it with its own
/// recent past where a fixed number would not carry over, so they fire within seconds of
/// an incident and stay quiet on steady traffic (tests/alerts_defaults.rs checks both on
/// the demo's scripted incidents, in event time).
pub fn default_rules() -> Vec<(&'static str, Rule)> {
    let mut latency = Rule::new(
        "slow model (p95 latency)",
        AlertMetric::Latency(0.95),
        10 * SECOND,
    );
    latency.group_by = Some(GroupBy::Model);
    latency.baseline_ns = Some(600 * SECOND);
    latency.factor = 3.0;
    latency.min_calls = 10;
    // Too few calls in 10 s says nothing either way: hold the state instead of flapping.
    latency.no_data = NoData::Keep;
    latency.warn = Some(4_000.0);
    latency.crit = Some(20_000.0);
    with_filter(&mut latency, "status:ok");
    let mut errors = Rule::new("provider errors", AlertMetric::ErrorRate, 60 * SECOND);
    errors.group_by = Some(GroupBy::Provider);
    errors.min_calls = 20;
    errors.warn = Some(0.10);
    errors.crit = Some(0.50);
    let mut injection = Rule::new(
        "prompt injection attempts",
        AlertMetric::Flags("injection".into()),
        300 * SECOND,
    );
    injection.group_by = Some(GroupBy::User);
    injection.warn = Some(2.0);
    injection.crit = Some(9.0);
    let mut secrets = Rule::new(
        "secret in traffic",
        AlertMetric::Flags("secret".into()),
        60 * SECOND,
    );
    secrets.crit = Some(0.0);
    let mut pii = Rule::new(
        "PII in traffic",
        AlertMetric::Flags("pii".into()),
        60 * SECOND,
    );
    pii.warn = Some(0.0);
    pii.crit = Some(4.0);
    let mut cost = Rule::new("cost runaway", AlertMetric::CostPerMin, 60 * SECOND);
    cost.group_by = Some(GroupBy::User);
    cost.baseline_ns = Some(600 * SECOND);
    cost.factor = 5.0;
    cost.warn = Some(1.0);
    cost.crit = Some(10.0);
    // Most features drifting at once, over five drift windows: a model swap or a new prompt
    // template, not the 40-50 % that steady traffic shows against a stream-start reference.
    let mut drift = Rule::new("traffic drift", AlertMetric::DriftShare, 300 * SECOND);
    drift.no_data = NoData::Keep;
    drift.warn = Some(0.80);
    vec![
        ("latency", latency),
        ("errors", errors),
        ("injection", injection),
        ("secrets", secrets),
        ("pii", pii),
        ("cost", cost),
        ("drift", drift),
    ]
}

/// Sets a built-in rule's filter (a constant that parses).
fn with_filter(rule: &mut Rule, text: &str) {
    if let Ok(q) = Query::parse(text) {
        rule.filter = q;
        rule.filter_text = text.to_string();
    }
}

/// Everything alerting needs from configuration.
#[derive(Debug, Clone, Default)]
pub struct AlertsConfig {
    pub rules: Vec<Rule>,
    pub budgets: BudgetConfig,
    /// Transitions kept in the history (0 means [`DEFAULT_HISTORY`]).
    pub history: usize,
}

/// What one observation adds to a bucket (and to the window, when it arrives late).
#[derive(Debug, Clone, Copy, Default)]
struct Delta {
    num: f64,
    den: f64,
    /// The observation counts towards `min_calls`.
    item: bool,
    /// A value (ms) for the rule's quantile sketch.
    value: Option<f64>,
}

impl Delta {
    /// One value for a quantile rule.
    fn sample(v: f64) -> Delta {
        Delta {
            item: true,
            value: Some(v),
            ..Delta::default()
        }
    }

    /// An amount for a sum or rate rule (calls, tokens, dollars, findings).
    fn count(num: f64) -> Delta {
        Delta {
            num,
            item: true,
            ..Delta::default()
        }
    }

    /// One observation of a ratio rule: `num` out of one (a hit is 1, a score its value).
    fn ratio(num: f64) -> Delta {
        Delta {
            num,
            den: 1.0,
            item: true,
            value: None,
        }
    }
}

/// Accumulated numbers of one bucket (one step) of one rule.
#[derive(Debug, Clone)]
struct Bucket {
    no: i64,
    num: f64,
    den: f64,
    items: u64,
    bins: Bins,
}

impl Bucket {
    fn empty(no: i64) -> Bucket {
        Bucket {
            no,
            num: 0.0,
            den: 0.0,
            items: 0,
            bins: Bins::default(),
        }
    }

    fn apply(&mut self, d: &Delta) {
        self.num += d.num;
        self.den += d.den;
        self.items += u64::from(d.item);
        if let Some(v) = d.value {
            self.bins.record(v);
        }
    }
}

/// Running sums of the buckets inside a rule's window: a bucket is added when the window
/// reaches it and subtracted when it leaves, so an evaluation costs what changed, not the
/// window's length.
#[derive(Debug, Clone, Default)]
struct Acc {
    num: f64,
    den: f64,
    items: u64,
    sketch: Option<Box<Sketch>>,
}

impl Acc {
    fn add(&mut self, b: &Bucket) {
        self.num += b.num;
        self.den += b.den;
        self.items += b.items;
        if !b.bins.is_empty() {
            self.sketch.get_or_insert_with(Box::default).add(&b.bins);
        }
    }

    fn sub(&mut self, b: &Bucket) {
        self.items = self.items.saturating_sub(b.items);
        if self.items == 0 {
            // Nothing left: drop rounding residue instead of carrying it on.
            self.num = 0.0;
            self.den = 0.0;
        } else {
            self.num -= b.num;
            self.den -= b.den;
        }
        if let Some(s) = self.sketch.as_mut() {
            s.sub(&b.bins);
        }
    }

    fn apply(&mut self, d: &Delta) {
        self.num += d.num;
        self.den += d.den;
        self.items += u64::from(d.item);
        if let Some(v) = d.value {
            self.sketch.get_or_insert_with(Box::default).record(v);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Ok,
    Pending { since: Nanos },
    Firing { since: Nanos, notified: Nanos },
}

/// A rule (or one group instance of a grouped rule) with its buckets and lifecycle state.
#[derive(Debug, Clone)]
pub struct RuleState {
    pub rule: Rule,
    /// For a group instance, the group it watches (`model=gpt-4o`).
    pub group: Option<String>,
    buckets: Vec<Bucket>,
    /// Number of buckets a window covers.
    span: i64,
    /// Number of buckets the baseline covers, just before the window (0: no baseline).
    base_span: i64,
    /// Next bucket boundary (as a bucket number) to evaluate at.
    next_eval: Option<i64>,
    /// The boundary `window` sums up to: buckets `[acc_at - span, acc_at)`.
    acc_at: i64,
    window: Acc,
    /// Buckets `[acc_at - span - base_span, acc_at - span)`.
    base: Acc,
    /// The baseline's value at the latest evaluation.
    pub baseline: Option<f64>,
    phase: Phase,
    level: Option<Level>,
    /// Event time the stream first reached the rule (to compute rates on a short start).
    first: Option<Nanos>,
    /// Value and time of the latest evaluation.
    pub last_value: Option<f64>,
    pub last_eval: Option<Nanos>,
}

impl RuleState {
    fn new(rule: Rule) -> RuleState {
        let span = (rule.window_ns / rule.step_ns).max(1);
        let base_span = rule.baseline_ns.map_or(0, |b| (b / rule.step_ns).max(1));
        RuleState {
            buckets: (0..span + base_span + 3)
                .map(|_| Bucket::empty(i64::MIN))
                .collect(),
            span,
            base_span,
            rule,
            group: None,
            next_eval: None,
            acc_at: 0,
            window: Acc::default(),
            base: Acc::default(),
            baseline: None,
            phase: Phase::Ok,
            level: None,
            first: None,
            last_value: None,
            last_eval: None,
        }
    }

    /// The instance of a grouped rule for one group value, starting at event time `t` of a
    /// stream that began at `first`.
    fn instance(template: &Rule, group: &GroupBy, value: &str, first: Nanos, t: Nanos) -> Self {
        let mut rule = template.clone();
        rule.name = format!("{} · {}={value}", template.name, group.as_str());
        let pred = group.predicate(value);
        rule.filter_text = if template.filter_text.trim().is_empty() {
            pred
        } else {
            format!("({}) {pred}", template.filter_text)
        };
        let mut st = RuleState::new(rule);
        st.group = Some(format!("{}={value}", group.as_str()));
        let k = st.bucket_no(t);
        st.next_eval = Some(k + 1);
        st.acc_at = k;
        st.first = Some(first);
        st
    }

    fn bucket_no(&self, t: Nanos) -> i64 {
        t.div_euclid(self.rule.step_ns)
    }

    fn slot(&self, no: i64) -> usize {
        no.rem_euclid(self.buckets.len() as i64) as usize
    }

    /// The bucket numbered `no` for writing, unless its slot already holds a newer one.
    fn bucket(&mut self, no: i64) -> Option<&mut Bucket> {
        let i = self.slot(no);
        let b = &mut self.buckets[i];
        if b.no > no {
            return None;
        }
        if b.no != no {
            *b = Bucket::empty(no);
        }
        Some(b)
    }

    /// A group instance with nothing to evaluate: OK, empty window and baseline, nothing
    /// waiting in the current bucket, and a rule an empty window cannot trip (not `below`,
    /// not `no_data = "alert"`). Its evaluations would all say "OK, no data", so the clock
    /// skips it until its next call catches it up ([`AlertState::advance`]); 1,000 quiet
    /// instances then cost nothing per second.
    fn idle(&self) -> bool {
        self.group.is_some()
            && self.next_eval.is_some()
            && self.phase == Phase::Ok
            && !self.rule.below
            && self.rule.no_data != NoData::Alert
            && self.window.items == 0
            && self.base.items == 0
            && self.buckets[self.slot(self.acc_at)].no != self.acc_at
    }

    /// Moves the window sums to boundary `k`, one bucket in and one out per step.
    fn shift_to(&mut self, k: i64) {
        while self.acc_at < k {
            let m = self.acc_at;
            let entering = &self.buckets[self.slot(m)];
            if entering.no == m {
                self.window.add(entering);
            }
            let gone = m - self.span;
            let leaving = &self.buckets[self.slot(gone)];
            if leaving.no == gone {
                self.window.sub(leaving);
                if self.base_span > 0 {
                    self.base.add(leaving);
                }
            }
            let old = gone - self.base_span;
            let past = &self.buckets[self.slot(old)];
            if self.base_span > 0 && past.no == old {
                self.base.sub(past);
            }
            self.acc_at += 1;
        }
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
            filter: drill::scope_of(&self.rule.filter_text, self.group.as_deref()).to_string(),
            group: self.group.clone(),
            from,
            to,
            sort: sort_of(&self.rule.metric),
        })
    }

    /// What a call adds to this rule, or nothing.
    fn call_delta(&self, c: &Call, rephrase: Option<bool>) -> Option<Delta> {
        if self.rule.metric.is_window_level() || !self.rule.filter.matches(c) {
            return None;
        }
        let hit = |yes: bool| Delta::ratio(f64::from(u8::from(yes)));
        match &self.rule.metric {
            AlertMetric::Latency(_) => c.effective_latency_ms().map(Delta::sample),
            AlertMetric::Ttft(_) => c.ttft_ms.map(Delta::sample),
            AlertMetric::Tpot(_) => c.tpot_ms().map(Delta::sample),
            AlertMetric::ErrorRate => Some(hit(c.status == Status::Error)),
            AlertMetric::CallsPerMin => Some(Delta::count(1.0)),
            AlertMetric::TokensPerMin => Some(Delta::count(
                (c.tokens.input.unwrap_or(0) + c.tokens.output.unwrap_or(0)) as f64,
            )),
            AlertMetric::CostPerMin | AlertMetric::Cost => {
                Some(Delta::count(c.cost_usd.unwrap_or(0.0)))
            }
            AlertMetric::Flags(fam) => Some(Delta::count(
                c.flags.iter().filter(|f| &f.detector == fam).count() as f64,
            )),
            AlertMetric::FlagRate(fam) => Some(hit(c.flags.iter().any(|f| &f.detector == fam))),
            AlertMetric::JudgeMean(name) => c
                .scores
                .get(name)
                .filter(|v| v.is_finite())
                .map(|v| Delta::ratio(*v)),
            // A follow-up turn counts as 1 when it rephrases the previous one.
            AlertMetric::RephraseRate => rephrase.map(hit),
            AlertMetric::FeedbackNegativeRate
            | AlertMetric::HallucinationRate
            | AlertMetric::DriftShare
            | AlertMetric::Drift(_) => None,
        }
    }

    /// Adds an observation at event time `t` to its bucket, and to the window sums when the
    /// bucket was already counted (a late arrival).
    fn observe(&mut self, d: &Delta, t: Nanos) {
        let no = self.bucket_no(t);
        let (acc_at, span, base_span) = (self.acc_at, self.span, self.base_span);
        let Some(b) = self.bucket(no) else { return };
        b.apply(d);
        if no < acc_at && no >= acc_at - span {
            self.window.apply(d);
        } else if no < acc_at - span && no >= acc_at - span - base_span {
            self.base.apply(d);
        }
    }

    fn observe_call(&mut self, c: &Call, t: Nanos, rephrase: Option<bool>) {
        if let Some(d) = self.call_delta(c, rephrase) {
            self.observe(&d, t);
        }
    }

    /// A closed drift window, as one observation at its last instant: the share of drifting
    /// features, or one feature's population stability index.
    fn observe_drift(&mut self, w: &WindowResult) {
        let Some(d) = &w.drift else { return };
        let value = match &self.rule.metric {
            AlertMetric::DriftShare => (d.evaluated > 0).then_some(d.share),
            AlertMetric::Drift(name) => d
                .features
                .iter()
                .find(|f| &f.name == name && f.enough_data)
                .and_then(|f| f.psi),
            _ => None,
        };
        if let Some(v) = value {
            self.observe(&Delta::ratio(v), w.end.saturating_sub(1).max(w.start));
        }
    }

    /// True when an observation about `call` (`None`: not seen yet) is in the rule's scope:
    /// an unseen call only for a rule without a filter.
    fn in_scope(&self, call: Option<&Call>) -> bool {
        match call {
            Some(c) => self.rule.filter.matches(c),
            None => self.rule.filter.is_empty(),
        }
    }

    fn observe_feedback(&mut self, f: &Feedback, call: Option<&Call>, t: Nanos) {
        if self.rule.metric != AlertMetric::FeedbackNegativeRate || f.is_judge_verdict() {
            return;
        }
        let matches = self.in_scope(call);
        let neg = match f.kind {
            FeedbackKind::ThumbsDown => 1.0,
            FeedbackKind::ThumbsUp => 0.0,
            _ => return,
        };
        if matches {
            self.observe(&Delta::ratio(neg), t);
        }
    }

    /// An LLM judge's verdict at `t` (the judged call's event time): a value of
    /// `judge.<criterion>.mean`, and for groundedness a yes/no of `judge.hallucination_rate`
    /// (yes below `hallucination_below`).
    fn observe_verdict(
        &mut self,
        f: &Feedback,
        call: Option<&Call>,
        t: Nanos,
        hallucination_below: f64,
    ) {
        let Some((criterion, v)) = f.verdict() else {
            return;
        };
        let d = match &self.rule.metric {
            AlertMetric::JudgeMean(name) if name == criterion => Delta::ratio(v),
            AlertMetric::HallucinationRate if criterion == GROUNDEDNESS => {
                Delta::ratio(f64::from(u8::from(v < hallucination_below)))
            }
            _ => return,
        };
        if self.in_scope(call) {
            self.observe(&d, t);
        }
    }

    /// The metric over the window sums (buckets before boundary `acc_at`).
    fn value(&self) -> Option<f64> {
        let boundary = self.acc_at.saturating_mul(self.rule.step_ns);
        let covered = self.first.map_or(self.rule.window_ns, |f| {
            boundary.saturating_sub(f).clamp(1, self.rule.window_ns)
        });
        self.value_of(&self.window, covered)
    }

    /// The metric over the baseline stretch before the window.
    fn baseline_value(&self) -> Option<f64> {
        let len = self.rule.baseline_ns?;
        let start = self
            .acc_at
            .saturating_sub(self.span)
            .saturating_mul(self.rule.step_ns);
        let covered = self
            .first
            .map_or(len, |f| start.saturating_sub(f).clamp(0, len));
        (covered > 0)
            .then(|| self.value_of(&self.base, covered))
            .flatten()
    }

    /// The metric over sums that cover `covered` ns of the stream.
    fn value_of(&self, w: &Acc, covered: i64) -> Option<f64> {
        if w.items < self.rule.min_calls {
            return None;
        }
        let minutes = covered as f64 / (60.0 * SECOND as f64);
        let ratio = || (w.den > 0.0).then(|| w.num / w.den);
        match &self.rule.metric {
            AlertMetric::Latency(q) | AlertMetric::Ttft(q) | AlertMetric::Tpot(q) => {
                w.sketch.as_ref().and_then(|s| s.quantile(*q))
            }
            AlertMetric::ErrorRate
            | AlertMetric::FlagRate(_)
            | AlertMetric::FeedbackNegativeRate
            | AlertMetric::JudgeMean(_)
            | AlertMetric::HallucinationRate
            | AlertMetric::RephraseRate
            | AlertMetric::DriftShare
            | AlertMetric::Drift(_) => ratio(),
            AlertMetric::CallsPerMin | AlertMetric::TokensPerMin | AlertMetric::CostPerMin => {
                Some(w.num / minutes)
            }
            AlertMetric::Cost | AlertMetric::Flags(_) => Some(w.num),
        }
    }

    /// Evaluates at boundary bucket `k`, pushing any transition.
    fn evaluate(&mut self, k: i64, out: &mut Sink) {
        self.evaluate_at(k, k.saturating_mul(self.rule.step_ns), out);
    }

    /// Evaluates the buckets before boundary bucket `k`, stamping the result (and any
    /// transition) with event time `at`.
    fn evaluate_at(&mut self, k: i64, at: Nanos, out: &mut Sink) {
        self.shift_to(k);
        let value = self.value();
        self.baseline = self.baseline_value();
        self.last_value = value;
        self.last_eval = Some(at);
        // With a baseline, a value breaches only against a past that exists: right after
        // the stream starts there is nothing to compare with.
        let above_baseline = |v: f64| match (self.rule.baseline_ns, self.baseline) {
            (None, _) => true,
            (Some(_), Some(b)) => v >= b * self.rule.factor,
            (Some(_), None) => false,
        };
        let cond = match value {
            Some(v) => self.rule.level_of(v).filter(|_| above_baseline(v)),
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
                group: self.group.clone(),
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
                why: None,
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
            self.acc_at = k;
            self.first = Some(t);
            return;
        };
        while next <= k {
            // After a long quiet gap the window and the baseline are both empty: skip the
            // identical evaluations.
            if k.saturating_sub(next) > self.span + self.base_span + 2 {
                self.evaluate(next, out);
                self.window = Acc::default();
                self.base = Acc::default();
                self.acc_at = k;
                next = k;
            }
            self.evaluate(next, out);
            next += 1;
        }
        self.next_eval = Some(next);
    }
}

/// A grouped rule: the template its instances are made from, and where each value's
/// instance sits in [`AlertState::rules`].
#[derive(Debug, Clone)]
pub struct GroupSet {
    pub template: Rule,
    group: GroupBy,
    index: rustc_hash::FxHashMap<String, usize>,
    /// Calls whose group value found no room under `max_groups`.
    pub over_cap: u64,
}

impl GroupSet {
    /// Instances made so far.
    pub fn instances(&self) -> usize {
        self.index.len()
    }
}

/// All alert rules, budgets and their history: the engine's alert state.
#[derive(Debug, Clone)]
pub struct AlertState {
    /// Ungrouped rules (the first `plain`), then every group instance as it appeared.
    pub rules: Vec<RuleState>,
    plain: usize,
    /// Grouped rules, whose instances are made as their values appear.
    pub groups: Vec<GroupSet>,
    pub budgets: Budgets,
    pub sink: Sink,
    /// Event time of the first observation, where instances made later start their rates.
    first: Option<Nanos>,
    /// The second of event time rules were last advanced to: the clock moves every rule
    /// once per second crossed, not once per call.
    tick: Option<i64>,
}

impl Default for AlertState {
    fn default() -> Self {
        AlertState::new(AlertsConfig::default())
    }
}

impl AlertState {
    /// State for the configured rules and budgets.
    pub fn new(cfg: AlertsConfig) -> AlertState {
        let (grouped, plain): (Vec<Rule>, Vec<Rule>) =
            cfg.rules.into_iter().partition(|r| r.group_by.is_some());
        AlertState {
            plain: plain.len(),
            rules: plain.into_iter().map(RuleState::new).collect(),
            groups: grouped
                .into_iter()
                .filter_map(|template| {
                    Some(GroupSet {
                        group: template.group_by.clone()?,
                        template,
                        index: rustc_hash::FxHashMap::default(),
                        over_cap: 0,
                    })
                })
                .collect(),
            budgets: Budgets::new(cfg.budgets),
            sink: Sink::new(cfg.history),
            first: None,
            tick: None,
        }
    }

    /// Moves the event clock to `t`, evaluating every rule at each boundary crossed.
    pub fn advance(&mut self, t: Nanos) {
        self.first.get_or_insert(t);
        let second = t.div_euclid(SECOND);
        if self.tick.is_some_and(|s| s >= second) {
            return;
        }
        self.tick = Some(second);
        for r in self.rules.iter_mut().filter(|r| !r.idle()) {
            r.advance_to(t, &mut self.sink);
        }
        self.budgets.advance(t, &mut self.sink);
    }

    /// Feeds one LLM call at event time `t` (after advancing the clock to it).
    pub fn observe_call(&mut self, c: &Call, t: Nanos) {
        self.observe_turn(c, t, None);
    }

    /// Feeds one call with what the quality tracker found about it: `rephrase` is
    /// `Some(true)` for a follow-up turn that rephrases the previous one, `Some(false)` for
    /// another follow-up, `None` for a first turn (what `rephrase_rate` counts).
    pub fn observe_turn(&mut self, c: &Call, t: Nanos, rephrase: Option<bool>) {
        self.advance(t);
        for r in &mut self.rules[..self.plain] {
            r.observe_call(c, t, rephrase);
        }
        let first = self.first.unwrap_or(t);
        for g in &mut self.groups {
            let Some(value) = g.group.value_of(c) else {
                continue;
            };
            let i = match g.index.get(value) {
                Some(&i) => i,
                None if g.index.len() >= g.template.max_groups => {
                    g.over_cap += 1;
                    continue;
                }
                None => {
                    let st = RuleState::instance(&g.template, &g.group, value, first, t);
                    g.index.insert(value.to_string(), self.rules.len());
                    self.rules.push(st);
                    self.rules.len() - 1
                }
            };
            if let Some(r) = self.rules.get_mut(i) {
                // An idle instance was skipped by the clock: catch it up first.
                r.advance_to(t, &mut self.sink);
                r.observe_call(c, t, rephrase);
            }
        }
        self.budgets.observe_call(c, t, &mut self.sink);
    }

    /// Feeds a drift window that just closed (`drift.share`, `drift.<feature>`); drift is
    /// over the whole stream, so these rules have no filter or groups.
    pub fn observe_drift(&mut self, w: &WindowResult) {
        for r in &mut self.rules[..self.plain] {
            r.observe_drift(w);
        }
    }

    /// Feeds one piece of feedback; `call` is the call it refers to when known (for filters).
    pub fn observe_feedback(&mut self, f: &Feedback, call: Option<&Call>, t: Nanos) {
        self.advance(t);
        for r in &mut self.rules[..self.plain] {
            r.observe_feedback(f, call, t);
        }
        let Some(c) = call else { return };
        for g in &self.groups {
            let instance = g.group.value_of(c).and_then(|v| g.index.get(v));
            if let Some(r) = instance.and_then(|&i| self.rules.get_mut(i)) {
                r.advance_to(t, &mut self.sink);
                r.observe_feedback(f, call, t);
            }
        }
    }

    /// Feeds an LLM judge's verdict at `t` (the judged call's event time); `call` is the
    /// judged call when known (for filters and groups, as with feedback); groundedness
    /// scores below `hallucination_below` count as hallucinations.
    pub fn observe_verdict(
        &mut self,
        f: &Feedback,
        call: Option<&Call>,
        t: Nanos,
        hallucination_below: f64,
    ) {
        self.advance(t);
        for r in &mut self.rules[..self.plain] {
            r.observe_verdict(f, call, t, hallucination_below);
        }
        let Some(c) = call else { return };
        for g in &self.groups {
            let instance = g.group.value_of(c).and_then(|v| g.index.get(v));
            if let Some(r) = instance.and_then(|&i| self.rules.get_mut(i)) {
                r.advance_to(t, &mut self.sink);
                r.observe_verdict(f, call, t, hallucination_below);
            }
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
        let mut changed: rustc_hash::FxHashMap<&str, Nanos> = rustc_hash::FxHashMap::default();
        for t in &self.sink.history {
            changed.insert(t.rule.as_str(), t.at);
        }
        let last_change = |r: &RuleState| {
            changed
                .get(r.rule.name.as_str())
                .copied()
                .unwrap_or(i64::MIN)
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
            "judge.hallucination_rate",
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
    fn drift_windows_and_rephrases_feed_their_rules() {
        use crate::engine::drift::compare::WindowDrift;
        let mut share = Rule::new("drift", AlertMetric::DriftShare, 300 * SECOND);
        share.warn = Some(0.8);
        share.no_data = NoData::Keep;
        let mut reph = Rule::new("reph", AlertMetric::RephraseRate, 60 * SECOND);
        reph.warn = Some(0.3);
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![share, reph],
            ..AlertsConfig::default()
        });
        let window = |no: i64, share: f64| WindowResult {
            start: no * 60 * SECOND,
            end: (no + 1) * 60 * SECOND,
            calls: 100,
            drift: Some(WindowDrift {
                dataset_drift: share > 0.5,
                share,
                drifted: (share * 10.0) as usize,
                evaluated: 10,
                features: Vec::new(),
                prompt: None,
                response: None,
            }),
        };
        for s in 0..600 {
            // Every tenth follow-up rephrases until minute 5, then every second one.
            let rephrase = if s < 300 { s % 10 == 0 } else { s % 2 == 0 };
            st.observe_turn(&call_at(1.0, false), s * SECOND, Some(rephrase));
            if s % 60 == 0 && s > 0 {
                let no = s / 60 - 1;
                st.observe_drift(&window(no, if no < 5 { 0.4 } else { 0.95 }));
            }
        }
        let reph = &st.rules[1];
        assert_eq!(reph.status(), AlertStatus::Firing, "{:?}", reph.last_value);
        assert!((reph.last_value.unwrap() - 0.5).abs() < 0.02);
        let drift = &st.rules[0];
        assert!(drift.last_value.is_some_and(|v| v > 0.6));
        let fired: Vec<&Transition> = st
            .history()
            .iter()
            .filter(|t| t.to == AlertStatus::Firing)
            .collect();
        assert!(fired
            .iter()
            .any(|t| t.rule == "reph" && t.at > 300 * SECOND));
        let drift_at: Vec<Nanos> = fired
            .iter()
            .filter(|t| t.rule == "drift")
            .map(|t| t.at)
            .collect();
        assert!(
            !drift_at.is_empty() && drift_at.iter().all(|&t| t > 300 * SECOND),
            "{drift_at:?}"
        );
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
    fn rules_step_every_second_of_event_time() {
        let mut r = Rule::new("e", AlertMetric::Flags("secret".into()), 300 * SECOND);
        r.warn = Some(0.0);
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![r],
            ..AlertsConfig::default()
        });
        let leak = Call {
            flags: vec![crate::model::record::Flag {
                detector: "secret".into(),
                rule: "key".into(),
                severity: crate::model::record::Severity::High,
                score: 1.0,
                field: crate::model::record::TextField::Output,
                start: 0,
                end: 1,
                snippet: String::new(),
            }],
            ..call_at(1.0, false)
        };
        for ms in (0..40_000).step_by(250) {
            let c = if ms == 30_250 {
                &leak
            } else {
                &call_at(1.0, false)
            };
            st.observe_call(c, ms * 1_000_000);
        }
        let fired = st.history().front().map(|t| t.at);
        assert_eq!(
            fired,
            Some(31 * SECOND),
            "the next 1 s boundary, not window/6 later"
        );
    }

    #[test]
    fn grouped_rules_make_an_instance_per_value_up_to_the_cap() {
        let mut r = Rule::new("errors", AlertMetric::ErrorRate, 60 * SECOND);
        r.warn = Some(0.5);
        r.group_by = Some(GroupBy::Model);
        r.max_groups = 2;
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![r],
            ..AlertsConfig::default()
        });
        for s in 0..90 {
            for (m, err) in [("a", s >= 30), ("b", false), ("c", true)] {
                let c = Call {
                    model: Some(m.into()),
                    ..call_at(1.0, err)
                };
                st.observe_call(&c, s * SECOND);
            }
        }
        let names: Vec<&str> = st.rules.iter().map(|r| r.rule.name.as_str()).collect();
        assert_eq!(names, ["errors · model=a", "errors · model=b"]);
        assert_eq!(st.groups[0].over_cap, 90, "model c found no room");
        let t = st.history().front().unwrap();
        assert_eq!(
            (t.rule.as_str(), t.group.as_deref(), t.to),
            ("errors · model=a", Some("model=a"), AlertStatus::Firing)
        );
        assert_eq!(st.rules[1].status(), AlertStatus::Ok);
        let drill = st.rules[0].drill().unwrap();
        assert!(drill.query.contains("model:\"a\""), "{}", drill.query);
    }

    fn verdict(id: &str, criterion: &str, score: f64) -> Feedback {
        Feedback {
            call_id: id.into(),
            time: None,
            kind: FeedbackKind::Score,
            value: Some(score),
            comment: Some("reason".into()),
            user: None,
            name: Some(format!("judge.{criterion}")),
            judge: Some("gpt-4o-mini".into()),
        }
    }

    #[test]
    fn judge_verdicts_feed_the_hallucination_rate_and_judge_means_per_group() {
        let mut rate = Rule::new("hallucinating", AlertMetric::HallucinationRate, 60 * SECOND);
        rate.warn = Some(0.3);
        rate.group_by = Some(GroupBy::Model);
        let mut mean = Rule::new(
            "ungrounded",
            AlertMetric::JudgeMean("groundedness".into()),
            60 * SECOND,
        );
        mean.warn = Some(0.6);
        let mut neg = Rule::new("unhappy", AlertMetric::FeedbackNegativeRate, 60 * SECOND);
        neg.warn = Some(0.1);
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![mean, neg, rate],
            ..AlertsConfig::default()
        });
        for s in 0..120 {
            for (m, score) in [("a", 0.2), ("b", 0.9)] {
                let id = format!("{m}{s}");
                let c = Call {
                    id: id.clone(),
                    model: Some(m.into()),
                    ..call_at(1.0, false)
                };
                st.observe_call(&c, s * SECOND);
                // The verdict comes later, stamped with the judged call's time.
                st.observe_verdict(
                    &verdict(&id, "groundedness", score),
                    Some(&c),
                    s * SECOND,
                    0.5,
                );
            }
        }
        let status = |name: &str| {
            st.rules
                .iter()
                .find(|r| r.rule.name == name)
                .map(RuleState::status)
        };
        assert_eq!(status("hallucinating · model=a"), Some(AlertStatus::Firing));
        assert_eq!(status("hallucinating · model=b"), Some(AlertStatus::Ok));
        // Means 0.55 over both models: below 0.6.
        assert_eq!(status("ungrounded"), Some(AlertStatus::Firing));
        let v = st.rules[0].last_value.unwrap();
        assert!((v - 0.55).abs() < 1e-9, "{v}");
        // A score of 0.2 is no person's thumbs down.
        assert_eq!(status("unhappy"), Some(AlertStatus::Ok));
        assert_eq!(st.rules[1].last_value, None);
        let a = st
            .rules
            .iter()
            .find(|r| r.rule.name == "hallucinating · model=a")
            .unwrap();
        assert_eq!(a.last_value, Some(1.0));
        let drill = a.drill().unwrap();
        assert!(
            drill.query.contains("score.groundedness<0.5"),
            "{}",
            drill.query
        );
    }

    #[test]
    fn a_verdict_whose_call_is_unseen_counts_only_without_a_filter() {
        let mut all = Rule::new("all", AlertMetric::HallucinationRate, 60 * SECOND);
        all.warn = Some(0.5);
        let mut some = all.clone();
        some.name = "filtered".into();
        some.filter = Query::parse("model:a").unwrap();
        some.filter_text = "model:a".into();
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![all, some],
            ..AlertsConfig::default()
        });
        for s in 0..90 {
            st.observe_verdict(&verdict("x", "groundedness", 0.1), None, s * SECOND, 0.5);
        }
        assert_eq!(st.rules[0].status(), AlertStatus::Firing);
        assert_eq!(st.rules[1].status(), AlertStatus::Ok);
        assert_eq!(st.rules[1].last_value, None);
    }

    #[test]
    fn a_baseline_rule_breaches_only_far_above_its_own_past() {
        let mut r = Rule::new("slow", AlertMetric::Latency(0.95), 10 * SECOND);
        r.warn = Some(1_000.0);
        r.baseline_ns = Some(60 * SECOND);
        r.factor = 3.0;
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![r],
            ..AlertsConfig::default()
        });
        // Always slow (2 s) for a minute: above the threshold but not above its past.
        for ms in (0..90_000).step_by(100) {
            let lat = if ms < 70_000 { 2_000.0 } else { 9_000.0 };
            st.observe_call(&call_at(lat, false), ms * 1_000_000);
        }
        let at: Vec<Nanos> = st.history().iter().map(|t| t.at / SECOND).collect();
        assert_eq!(
            st.history().front().map(|t| t.to),
            Some(AlertStatus::Firing)
        );
        assert!(at[0] > 70 && at[0] <= 72, "fires on the jump only: {at:?}");
    }

    #[test]
    fn a_long_gap_empties_the_baseline_too() {
        let mut r = Rule::new("slow", AlertMetric::Latency(0.95), 10 * SECOND);
        r.warn = Some(1_000.0);
        r.baseline_ns = Some(60 * SECOND);
        let mut st = AlertState::new(AlertsConfig {
            rules: vec![r],
            ..AlertsConfig::default()
        });
        for s in 0..60 {
            st.observe_call(&call_at(2_000.0, false), s * SECOND);
        }
        assert!(st.rules[0].baseline.is_some());
        // Quiet for longer than window and baseline together: the past is gone.
        st.observe_call(&call_at(9_000.0, false), 300 * SECOND);
        st.observe_call(&call_at(9_000.0, false), 301 * SECOND);
        assert_eq!(st.rules[0].baseline, None, "no stale past after the gap");
        assert_eq!(st.rules[0].status(), AlertStatus::Ok);
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
