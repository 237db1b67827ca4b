//! What the Overview shows, copied from the engine: totals with cost provenance, latency
//! and TTFT distributions (for the window and one selected model), models and users ranked
//! once (see [`super::ranked`]), the per-second series and the budgets.

use super::Rank;
use crate::engine::budgets::BudgetLine;
use crate::engine::hist::{Metric, Percentiles};
use crate::engine::series::Point;
use crate::engine::stats::StatsSummary;
use crate::engine::window::Dim;
use crate::engine::{Engine, GroupSummary, Scope, ScopeView, Summary, SECOND};
use std::collections::BTreeMap;

/// Buckets per histogram.
const HIST_BUCKETS: usize = 12;
/// Points per sparkline.
const SPARK_POINTS: usize = 60;

/// Bucket bounds and counts of one distribution, with its percentiles.
#[derive(Debug, Clone, Default)]
pub struct Dist {
    pub bounds: Vec<f64>,
    pub counts: Vec<u64>,
    pub pct: Percentiles,
}

impl Dist {
    fn of<C: hdrhistogram::Counter>(h: &crate::engine::hist::Hist<C>) -> Dist {
        let (bounds, counts) = h.buckets(HIST_BUCKETS).into_iter().unzip();
        Dist {
            bounds,
            counts,
            pct: h.summary(),
        }
    }
}

/// Everything the overview draws, copied from the engine.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub has_data: bool,
    pub totals: Option<StatsSummary>,
    pub latency: Dist,
    pub ttft: Dist,
    /// The selected model's name and latency distribution.
    pub model_latency: Option<(String, Dist)>,
    /// Ranked as the app asked.
    pub models: Vec<(String, GroupSummary)>,
    pub users: Vec<(String, GroupSummary)>,
    pub series: Vec<Point>,
    /// Seconds each series point covers.
    pub point_secs: f64,
    /// Budget standings (spent of limit, level); empty without budgets.
    pub budgets: Vec<BudgetLine>,
    /// Burn-rate forecasts of the calendar budgets.
    pub forecasts: Vec<String>,
    /// Latency p50/p95 over time, per top model, with alert markers (when asked for).
    pub over_time: Option<super::over_time::OverTime>,
}

impl Overview {
    /// The scope's distributions and series from `view`, its totals and ranked groups
    /// from `summary` (the numbers `report` prints, so screen and report agree).
    pub fn build(
        engine: &Engine,
        view: Option<&ScopeView<'_>>,
        summary: &Summary,
        scope: Scope,
        rank: Rank,
        model_pos: usize,
        over_time: bool,
    ) -> Overview {
        let Some(view) = view else {
            return Overview::default();
        };
        let g = view.grouped();
        let ranked = |groups: &BTreeMap<String, GroupSummary>| {
            super::ranked(groups.iter().map(|(k, s)| (k.clone(), s.clone())), rank)
        };
        let models = ranked(&summary.by_model);
        let model_latency = models
            .get(model_pos.min(models.len().saturating_sub(1)))
            .and_then(|(name, _)| {
                g.group(Dim::Model, name)
                    .map(|s| (name.clone(), Dist::of(s.hists.get(Metric::Latency))))
            });
        let length = match scope {
            Scope::Window(w) => w,
            Scope::SinceStart => (view.to - view.from).max(SECOND),
        };
        let now = view.to;
        let names: Vec<String> = models.iter().map(|(m, _)| m.clone()).collect();
        let over_time = over_time
            .then(|| super::over_time::OverTime::build(engine, now, length, SPARK_POINTS, &names));
        Overview {
            over_time,
            has_data: g.all.calls > 0,
            latency: Dist::of(g.all.hists.get(Metric::Latency)),
            ttft: Dist::of(g.all.hists.get(Metric::Ttft)),
            model_latency,
            models,
            users: ranked(&summary.by_user),
            series: engine.series.buckets(now, length, SPARK_POINTS),
            point_secs: (length as f64 / 1e9 / SPARK_POINTS as f64).max(1.0),
            totals: Some(summary.detail.clone()),
            budgets: engine.alerts.budgets.lines(),
            forecasts: engine
                .alerts
                .budgets
                .forecasts()
                .iter()
                .map(|f| f.describe())
                .collect(),
        }
    }
}
