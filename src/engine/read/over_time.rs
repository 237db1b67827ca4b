//! Latency over time for the Overview: p50 and p95 per time bucket for the whole stream and
//! for the top models, and where alerts started firing, over the window on screen. The
//! per-second counters ([`crate::engine::series`]) carry rates; percentiles need the
//! calls themselves, so they are taken from the newest calls the store holds (bounded).

use crate::engine::alerts::AlertStatus;
use crate::engine::Engine;
use crate::model::record::Nanos;

/// Calls examined at most (the newest), so a snapshot costs a few ms on any store.
pub const MAX_CALLS: usize = 50_000;
/// Models that get their own p95 line.
pub const TOP_MODELS: usize = 3;

/// One line of the chart: a value per bucket, `None` where the bucket had no calls.
pub type Line = Vec<Option<f64>>;

/// The chart's lines over `points` buckets, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OverTime {
    pub p50: Line,
    pub p95: Line,
    /// p95 per top model, in the Overview's ranking order.
    pub models: Vec<(String, Line)>,
    /// 1 in each bucket where an alert or budget started firing.
    pub alerts: Line,
    /// Alerts that started firing in the window.
    pub fired: usize,
    /// False when the store no longer holds every call of the window (the older buckets
    /// are then partial).
    pub complete: bool,
}

impl OverTime {
    /// The chart over `[to - length, to]` in `points` buckets, with p95 lines for `models`.
    pub fn build(
        engine: &Engine,
        to: Nanos,
        length: i64,
        points: usize,
        models: &[String],
    ) -> OverTime {
        let points = points.max(1);
        let length = length.max(1);
        let from = to.saturating_sub(length);
        let bucket = |t: Nanos| -> Option<usize> {
            (t >= from && t <= to).then(|| {
                let i = (t - from) as i128 * points as i128 / length as i128;
                usize::try_from(i).unwrap_or(0).min(points - 1)
            })
        };
        let models: Vec<&String> = models.iter().take(TOP_MODELS).collect();
        let mut all: Vec<Vec<f64>> = vec![Vec::new(); points];
        let mut per_model: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); points]; models.len()];
        let mut examined = 0usize;
        let mut reached_start = false;
        for sc in engine.store.calls().rev() {
            if examined == MAX_CALLS {
                break;
            }
            examined += 1;
            if sc.time < from {
                reached_start = true;
                continue;
            }
            let (Some(i), Some(ms)) = (bucket(sc.time), sc.call.effective_latency_ms()) else {
                continue;
            };
            if !sc.call.operation.is_llm_call() || !ms.is_finite() {
                continue;
            }
            all[i].push(ms);
            if let Some(m) = sc
                .call
                .model_name()
                .and_then(|name| models.iter().position(|m| m.as_str() == name))
            {
                per_model[m][i].push(ms);
            }
        }
        let evicted = engine.store.evicted.calls > 0;
        let complete = reached_start || (examined < MAX_CALLS && !evicted);
        let mut alerts = vec![None; points];
        let mut fired = 0;
        for t in engine.alerts.history() {
            if t.to == AlertStatus::Firing && !t.renotify && t.from != AlertStatus::Firing {
                if let Some(i) = bucket(t.at) {
                    alerts[i] = Some(1.0);
                    fired += 1;
                }
            }
        }
        let line = |buckets: &mut [Vec<f64>], q: f64| -> Line {
            buckets.iter_mut().map(|b| quantile(b, q)).collect()
        };
        OverTime {
            p50: line(&mut all, 0.50),
            p95: line(&mut all, 0.95),
            models: models
                .iter()
                .zip(per_model.iter_mut())
                .map(|(m, b)| ((*m).clone(), line(b, 0.95)))
                .collect(),
            alerts,
            fired,
            complete,
        }
    }
}

/// The nearest-rank quantile of `v` (sorted in place); `None` when empty.
fn quantile(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineConfig;
    use crate::engine::SECOND;
    use crate::model::record::{Call, Record};
    use crate::model::source::SourceKind;

    fn call(i: usize, t: i64, model: &str, ms: f64) -> Record {
        Record::Call(Box::new(Call {
            id: format!("c{i}"),
            model: Some(model.into()),
            end: Some(t),
            latency_ms: Some(ms),
            ..Call::default()
        }))
    }

    #[test]
    fn a_spike_shows_in_its_buckets_and_on_its_model_only() {
        let mut e = Engine::new(EngineConfig::default());
        let src = e.add_source("t", SourceKind::File);
        let mut recs = Vec::new();
        for s in 0..60i64 {
            let slow = (30..40).contains(&s);
            recs.push((
                1,
                call(
                    recs.len(),
                    s * SECOND,
                    "a",
                    if slow { 5000.0 } else { 100.0 },
                ),
            ));
            recs.push((1, call(recs.len(), s * SECOND, "b", 200.0)));
        }
        e.ingest(src, recs);
        let models = vec!["a".to_string(), "b".to_string()];
        let o = OverTime::build(&e, 59 * SECOND, 60 * SECOND, 6, &models);
        assert_eq!(o.p95.len(), 6);
        assert_eq!(o.p95[3], Some(5000.0), "{:?}", o.p95);
        assert_eq!(o.p95[1], Some(200.0));
        assert_eq!(o.models[0].1[3], Some(5000.0));
        assert_eq!(o.models[1].1[3], Some(200.0), "b stays flat");
        assert!(o.complete);
        let mut none: Vec<f64> = Vec::new();
        assert_eq!(quantile(&mut none, 0.5), None);
    }
}
