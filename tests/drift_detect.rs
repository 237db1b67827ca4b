//! Drift detection on generated streams: a stationary stream raises no dataset drift, and
//! each scripted shift is caught in the first full window after it starts.
#![allow(clippy::unwrap_used)]

use llmmon::demo::shift::{Shift, Shifted};
use llmmon::demo::{GenConfig, Generator, Scenario, DEFAULT_START};
use llmmon::engine::drift::profile::Profile;
use llmmon::engine::drift::{BaselineBuilder, DriftConfig, DriftState, WindowResult};
use llmmon::engine::{Engine, EngineConfig, SECOND};
use llmmon::model::record::Record;
use llmmon::source::SourceKind;
use std::sync::OnceLock;

const WINDOW: i64 = 60 * SECOND;

fn generator(seed: u64) -> Generator {
    generator_at(seed, 20.0)
}

fn generator_at(seed: u64, rate_per_sec: f64) -> Generator {
    Generator::new(GenConfig {
        seed,
        rate_per_sec,
        scenario: Scenario::Steady,
        ..GenConfig::default()
    })
}

/// A baseline of ~27,000 LLM calls from seed 1 (built once for all tests).
fn baseline() -> &'static Profile {
    static P: OnceLock<Profile> = OnceLock::new();
    P.get_or_init(|| {
        let mut b = BaselineBuilder::new(20_000, 2000);
        for r in generator(1).take(40_000) {
            match &r {
                Record::Call(c) => b.add_call(c, c.event_time().unwrap()),
                Record::Feedback(f) => b.add_feedback(f),
                Record::Attachment(_) => {}
            }
        }
        b.finish(vec!["seed-1".into()])
    })
}

/// Feeds records until event time passes `until`, returning the closed windows.
fn run(records: impl Iterator<Item = Record>, until: i64) -> Vec<WindowResult> {
    let mut e = Engine::new(EngineConfig {
        windows: vec![],
        ..EngineConfig::default()
    });
    e.drift = DriftState::with_baseline(
        DriftConfig {
            window_ns: Some(WINDOW),
            history: 200,
            ..DriftConfig::default()
        },
        baseline().clone(),
    );
    let src = e.add_source("gen", SourceKind::File);
    let mut batch = Vec::new();
    for r in records {
        let t = r.time().unwrap_or(0);
        batch.push((1, r));
        if batch.len() == 512 {
            e.ingest(src, std::mem::take(&mut batch));
        }
        if t > until {
            break;
        }
    }
    e.ingest(src, batch);
    e.drift.history.iter().cloned().collect()
}

fn window_at(ws: &[WindowResult], start: i64) -> &WindowResult {
    ws.iter().find(|w| w.start == start).unwrap()
}

#[test]
fn stationary_stream_raises_no_dataset_drift_in_100_windows() {
    let ws = run(generator(2), DEFAULT_START + 101 * WINDOW);
    let judged: Vec<_> = ws
        .iter()
        .filter_map(|w| w.drift.as_ref())
        .take(100)
        .collect();
    assert_eq!(judged.len(), 100);
    let alarms = judged.iter().filter(|d| d.dataset_drift).count();
    let worst = judged.iter().map(|d| d.share).fold(0.0, f64::max);
    let text = judged
        .iter()
        .filter(|d| d.prompt.as_ref().is_some_and(|t| t.drift))
        .count();
    eprintln!("dataset alarms {alarms}/100, worst share {worst:.3}, prompt text alarms {text}");
    assert!(alarms <= 1, "{alarms} false alarms");
    assert!(text <= 1, "{text} text false alarms");
}

/// Runs a shift starting mid-way through the third window; returns the first full window.
fn shifted(shift: Shift) -> WindowResult {
    shifted_at(shift, 20.0)
}

/// As [`shifted`], with this many calls per second.
fn shifted_at(shift: Shift, rate: f64) -> WindowResult {
    let at = DEFAULT_START + 150 * SECOND;
    let first_full = DEFAULT_START + 3 * WINDOW;
    let ws = run(
        Shifted::new(generator_at(3, rate), vec![(at, shift)], 9),
        first_full + WINDOW + SECOND,
    );
    window_at(&ws, first_full).clone()
}

fn feature_drifts(w: &WindowResult, name: &str) -> bool {
    let d = w.drift.as_ref().unwrap();
    let f = d.features.iter().find(|f| f.name == name).unwrap();
    eprintln!(
        "{name}: {:?} {:?} drift {} n {}",
        f.test, f.statistic, f.drift, f.current_n
    );
    f.drift
}

#[test]
fn prompt_length_shift_is_detected() {
    assert!(feature_drifts(
        &shifted(Shift::PromptLength(2)),
        "prompt_chars"
    ));
}

#[test]
fn new_topic_word_tops_the_new_terms() {
    let w = shifted(Shift::TopicWord("quokkacoin".into(), 0.5));
    let t = w.drift.as_ref().unwrap().prompt.clone().unwrap();
    assert_eq!(t.top_new_terms[0].term, "quokkacoin");
    assert!(t.top_new_terms[0].example.is_some());
}

#[test]
fn model_switch_is_detected() {
    let w = shifted(Shift::Model("mistral-large-2411".into(), "mistral".into()));
    assert!(feature_drifts(&w, "model"));
    assert!(feature_drifts(&w, "provider"));
}

#[test]
fn refusal_rate_doubling_is_detected() {
    let base = baseline().rates["refusal"].rate;
    assert!(base > 0.0 && base < 0.05, "{base}");
    eprintln!("base {base}");
    // Doubling a rate near 1 % needs a few thousand calls per window to be certain.
    // Calls without an answer (tool-call turns, ~15 %) cannot be refused, so the share of
    // answers turned into refusals is raised to double the rate over all calls.
    let w = shifted_at(Shift::Refusals(base / 0.85), 120.0);
    assert!(feature_drifts(&w, "refusal"));
}

#[test]
fn latency_regression_is_detected() {
    let w = shifted(Shift::Latency(2.0));
    assert!(feature_drifts(&w, "latency_ms"));
}

#[test]
fn stream_reference_uses_small_sample_tests_and_catches_a_shift() {
    let mut e = Engine::new(EngineConfig {
        windows: vec![],
        ..EngineConfig::default()
    });
    let src = e.add_source("gen", SourceKind::File);
    let at = DEFAULT_START + 150 * SECOND;
    let recs: Vec<(u64, Record)> = Shifted::new(generator(4), vec![(at, Shift::Latency(2.0))], 1)
        .take_while(|r| r.time().unwrap_or(0) < DEFAULT_START + 4 * WINDOW + SECOND)
        .map(|r| (1, r))
        .collect();
    e.ingest(src, recs);
    assert_eq!(e.drift.reference().unwrap().records, 1000);
    let w = e
        .drift
        .history
        .iter()
        .find(|w| w.start == DEFAULT_START + 3 * WINDOW)
        .unwrap();
    let f = w
        .drift
        .as_ref()
        .unwrap()
        .features
        .iter()
        .find(|f| f.name == "latency_ms")
        .unwrap();
    assert_eq!(f.test.as_str(), "ks");
    assert!(f.drift);
    let rows = e.drift.rows();
    assert!(rows
        .iter()
        .any(|r| r.feature.name == "latency_ms" && !r.history.is_empty()));
    assert!(e.drift.histograms("latency_ms", 20).is_some());
    assert!(e.drift.histograms("model", 20).is_some());
    assert!(e.pin_drift_reference());
}
