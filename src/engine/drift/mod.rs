//! Drift: every LLM call's features go into the current window (tumbling, in event time)
//! and, until the reference is complete, into the reference too. When a window closes it is
//! compared with the reference ([`compare`]) and its verdict joins a bounded history that
//! the Drift pane draws as sparklines. Quality signals ([`super::quality`]) ride along.
//!
//! Memory is bounded: per window, a reservoir sample of `sample` values per numeric feature
//! (uniform over the window, so long windows stay fair), at most 64 categories per feature,
//! and at most `window_terms` distinct terms per text field; the reference is a [`Profile`]
//! (at most 1,000 sorted values per feature and `profile_terms` terms per text field).

pub mod compare;
pub mod features;
pub mod profile;
pub mod report;
pub mod stats;
pub mod text;

use super::quality::{Quality, QualityConfig};
use crate::model::record::{Call, Feedback, Nanos};
use compare::{CompareConfig, FeatureDrift, Histograms, Reference, WindowDrift};
use profile::{feedback_negative, Builder, BuilderLimits, Profile};
use serde::Serialize;
use std::collections::VecDeque;
use text::Tokenizer;

/// How drift is computed.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftConfig {
    /// Off: nothing is extracted (headless commands that do not print drift).
    pub enabled: bool,
    /// Length of the tumbling windows; `None` makes the whole run one window (`report`).
    pub window_ns: Option<i64>,
    /// Without a baseline, the first this many LLM calls are the reference.
    pub reference_calls: u64,
    /// Values sampled per numeric feature per window.
    pub sample: usize,
    /// Distinct terms counted per text field per window.
    pub window_terms: usize,
    /// Top terms a reference keeps per text field.
    pub profile_terms: usize,
    /// Closed windows kept in the history.
    pub history: usize,
    pub compare: CompareConfig,
    pub quality: QualityConfig,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            enabled: true,
            window_ns: Some(60 * super::SECOND),
            reference_calls: 1000,
            sample: 2000,
            window_terms: 20_000,
            profile_terms: 2000,
            history: 60,
            compare: CompareConfig::default(),
            quality: QualityConfig::default(),
        }
    }
}

/// Where the reference came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum ReferenceOrigin {
    /// A baseline file (its source list).
    Baseline(Vec<String>),
    /// The first calls of the stream.
    StreamStart,
    /// Re-pinned by the user to a window.
    Pinned,
}

/// One closed (or in-progress) window and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowResult {
    pub start: Nanos,
    pub end: Nanos,
    pub calls: u64,
    /// `None` while there is no reference yet.
    pub drift: Option<WindowDrift>,
}

/// A Drift-pane row: the latest verdict of one feature and its statistic over recent
/// windows (oldest first; `None` where a window had not enough data).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    pub feature: FeatureDrift,
    pub history: Vec<Option<f64>>,
}

/// What one call told the drift engine that alert rules watch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observed {
    /// `Some(true)`: a follow-up turn that rephrases the previous one; `None`: no follow-up.
    pub rephrase: Option<bool>,
    /// The call closed a drift window (now the last entry of `history`).
    pub closed: bool,
}

/// Drift and quality state, fed by [`crate::engine::Engine`] on every call and feedback.
#[derive(Debug)]
pub struct DriftState {
    cfg: DriftConfig,
    reference: Option<Reference>,
    pub origin: Option<ReferenceOrigin>,
    /// Accumulates the stream's first calls while there is no reference.
    boot: Option<Builder>,
    current: Builder,
    /// Index of the current window (event time / window length).
    current_no: Option<i64>,
    last_closed: Option<Builder>,
    pub history: VecDeque<WindowResult>,
    pub quality: Quality,
    tok: Tokenizer,
}

impl DriftState {
    /// Drift state whose reference will be the first `reference_calls` calls.
    pub fn new(cfg: DriftConfig) -> Self {
        let limits = limits(&cfg);
        DriftState {
            reference: None,
            origin: None,
            boot: Some(Builder::new(BuilderLimits {
                sample: limits
                    .sample
                    .max(usize::try_from(cfg.reference_calls).unwrap_or(usize::MAX)),
                ..limits
            })),
            current: Builder::new(limits),
            current_no: None,
            last_closed: None,
            history: VecDeque::new(),
            quality: Quality::new(cfg.quality.clone()),
            tok: Tokenizer::default(),
            cfg,
        }
    }

    /// Drift state that compares against a baseline profile.
    pub fn with_baseline(cfg: DriftConfig, baseline: Profile) -> Self {
        let mut s = DriftState::new(cfg);
        s.boot = None;
        s.origin = Some(ReferenceOrigin::Baseline(baseline.source.clone()));
        s.reference = Some(Reference::new(baseline));
        s
    }

    /// Drift state that only accumulates one window over the whole run, for
    /// [`DriftState::current_profile`] (`llmmon baseline`).
    pub fn profiling(cfg: DriftConfig) -> Self {
        let mut s = DriftState::new(DriftConfig {
            window_ns: None,
            ..cfg
        });
        s.boot = None;
        s
    }

