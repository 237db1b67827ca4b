//! The engine: pure, synchronous, no I/O and no terminal. [`Engine::ingest`] folds decoded,
//! enriched records into rolling windows, the bounded store and per-source counters; views
//! (the TUI and every headless command) only read it, so they agree on every number.
//! Time is event time, so a replayed log gives the same answers as the live run.

pub mod alerts;
pub mod budgets;
pub mod drift;
pub mod future;
pub mod hist;
pub mod quality;
pub mod read;
pub mod series;
pub mod sources;
pub mod stats;
pub mod store;
pub mod window;

use crate::model::facts::CallFacts;
use crate::model::record::{Call, Flag, Nanos, Record, Severity};
use crate::model::reject::{Reject, RejectReason};
use crate::model::source::{SourceId, SourceKind, SourceState};
use serde::Serialize;
use series::{Point, Series};
use sources::SourceStats;
use stats::{round6, Stats, StatsSummary};
use std::collections::BTreeMap;
use store::{Store, StoreConfig};
use window::{summarize, Dim, Windows};

/// Alert steps given a "why" per ingest call at most (each costs up to a few ms).
pub const WHY_PER_BATCH: usize = 4;

/// [`read::why::rank`] over a store's calls, newest first (what [`Engine::why`] asks,
/// usable while the alert state is borrowed). Not complete when the store has dropped
/// calls that may have been in the window.
fn store_why(store: &Store, drill: &alerts::Drill) -> read::why::Why {
    let mut why = read::why::rank(store.calls().rev().map(|s| (s.time, &s.call)), drill);
    let oldest = store.calls().next().map_or(Nanos::MAX, |s| s.time);
    if store.evicted.calls > 0 && oldest > drill.from {
        why.complete = false;
    }
    why
}

/// One second in nanoseconds.
pub const SECOND: i64 = 1_000_000_000;

/// The rolling windows the TUI offers, shortest first.
pub const DEFAULT_WINDOWS: [i64; 4] = [60 * SECOND, 300 * SECOND, 900 * SECOND, 3600 * SECOND];

/// How the engine is sized.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Rolling window lengths in ns; records older than the longest are rejected as late.
    /// Empty means "since start only" (nothing is ever late).
    pub windows: Vec<i64>,
    /// Distinct names tracked per dimension (model, provider, user, app) before folding
    /// the rest into `(other)`.
    pub group_caps: [usize; 4],
    pub store: StoreConfig,
    /// Alert rules and budgets evaluated on every ingest.
    pub alerts: alerts::AlertsConfig,
    /// How far (ns) a record may be dated ahead of the stream before it is held and, unless
    /// the next record agrees, rejected as `future` ([`future`]); 0 disables the guard.
    pub max_future: i64,
    /// The wall clock of a live engine (the TUI): records up to `max_future` past it are
    /// admitted at once. `None` when replaying, so a replay depends on its input alone.
    pub wall_clock: Option<fn() -> Nanos>,
    /// Drift and quality settings the engine starts with (commands that profile or compare
    /// replace the drift state but keep its quality settings).
    pub drift: drift::DriftConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            windows: DEFAULT_WINDOWS.to_vec(),
            group_caps: [200, 50, 1000, 100],
            store: StoreConfig::default(),
            alerts: alerts::AlertsConfig::default(),
            max_future: DEFAULT_MAX_FUTURE,
            wall_clock: None,
            drift: drift::DriftConfig::default(),
        }
    }
}

/// The default `[engine] max_future`: five minutes.
pub const DEFAULT_MAX_FUTURE: i64 = 300 * SECOND;

/// Which scope a summary covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything since the engine started.
    SinceStart,
    /// The rolling window of this length (ns), ending at the newest event time.
    Window(i64),
}

/// Detector findings counted by family and severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagCounts {
    pub by_detector: BTreeMap<String, BTreeMap<Severity, u64>>,
    /// Records that carried at least one flag.
    pub flagged_records: u64,
}

impl FlagCounts {
    fn add(&mut self, flags: &[Flag]) {
        if flags.is_empty() {
            return;
        }
        self.flagged_records += 1;
        for f in flags {
            *self
                .by_detector
                .entry(f.detector.clone())
                .or_default()
                .entry(f.severity)
                .or_default() += 1;
        }
    }
}

