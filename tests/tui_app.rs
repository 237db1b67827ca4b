//! The TUI from a fixed engine state: snapshots of every pane and the drill-down at 80×24
//! and 160×48, colour-bearing cells checked on the buffer, and scripted sessions (batches
//! and keys in, frames out) for pause, follow, filter, drill-down and window changes.
#![allow(clippy::unwrap_used)]

mod tui_support;

use llmmon::engine::SECOND;
use llmmon::model::record::{Record, Status};
use llmmon::tui::app::Pane;
use ratatui::style::Color;
use tui_support::{call, fixture, later, Harness, C};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snap(name: &str, keys: &str) {
    for (w, h) in SIZES {
        let mut t = Harness::new(w, h);
        t.frame();
        t.keys(keys);
        let screen = t.frame();
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
    }
}

#[test]
fn overview_snapshot() {
    snap("overview", "1");
}

#[test]
fn conversations_snapshot() {
    snap("conversations", "2");
}

#[test]
fn traces_snapshot() {
    snap("traces", "3");
}

#[test]
fn flagged_snapshot() {
    snap("flagged", "4");
}

#[test]
fn calls_snapshot() {
    snap("calls", "7");
}

#[test]
fn drift_and_alerts_snapshots() {
    snap("drift", "5");
    snap("alerts", "6");
}

#[test]
fn conversation_detail_snapshot() {
    // Alice's conversation is the most recently active one.
    snap("detail_conversation", "2 enter");
}

#[test]
fn trace_waterfall_and_json_snapshots() {
    snap("detail_trace", "3 enter");
    snap("json_call", "4 J");
}

#[test]
fn help_overlay_snapshot() {
    snap("help", "2 ?");
}

#[test]
fn too_small_terminal_says_so() {
    let mut t = Harness::new(60, 20);
    let s = t.frame();
    assert!(s.contains("Terminal too small"), "{s}");
    assert!(s.contains("60×20, need 80×24"), "{s}");
}

#[test]
fn colours_carry_meaning_with_text() {
    let mut t = Harness::new(160, 48);
    t.keys("4");
    let s = t.frame();
    let theme = t.app.theme.clone();
    // Severity labels are drawn in their severity colour.
    let (x, y) = t.find("CRIT").unwrap_or_else(|| panic!("{s}"));
    assert_eq!(t.buffer()[(x, y)].fg, theme.severity[4].fg.unwrap());
    let (x, y) = t.find("HIGH").unwrap();
    assert_eq!(t.buffer()[(x, y)].fg, theme.severity[3].fg.unwrap());
    // The selected row is highlighted.
    assert_eq!(t.buffer()[(x, y - 1)].bg, theme.selection.bg.unwrap());
    // The conversations table marks errors with ✗ in the critical colour.
    t.keys("2");
    t.frame();
    let (x, y) = t.find("✗").unwrap();
    assert_eq!(t.buffer()[(x, y)].fg, Color::Red);
    // In the detail the PII span is highlighted, not just listed.
    t.keys("g enter");
    let s = t.frame();
    assert!(
        s.contains("feedback thumbsdown by alice \"wrong airport\""),
        "{s}"
    );
    assert!(s.contains("scores helpfulness 0.40"), "{s}");
    let (x, y) = t.find("alice@example.com").unwrap_or_else(|| panic!("{s}"));
    assert_eq!(t.buffer()[(x, y)].bg, theme.hit.bg.unwrap(), "{s}");
    let (x0, y0) = t.find("mail me at").unwrap();
    assert_ne!(t.buffer()[(x0, y0)].bg, theme.hit.bg.unwrap());
}

#[test]
fn hostile_text_is_shown_escaped_and_never_reaches_the_terminal() {
    let mut t = Harness::new(160, 48);
    t.keys("2 j enter");
    let s = t.frame();
    assert!(s.contains("sess-mallory"), "{s}");
    assert!(
        s.contains(r"done.\x1b[2J\x1b]0;pwned\x07 bell\x07 nul\x00 rtl\u{202e}x csi\u{9b}31m"),
        "{s}"
    );
    assert!(s.contains(r"mallory\x1b[31m"), "{s}");
    for screen in [
        s,
        {
            t.keys("J");
            t.frame()
        },
        {
            t.keys("esc esc 4");
            t.frame()
        },
        {
            t.keys("1");
            t.frame()
        },
    ] {
        assert!(
            !screen
                .chars()
                .any(|c| llmmon::present::sanitize::is_dangerous(c) && c != '\n'),
            "control character reached the screen: {screen:?}"
        );
    }
}

#[test]
fn pause_freezes_the_view_and_resume_catches_up() {
    let mut t = Harness::new(160, 40);
    t.keys("2");
    let before = t.frame();
    assert!(before.contains("FOLLOW"));
    t.keys("space");
    t.ingest(later("new-conv-1", 100));
    t.ingest(later("new-conv-2", 101));
    let paused = t.frame();
    assert!(paused.contains("PAUSED +2"), "{paused}");
    assert!(!paused.contains("new-conv"), "{paused}");
    assert!(paused.contains("Conversations 4 "), "{paused}");
    t.keys("space");
    let live = t.frame();
    assert!(
        live.contains("FOLLOW") && !live.contains("PAUSED"),
        "{live}"
    );
    assert!(
        live.contains("new-conv-2") && live.contains("Conversations 6 "),
        "{live}"
    );
}

