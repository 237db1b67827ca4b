#![allow(clippy::unwrap_used)]
//! A crafted log where p95 latency crosses warn, then crit, then recovers: exactly the
//! expected transitions, at the expected event times, however the log is batched.

use llmmon::config::Config;
use llmmon::engine::alerts::{AlertStatus, Level};
use llmmon::engine::{Engine, SECOND};
use llmmon::model::record::{Nanos, Record};
use llmmon::source::SourceKind;
use std::path::Path;

/// 2026-11-26T10:00:00Z, a multiple of every step used here.
const BASE: i64 = 1_795_687_200;

/// One call per second for 300 s: fast, then 2 s (warn) from 100 s, 5 s (crit) from 160 s,
/// fast again from 220 s.
pub fn crafted_log() -> Vec<String> {
    (0..300)
        .map(|s| {
            let lat = match s {
                100..=159 => 2000,
                160..=219 => 5000,
                _ => 100,
            };
            format!(
                r#"{{"type":"call","id":"c{s}","ts":{},"model":"gpt-4o","latency_ms":{lat},"user":"u{}","conversation_id":"conv{}"}}"#,
                BASE + s,
                s % 7,
                s / 10
            )
        })
        .collect()
}

const RULES: &str = r#"
[alerting]
default_rules = false

[[alerts]]
name = "p95 latency"
metric = "latency.p95"
window = "1m"
every = "10s"
warn = "1s"
crit = 3000
filter = "model:gpt-4*"

[[alerts]]
name = "p95 latency held"
metric = "latency.p95"
window = "1m"
every = "10s"
warn = "1s"
crit = "3s"
for = "20s"
"#;

fn run(batch: usize) -> Engine {
    let cfg = Config::parse(RULES, Path::new("rules.toml")).unwrap();
    let mut e = Engine::new(cfg.engine_config().unwrap());
    let src = e.add_source("crafted", SourceKind::File);
    let recs: Vec<(u64, Record)> = crafted_log()
        .iter()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, serde_json::from_str(l).unwrap()))
        .collect();
    for chunk in recs.chunks(batch) {
        e.ingest(src, chunk.to_vec());
    }
    e
}

fn at(s: i64) -> Nanos {
    (BASE + s) * SECOND
}

#[test]
fn p95_crosses_warn_then_crit_then_recovers() {
    let e = run(1000);
    let steps: Vec<_> = e
        .alerts
        .history()
        .iter()
        .filter(|t| t.rule == "p95 latency")
        .map(|t| (t.from, t.to, t.level, t.at))
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                AlertStatus::Ok,
                AlertStatus::Firing,
                Some(Level::Warn),
                at(110)
            ),
            (
                AlertStatus::Firing,
                AlertStatus::Firing,
                Some(Level::Crit),
                at(170)
            ),
            (AlertStatus::Firing, AlertStatus::Resolved, None, at(280)),
        ]
    );
    let h: Vec<_> = e.alerts.history().iter().collect();
    let warn = h.iter().find(|t| t.rule == "p95 latency").unwrap();
    let v = warn.value.unwrap();
    assert!(
        (v / 2000.0 - 1.0).abs() < 0.01,
        "p95 {v} within 1 % of 2000"
    );
    assert_eq!(warn.threshold, Some(1000.0));
    assert_eq!(warn.filter, "model:gpt-4*");
    let drill = warn.drill();
    assert_eq!(
        (drill.query.as_str(), drill.from, drill.to),
        ("(model:gpt-4*) latency>1000ms", at(50), at(110))
    );
}

#[test]
fn for_holds_the_alert_in_pending_first() {
    let e = run(1000);
    let steps: Vec<_> = e
        .alerts
        .history()
        .iter()
        .filter(|t| t.rule == "p95 latency held")
        .map(|t| (t.from, t.to, t.level, t.at))
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                AlertStatus::Ok,
                AlertStatus::Pending,
                Some(Level::Warn),
                at(110)
            ),
            (
                AlertStatus::Pending,
                AlertStatus::Firing,
                Some(Level::Warn),
                at(130)
            ),
            (
                AlertStatus::Firing,
                AlertStatus::Firing,
                Some(Level::Crit),
                at(170)
            ),
            (AlertStatus::Firing, AlertStatus::Resolved, None, at(280)),
        ]
    );
}

#[test]
fn batching_does_not_change_the_transitions() {
    let whole = run(1000);
    for batch in [1, 7, 64] {
        let e = run(batch);
        assert_eq!(e.alerts.history(), whole.alerts.history(), "batch {batch}");
    }
}

#[test]
fn pane_order_and_banner_follow_the_state() {
    let cfg = Config::parse(RULES, Path::new("rules.toml")).unwrap();
    let mut e = Engine::new(cfg.engine_config().unwrap());
    let src = e.add_source("crafted", SourceKind::File);
    let recs: Vec<(u64, Record)> = crafted_log()
        .iter()
        .take(200)
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, serde_json::from_str(l).unwrap()))
        .collect();
    e.ingest(src, recs);
    let ordered = e.alerts.ordered();
    assert_eq!(ordered[0].status(), AlertStatus::Firing);
    assert_eq!(ordered[0].level(), Some(Level::Crit));
    assert_eq!(ordered[0].since(), Some(at(110)));
    assert!(ordered[0].drill().unwrap().from <= at(50));
    let banner = e.alerts.banner().unwrap();
    assert!(banner.starts_with("CRIT p95 latency"), "{banner}");
    assert!(banner.contains("(+1 more)"), "{banner}");
    let notes = e.alerts.take_notifications();
    assert!(notes.iter().all(|t| t.to != AlertStatus::Pending));
    assert!(e.alerts.take_notifications().is_empty());
}