/// The engine state.
#[derive(Debug)]
pub struct Engine {
    cfg: EngineConfig,
    pub windows: Windows,
    pub store: Store,
    pub series: Series,
    pub sources: Vec<SourceStats>,
    pub flags: FlagCounts,
    /// Alert rules, budgets and their lifecycle history.
    pub alerts: alerts::AlertState,
    /// Newest event time seen.
    pub now: Option<Nanos>,
    pub records: u64,
    /// Spans that are not LLM calls (agent, tool, workflow, retrieval).
    pub spans: u64,
    /// People's feedback records (thumbs, ratings, comments, copies).
    pub feedback: u64,
    /// LLM judge verdicts (feedback records a judge wrote; never counted as `feedback`).
    pub verdicts: u64,
    pub attachments: u64,
    pub metric_points: u64,
    /// Drift against the reference and quality signals (fed by `ingest`).
    pub drift: drift::DriftState,
    /// Bumped on every change, so views redraw only when something changed.
    pub generation: u64,
    /// Alert steps already given their "why" (a count of [`alerts::Sink::pushed`]).
    explained: u64,
    /// The far-future guard and the one record it holds until the next decides.
    future: future::FutureGuard,
    held: Option<(SourceId, u64, Record)>,
}

impl Engine {
    /// An empty engine.
    pub fn new(cfg: EngineConfig) -> Self {
        Engine {
            windows: Windows::new(&cfg.windows, cfg.group_caps),
            store: Store::new(cfg.store.clone()),
            series: Series::default(),
            sources: Vec::new(),
            flags: FlagCounts::default(),
            alerts: alerts::AlertState::new(cfg.alerts.clone()),
            now: None,
            records: 0,
            spans: 0,
            feedback: 0,
            verdicts: 0,
            attachments: 0,
            metric_points: 0,
            generation: 0,
            drift: drift::DriftState::new(cfg.drift.clone()),
            future: future::FutureGuard::new(cfg.max_future),
            held: None,
            explained: 0,
            cfg,
        }
    }

    /// The configuration the engine was built with.
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// Registers a source; its id is its index.
    pub fn add_source(&mut self, name: impl Into<String>, kind: SourceKind) -> SourceId {
        self.sources.push(SourceStats::new(name, kind));
        SourceId::try_from(self.sources.len() - 1).unwrap_or(SourceId::MAX)
    }

    fn source(&mut self, id: SourceId) -> Option<&mut SourceStats> {
        self.sources.get_mut(usize::from(id))
    }

    /// Notes lines read and rejections found by the decode stage.
    /// `rejects` holds each rejected line's number, reason and start (see
    /// [`sources::snippet_of`]).
    pub fn note_lines(&mut self, id: SourceId, lines: u64, rejects: Vec<(u64, Reject, String)>) {
        self.generation += 1;
        if let Some(s) = self.source(id) {
            s.lines += lines;
            for (line_no, r, snippet) in rejects {
                s.reject_line(line_no, r, snippet);
            }
        }
    }

    /// Notes one rejected line and its start (for consumers that decode and ingest line by
    /// line).
    pub fn note_reject(&mut self, id: SourceId, line_no: u64, reject: Reject, line: &[u8]) {
        self.generation += 1;
        if let Some(s) = self.source(id) {
            s.reject_line(line_no, reject, sources::snippet_of(line));
        }
    }

    /// Notes bytes read by a source.
    pub fn note_bytes(&mut self, id: SourceId, n: u64) {
        if let Some(s) = self.source(id) {
            s.bytes += n;
        }
    }

    /// Notes requests a receiver answered with "busy, retry later".
    pub fn note_throttled(&mut self, id: SourceId, n: u64) {
        if n == 0 {
            return;
        }
        self.generation += 1;
        if let Some(s) = self.source(id) {
            s.throttled += n;
        }
    }

    /// Notes a source's state change.
    pub fn note_state(&mut self, id: SourceId, state: SourceState) {
        self.generation += 1;
        if let Some(s) = self.source(id) {
            s.state = state;
        }
    }

    /// Notes OpenTelemetry metric data points seen (counted, not turned into calls).
    pub fn note_metric_points(&mut self, n: u64) {
        self.metric_points += n;
    }

    /// Folds a batch of records from one source, each with its line number, into the state.
    pub fn ingest(&mut self, id: SourceId, records: Vec<(u64, Record)>) {
        if records.is_empty() {
            return;
        }
        self.generation += 1;
        for (line_no, r) in records {
            let t = r.time().or(self.now).unwrap_or(0);
            if self.guard_future(t) {
                self.fold(id, line_no, r);
            } else {
                self.held = Some((id, line_no, r));
            }
        }
        self.explain_fired();
    }

