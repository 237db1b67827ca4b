//! The Review pane from a fixed engine state: what needs a person (a critical flag, an
//! alert's example calls, other flags, low judge scores, negative feedback) in severity
//! order with every reason, single-key labels that move to the next unreviewed call, the
//! label editor, notes, skip, undo, progress in the title and judge/human agreement.
#![allow(clippy::unwrap_used)]

mod tui_support;

use llmmon::annotations::Annotations;
use llmmon::engine::SECOND;
use llmmon::model::record::{Feedback, FeedbackKind, Record, Status};
use llmmon::tui::app::{Pane, Target};
use tui_support::{at, call, fixture, Harness, C};

/// An error-rate rule over 60 s on gpt-4o calls (the ops calls below make it fire).
fn error_rule_config() -> llmmon::engine::EngineConfig {
    use llmmon::engine::alerts::{AlertMetric, Rule};
    let mut rule = Rule::new("gpt errors", AlertMetric::ErrorRate, 60 * SECOND);
    rule.warn = Some(0.1);
    rule.crit = Some(0.2);
    rule.filter_text = "model:gpt-4o".into();
    rule.filter = llmmon::model::query::Query::parse("model:gpt-4o").unwrap();
    let mut cfg = llmmon::engine::EngineConfig::default();
    cfg.alerts.rules = vec![rule];
    cfg
}

fn feedback(id: &str, t: i64, kind: FeedbackKind, value: Option<f64>) -> Feedback {
    Feedback {
        call_id: id.into(),
        time: Some(at(t)),
        kind,
        value,
        comment: None,
        user: None,
        name: None,
        judge: None,
    }
}

/// The TUI fixture (a critical injection on m1; a PII flag, a low helpfulness score and a
/// thumbs down on a2), plus failing ops calls that fire the rule, judge groundedness scores
/// (a3's as a judge's feedback record with its reason) and a low rating on b1.
fn records() -> Vec<Record> {
    let mut out = fixture();
    for i in 0..6 {
        let id = ["e0", "e1", "e2", "e3", "e4", "e5"][i];
        let mut c = call(C {
            id,
            t: [200, 210, 220, 230, 240, 265][i],
            conv: Some("ops-1"),
            user: Some("ops"),
            model: "gpt-4o",
            lat: 200.0,
            cost: Some(0.001),
        });
        if i % 2 == 1 || i == 5 {
            c.status = Status::Error;
        }
        match id {
            "e1" => c.scores.insert("groundedness".into(), 0.8),
            "e3" => c.scores.insert("groundedness".into(), 0.3),
            _ => None,
        };
        out.push(Record::Call(Box::new(c)));
    }
    out.push(Record::Feedback(Feedback {
        name: Some("judge.groundedness".into()),
        judge: Some("gpt-4o-mini".into()),
        comment: Some("the gate number is not in the context".into()),
        ..feedback("a3", 270, FeedbackKind::Score, Some(0.2))
    }));
    out.push(Record::Feedback(feedback(
        "b1",
        271,
        FeedbackKind::Score,
        Some(0.1),
    )));
    out
}

fn harness(w: u16, h: u16, ann: Option<&std::path::Path>) -> Harness {
    let mut t = Harness::with_config(w, h, error_rule_config(), records());
    if let Some(p) = ann {
        t.app.annotations = Annotations::open(p).unwrap();
    }
    t.frame();
    t
}

/// The call ids of the pane's rows, in order.
fn queue(t: &Harness) -> Vec<String> {
    t.app
        .review_index
        .rows
        .iter()
        .map(|r| t.engine.store.get(r.seq).unwrap().call.id.clone())
        .collect()
}

fn selected(t: &Harness) -> String {
    let seq = t.app.review.key.unwrap();
    t.engine.store.get(seq).unwrap().call.id.clone()
}

fn label_of(t: &Harness, id: &str) -> Option<String> {
    t.app
        .annotations
        .for_call(id)
        .last()
        .and_then(|a| a.label.clone())
}

#[test]
fn review_pane_snapshot() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut t = harness(w, h, None);
        t.keys("8 b");
        let screen = t.frame();
        insta::assert_snapshot!(format!("review_{w}x{h}"), screen);
    }
}

#[test]
fn the_queue_is_ordered_by_severity_with_every_reason() {
    let mut t = harness(160, 48, None);
    t.keys("8");
    let s = t.frame();
    assert_eq!(t.app.pane, Pane::Review);
    // The critical flag; the alert's failing calls, newest first; the PII flag; the low
    // judge scores, worst first; the low rating.
    assert_eq!(queue(&t), ["m1", "e5", "e3", "e1", "a2", "a3", "b1"]);
    assert!(s.contains("Review · 0 of 7 reviewed"), "{s}");
    assert!(s.contains("injection (critical)"), "{s}");
    assert!(
        s.contains("alert: gpt errors · judge groundedness 0.30"),
        "{s}"
    );
    assert!(
        s.contains("pii (high) · judge helpfulness 0.40 · thumbs down"),
        "{s}"
    );
    assert!(s.contains("judge groundedness 0.20"), "{s}");
    assert!(s.contains("score 0.10"), "{s}");
    // e1 passed the judge (0.8): it is here for the alert only.
    let e1 = s.lines().find(|l| l.contains("10:03:30")).unwrap();
    assert!(
        e1.contains("alert: gpt errors") && !e1.contains("judge"),
        "{e1}"
    );
    // The footer and help list the review keys.
    let foot = s.lines().last().unwrap();
    for k in [
        "o good",
        "b bad",
        "h hallucination",
        "! unsafe",
        "s skip",
        "n next",
    ] {
        assert!(foot.contains(k), "{k}: {foot}");
    }
    t.keys("?");
    let s = t.frame();
    assert!(s.contains("keys: review"), "{s}");
    assert!(
        s.contains("label hallucination, then the next unreviewed call"),
        "{s}"
    );
    assert!(s.contains("add a note to the call's label"), "{s}");
}