#[test]
fn paused_detail_stops_at_the_pause() {
    let mut t = Harness::new(120, 40);
    t.keys("2 enter");
    let s = t.frame();
    assert!(s.contains("trip-alice-1"), "{s}");
    t.keys("space");
    let mut late = tui_support::call(tui_support::C {
        id: "a9",
        t: 120,
        conv: Some("trip-alice-1"),
        user: Some("alice"),
        model: "gpt-4o",
        lat: 100.0,
        cost: Some(0.1),
    });
    late.output = Some("LATE TURN".into());
    t.ingest(vec![llmmon::model::record::Record::Call(Box::new(late))]);
    assert!(!t.frame().contains("LATE TURN"));
    t.keys("space");
    assert!(t.frame().contains("LATE TURN"));
}

#[test]
fn follow_detaches_on_scroll_and_reattaches_with_g() {
    let mut t = Harness::new(160, 40);
    t.keys("2");
    t.frame();
    assert_eq!(t.app.conv.key.as_deref(), Some("trip-alice-1"));
    t.keys("j");
    let s = t.frame();
    assert!(s.contains("SCROLL") && !s.contains("FOLLOW"), "{s}");
    let held = t.app.conv.key.clone();
    t.ingest(later("new-conv", 100));
    let s = t.frame();
    assert!(s.contains("new-conv"), "{s}");
    assert_eq!(
        t.app.conv.key, held,
        "selection stays on its row while detached"
    );
    assert_eq!(t.app.conv.pos, 2);
    t.keys("G");
    let s = t.frame();
    assert!(s.contains("FOLLOW"), "{s}");
    assert_eq!(t.app.conv.key.as_deref(), Some("new-conv"));
    t.ingest(later("newer-conv", 110));
    t.frame();
    assert_eq!(
        t.app.conv.key.as_deref(),
        Some("newer-conv"),
        "following sticks to the newest"
    );
    t.keys("f");
    t.ingest(later("newest-conv", 120));
    t.frame();
    assert_eq!(
        t.app.conv.key.as_deref(),
        Some("newer-conv"),
        "f turned follow off"
    );
}

#[test]
fn filter_shows_hit_count_and_n_moves_between_hits() {
    let mut t = Harness::new(160, 40);
    t.keys("2 /");
    t.type_text("model:gpt-4o*");
    let typing = t.frame();
    assert!(typing.contains("/model:gpt-4o*"), "{typing}");
    t.keys("enter");
    let s = t.frame();
    assert!(s.contains("Conversations 2/4 hits"), "{s}");
    assert!(s.contains("row 1/2"), "{s}");
    assert!(s.contains("filter: model:gpt-4o*"), "{s}");
    t.keys("n");
    assert!(t.frame().contains("row 2/2"));
    t.keys("n");
    assert!(t.frame().contains("row 1/2"), "n wraps around");
    t.keys("N");
    assert!(t.frame().contains("row 2/2"));
    // A bad query keeps the old filter and says why.
    t.keys("/ ctrl+u");
    t.type_text("colour:red");
    t.keys("enter");
    let s = t.frame();
    assert!(s.contains("colour"), "{s}");
    assert!(
        t.app.filter.editing.is_some(),
        "prompt stays open on an error"
    );
    t.keys("esc");
    let s = t.frame();
    assert!(s.contains("2/4 hits"), "{s}");
    // Esc on the pane clears the filter.
    t.keys("esc");
    assert!(t.frame().contains("Conversations 4 "));
    // Full-text and numeric terms.
    t.keys("/");
    t.type_text("latency>2s");
    t.keys("enter");
    assert!(t.frame().contains("1/4 hits"));
}

#[test]
fn drill_down_and_back_to_the_same_row() {
    let mut t = Harness::new(160, 40);
    t.keys("2 j j");
    t.frame();
    let key = t.app.conv.key.clone();
    assert_eq!(t.app.conv.pos, 2);
    t.keys("enter");
    let s = t.frame();
    assert!(s.contains("detail · conversation code-bob-1"), "{s}");
    assert!(
        s.contains("turn 2") && s.contains("RateLimitError: 429"),
        "{s}"
    );
    t.ingest(later("arrives-meanwhile", 130));
    t.keys("J");
    let s = t.frame();
    assert!(
        s.contains("raw JSON") && s.contains("\"id\": \"b1\""),
        "{s}"
    );
    t.keys("esc esc");
    let s = t.frame();
    assert_eq!(t.app.conv.key, key, "{s}");
    assert!(s.contains("row 4/5"), "{s}");
    // t jumps from alice's conversation to its trace, Enter opens a span, Esc comes back.
    t.keys("g j t");
    let s = t.frame();
    assert_eq!(t.app.pane, Pane::Traces);
    assert!(
        s.contains("trace trace-1") && s.contains("FlightAgent"),
        "{s}"
    );
    assert!(
        s.contains("⋯retrieval") || s.contains("⋯fetch_docs"),
        "orphan under the root: {s}"
    );
    t.keys("j enter");
    let s = t.frame();
    assert!(s.contains("detail · call agent"), "{s}");
    t.keys("esc esc");
    assert!(t.frame().contains("Traces 1 "));
}

#[test]
fn window_changes_with_plus_and_minus() {
    let mut t = Harness::new(160, 40);
    assert!(t.frame().contains("window 5m"));
    t.keys("+");
    assert!(t.frame().contains("window 15m"));
    t.keys("+ + +");
    assert!(t.frame().contains("window since start"));
    t.keys("- - - - -");
    let s = t.frame();
    assert!(s.contains("window 1m"), "{s}");
    assert!(s.contains("calls"), "{s}");
}