    /// Gives each alert step to firing recorded since the last call its "why", ranked over
    /// the calls of its window the store holds: at most [`WHY_PER_BATCH`] per call, newest
    /// first, so a burst of instances firing at once costs bounded work per batch; the rest
    /// are explained by the next calls (their notifications may have left without it).
    /// A store that keeps no calls has nothing to rank: its steps carry no "why". Returns
    /// how many steps still wait for one.
    fn explain_fired(&mut self) -> usize {
        if self.alerts.sink.pushed == self.explained {
            return 0;
        }
        let waiting = if self.store.retains_calls() {
            let store = &self.store;
            self.alerts
                .sink
                .explain_new(self.explained, WHY_PER_BATCH, |t| {
                    store_why(store, &t.drill())
                })
        } else {
            0
        };
        if waiting == 0 {
            self.explained = self.alerts.sink.pushed;
        }
        waiting
    }

    /// Closes the input for alerting ([`alerts::AlertState::flush`]) and explains every
    /// step still waiting for its "why": what `check` calls at the end of its input.
    pub fn flush_alerts(&mut self, now: Nanos) {
        self.alerts.flush(now);
        while self.explain_fired() > 0 {}
    }

    /// Runs the far-future guard on a record at `t`: true when it is to be folded now (a
    /// held record it confirms is folded first, one it contradicts is rejected); false when
    /// it is to be held.
    fn guard_future(&mut self, t: Nanos) -> bool {
        let wall = self.cfg.wall_clock.map(|clock| clock());
        match self.future.judge(t, wall) {
            future::Verdict::Admit => {
                self.reject_held();
                true
            }
            future::Verdict::Hold => {
                self.reject_held();
                false
            }
            future::Verdict::Confirm => {
                if let Some((hid, hline, r)) = self.held.take() {
                    self.fold(hid, hline, r);
                }
                true
            }
        }
    }

    /// Rejects the held record, if any, as `future`.
    fn reject_held(&mut self) {
        if let Some((id, line_no, _)) = self.held.take() {
            self.future.drop_held();
            if let Some(s) = self.source(id) {
                s.reject(
                    line_no,
                    Reject::new(
                        RejectReason::Future,
                        "dated more than max_future ahead of the records around it",
                    ),
                );
            }
        }
    }

    /// Says the input has ended: a record still held as far-future is rejected, since
    /// nothing after it confirmed the jump.
    pub fn end_of_input(&mut self) {
        if self.held.is_some() {
            self.generation += 1;
            self.reject_held();
        }
    }

    fn fold(&mut self, id: SourceId, line_no: u64, r: Record) {
        if let Record::Feedback(f) = &r {
            if f.is_judge_verdict() && self.is_late(f.time) {
                if let Record::Feedback(f) = r {
                    self.ingest_late_verdict(id, f);
                }
                return;
            }
        }
        let Some(t) = self.admit(id, line_no, r.time()) else {
            return;
        };
        match r {
            Record::Call(c) => self.ingest_call(*c, t),
            Record::Feedback(f) if f.is_judge_verdict() => self.ingest_verdict(f, t),
            Record::Feedback(f) => {
                self.feedback += 1;
                let call = self.store.by_id(&f.call_id).map(|s| &s.call);
                self.alerts.observe_feedback(&f, call, t);
                if self.drift.observe_feedback(&f, call, t) {
                    self.feed_drift_window();
                }
                self.store.add_feedback(f);
            }
            Record::Attachment(a) => {
                self.attachments += 1;
                self.alerts.advance(t);
                self.flags.add(&a.flags);
                self.store.add_attachment(*a);
            }
        }
    }

    /// True when a record at `time` is older than the longest window before the newest.
    fn is_late(&self, time: Option<Nanos>) -> bool {
        let t = time.or(self.now).unwrap_or(0);
        self.now.is_some_and(|now| self.windows.is_late(t, now))
    }

