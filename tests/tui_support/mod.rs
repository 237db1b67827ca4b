//! Shared by the TUI tests: a fixed engine state built from hand-made records (no wall
//! clock), and a harness that feeds batches and keys to the app and renders frames.
#![allow(clippy::unwrap_used, dead_code)]

use llmmon::engine::{Engine, EngineConfig, SECOND};
use llmmon::model::record::{
    parse_time_str, Call, CostProvenance, Feedback, FeedbackKind, Flag, Message, Operation, Record,
    Severity, Status, TextField, ToolCall,
};
use llmmon::source::{SourceId, SourceKind, SourceState};
use llmmon::tui::app::App;
use llmmon::tui::keymap::{KeyBinding, Keymap};
use llmmon::tui::theme::Theme;
use llmmon::tui::views;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use std::time::{Duration, Instant};

/// The terminal attack the sanitiser must defuse.
pub const ATTACK: &str = "done.\x1b[2J\x1b]0;pwned\x07 bell\x07 nul\x00 rtl\u{202e}x csi\u{9b}31m";

/// 2026-11-26T10:00:00Z plus `s` seconds, in ns.
pub fn at(s: i64) -> i64 {
    parse_time_str("2026-11-26T10:00:00Z").unwrap() + s * SECOND
}

#[derive(Default)]
pub struct C {
    pub id: &'static str,
    pub t: i64,
    pub conv: Option<&'static str>,
    pub user: Option<&'static str>,
    pub model: &'static str,
    pub lat: f64,
    pub cost: Option<f64>,
}

pub fn call(c: C) -> Call {
    let mut call = Call {
        id: c.id.into(),
        start: Some(at(c.t) - (c.lat * 1e6) as i64),
        end: Some(at(c.t)),
        conversation_id: c.conv.map(Into::into),
        user: c.user.map(Into::into),
        app: Some("travel".into()),
        model: Some(c.model.into()),
        provider: Some("openai".into()),
        latency_ms: Some(c.lat),
        ttft_ms: Some(c.lat / 4.0),
        cost_usd: c.cost,
        cost_source: Some(match c.cost {
            Some(_) => CostProvenance::Computed {
                table_date: "2026-11-01".into(),
            },
            None => CostProvenance::Unpriced,
        }),
        messages: vec![Message {
            role: "user".into(),
            content: format!("question {}", c.id),
        }],
        output: Some(format!("answer {}", c.id)),
        ..Call::default()
    };
    call.tokens.input = Some(100);
    call.tokens.output = Some(40);
    call
}

fn rec(c: Call) -> Record {
    Record::Call(Box::new(c))
}