#[test]
fn sort_cycles_columns_and_reverses() {
    let mut t = Harness::new(160, 40);
    t.keys("2 s");
    assert!(t.frame().contains("sort user ▼"));
    t.keys("s s s s");
    assert!(t.frame().contains("sort cost ▼"));
    assert_eq!(t.app.conv_index.rows[0].key.as_ref(), "code-bob-1");
    t.keys("S");
    assert!(t.frame().contains("sort cost ▲"));
}

#[test]
fn copy_puts_the_record_on_the_clipboard_queue() {
    let mut t = Harness::new(160, 40);
    t.keys("4 y");
    let s = t.frame();
    assert!(s.contains("copied"), "{s}");
    let text = t.app.clipboard.take().unwrap();
    assert!(text.contains("\"id\": \"m1\""), "{text}");
}

#[test]
fn mouse_toggle_and_keys_from_config() {
    let mut t = Harness::new(160, 40);
    assert!(!t.app.mouse);
    t.keys("m");
    assert!(t.app.mouse);
    let mut o = llmmon::tui::keymap::KeyOverrides::new();
    o.insert(
        "help".into(),
        llmmon::tui::keymap::KeyList::One("f1".into()),
    );
    t.app.keymap = llmmon::tui::keymap::Keymap::with_overrides(&o).unwrap();
    t.app.status = None;
    let s = t.frame();
    assert!(s.contains("f1 help"), "footer follows the keymap: {s}");
    t.keys("f1");
    assert!(t.frame().contains("show or hide this help"));
}

/// An engine config with one error-rate rule over a 60 s window on gpt-4o calls.
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