    /// A verdict stamped with a call's time the rolling windows have already passed (a
    /// replay read faster than the judge answers): a judge's late answer is still its
    /// answer, so it joins its call and counts since start and in a drift window that holds
    /// its time; only the alert windows, already evaluated past it, leave it out.
    fn ingest_late_verdict(&mut self, id: SourceId, f: crate::model::record::Feedback) {
        let t = f.time.unwrap_or(0);
        self.records += 1;
        if let Some(s) = self.source(id) {
            s.records += 1;
        }
        self.verdicts += 1;
        let model = self.store.model_of(&f.call_id).flatten();
        if self.drift.observe_verdict(&f, model, t) {
            self.feed_drift_window();
        }
        self.store.add_feedback(f);
    }

    /// An LLM judge's verdict at `t` (the judged call's event time): counted in quality,
    /// drift and the `judge.*` alert rules (filtered and grouped by the judged call when it
    /// was seen), and joined to the stored call as one of its scores. Never a person's
    /// feedback.
    fn ingest_verdict(&mut self, f: crate::model::record::Feedback, t: Nanos) {
        self.verdicts += 1;
        let below = self.drift.quality.config().hallucination_below;
        let call = self.store.by_id(&f.call_id).map(|s| &s.call);
        self.alerts.observe_verdict(&f, call, t, below);
        let model = self.store.model_of(&f.call_id).flatten();
        if self.drift.observe_verdict(&f, model, t) {
            self.feed_drift_window();
        }
        self.store.add_feedback(f);
    }

    /// Folds one call known only by its facts, borrowed from the line it was decoded from:
    /// the numbers are those [`Engine::ingest`] gives the owned call, but the store keeps no
    /// content for it (use this only when the store does not retain calls). Alert rules only
    /// see time pass here: their filters need whole calls, so `check` and the TUI use
    /// [`Engine::ingest`].
    pub fn ingest_facts(&mut self, id: SourceId, line_no: u64, f: &CallFacts<'_>) {
        self.generation += 1;
        let t = f.event_time().or(self.now).unwrap_or(0);
        if !self.guard_future(t) {
            self.held = Some((id, line_no, Record::Call(Box::new(f.to_call()))));
            return;
        }
        if let Some(t) = self.admit(id, line_no, f.event_time()) {
            self.observe_call(f, t);
            self.alerts.advance(t);
            let verdicts = self.store.count_call(f, t);
            self.drift.verdicts_joined(&verdicts, f.model_name());
        }
        self.explain_fired();
    }

    /// The time a record counts at, or `None` (and a `late` rejection) when it is older
    /// than the longest window before the newest record.
    fn admit(&mut self, id: SourceId, line_no: u64, time: Option<Nanos>) -> Option<Nanos> {
        let t = time.or(self.now).unwrap_or(0);
        if let Some(now) = self.now {
            if self.windows.is_late(t, now) {
                if let Some(s) = self.source(id) {
                    s.reject(
                        line_no,
                        Reject::new(
                            RejectReason::Late,
                            "older than the longest rolling window before the newest record",
                        ),
                    );
                }
                return None;
            }
        }
        self.now = Some(self.now.map_or(t, |n| n.max(t)));
        self.future.admitted(t);
        self.records += 1;
        if let Some(s) = self.source(id) {
            s.records += 1;
        }
        Some(t)
    }

    /// Hands the drift window that just closed to the alert rules that watch drift.
    fn feed_drift_window(&mut self) {
        if let Some(w) = self.drift.history.back() {
            self.alerts.observe_drift(w);
        }
    }

    fn ingest_call(&mut self, c: Call, t: Nanos) {
        let f = CallFacts::of(&c);
        self.observe_call(&f, t);
        let llm = c.operation.is_llm_call();
        if llm {
            // Alert filters and drift features need the whole call, not just its facts.
            // Drift first: rules watch what it finds (rephrases, closed windows).
            let seen = self.drift.observe_call(&c, t);
            self.alerts.observe_turn(&c, t, seen.rephrase);
            if seen.closed {
                self.feed_drift_window();
            }
        }
        if self.store.retains_calls() {
            self.store.add_call(c, t);
            if let Some(s) = self.store.calls().next_back() {
                if llm {
                    self.drift.feedback_joined(&s.feedback, &s.call);
                }
                self.drift.verdicts_joined(&s.verdicts, s.call.model_name());
            }
        } else {
            let verdicts = self.store.count_call(&f, t);
            self.drift.verdicts_joined(&verdicts, f.model_name());
        }
    }

    /// Makes the current drift window the reference (the TUI's `b`); false when it has
    /// too few calls.
    pub fn pin_drift_reference(&mut self) -> bool {
        self.generation += 1;
        self.drift.pin_reference()
    }