    /// The profile of the window in progress (the whole run for [`DriftState::profiling`]).
    pub fn current_profile(&self, source: Vec<String>) -> Profile {
        self.current.profile(source, self.cfg.profile_terms)
    }

    /// Drift state that does nothing (for commands that do not show drift).
    pub fn disabled(cfg: DriftConfig) -> Self {
        DriftState::new(DriftConfig {
            enabled: false,
            ..cfg
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &DriftConfig {
        &self.cfg
    }

    /// The reference profile, once there is one.
    pub fn reference(&self) -> Option<&Profile> {
        self.reference.as_ref().map(|r| &r.profile)
    }

    /// Folds one LLM call at event time `t` into the windows (and the reference while it
    /// is still being collected), and says what alert rules can learn from it.
    pub fn observe_call(&mut self, c: &Call, t: Nanos) -> Observed {
        if !self.cfg.enabled {
            return Observed::default();
        }
        let closed = self.roll_to(t);
        let f = features::extract(c);
        self.current.add(&f, &c.id, t, &mut self.tok);
        if let Some(b) = &mut self.boot {
            b.add(&f, &c.id, t, &mut self.tok);
            if b.calls >= self.cfg.reference_calls {
                let p = b.profile(vec!["stream".into()], self.cfg.profile_terms);
                self.reference = Some(Reference::new(p));
                self.origin = Some(ReferenceOrigin::StreamStart);
                self.boot = None;
            }
        }
        let rephrase = self.quality.observe_call(c, &f, t);
        Observed { rephrase, closed }
    }

    /// Counts a person's feedback record at event time `t`; `call` is its call when already
    /// stored. Returns true when it closed a window (the last entry of `history`). Judge
    /// verdicts go to [`DriftState::observe_verdict`] and are ignored here.
    pub fn observe_feedback(&mut self, f: &Feedback, call: Option<&Call>, t: Nanos) -> bool {
        if !self.cfg.enabled || f.is_judge_verdict() {
            return false;
        }
        let closed = self.roll_to(t);
        let neg = feedback_negative(f);
        self.current.add_feedback(neg);
        if let Some(b) = &mut self.boot {
            b.add_feedback(neg);
        }
        self.quality.observe_feedback(f, call);
        closed
    }

    /// Counts an LLM judge's verdict at event time `t` (the judged call's time): the quality
    /// signals count it even with drift off (what `report` prints under `quality.judge`);
    /// with drift on, its score is also a value of the `judge.<criterion>` feature and a
    /// groundedness verdict a yes/no of the `hallucination` rate, in the current window (as
    /// late calls are). `model` is the judged call's model when the call was already seen.
    /// Returns true when it closed a window (the last entry of `history`).
    pub fn observe_verdict(&mut self, f: &Feedback, model: Option<&str>, t: Nanos) -> bool {
        let Some((criterion, v)) = f.verdict() else {
            return false;
        };
        if !self.cfg.enabled {
            self.quality.observe_verdict(f, model, t, None);
            return false;
        }
        let closed = self.roll_to(t);
        let below = self.cfg.quality.hallucination_below;
        self.current.add_verdict(criterion, v, below);
        if let Some(b) = &mut self.boot {
            b.add_verdict(criterion, v, below);
        }
        self.quality
            .observe_verdict(f, model, t, self.cfg.window_ns.filter(|l| *l > 0));
        closed
    }

    /// Attributes judge verdicts that waited for their call (joined by the store) to the
    /// call's model.
    pub fn verdicts_joined(&mut self, vs: &[Feedback], model: Option<&str>) {
        if !vs.is_empty() {
            self.quality.verdicts_joined(vs, model);
        }
    }

    /// Attributes feedback that waited for its call (joined by the store) to that call.
    pub fn feedback_joined(&mut self, fbs: &[Feedback], call: &Call) {
        if self.cfg.enabled && !fbs.is_empty() {
            self.quality.feedback_joined(fbs, call);
        }
    }

    /// Moves to the window holding `t`; true when that closed the previous one.
    fn roll_to(&mut self, t: Nanos) -> bool {
        let Some(len) = self.cfg.window_ns.filter(|l| *l > 0) else {
            return false;
        };
        let no = t.div_euclid(len);
        match self.current_no {
            None => {
                self.current_no = Some(no);
                self.quality.window.start = no * len;
                false
            }
            Some(cur) if no > cur => {
                self.close(cur * len, (cur + 1) * len);
                self.current_no = Some(no);
                self.quality.roll(no * len);
                true
            }
            // Late records count in the current window.
            Some(_) => false,
        }
    }

    fn close(&mut self, start: Nanos, end: Nanos) {
        let done = std::mem::replace(&mut self.current, Builder::new(limits(&self.cfg)));
        let drift = self
            .reference
            .as_ref()
            .map(|r| r.compare(&done, &self.cfg.compare));
        self.history.push_back(WindowResult {
            start,
            end,
            calls: done.calls,
            drift,
        });
        while self.history.len() > self.cfg.history {
            self.history.pop_front();
        }
        self.last_closed = Some(done);
    }

    /// The verdict of the window in progress (for `report`, and the live pane between
    /// window closes). `None` without a reference.
    pub fn evaluate_current(&self) -> Option<WindowResult> {
        let r = self.reference.as_ref()?;
        let len = self.cfg.window_ns.unwrap_or(0);
        let start = match (self.current_no, len > 0) {
            (Some(no), true) => no * len,
            _ => self.current.first.unwrap_or(0),
        };
        Some(WindowResult {
            start,
            end: self.current.last.unwrap_or(start),
            calls: self.current.calls,
            drift: Some(r.compare(&self.current, &self.cfg.compare)),
        })
    }

    /// Makes the current window (or, when it has too few calls, the last closed one) the
    /// new reference — the TUI's `b`. Returns false when neither has enough calls.
    pub fn pin_reference(&mut self) -> bool {
        let min = self.cfg.compare.min_samples;
        let pick = if self.current.calls >= min {
            Some(&self.current)
        } else {
            self.last_closed.as_ref().filter(|b| b.calls >= min)
        };
        let Some(b) = pick else { return false };
        let p = b.profile(vec!["pinned".into()], self.cfg.profile_terms);
        self.reference = Some(Reference::new(p));
        self.origin = Some(ReferenceOrigin::Pinned);
        self.boot = None;
        true
    }

    /// One row per feature for the Drift pane: the latest closed window's verdict (or the
    /// in-progress one before any window closed) with the statistic's recent history.
    pub fn rows(&self) -> Vec<FeatureRow> {
        let latest = self
            .history
            .iter()
            .rev()
            .find_map(|w| w.drift.clone())
            .or_else(|| self.evaluate_current().and_then(|w| w.drift));
        let Some(latest) = latest else {
            return Vec::new();
        };
        latest
            .features
            .into_iter()
            .map(|f| {
                let history = self
                    .history
                    .iter()
                    .filter_map(|w| w.drift.as_ref())
                    .map(|d| {
                        d.features
                            .iter()
                            .find(|x| x.name == f.name)
                            .and_then(|x| x.statistic)
                    })
                    .collect();
                FeatureRow {
                    feature: f,
                    history,
                }
            })
            .collect()
    }

    /// Reference-vs-current histograms of one feature (current = the window in progress,
    /// or the last closed one when the current window is still empty).
    pub fn histograms(&self, feature: &str, bins: usize) -> Option<Histograms> {
        let r = self.reference.as_ref()?;
        let cur = match &self.last_closed {
            Some(b) if self.current.calls < self.cfg.compare.min_samples => b,
            _ => &self.current,
        };
        r.histograms(cur, feature, bins)
    }

    /// Dataset-drift verdicts of the recent closed windows, oldest first (for a sparkline
    /// of the drifting share).
    pub fn share_history(&self) -> Vec<Option<f64>> {
        self.history
            .iter()
            .map(|w| w.drift.as_ref().map(|d| d.share))
            .collect()
    }
}

fn limits(cfg: &DriftConfig) -> BuilderLimits {
    BuilderLimits {
        sample: cfg.sample,
        terms: cfg.window_terms,
    }
}

/// Builds a baseline profile from calls and feedback (what `llmmon baseline` writes).
#[derive(Debug)]
pub struct BaselineBuilder {
    builder: Builder,
    tok: Tokenizer,
    terms: usize,
}

impl BaselineBuilder {
    /// An empty baseline keeping `sample` values per numeric feature before quantiles.
    pub fn new(sample: usize, terms: usize) -> Self {
        BaselineBuilder {
            builder: Builder::new(BuilderLimits {
                sample,
                terms: terms.saturating_mul(25).max(20_000),
            }),
            tok: Tokenizer::default(),
            terms,
        }
    }

    /// Adds an LLM call (other spans are ignored).
    pub fn add_call(&mut self, c: &Call, t: Nanos) {
        if c.operation.is_llm_call() {
            let f = features::extract(c);
            self.builder.add(&f, &c.id, t, &mut self.tok);
        }
    }

    /// Adds a feedback record: a person's counts in the negative-feedback rate, a judge's
    /// verdict in its criterion's scores and the hallucination rate (below
    /// [`crate::engine::quality::DEFAULT_HALLUCINATION_BELOW`]).
    pub fn add_feedback(&mut self, f: &Feedback) {
        if f.is_judge_verdict() {
            if let Some((criterion, v)) = f.verdict() {
                self.builder.add_verdict(
                    criterion,
                    v,
                    crate::engine::quality::DEFAULT_HALLUCINATION_BELOW,
                );
            }
        } else {
            self.builder.add_feedback(feedback_negative(f));
        }
    }

    /// The finished profile.
    pub fn finish(&self, source: Vec<String>) -> Profile {
        self.builder.profile(source, self.terms)
    }
}