/// Five gpt-4o calls, three failing, then one more failure past the first evaluation.
fn failing_batch() -> Vec<Record> {
    (0..6)
        .map(|i| {
            let mut c = call(C {
                id: ["e0", "e1", "e2", "e3", "e4", "e5"][i],
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
            Record::Call(Box::new(c))
        })
        .collect()
}

#[test]
fn alerts_pane_shows_a_firing_rule_and_enter_opens_its_records() {
    let mut records = fixture();
    records.extend(failing_batch());
    let mut t = Harness::with_config(160, 40, error_rule_config(), records);
    t.keys("6");
    let s = t.frame();
    assert!(s.contains("FIRING crit"), "{s}");
    assert!(s.contains("gpt errors"), "{s}");
    assert!(s.contains("model:gpt-4o"), "{s}");
    assert!(s.contains("1 firing"), "{s}");
    // The banner in the header, in the critical colour with its symbol.
    let (x, y) = t.find("✗ CRIT gpt errors").unwrap_or_else(|| panic!("{s}"));
    assert!(y < 2, "{s}");
    assert_eq!(t.buffer()[(x, y)].fg, t.app.theme.crit.fg.unwrap());
    // Recent transitions are listed under the rules.
    assert!(s.contains("FIRING crit gpt errors: error_rate="), "{s}");
    // Under the list, why the selected alert fires: its bad calls against the rest.
    assert!(s.contains("why · 3 bad calls vs"), "{s}");
    t.keys("enter");
    let s = t.frame();
    // The Calls pane holds only the cause: the failing gpt-4o calls in the alert's window,
    // the cursor on the first, the filter in the title.
    assert_eq!(t.app.pane, Pane::Calls);
    assert_eq!(t.app.filter.text, "(model:gpt-4o) status:error");
    assert!(s.contains("calls behind the alert"), "{s}");
    assert!(s.contains("(model:gpt-4o) status:error"), "{s}");
    assert!(t.app.filter.range.is_some());
    let shown: Vec<String> = t
        .app
        .calls_index
        .rows
        .iter()
        .map(|&q| t.engine.store.get(q).unwrap().call.id.clone())
        .collect();
    assert!(!shown.is_empty(), "{s}");
    for id in &shown {
        assert!(["e1", "e3", "e5"].contains(&id.as_str()), "{shown:?}");
    }
    assert_eq!(t.app.calls.pos, 0);
    assert!(!s.contains("trip-alice-1"), "{s}");
    // Enter opens the call inside its conversation at its turn.
    t.keys("enter");
    let s = t.frame();
    assert!(s.contains("conversation ops-1"), "{s}");
    let turn = t.app.stack.last().unwrap().scroll;
    assert!(turn > 0, "scrolled to the turn: {s}");
    // Esc walks back one step at a time: the list, then the Alerts pane with its filter.
    t.keys("esc");
    t.frame();
    assert_eq!(t.app.pane, Pane::Calls);
    assert!(t.app.stack.is_empty());
    t.keys("esc");
    let s = t.frame();
    assert_eq!(t.app.pane, Pane::Alerts);
    assert!(t.app.filter.range.is_none() && t.app.filter.text.is_empty());
    assert!(s.contains("gpt errors"), "{s}");
}

#[test]
fn calls_pane_lists_every_call_newest_first_and_opens_it_at_its_turn() {
    let mut t = Harness::new(160, 48);
    t.frame();
    t.keys("7");
    let s = t.frame();
    assert_eq!(t.app.pane, Pane::Calls);
    let n = t.engine.store.len();
    assert!(s.contains(&format!("Calls {n}")), "{s}");
    assert!(s.contains("sort newest"), "{s}");
    // Newest first.
    let times: Vec<i64> = t
        .app
        .calls_index
        .rows
        .iter()
        .map(|&q| t.engine.store.get(q).unwrap().time)
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // A flagged call shows its finding; a call with no conversation still opens.
    assert!(s.contains("«"), "{s}");
    t.keys("s");
    let s = t.frame();
    assert!(s.contains("latency ▼ (worst first)"), "{s}");
    let lat: Vec<f64> = t
        .app
        .calls_index
        .rows
        .iter()
        .filter_map(|&q| t.engine.store.get(q).unwrap().call.effective_latency_ms())
        .collect();
    assert!(lat.windows(2).all(|w| w[0] >= w[1]), "{lat:?}");
    // Alice's second turn, filtered to, opens at turn 2 of her conversation.
    t.keys("/");
    t.type_text("a2");
    t.keys("enter");
    t.frame();
    assert_eq!(t.app.calls_index.rows.len(), 1);
    t.keys("enter");
    let s = t.frame();
    assert!(s.contains("conversation trip-alice-1"), "{s}");
    let body: Vec<&str> = s.lines().skip(3).collect();
    assert!(body[0].contains("── turn 2 ·"), "{s}");
}

#[test]
fn budgets_show_on_the_overview_when_configured() {
    let mut cfg = llmmon::engine::EngineConfig::default();
    cfg.alerts.budgets.daily = Some(0.01);
    let mut t = Harness::with_config(160, 48, cfg, failing_batch());
    let s = t.frame();
    assert!(s.contains("budgets"), "{s}");
    assert!(s.contains("daily $0.0060 of $0.01"), "{s}");
}

#[test]
fn redaction_hides_the_email_and_shows_it_again() {
    let mut t = Harness::new(160, 48);
    t.keys("2 g enter");
    let s = t.frame();
    assert!(s.contains("alice@example.com"), "{s}");
    t.keys("r");
    let s = t.frame();
    assert!(!s.contains("alice@example.com"), "{s}");
    assert!(s.contains("mail me at [EMAIL] please"), "{s}");
    assert!(s.contains("REDACTED"), "{s}");
    t.keys("4");
    let s = t.frame();
    assert!(!s.contains("alice@example.com"), "{s}");
    t.keys("r 2 enter");
    let s = t.frame();
    assert!(s.contains("alice@example.com"), "{s}");
}

#[test]
fn mark_and_label_survive_reopening_the_annotations_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("annotations.jsonl");
    let mut t = Harness::new(160, 48);
    t.app.annotations = llmmon::annotations::Annotations::open(&path).unwrap();
    t.keys("2 g");
    let key = t.app.conv.key.clone().unwrap();
    t.keys("x");
    let s = t.frame();
    assert!(s.contains("★ marked"), "{s}");
    assert!(t.app.is_marked(&t.engine, &key));
    t.keys("a");
    t.type_text("bad wrong airport");
    t.keys("enter");
    let s = t.frame();
    assert!(s.contains("labelled"), "{s}");

    let mut again = Harness::new(160, 48);
    again.app.annotations = llmmon::annotations::Annotations::open(&path).unwrap();
    assert!(again.app.is_marked(&again.engine, &key));
    again.keys("2 g");
    let s = again.frame();
    assert!(s.contains("★"), "{s}");
    again.keys("enter");
    let s = again.frame();
    assert!(s.contains("★ marked · conversation"), "{s}");
    assert!(s.contains("✎ bad \"wrong airport\""), "{s}");
    // x again takes the mark back.
    again.keys("x");
    assert!(
        !again.app.is_marked(&again.engine, &key),
        "{:?} {:?}",
        again.app.status,
        again.app.annotations.all()
    );
}

/// Presses `e`, and `y` when it asks to overwrite (a second export within the same second
/// finds its file there).
fn export(t: &mut Harness) {
    t.keys("e");
    if t.app.export_prompt.is_some() {
        t.keys("y");
    }
}

#[test]
fn export_writes_the_filtered_calls_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Harness::new(160, 48);
    t.app.export_dir = dir.path().to_path_buf();
    t.keys("2 /");
    t.type_text("user:alice");
    t.keys("enter");
    export(&mut t);
    let s = t.frame();
    assert!(s.contains("exported 5 calls to"), "{s}");
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(text.contains("alice@example.com"));
    // From a call's detail only that call goes out, masked while redaction is on.
    t.keys("esc 4 g enter r");
    export(&mut t);
    let s = t.frame();
    assert!(s.contains("exported 1 calls to"), "{s}");
    assert!(s.contains("(redacted)"), "{s}");
}

#[test]
fn alerts_firing_snapshot() {
    for (w, h) in SIZES {
        let mut records = fixture();
        records.extend(failing_batch());
        let mut t = Harness::with_config(w, h, error_rule_config(), records);
        t.keys("6");
        let screen = t.frame();
        insta::assert_snapshot!(format!("alerts_firing_{w}x{h}"), screen);
    }
}

/// A generated stream: ~1,200 steady calls (the reference and a first window), then calls
/// where half the prompts carry a new word, over more than a full window.
fn drifting_stream() -> Vec<Record> {
    use llmmon::demo::shift::{Shift, Shifted};
    use llmmon::demo::{GenConfig, Generator, Scenario};
    let gen = Generator::new(GenConfig {
        seed: 7,
        rate_per_sec: 20.0,
        scenario: Scenario::Steady,
        ..GenConfig::default()
    });
    let mut calls = 0;
    let mut out = Vec::new();
    let mut shifted_from = None;
    let head: Vec<Record> = gen.take(6000).collect();
    for r in &head {
        if let Record::Call(_) = r {
            calls += 1;
            if calls == 1200 {
                shifted_from = r.time();
            }
        }
    }
    let at = shifted_from.unwrap();
    for r in Shifted::new(
        head.into_iter(),
        vec![(at, Shift::TopicWord("quokkacoin".into(), 0.5))],
        1,
    ) {
        let past = r.time().is_some_and(|t| t > at + 150 * SECOND);
        out.push(r);
        if past {
            break;
        }
    }
    out
}