/// The fixed state: five conversations, one agent trace with an orphan span, flags, an
/// error, feedback, scores, an unpriced model and a hostile record.
pub fn fixture() -> Vec<Record> {
    let mut out = Vec::new();
    // Alice: three turns, a PII flag in her second message, thumbs down on turn 2.
    for (i, id) in ["a1", "a2", "a3"].into_iter().enumerate() {
        let mut c = call(C {
            id,
            t: 10 + i as i64 * 20,
            conv: Some("trip-alice-1"),
            user: Some("alice"),
            model: "gpt-4o",
            lat: 800.0 + i as f64 * 400.0,
            cost: Some(0.012),
        });
        if id == "a2" {
            c.messages = vec![
                Message {
                    role: "user".into(),
                    content: "question a1".into(),
                },
                Message {
                    role: "assistant".into(),
                    content: "answer a1".into(),
                },
                Message {
                    role: "user".into(),
                    content: "mail me at alice@example.com please".into(),
                },
            ];
            c.flags.push(Flag {
                detector: "pii".into(),
                rule: "email".into(),
                severity: Severity::High,
                score: 0.95,
                field: TextField::Input(2),
                start: 11,
                end: 28,
                snippet: "alice@example.com".into(),
            });
            c.scores.insert("helpfulness".into(), 0.4);
        }
        out.push(rec(c));
    }
    out.push(Record::Feedback(Feedback {
        call_id: "a2".into(),
        time: Some(at(35)),
        kind: FeedbackKind::ThumbsDown,
        value: None,
        comment: Some("wrong airport".into()),
        user: Some("alice".into()),
        name: None,
        judge: None,
    }));
    // Bob: two turns on another model, one rate-limited.
    for (i, id) in ["b1", "b2"].into_iter().enumerate() {
        let mut c = call(C {
            id,
            t: 20 + i as i64 * 30,
            conv: Some("code-bob-1"),
            user: Some("bob"),
            model: "claude-sonnet-4",
            lat: 300.0,
            cost: Some(0.03),
        });
        if id == "b2" {
            c.status = Status::Error;
            c.error_type = Some("RateLimitError".into());
            c.error_message = Some("429 Too Many Requests".into());
            c.output = None;
        }
        out.push(rec(c));
    }
    // Carol sends no session id: a derived conversation. Her model is unpriced.
    out.push(rec(call(C {
        id: "c1",
        t: 40,
        user: Some("carol"),
        model: "mystery-model",
        lat: 2500.0,
        ..C::default()
    })));
    // Mallory's output tries to take over the terminal; an injection flag marks it.
    let mut m = call(C {
        id: "m1",
        t: 70,
        conv: Some("sess-mallory"),
        user: Some("mallory\x1b[31m"),
        model: "gpt-4o-mini",
        lat: 150.0,
        cost: Some(0.0004),
    });
    m.output = Some(ATTACK.into());
    m.flags.push(Flag {
        detector: "injection".into(),
        rule: "override.en".into(),
        severity: Severity::Critical,
        score: 0.9,
        field: TextField::Output,
        start: 5,
        end: 9,
        snippet: "\x1b[2J".into(),
    });
    out.push(rec(m));
    // An agent trace, children first; one span's parent never arrives.
    let span =
        |id: &'static str, parent: Option<&str>, op: Operation, name: &str, t: i64, lat: f64| {
            let mut c = call(C {
                id,
                t,
                conv: Some("trip-alice-1"),
                user: Some("alice"),
                model: "gpt-4o",
                lat,
                cost: Some(0.002),
            });
            c.trace_id = Some("trace-1".into());
            c.span_id = Some(format!("s-{id}"));
            c.parent_span_id = parent.map(Into::into);
            c.operation = op;
            c.name = (!name.is_empty()).then(|| name.to_string());
            if !op.is_llm_call() {
                c.cost_usd = None;
                c.model = None;
                c.messages.clear();
                c.output = None;
                c.conversation_id = None;
            }
            c
        };
    let mut plan = span("t1", Some("s-agent"), Operation::Chat, "", 81, 400.0);
    plan.tool_calls.push(ToolCall {
        id: Some("tc1".into()),
        name: "search_flights".into(),
        arguments: "{\"to\":\"LIS\"}".into(),
        result: Some("3 flights".into()),
    });
    out.push(rec(plan));
    let mut tool = span(
        "tool",
        Some("s-agent"),
        Operation::Tool,
        "search_flights",
        83,
        1500.0,
    );
    tool.status = Status::Error;
    out.push(rec(tool));
    out.push(rec(span(
        "t2",
        Some("s-agent"),
        Operation::Chat,
        "",
        85,
        900.0,
    )));
    out.push(rec(span(
        "orphan",
        Some("s-gone"),
        Operation::Retrieval,
        "fetch_docs",
        84,
        200.0,
    )));
    out.push(rec(span(
        "agent",
        Some("s-root"),
        Operation::Agent,
        "FlightAgent",
        86,
        5600.0,
    )));
    out.push(rec(span(
        "root",
        None,
        Operation::Workflow,
        "trip_booking",
        86,
        5700.0,
    )));
    out
}

