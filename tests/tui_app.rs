//! The TUI from a fixed engine state: snapshots of every pane and the drill-down at 80×24
//! and 160×48, colour-bearing cells checked on the buffer, and scripted sessions (batches
//! and keys in, frames out) for pause, follow, filter, drill-down and window changes.
#![allow(clippy::unwrap_used)]

mod tui_support;

use llmmon::tui::app::Pane;
use ratatui::style::Color;
use tui_support::{later, Harness};

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
                .any(|c| llmmon::tui::sanitize::is_dangerous(c) && c != '\n'),
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
    t.ingest(vec![llmmon::record::Record::Call(Box::new(late))]);
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
    o.insert("help".into(), llmmon::tui::keymap::KeyList::One("h".into()));
    t.app.keymap = llmmon::tui::keymap::Keymap::with_overrides(&o).unwrap();
    t.app.status = None;
    let s = t.frame();
    assert!(s.contains("h help"), "footer follows the keymap: {s}");
    t.keys("h");
    assert!(t.frame().contains("show or hide this help"));
}