#[test]
fn drift_pane_shows_features_new_terms_histograms_and_rebaseline() {
    let mut t = Harness::with(160, 48, drifting_stream());
    t.keys("5");
    let s = t.frame();
    insta::assert_snapshot!("drift_live_160x48", s);
    let mut small = Harness::with(80, 24, drifting_stream());
    small.keys("5");
    insta::assert_snapshot!("drift_live_80x24", small.frame());
    assert!(s.contains("features drifted"), "{s}");
    assert!(s.contains("reference: first calls of the stream"), "{s}");
    assert!(s.contains("latency_ms") || s.contains("latency"), "{s}");
    assert!(s.contains("quokkacoin"), "{s}");
    assert!(s.contains("Quality (since start)"), "{s}");
    t.keys("j enter");
    let s = t.frame();
    insta::assert_snapshot!("drift_histograms_160x48", s);
    assert!(s.contains("input_tokens"), "{s}");
    assert!(s.contains("reference vs current"), "{s}");
    assert!(s.contains("reference") && s.contains("current"), "{s}");
    t.keys("esc");
    let s = t.frame();
    assert!(s.contains("features drifted"), "{s}");
    t.keys("b");
    let s = t.frame();
    assert!(s.contains("drift reference pinned"), "{s}");
    assert!(s.contains("reference: pinned with b"), "{s}");
}

/// Space freezes every pane at one snapshot: the Alerts pane, the header's banner and
/// source counters, the Overview and the Drift pane stay as they were while records that
/// fire a rule arrive; Space again shows them.
#[test]
fn space_freezes_every_pane() {
    let mut t = Harness::with_config(160, 40, error_rule_config(), fixture());
    let mut frames = Vec::new();
    for pane in ["1", "5", "6"] {
        t.keys(pane);
        frames.push(t.frame());
    }
    assert!(!frames[2].contains("FIRING"), "{}", frames[2]);
    t.keys("space");
    t.ingest(failing_batch());
    for (pane, before) in ["1", "5", "6"].iter().zip(&frames) {
        t.keys(pane);
        let paused = t.frame();
        let strip = |s: &str| s.replace("‖ PAUSED +", "").replace("▶ FOLLOW ", "");
        assert!(paused.contains("PAUSED +"), "{paused}");
        assert!(
            !paused.contains("FIRING"),
            "pane {pane} moved while paused:\n{paused}"
        );
        assert!(
            !paused.contains("CRIT gpt errors"),
            "the banner moved:\n{paused}"
        );
        let unchanged = |s: &str| s.lines().skip(2).map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            unchanged(&strip(&paused)),
            unchanged(&strip(before)),
            "pane {pane} changed while paused"
        );
    }
    t.keys("space");
    t.keys("6");
    let live = t.frame();
    assert!(live.contains("FIRING crit"), "{live}");
    assert!(live.contains("✗ CRIT gpt errors"), "{live}");
}

#[test]
fn export_from_flagged_honours_the_filter() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Harness::new(160, 48);
    t.app.export_dir = dir.path().to_path_buf();
    t.keys("4 /");
    t.type_text("user:alice");
    t.keys("enter");
    let s = t.frame();
    assert!(s.contains("Flagged 1/2 hits"), "{s}");
    export(&mut t);
    let s = t.frame();
    assert!(s.contains("exported 1 calls to"), "{s}");
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("alice@example.com"), "{text}");
    assert!(!text.contains("mallory"), "{text}");
    // Paused, calls that arrive later stay out of the export, as they stay off the screen.
    t.keys("esc esc 2");
    export(&mut t);
    let before = t.app.status.clone().unwrap();
    let count = before.split(" calls").next().unwrap().to_string();
    t.keys("space");
    t.ingest(later("new-conv-1", 100));
    export(&mut t);
    let paused = t.app.status.clone().unwrap();
    assert!(
        paused.starts_with(&format!("{count} calls")),
        "{before} / {paused}"
    );
    t.keys("space");
    export(&mut t);
    let live = t.app.status.clone().unwrap();
    assert!(
        !live.starts_with(&format!("{count} calls")),
        "{before} / {live}"
    );
}

#[test]
fn x_on_the_alerts_pane_is_not_bound_and_not_in_help() {
    let mut t = Harness::new(160, 48);
    t.keys("6 ?");
    let help = t.frame();
    t.keys("esc 6 x");
    let s = t.frame();
    assert!(t.app.status.is_none(), "{:?}", t.app.status);
    assert!(!s.contains("marks"), "{s}");
    for line in help.lines().filter(|l| l.contains("mark")) {
        assert!(!line.contains("alerts"), "{line}\n{help}");
    }
}