    fn observe_call(&mut self, c: &CallFacts<'_>, t: Nanos) {
        self.flags.add(c.flags);
        if c.operation.is_llm_call() {
            self.windows.observe(c, t);
            self.series.add(
                t,
                Point {
                    calls: 1,
                    errors: u64::from(c.status == crate::model::record::Status::Error),
                    tokens: c
                        .tokens
                        .input
                        .unwrap_or(0)
                        .saturating_add(c.tokens.output.unwrap_or(0)),
                    cost_usd: c.cost_usd.unwrap_or(0.0),
                },
            );
        } else {
            self.spans += 1;
            self.alerts.advance(t);
        }
    }

    /// Stats of a scope, merged (global and per group), with its time range.
    pub fn scope(&self, scope: Scope) -> Option<ScopeView<'_>> {
        let now = self.now?;
        match scope {
            Scope::SinceStart => Some(ScopeView {
                from: self.windows.total.all.first.unwrap_or(now),
                to: now,
                data: ScopeData::Total(&self.windows.total),
            }),
            Scope::Window(len) => {
                let tier = self.windows.tier(len)?;
                Some(ScopeView {
                    from: tier.start(now),
                    to: now,
                    data: ScopeData::Merged(Box::new(tier.merged(now))),
                })
            }
        }
    }

    /// The whole summary `report --json` prints; the TUI shows the same numbers.
    pub fn summary(&self, scope: Scope) -> Summary {
        self.summary_of(self.scope(scope).as_ref(), scope)
    }

    /// [`Engine::summary`] of a scope already merged (the snapshot merges it once for the
    /// summary and the distributions).
    pub(crate) fn summary_of(&self, view: Option<&ScopeView<'_>>, scope: Scope) -> Summary {
        let empty = window::Grouped::<u64>::default();
        let (g, from, to) = match view {
            Some(v) => (v.grouped(), v.from, v.to),
            None => (&empty, 0, 0),
        };
        let all = summarize(&g.all, from, to);
        let group = |d: Dim| -> BTreeMap<String, GroupSummary> {
            g.dim(d)
                .iter()
                .map(|(k, s)| (k.to_string(), GroupSummary::new(s)))
                .collect()
        };
        let calls = all.calls;
        Summary {
            window: match scope {
                Scope::SinceStart => "since start".to_string(),
                Scope::Window(len) => format_duration(len),
            },
            from: (view.is_some() && g.all.first.is_some())
                .then(|| crate::model::record::format_time(from.max(g.all.first.unwrap_or(from)))),
            to: view.map(|_| crate::model::record::format_time(to)),
            records: self.records,
            calls,
            spans: self.spans,
            feedback: self.feedback,
            verdicts: self.verdicts,
            attachments: self.attachments,
            metric_points: self.metric_points,
            errors: all.errors,
            error_rate: all.error_rate,
            input_tokens: all.input_tokens,
            output_tokens: all.output_tokens,
            cost_usd: all.cost_usd,
            unpriced_calls: all.unpriced_calls,
            latency_ms: all.latency_ms,
            ttft_ms: all.ttft_ms,
            by_model: group(Dim::Model),
            by_provider: group(Dim::Provider),
            by_user: group(Dim::User),
            by_app: group(Dim::App),
            flags: FlagSummary::new(&self.flags, self.windows.total.all.calls),
            conversations: self.store.conversation_count() as u64,
            traces: self.store.traces().len() as u64,
            evicted: EvictedSummary {
                calls: self.store.evicted.calls,
                conversations: self.store.evicted.conversations,
                traces: self.store.evicted.traces,
                pending: self.store.evicted.pending,
                groups_folded: Dim::ALL
                    .iter()
                    .map(|d| (d.as_str().to_string(), self.windows.folded[*d as usize]))
                    .filter(|(_, n)| *n > 0)
                    .collect(),
            },
            sources: self
                .sources
                .iter()
                .map(|s| SourceSummary {
                    id: s.id.clone(),
                    kind: s.kind.as_str().to_string(),
                    state: s.state_label(),
                    lines: s.lines,
                    bytes: s.bytes,
                    records: s.records,
                    throttled: s.throttled,
                    rejected: s
                        .rejected
                        .iter()
                        .map(|(k, v)| (k.as_str().to_string(), *v))
                        .collect(),
                })
                .collect(),
            detail: all,
        }
    }
}

