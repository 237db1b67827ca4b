//! The one door views use to see the engine: [`Engine::snapshot`] answers a [`ReadSpec`]
//! with a [`Snapshot`], a copy of everything a screen or a report shows at one moment —
//! the summary, groups ranked once for every view, alert rows with their values "as of" a
//! time, drift, sources with their last rejections and the opened trace laid out as a tree.
//! A paused TUI keeps its last `Arc<Snapshot>`, so every pane freezes together.

pub mod agreement;
pub mod alerts;
pub mod drift;
pub mod over_time;
pub mod overview;
pub mod review;
pub mod trace;
pub mod why;

use super::sources::SourceStats;
use super::store::{Evicted, Seq};
use super::{Engine, GroupSummary, Scope};
use crate::model::record::Nanos;

/// What groups (models, users, ...) are ranked by. One ordering for every view: the TUI's
/// tables and `report` list groups the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rank {
    /// Most cost first, then most calls, then by name.
    #[default]
    Cost,
    /// Highest p95 latency first, then most calls, then by name.
    P95,
}

/// Groups in `rank` order (see [`Rank`]).
pub fn ranked(
    groups: impl IntoIterator<Item = (String, GroupSummary)>,
    rank: Rank,
) -> Vec<(String, GroupSummary)> {
    let mut v: Vec<(String, GroupSummary)> = groups.into_iter().collect();
    let key = |s: &GroupSummary| match rank {
        Rank::Cost => s.cost_usd,
        Rank::P95 => s.latency_ms.p95.unwrap_or(0.0),
    };
    v.sort_by(|a, b| {
        key(&b.1)
            .total_cmp(&key(&a.1))
            .then(b.1.calls.cmp(&a.1.calls))
            .then_with(|| a.0.cmp(&b.0))
    });
    v
}

/// What a view asks of the engine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadSpec {
    /// The window the numbers cover.
    pub scope: Option<Scope>,
    /// How groups are ranked.
    pub rank: Rank,
    /// The model (by position in the ranked models) whose latency distribution is wanted.
    pub model_pos: usize,
    /// Whether the drift verdict is wanted (it costs more than the rest).
    pub drift: bool,
    /// The Alerts row (rules, then recent transitions) whose "why" is wanted: a ranking
    /// over the window's calls costs a few ms, so only the selected row's is taken.
    pub why_of: Option<usize>,
    /// Whether the Overview's latency-over-time chart is wanted (it reads the stored calls).
    pub over_time: bool,
    /// Whether the review queue is wanted (it reads every stored call).
    pub review: bool,
}

/// Everything a view shows at one moment, copied out of the engine.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The engine's change counter when this was taken.
    pub generation: u64,
    /// Records ingested so far.
    pub records: u64,
    /// Newest event time seen.
    pub now: Option<Nanos>,
    /// The newest stored call (a frozen view shows nothing newer).
    pub max_seq: Option<Seq>,
    /// The summary `report --json` prints, for the asked scope.
    pub summary: super::Summary,
    pub overview: overview::Overview,
    pub alerts: alerts::AlertsView,
    /// Every source with its state, counters and first rejections.
    pub sources: Vec<SourceStats>,
    pub evicted: Evicted,
    /// The drift verdict, when asked for.
    pub drift: Option<drift::DriftView>,
    /// Why the asked Alerts row fired (or is firing): the row and its ranking.
    pub why: Option<(usize, why::Why)>,
    /// The calls that need a person, in review order, when asked for.
    pub review: Option<review::ReviewQueue>,
}

impl Engine {
    /// The one read of the engine views make: a copy of what `spec` asks for.
    pub fn snapshot(&self, spec: &ReadSpec) -> Snapshot {
        let scope = spec.scope.unwrap_or(Scope::SinceStart);
        let view = self.scope(scope);
        let summary = self.summary_of(view.as_ref(), scope);
        let overview = overview::Overview::build(
            self,
            view.as_ref(),
            &summary,
            scope,
            spec.rank,
            spec.model_pos,
            spec.over_time,
        );
        let alerts = alerts::AlertsView::of(&self.alerts);
        let review = spec.review.then(|| review::queue(&self.store, &alerts));
        let why = spec
            .why_of
            .and_then(|pos| Some((pos, alerts.why_at(pos, |d| self.why(d))?)));
        Snapshot {
            generation: self.generation ^ self.store.generation.rotate_left(32),
            records: self.records,
            now: self.now,
            max_seq: self.store.calls().next_back().map(|c| c.seq),
            summary,
            overview,
            alerts,
            sources: self.sources.clone(),
            evicted: self.store.evicted,
            drift: spec.drift.then(|| drift::DriftView::of(&self.drift)),
            why,
            review,
        }
    }
}