#[test]
fn trace_panel_shows_the_cursor_span_and_an_unknown_cost_is_a_question_mark() {
    let mut recs = fixture();
    let span = |id: &'static str, t: i64, lat: f64, cost: Option<f64>| {
        let mut c = call(C {
            id,
            t,
            user: Some("alice"),
            model: "gpt-4o",
            lat,
            cost,
            ..C::default()
        });
        c.trace_id = Some("trace-1".into());
        c.span_id = Some(format!("s-{id}"));
        c.parent_span_id = Some("s-agent".into());
        c.name = Some(id.into());
        c
    };
    // An OTel streaming span without usage: the price table made $0 of no tokens.
    let mut stream = span("stream_reply", 84, 300.0, Some(0.0));
    stream.stream = Some(true);
    stream.tokens = Default::default();
    recs.push(Record::Call(Box::new(stream)));
    // A model in no price table.
    let mut mystery = span("mystery_call", 85, 200.0, None);
    mystery.model = Some("mystery-model".into());
    recs.push(Record::Call(Box::new(mystery)));
    let mut t = Harness::with(160, 48, recs);
    t.keys("3");
    let s = t.frame();
    let row = s.lines().find(|l| l.contains("trip_booking")).unwrap();
    assert!(row.contains("travel") && row.contains("alice"), "{s}");
    assert!(row.contains("$0.0040+?"), "known sum and unpriced: {s}");
    t.keys("enter");
    let s = t.frame();
    let line = |s: &str, needle: &str| {
        s.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in\n{s}"))
            .to_owned()
    };
    assert!(
        line(&s, "► trip_booking").contains("Σ$0.0040+? 420t"),
        "{s}"
    );
    assert!(line(&s, "  stream_reply").contains("300ms ?"), "{s}");
    assert!(line(&s, "  mystery_call").contains("200ms ? 140t"), "{s}");
    assert!(!s.contains("$0~") && !s.contains(" $0 "), "{s}");
    // The cursor starts on the root; the panel follows it.
    assert!(s.contains("span     trip_booking · workflow"), "{s}");
    t.keys("j j");
    let s = t.frame();
    assert!(
        s.contains("span     chat gpt-4o → search_flights · chat"),
        "{s}"
    );
    assert!(
        s.contains("ids      span s-t1 · parent s-agent · trace trace-1"),
        "{s}"
    );
    assert!(s.contains("model    gpt-4o · openai"), "{s}");
    assert!(
        s.contains("cost     $0.0020 from the price table of 2026-11-01"),
        "{s}"
    );
    assert!(s.contains("tokens   in 100 · out 40"), "{s}");
    assert!(
        s.contains(r#"tool     search_flights({"to":"LIS"}) → 3 flights"#),
        "{s}"
    );
    t.keys("j");
    let s = t.frame();
    assert!(s.contains("status   error"), "the failed tool: {s}");
    t.keys("j");
    let s = t.frame();
    assert!(s.contains("span     stream_reply · chat · stream"), "{s}");
    assert!(
        s.contains("cost     ? unknown: no token counts to price"),
        "{s}"
    );
    assert!(s.contains("tokens   not reported"), "{s}");
    t.keys("j j");
    let s = t.frame();
    assert!(s.contains("span     mystery_call · chat"), "{s}");
    assert!(s.contains("cost     ? unpriced"), "{s}");
}

#[test]
fn sources_inspector_lists_counters_and_the_latest_rejected_lines() {
    use llmmon::model::reject::{Reject, RejectReason};
    let mut t = Harness::new(160, 48);
    t.frame();
    let src = t.src;
    t.engine.note_lines(
        src,
        2,
        vec![
            (
                41,
                Reject::new(RejectReason::NotJson, "expected a JSON object"),
                "{\"type\":\"call\", broken\x1b]0;pwned\x07".into(),
            ),
            (
                42,
                Reject::new(RejectReason::MissingField, "no id"),
                "{\"type\":\"call\"}".into(),
            ),
        ],
    );
    t.keys("i");
    let s = t.frame();
    assert!(s.contains("Sources · 1"), "{s}");
    assert!(
        s.contains("rejected 2 (not_json 1, missing_field 1)"),
        "{s}"
    );
    // Newest first, with line number, reason and the sanitised start of the line.
    let l42 = s
        .find("line 42 · missing_field: no id")
        .unwrap_or_else(|| panic!("{s}"));
    let l41 = s
        .find("line 41 · not_json")
        .unwrap_or_else(|| panic!("{s}"));
    assert!(l42 < l41, "{s}");
    assert!(s.contains(r"broken\x1b]0;pwned\x07"), "{s}");
    assert!(s.contains("rej 2 (i shows them)"), "{s}");
    t.keys("esc");
    let s = t.frame();
    assert!(!s.contains("Sources · 1"), "{s}");
}

#[test]
fn typed_note_text_never_runs_as_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("annotations.jsonl");
    let out = dir.path().join("exports");
    std::fs::create_dir(&out).unwrap();
    let mut t = Harness::new(160, 48);
    t.app.annotations = llmmon::annotations::Annotations::open(&path).unwrap();
    t.app.export_dir = out.clone();
    t.keys("2 g");
    let key = t.app.conv.key.clone().unwrap();
    let call = t.app.annotation_target(&t.engine).unwrap().1.unwrap();
    t.keys("a");
    // Ctrl-U clears the field being edited (tui-input), Tab moves to the note.
    t.type_text("junk");
    t.keys("ctrl+u");
    t.type_text("bad");
    t.keys("tab");
    let s = t.frame();
    assert!(s.contains("label: bad  note: █"), "{s}");
    // Every one of these is a command outside the editor: export, label, mark, quit.
    t.type_text("e a x q");
    t.keys("left left enter");
    assert!(!t.app.quit);
    assert!(t.app.label_prompt.is_none());
    assert!(t.app.export_prompt.is_none());
    assert!(!t.app.is_marked(&t.engine, &key));
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nothing exported"
    );
    let labels: Vec<_> = t.app.annotations.for_call(&call).collect();
    assert_eq!(labels.len(), 1, "{labels:?}");
    assert_eq!(labels[0].label.as_deref(), Some("bad"));
    assert_eq!(labels[0].note.as_deref(), Some("e a x q"));
    assert_eq!(
        t.app.annotations.all().len(),
        1,
        "only the label was written"
    );
    // Esc cancels and saves nothing.
    t.keys("a");
    t.type_text("good");
    t.keys("esc");
    assert_eq!(t.app.annotations.all().len(), 1);
    assert!(t.app.status.as_deref().unwrap().contains("cancelled"));
}