/// Records for a new conversation arriving later (pause and follow tests).
pub fn later(id: &'static str, t: i64) -> Vec<Record> {
    vec![rec(call(C {
        id,
        t,
        conv: Some(id),
        user: Some("dave"),
        model: "gpt-4o",
        lat: 500.0,
        cost: Some(0.001),
    }))]
}

pub struct Harness {
    pub engine: Engine,
    pub app: App,
    pub term: Terminal<TestBackend>,
    pub now: Instant,
    pub src: SourceId,
}

impl Harness {
    /// An app on `w`×`h` with the fixture ingested.
    pub fn new(w: u16, h: u16) -> Harness {
        Harness::with(w, h, fixture())
    }

    pub fn with(w: u16, h: u16, records: Vec<Record>) -> Harness {
        Harness::with_config(w, h, EngineConfig::default(), records)
    }

    /// An app on `w`×`h` over an engine built from `cfg` (alert rules, budgets).
    pub fn with_config(w: u16, h: u16, cfg: EngineConfig, records: Vec<Record>) -> Harness {
        let windows = cfg.windows.clone();
        let mut engine = Engine::new(cfg);
        let src = engine.add_source("app.jsonl", SourceKind::File);
        engine.note_state(src, SourceState::AtEnd);
        let mut app = App::new(Keymap::defaults(), Theme::dark(), windows);
        app.price_date = Some("2026-11-01".into());
        let mut h = Harness {
            engine,
            app,
            term: Terminal::new(TestBackend::new(w, h)).unwrap(),
            now: Instant::now(),
            src,
        };
        h.ingest(records);
        h.frame();
        h
    }

    pub fn ingest(&mut self, records: Vec<Record>) {
        let n = records.len() as u64;
        self.engine.note_lines(self.src, n, Vec::new());
        self.engine.ingest(
            self.src,
            records
                .into_iter()
                .enumerate()
                .map(|(i, r)| (i as u64 + 1, r))
                .collect(),
        );
    }

    /// Presses keys given as keymap strings, separated by spaces (`"j j enter"`); a word in
    /// quotes types its characters.
    pub fn keys(&mut self, keys: &str) {
        for k in keys.split(' ').filter(|k| !k.is_empty()) {
            let b: KeyBinding = k.parse().unwrap();
            let ev = crossterm::event::KeyEvent::new(b.code, b.modifiers);
            self.app.on_key(&ev, &self.engine);
            self.app.apply_requests(&mut self.engine);
        }
    }

    /// Types text into the filter prompt, character by character.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let ev = crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            );
            self.app.on_key(&ev, &self.engine);
        }
    }

    /// Advances the fake clock past the rebuild throttle and renders a frame.
    pub fn frame(&mut self) -> String {
        self.now += Duration::from_secs(1);
        self.app.refresh(&self.engine, self.now, false);
        let (app, engine) = (&self.app, &self.engine);
        self.term.draw(|f| views::draw(f, app, engine)).unwrap();
        self.text()
    }

    pub fn buffer(&self) -> &Buffer {
        self.term.backend().buffer()
    }

    /// The screen as text, one line per row.
    pub fn text(&self) -> String {
        let b = self.buffer();
        let mut s = String::new();
        for y in 0..b.area.height {
            for x in 0..b.area.width {
                s.push_str(b[(x, y)].symbol());
            }
            s.push('\n');
        }
        s
    }

    /// Position of the first cell whose row text at that point starts with `needle`.
    pub fn find(&self, needle: &str) -> Option<(u16, u16)> {
        let b = self.buffer();
        for y in 0..b.area.height {
            let mut row = String::new();
            let mut xs = Vec::new();
            for x in 0..b.area.width {
                xs.push((row.len(), x));
                row.push_str(b[(x, y)].symbol());
            }
            if let Some(i) = row.find(needle) {
                let x = xs
                    .iter()
                    .rev()
                    .find(|(off, _)| *off <= i)
                    .map_or(0, |p| p.1);
                return Some((x, y));
            }
        }
        None
    }
}