/// A scope's merged stats, borrowed (since start) or merged from window slots.
pub struct ScopeView<'a> {
    pub from: Nanos,
    pub to: Nanos,
    data: ScopeData<'a>,
}

enum ScopeData<'a> {
    Total(&'a window::Grouped<u64>),
    Merged(Box<window::Grouped<u64>>),
}

impl ScopeView<'_> {
    /// Global and per-group stats of the scope.
    pub fn grouped(&self) -> &window::Grouped<u64> {
        match &self.data {
            ScopeData::Total(g) => g,
            ScopeData::Merged(g) => g,
        }
    }

    /// Seconds the scope covers (for rates).
    pub fn span_secs(&self) -> f64 {
        let from = self
            .grouped()
            .all
            .first
            .map_or(self.from, |f| f.max(self.from));
        (self.to - from).max(0) as f64 / 1e9
    }
}

/// Formats a window length the way users type it (`5m`, `1h`, `90s`).
pub fn format_duration(ns: i64) -> String {
    let s = ns / SECOND;
    if s % 3600 == 0 && s > 0 {
        format!("{}h", s / 3600)
    } else if s % 60 == 0 && s > 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// Parses a positive duration (`30s`, `5m`, `1min`, `1h`, `2d`, bare seconds) in the one grammar
/// config, flags, rules and queries share.
pub use crate::model::duration::parse_positive_ns as parse_duration;

/// Per-group numbers in `by_model`, `by_user`, ...
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSummary {
    pub calls: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub unpriced_calls: u64,
    pub latency_ms: hist::Percentiles,
    pub ttft_ms: hist::Percentiles,
}

impl GroupSummary {
    /// Summary of one group's stats.
    pub fn new(s: &Stats<u64>) -> Self {
        GroupSummary {
            calls: s.calls,
            errors: s.errors,
            error_rate: round6(s.error_rate()),
            input_tokens: s.input_tokens,
            output_tokens: s.output_tokens,
            cost_usd: stats::round_usd(s.cost_usd),
            unpriced_calls: s.unpriced_calls,
            latency_ms: s.hists.get(hist::Metric::Latency).summary(),
            ttft_ms: s.hists.get(hist::Metric::Ttft).summary(),
        }
    }
}

/// `sources[]` in `report --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceSummary {
    pub id: String,
    pub kind: String,
    pub state: String,
    pub lines: u64,
    pub bytes: u64,
    pub records: u64,
    /// Requests answered "busy, retry later" (receivers only; omitted when zero).
    #[serde(skip_serializing_if = "is_zero")]
    pub throttled: u64,
    pub rejected: BTreeMap<String, u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `flags` in `report --json`: counts per detector and severity, and the rate per 1,000 calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FlagSummary {
    pub flagged_records: u64,
    pub by_detector: BTreeMap<String, DetectorFlags>,
}

/// Findings of one detector family.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectorFlags {
    pub total: u64,
    pub by_severity: BTreeMap<String, u64>,
    pub per_1k_calls: f64,
}

impl FlagSummary {
    fn new(f: &FlagCounts, calls: u64) -> Self {
        FlagSummary {
            flagged_records: f.flagged_records,
            by_detector: f
                .by_detector
                .iter()
                .map(|(d, sev)| {
                    let total: u64 = sev.values().sum();
                    let per_1k = if calls > 0 {
                        round6(total as f64 * 1000.0 / calls as f64)
                    } else {
                        0.0
                    };
                    (
                        d.clone(),
                        DetectorFlags {
                            total,
                            by_severity: sev
                                .iter()
                                .map(|(s, n)| (s.as_str().to_string(), *n))
                                .collect(),
                            per_1k_calls: per_1k,
                        },
                    )
                })
                .collect(),
        }
    }
}

/// What the store dropped to stay bounded.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EvictedSummary {
    pub calls: u64,
    pub conversations: u64,
    pub traces: u64,
    pub pending: u64,
    /// Calls whose group name was folded into `(other)`, per dimension.
    pub groups_folded: BTreeMap<String, u64>,
}