#[test]
fn undo_takes_back_the_last_label_or_mark_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("annotations.jsonl");
    let mut t = Harness::new(160, 48);
    t.app.annotations = llmmon::annotations::Annotations::open(&path).unwrap();
    t.keys("2 g");
    let key = t.app.conv.key.clone().unwrap();
    let call = t.app.annotation_target(&t.engine).unwrap().1.unwrap();
    t.keys("x a");
    t.type_text("hallucination made up a refund");
    t.keys("enter");
    assert_eq!(t.app.annotations.for_call(&call).count(), 1);
    t.keys("u");
    assert!(
        t.app.status.as_deref().unwrap().contains("undid label"),
        "{:?}",
        t.app.status
    );
    assert_eq!(t.app.annotations.for_call(&call).count(), 0);
    assert!(
        t.app.is_marked(&t.engine, &key),
        "only the label was undone"
    );
    let again = llmmon::annotations::Annotations::open(&path).unwrap();
    assert_eq!(again.for_call(&call).count(), 0, "{:?}", again.all());
    assert!(again.is_marked(&key, None));
    // The mark is the next step back; then there is nothing left to undo.
    t.keys("u");
    assert!(!t.app.is_marked(&t.engine, &key));
    t.keys("u");
    assert!(t.app.status.as_deref().unwrap().contains("nothing to undo"));
    let again = llmmon::annotations::Annotations::open(&path).unwrap();
    assert!(!again.is_marked(&key, None));
    assert_eq!(again.live().count(), 0);
    // A new session cannot undo what an earlier one made.
    let mut next = Harness::new(160, 48);
    next.app.annotations = llmmon::annotations::Annotations::open(&path).unwrap();
    next.keys("2 g x");
    let mut later = Harness::new(160, 48);
    later.app.annotations = llmmon::annotations::Annotations::open(&path).unwrap();
    later.keys("2 g u");
    assert!(later.app.is_marked(&later.engine, &key));
}

#[test]
fn label_filter_finds_labelled_calls_conversations_and_traces() {
    let mut t = Harness::new(160, 48);
    // Label Bob's conversation (its last turn, b2) and Mallory's flagged call.
    t.keys("/");
    t.type_text("user:bob");
    t.keys("enter 2 g a");
    t.type_text("bad wrong model");
    t.keys("enter esc 4 /");
    t.type_text("flag:injection");
    t.keys("enter g a");
    t.type_text("unsafe");
    t.keys("enter enter esc");
    t.keys("/");
    t.type_text("label:bad");
    t.keys("enter 2");
    let keys: Vec<&str> = t.app.conv_index.rows.iter().map(|r| &*r.key).collect();
    assert_eq!(keys, ["code-bob-1"]);
    let s = t.frame();
    assert!(s.contains("code-bob-1"), "{s}");
    t.keys("7");
    let ids: Vec<String> = t
        .app
        .calls_index
        .rows
        .iter()
        .map(|&q| t.engine.store.get(q).unwrap().call.id.clone())
        .collect();
    assert_eq!(ids, ["b2"]);
    t.keys("/ ctrl+u");
    t.type_text("has:label");
    t.keys("enter 4");
    assert_eq!(t.app.flagged_index.rows.len(), 1);
    t.keys("2");
    assert_eq!(t.app.conv_index.rows.len(), 2);
    t.keys("/ ctrl+u");
    t.type_text("label:unsafe OR label:hallu*");
    t.keys("enter 3");
    assert_eq!(t.app.trace_index.rows.len(), 0, "no span is labelled");
    // Undoing the label takes the row out of a filtered list at once.
    t.keys("/ ctrl+u");
    t.type_text("label:unsafe");
    t.keys("enter 4");
    assert_eq!(t.app.flagged_index.rows.len(), 1);
    t.keys("g u");
    assert_eq!(t.app.flagged_index.rows.len(), 0);
}

