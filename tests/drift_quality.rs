//! Quality signals: feedback joined to its call in either order, rephrase detection on
//! hand-written conversation pairs, LLM judge verdicts as scores (never as feedback) and
//! the hallucination rate as a drift feature.
#![allow(clippy::unwrap_used)]

use llmmon::engine::drift::{DriftConfig, DriftState};
use llmmon::engine::quality::is_rephrase;
use llmmon::engine::{Engine, EngineConfig, Scope, SECOND};
use llmmon::model::record::{Call, Feedback, FeedbackKind, Message, Record};
use llmmon::source::SourceKind;

fn call(id: &str, conv: &str, turn: u32, t: i64, prompt: &str) -> Record {
    Record::Call(Box::new(Call {
        id: id.into(),
        end: Some(t * SECOND),
        conversation_id: Some(conv.into()),
        turn: Some(turn),
        user: Some("ana".into()),
        model: Some("gpt-4o".into()),
        messages: vec![Message {
            role: "user".into(),
            content: prompt.into(),
        }],
        output: Some("Here you go.".into()),
        ..Call::default()
    }))
}

fn feedback(id: &str, t: i64, kind: FeedbackKind) -> Record {
    Record::Feedback(Feedback {
        call_id: id.into(),
        time: Some(t * SECOND),
        kind,
        value: None,
        comment: None,
        user: Some("ana".into()),
        name: None,
        judge: None,
    })
}

#[test]
fn feedback_joins_before_and_after_its_call() {
    let mut e = Engine::new(EngineConfig::default());
    let src = e.add_source("x", SourceKind::File);
    e.ingest(
        src,
        vec![
            (1, feedback("c1", 10, FeedbackKind::ThumbsDown)),
            (2, call("c1", "s1", 1, 11, "Where is my parcel?")),
            (3, feedback("c1", 12, FeedbackKind::ThumbsUp)),
            (4, feedback("c1", 13, FeedbackKind::Copy)),
        ],
    );
    let q = &e.drift.quality;
    let m = &q.by_model["gpt-4o"];
    assert_eq!((m.up, m.down, m.copies), (2, 1, 1));
    assert_eq!(q.by_user["ana"].down, 1);
    let s = e.drift.quality_report();
    assert_eq!((s.feedback.up, s.feedback.down), (2, 1));
    assert!((s.feedback.negative_rate - 1.0 / 3.0).abs() < 1e-12);
}

const REPHRASES: [(&str, &str); 5] = [
    (
        "How do I reset my password?",
        "how can I reset my password please",
    ),
    (
        "Find me a flight from Lisbon to Tokyo on 3 November",
        "I need a flight Lisbon to Tokyo, 3rd of November",
    ),
    (
        "What is your refund policy for shoes?",
        "What's the refund policy on shoes?",
    ),
    (
        "Why does my Python script crash with KeyError?",
        "my python script crashes with a KeyError, why?",
    ),
    ("Cancel order ORD-100231", "cancel order ORD-100231"),
];

const NOT_REPHRASES: [(&str, &str); 5] = [
    (
        "How do I reset my password?",
        "Thanks! Can you also change my email address?",
    ),
    (
        "Find me a flight from Lisbon to Tokyo on 3 November",
        "Great, book the cheapest one and send the confirmation.",
    ),
    (
        "What is your refund policy for shoes?",
        "And how long does shipping take to Spain?",
    ),
    (
        "Why does my Python script crash with KeyError?",
        "It works now. How do I write a unit test for it?",
    ),
    ("Cancel order ORD-100231", "ok"),
];

#[test]
fn rephrase_detection_on_hand_written_pairs() {
    for (a, b) in REPHRASES {
        assert!(is_rephrase(a, b, 0.35), "{a} / {b}");
    }
    for (a, b) in NOT_REPHRASES {
        assert!(!is_rephrase(a, b, 0.35), "{a} / {b}");
    }
}

#[test]
fn engine_counts_rephrases_within_a_conversation() {
    let mut e = Engine::new(EngineConfig::default());
    let src = e.add_source("x", SourceKind::File);
    let mut recs = Vec::new();
    for (i, (a, b)) in REPHRASES.iter().chain(NOT_REPHRASES.iter()).enumerate() {
        let conv = format!("s{i}");
        let t = i as i64 * 10;
        recs.push((1, call(&format!("a{i}"), &conv, 1, t, a)));
        recs.push((1, call(&format!("b{i}"), &conv, 2, t + 5, b)));
    }
    e.ingest(src, recs);
    let s = e.drift.quality_report();
    assert_eq!(s.followup_turns, 9, "'ok' is too short to compare");
    assert_eq!(s.rephrases, 5);
}