/// The stable object `report --json` prints (documented in the README).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub window: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub records: u64,
    pub calls: u64,
    pub spans: u64,
    /// People's feedback records.
    pub feedback: u64,
    /// LLM judge verdicts (see `quality.judge`).
    pub verdicts: u64,
    pub attachments: u64,
    pub metric_points: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub unpriced_calls: u64,
    pub latency_ms: hist::Percentiles,
    pub ttft_ms: hist::Percentiles,
    pub by_model: BTreeMap<String, GroupSummary>,
    pub by_provider: BTreeMap<String, GroupSummary>,
    pub by_user: BTreeMap<String, GroupSummary>,
    pub by_app: BTreeMap<String, GroupSummary>,
    pub flags: FlagSummary,
    pub conversations: u64,
    pub traces: u64,
    pub evicted: EvictedSummary,
    pub sources: Vec<SourceSummary>,
    /// Everything else about the scope: token kinds, cost provenance, TPOT, rates.
    pub detail: StatsSummary,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::{Operation, Status};

    fn call(t_s: i64, model: &str, lat: f64, op: Operation) -> (u64, Record) {
        (
            1,
            Record::Call(Box::new(Call {
                id: format!("c{t_s}"),
                end: Some(t_s * SECOND),
                model: Some(model.into()),
                latency_ms: Some(lat),
                operation: op,
                status: if lat > 1000.0 {
                    Status::Error
                } else {
                    Status::Ok
                },
                ..Call::default()
            })),
        )
    }

    #[test]
    fn replay_gives_windows_and_totals_in_event_time() {
        let mut e = Engine::new(EngineConfig::default());
        let src = e.add_source("x", SourceKind::File);
        let batch: Vec<_> = (0..600)
            .map(|i| {
                call(
                    i,
                    if i % 2 == 0 { "a" } else { "b" },
                    100.0 + i as f64,
                    Operation::Chat,
                )
            })
            .chain([call(600, "a", 5.0, Operation::Tool)])
            .collect();
        e.ingest(src, batch);
        let total = e.summary(Scope::SinceStart);
        assert_eq!(total.calls, 600);
        assert_eq!(total.spans, 1);
        assert_eq!(total.by_model["a"].calls, 300);
        let last_min = e.summary(Scope::Window(60 * SECOND));
        assert!(
            last_min.calls <= 60 && last_min.calls >= 50,
            "{}",
            last_min.calls
        );
        assert_eq!(total.sources[0].records, 601);
    }

    #[test]
    fn records_older_than_the_longest_window_are_rejected_as_late() {
        let mut e = Engine::new(EngineConfig::default());
        let src = e.add_source("x", SourceKind::File);
        e.ingest(
            src,
            vec![
                call(10_000, "a", 1.0, Operation::Chat),
                call(1, "a", 1.0, Operation::Chat),
            ],
        );
        let s = e.summary(Scope::SinceStart);
        assert_eq!(s.calls, 1);
        assert_eq!(s.sources[0].rejected.get("late"), Some(&1));
    }

    #[test]
    fn a_judge_verdict_older_than_the_windows_still_joins_its_call() {
        use crate::model::record::{Feedback, FeedbackKind};
        let mut e = Engine::new(EngineConfig::default());
        let src = e.add_source("x", SourceKind::File);
        let judge = e.add_source("judge", SourceKind::Judge);
        let calls = (0..200).map(|i| call(1 + i * 60, "a", 1.0, Operation::Chat));
        e.ingest(src, calls.collect());
        let score = |name: &str, judge: Option<&str>| Feedback {
            call_id: "c1".into(),
            time: Some(SECOND),
            kind: FeedbackKind::Score,
            value: Some(0.2),
            comment: None,
            user: None,
            name: Some(name.into()),
            judge: judge.map(Into::into),
        };
        let verdict = score("judge.helpfulness", Some("gpt-4o-mini"));
        let person = score("helpfulness", None);
        e.ingest(judge, vec![(1, Record::Feedback(verdict))]);
        e.ingest(judge, vec![(2, Record::Feedback(person))]);
        let s = e.summary(Scope::SinceStart);
        assert_eq!(s.sources[1].records, 1, "{:?}", s.sources[1]);
        assert_eq!(
            s.sources[1].rejected.get("late"),
            Some(&1),
            "a person's late score is still late"
        );
        let stored = e.store.by_id("c1").unwrap();
        assert_eq!(stored.verdicts.len(), 1);
        assert_eq!(e.drift.quality.verdicts.get("helpfulness"), Some(&(0.2, 1)));
    }

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("5m"), Some(300 * SECOND));
        assert_eq!(parse_duration("90"), Some(90 * SECOND));
        assert_eq!(parse_duration("1h"), Some(3600 * SECOND));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(format_duration(300 * SECOND), "5m");
    }
}