#[test]
fn export_writes_what_each_pane_shows_with_the_filter() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Harness::new(160, 48);
    t.app.export_dir = dir.path().to_path_buf();
    t.keys("/");
    t.type_text("user:alice");
    t.keys("enter");
    let store_ids = |t: &Harness, seqs: &[llmmon::engine::store::Seq]| -> Vec<String> {
        let mut v: Vec<String> = seqs
            .iter()
            .map(|&q| t.engine.store.get(q).unwrap().call.id.clone())
            .collect();
        v.sort();
        v
    };
    let exported = |t: &mut Harness| -> Vec<String> {
        export(t);
        let status = t.app.status.clone().unwrap();
        let path = status.split(" to ").nth(1).unwrap().to_string();
        let text = std::fs::read_to_string(path.trim_end_matches(" (redacted)")).unwrap();
        let mut v: Vec<String> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["id"].as_str().unwrap().to_string()
            })
            .collect();
        v.sort();
        v
    };
    // Conversations: every retained turn of each listed conversation.
    t.keys("2");
    let mut want: Vec<llmmon::engine::store::Seq> = Vec::new();
    for r in &t.app.conv_index.rows {
        want.extend(
            t.engine
                .store
                .conversations()
                .get(&r.key)
                .unwrap()
                .turns
                .iter(),
        );
    }
    let want_ids = store_ids(&t, &want);
    assert_eq!(exported(&mut t), want_ids);
    // Flagged: the listed flagged calls only.
    t.keys("4");
    let want_ids = store_ids(&t, &t.app.flagged_index.rows.clone());
    assert_eq!(want_ids, ["a2"]);
    assert_eq!(exported(&mut t), want_ids);
    // Calls (pane 7): every listed call and span, tools and workflow spans included.
    t.keys("7");
    let want_ids = store_ids(&t, &t.app.calls_index.rows.clone());
    assert!(want_ids.contains(&"tool".to_string()), "{want_ids:?}");
    assert_eq!(exported(&mut t), want_ids);
    // Traces: every span of each listed trace.
    t.keys("3");
    let mut want = Vec::new();
    for r in &t.app.trace_index.rows {
        want.extend(t.engine.store.traces().get(&r.id).unwrap().spans.iter());
    }
    let want_ids = store_ids(&t, &want);
    assert!(want_ids.contains(&"root".to_string()), "{want_ids:?}");
    assert_eq!(exported(&mut t), want_ids);
    // A filter that matches nothing exports nothing.
    t.keys("/ ctrl+u");
    t.type_text("user:nobody");
    t.keys("enter 7");
    assert!(exported(&mut t).is_empty());
}

#[test]
fn export_asks_before_overwriting_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Harness::new(160, 48);
    t.app.export_dir = dir.path().to_path_buf();
    // The file `e` will pick exists already (for the next few seconds, so the test does
    // not depend on when the clock ticks).
    let now = jiff::Timestamp::now();
    for s in 0..10 {
        let at = now + jiff::SignedDuration::from_secs(s);
        let name = format!("llmmon-export-{}.jsonl", at.strftime("%Y%m%dT%H%M%S"));
        std::fs::write(dir.path().join(name), "keep me\n").unwrap();
    }
    t.keys("4 e");
    let s = t.frame();
    assert!(
        s.contains("exists: overwrite with 2 calls? y overwrite · n keep it"),
        "{s}"
    );
    let path = t.app.export_prompt.as_ref().unwrap().path.clone();
    // Any key but y keeps the file; the key does nothing else.
    t.keys("q");
    assert!(!t.app.quit);
    assert!(t.app.export_prompt.is_none());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me\n");
    assert!(t.app.status.as_deref().unwrap().contains("kept"));
    t.keys("e");
    let path = t.app.export_prompt.as_ref().unwrap().path.clone();
    t.keys("y");
    let s = t.frame();
    assert!(s.contains("exported 2 calls to"), "{s}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(!text.contains("keep me"));
}

/// A judged conversation: two turns with retrieved context, a judge's verdicts with their
/// reasons (one reason tries to take over the terminal) and one person's thumbs down.
fn judged_conversation() -> Vec<Record> {
    use llmmon::model::record::{Feedback, FeedbackKind};
    let mut out = Vec::new();
    for (i, id) in ["j1", "j2"].into_iter().enumerate() {
        let mut c = call(C {
            id,
            t: 10 + i as i64 * 20,
            conv: Some("refunds-1"),
            user: Some("erin"),
            model: "gpt-4o",
            lat: 900.0,
            cost: Some(0.01),
        });
        c.context = vec!["Refunds are accepted within 30 days of purchase.".into()];
        out.push(Record::Call(Box::new(c)));
    }
    let verdict = |id: &str, name: &str, score: f64, reason: &str| {
        Record::Feedback(Feedback {
            call_id: id.into(),
            time: Some(tui_support::at(10)),
            kind: FeedbackKind::Score,
            value: Some(score),
            comment: Some(reason.into()),
            user: None,
            name: Some(format!("judge.{name}")),
            judge: Some("gpt-4o-mini".into()),
        })
    };
    out.push(verdict(
        "j1",
        "groundedness",
        0.2,
        "the answer cites a refund window the context does not mention",
    ));
    out.push(verdict("j1", "helpfulness", 0.7, "answers the question"));
    out.push(verdict(
        "j2",
        "groundedness",
        0.9,
        &format!("grounded {}", tui_support::ATTACK),
    ));
    out.push(Record::Feedback(Feedback {
        call_id: "j1".into(),
        time: Some(tui_support::at(15)),
        kind: FeedbackKind::ThumbsDown,
        value: None,
        comment: None,
        user: Some("erin".into()),
        name: None,
        judge: None,
    }));
    out
}

#[test]
fn the_detail_shows_each_verdict_with_its_reason_and_the_fb_column_only_people() {
    let mut t = Harness::with(160, 30, judged_conversation());
    t.keys("2");
    let s = t.frame();
    let row = s
        .lines()
        .find(|l| l.contains("erin"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(row.contains("-1") && !row.contains("+"), "{row}");
    t.keys("enter");
    let s = t.frame();
    assert!(
        s.contains(
            "judge groundedness 0.20 (gpt-4o-mini): the answer cites a refund window the context does not mention"
        ),
        "{s}"
    );
    assert!(s.contains("judge helpfulness 0.70 (gpt-4o-mini): answers the question"));
    assert!(s.contains("feedback thumbsdown"), "{s}");
    assert!(
        !s.contains("scores groundedness"),
        "a verdict is shown once: {s}"
    );
    let screen = t.text();
    assert!(
        !screen.contains('\x1b') && !screen.contains('\u{202e}'),
        "{screen}"
    );
    insta::assert_snapshot!("detail_judged_160x30", s);
}