fn verdict(id: &str, t: i64, criterion: &str, score: f64) -> Record {
    Record::Feedback(Feedback {
        call_id: id.into(),
        time: Some(t * SECOND),
        kind: FeedbackKind::Score,
        value: Some(score),
        comment: Some(format!("{criterion} judged {score}")),
        user: None,
        name: Some(format!("judge.{criterion}")),
        judge: Some("gpt-4o-mini".into()),
    })
}

#[test]
fn verdicts_join_their_call_as_scores_and_are_no_persons_feedback() {
    let mut e = Engine::new(EngineConfig::default());
    let src = e.add_source("x", SourceKind::File);
    e.ingest(
        src,
        vec![
            (1, verdict("c1", 10, "groundedness", 0.2)),
            (2, call("c1", "s1", 1, 10, "What is the refund window?")),
            (3, verdict("c1", 10, "helpfulness", 0.9)),
            (4, feedback("c1", 12, FeedbackKind::ThumbsUp)),
        ],
    );
    let sc = e.store.by_id("c1").unwrap();
    assert_eq!(sc.call.scores["groundedness"], 0.2);
    assert_eq!(sc.call.scores["helpfulness"], 0.9);
    assert_eq!((sc.feedback.len(), sc.verdicts.len()), (1, 2));
    let s = e.summary(Scope::SinceStart);
    assert_eq!((s.feedback, s.verdicts), (1, 2));
    let q = e.drift.quality_report();
    assert_eq!(
        (q.feedback.up, q.feedback.down, q.feedback.other),
        (1, 0, 0)
    );
    assert_eq!(q.feedback.negative_rate, 0.0);
    assert_eq!(q.judge.criteria["groundedness"].mean, 0.2);
    assert_eq!(q.judge.by_model["gpt-4o"]["groundedness"].count, 1);
    assert_eq!(q.judge.by_model["gpt-4o"]["helpfulness"].mean, 0.9);
    assert_eq!(q.judge.hallucination_rate, Some(1.0));
    let m = &e.drift.quality.by_model["gpt-4o"];
    assert_eq!((m.up, m.down, m.other), (1, 0, 0));
    let conv = e.store.conversations().get("s1").unwrap();
    assert_eq!((conv.feedback_up, conv.feedback_down), (1, 0));
}

#[test]
fn the_hallucination_rate_and_judge_scores_drift_from_verdicts() {
    let mut e = Engine::new(EngineConfig::default());
    e.drift = DriftState::new(DriftConfig {
        reference_calls: 100,
        ..DriftConfig::default()
    });
    let src = e.add_source("x", SourceKind::File);
    let mut recs = Vec::new();
    // Two calls a second: the first 50 s are the reference (grounded answers), the next
    // three minutes are judged ungrounded.
    for i in 0..460 {
        let t = i / 2;
        let id = format!("c{i}");
        recs.push((1, call(&id, &format!("s{i}"), 1, t, "Where is my parcel?")));
        let score = if t < 50 {
            0.8 + 0.001 * (i % 50) as f64
        } else {
            0.1 + 0.001 * (i % 50) as f64
        };
        recs.push((2, verdict(&id, t, "groundedness", score)));
    }
    e.ingest(src, recs);
    // The reference closes with its 100th call, before that call's verdict arrives.
    let reference = e.drift.reference().unwrap();
    assert_eq!(reference.rates["hallucination"].n, 99);
    assert_eq!(reference.rates["hallucination"].count, 0);
    assert_eq!(reference.numeric["judge.groundedness"].count, 99);
    let last = e.drift.history.back().unwrap().drift.as_ref().unwrap();
    let feature = |name: &str| last.features.iter().find(|f| f.name == name).unwrap();
    let h = feature("hallucination");
    assert!(h.enough_data && h.drift, "{h:?}");
    assert_eq!(h.current_n, 120);
    let g = feature("judge.groundedness");
    assert!(g.enough_data && g.drift, "{g:?}");
    let q = e.drift.quality_report();
    assert_eq!(q.judge.hallucination.judged, 460);
    assert_eq!(q.judge.hallucination.below, 360);
    assert_eq!(q.feedback.up + q.feedback.down + q.feedback.other, 0);
    let window = e.drift.quality.history.back().unwrap();
    assert_eq!(window.hallucination.judged, 120);
    assert_eq!(window.hallucination.below, 120);
}