#[test]
fn labelling_moves_on_and_everything_lands_in_the_annotations_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("annotations.jsonl");
    let mut t = harness(160, 48, Some(&path));
    t.keys("8");
    assert_eq!(selected(&t), "m1");
    // o b h !: four labels, each moving to the next unreviewed call.
    t.keys("! o");
    assert_eq!(selected(&t), "e3");
    t.keys("s");
    assert_eq!(selected(&t), "e1", "skip leaves e3 unreviewed");
    t.keys("b");
    assert_eq!(selected(&t), "a2");
    // Any word through the editor, with a note.
    t.keys("a");
    t.type_text("wrong-airport");
    t.keys("tab");
    t.type_text("sent her to LIS");
    t.keys("enter");
    assert_eq!(selected(&t), "a3");
    t.keys("h");
    let s = t.frame();
    assert_eq!(selected(&t), "b1");
    assert!(s.contains("Review · 5 of 7 reviewed"), "{s}");
    assert!(s.contains("✓ hallucination"), "{s}");
    for (id, label) in [
        ("m1", "unsafe"),
        ("e5", "good"),
        ("e1", "bad"),
        ("a2", "wrong-airport"),
        ("a3", "hallucination"),
    ] {
        assert_eq!(label_of(&t, id).as_deref(), Some(label), "{id}");
    }
    assert_eq!(label_of(&t, "e3"), None);
    // n and Down walk the rows; the skipped one is still there to label.
    t.keys("n");
    assert_eq!(selected(&t), "m1", "n wraps to the top");
    t.keys("down down");
    assert_eq!(selected(&t), "e3");
    // c adds a note to a labelled call and keeps its label; the cursor stays.
    t.keys("up c");
    let s = t.frame();
    assert!(s.contains("label: good  note: █"), "{s}");
    t.type_text("retry storm");
    t.keys("enter");
    assert_eq!(
        selected(&t),
        "e5",
        "a note on a reviewed call does not move on"
    );
    let a = t.app.annotations.for_call("e5").last().unwrap();
    assert_eq!(
        (a.label.as_deref(), a.note.as_deref()),
        (Some("good"), Some("retry storm"))
    );
    // u takes back the last step (the note), then the label before it.
    t.keys("u u");
    assert_eq!(label_of(&t, "a3"), None);
    let s = t.frame();
    assert!(s.contains("Review · 4 of 7 reviewed"), "{s}");
    // Everything is in the file, undo included.
    let again = Annotations::open(&path).unwrap();
    assert_eq!(
        again.for_call("a2").last().unwrap().note.as_deref(),
        Some("sent her to LIS")
    );
    assert_eq!(again.for_call("a3").count(), 0);
    assert_eq!(again.labelled_calls().count(), 4);
}

#[test]
fn the_last_label_says_all_are_reviewed() {
    let mut t = harness(160, 48, None);
    t.keys("8 o o o o o o");
    assert_eq!(selected(&t), "b1");
    t.keys("b");
    let s = t.frame();
    assert!(s.contains("all 7 reviewed"), "{s}");
    assert!(s.contains("Review · 7 of 7 reviewed"), "{s}");
    t.keys("s");
    assert!(t
        .app
        .status
        .as_deref()
        .unwrap()
        .contains("no other unreviewed call"));
}

#[test]
fn judge_human_agreement_shows_once_both_exist() {
    let mut t = harness(160, 48, None);
    t.keys("8");
    let s = t.frame();
    assert!(s.contains("judge/human κ: none yet"), "{s}");
    // groundedness: e3 0.3 labelled good (judge fail, human pass), e1 0.8 good (both
    // pass), a3 0.2 hallucination (both fail): κ = 0.40.
    t.keys("down down o o down h");
    let s = t.frame();
    assert!(
        s.contains("judge/human agreement: groundedness κ 0.40 (2/3 agree)"),
        "{s}"
    );
    // unsafe says nothing about quality; m1 has no judge score anyway.
    assert_eq!(t.app.review_agreement.len(), 1);
}

#[test]
fn enter_opens_the_call_at_its_turn_and_esc_comes_back() {
    let mut t = harness(160, 48, None);
    t.keys("8 down down down down");
    assert_eq!(selected(&t), "a2");
    t.keys("enter");
    let s = t.frame();
    assert!(matches!(
        t.app.stack.last().map(|d| &d.target),
        Some(Target::Conversation(k)) if &**k == "trip-alice-1"
    ));
    assert!(s.contains("alice@example.com"), "{s}");
    t.keys("esc");
    t.frame();
    assert_eq!(t.app.pane, Pane::Review);
    assert_eq!(selected(&t), "a2");
}

#[test]
fn the_filter_narrows_the_queue_and_export_writes_what_it_shows() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = harness(160, 48, None);
    t.app.export_dir = dir.path().to_path_buf();
    t.keys("8 /");
    t.type_text("user:alice");
    t.keys("enter");
    let s = t.frame();
    assert_eq!(queue(&t), ["a2", "a3"]);
    assert!(s.contains("Review · 0 of 2 reviewed · 2/7 hits"), "{s}");
    t.keys("e");
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert_eq!(text.lines().count(), 2);
    // A label filter sees a new label at once.
    t.keys("/");
    t.type_text(" -has:label");
    t.keys("enter b");
    assert_eq!(queue(&t), ["a3"]);
    assert_eq!(selected(&t), "a3");
}
