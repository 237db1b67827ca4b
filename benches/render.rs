//! Frame cost of every pane with a full store: 100,000 conversations and 10,000 traces,
//! rendered into a 200×50 TestBackend. Target: under 2 ms per frame. Also measures the
//! index rebuild that runs (at most every 250 ms) when the store changed.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use llmmon::engine::store::StoreConfig;
use llmmon::engine::{Engine, EngineConfig, SECOND};
use llmmon::model::record::{Call, Flag, Operation, Record, Severity, TextField};
use llmmon::source::SourceKind;
use llmmon::tui::app::{App, Pane};
use llmmon::tui::keymap::Keymap;
use llmmon::tui::theme::Theme;
use llmmon::tui::views;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::Instant;

const CONVERSATIONS: usize = 100_000;
const TRACES: usize = 10_000;

fn engine() -> Engine {
    let cfg = EngineConfig {
        store: StoreConfig {
            max_calls: CONVERSATIONS + TRACES * 3,
            max_conversations: CONVERSATIONS,
            max_traces: TRACES,
            ..StoreConfig::default()
        },
        ..EngineConfig::default()
    };
    let mut e = Engine::new(cfg);
    let src = e.add_source("bench.jsonl", SourceKind::File);
    let t0 = 1_795_687_200 * SECOND;
    let models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-pro"];
    let mut batch = Vec::new();
    for i in 0..CONVERSATIONS {
        let t = t0 + (i as i64) * (SECOND / 40);
        let mut c = Call {
            id: format!("c{i}"),
            end: Some(t),
            conversation_id: Some(format!("conv-{i}")),
            user: Some(format!("user{}", i % 500)),
            model: Some(models[i % 4].into()),
            latency_ms: Some(100.0 + (i % 3000) as f64),
            ttft_ms: Some(50.0 + (i % 500) as f64),
            cost_usd: Some(0.001 * (i % 7) as f64),
            output: Some("a reasonably short answer".into()),
            ..Call::default()
        };
        c.tokens.input = Some(200);
        c.tokens.output = Some(50);
        if i % 50 == 0 {
            c.flags.push(Flag {
                detector: "pii".into(),
                rule: "email".into(),
                severity: Severity::High,
                score: 0.9,
                field: TextField::Output,
                start: 0,
                end: 4,
                snippet: "a@b.c".into(),
            });
        }
        batch.push((i as u64, Record::Call(Box::new(c))));
    }
    for i in 0..TRACES {
        let t = t0 + (CONVERSATIONS as i64) * (SECOND / 40) + i as i64 * SECOND / 10;
        for (j, (op, parent)) in [
            (Operation::Workflow, None),
            (Operation::Agent, Some("s0")),
            (Operation::Chat, Some("s1")),
        ]
        .into_iter()
        .enumerate()
        {
            let c = Call {
                id: format!("t{i}-{j}"),
                start: Some(t - 1000 * 1_000_000 + j as i64 * 100_000_000),
                end: Some(t),
                trace_id: Some(format!("trace-{i}")),
                span_id: Some(format!("s{j}")),
                parent_span_id: parent.map(Into::into),
                operation: op,
                model: Some("gpt-4o".into()),
                cost_usd: Some(0.002),
                ..Call::default()
            };
            batch.push((0, Record::Call(Box::new(c))));
        }
    }
    e.ingest(src, batch);
    e
}

fn bench(c: &mut Criterion) {
    let engine = engine();
    assert_eq!(engine.store.conversations().len(), CONVERSATIONS);
    assert_eq!(engine.store.traces().len(), TRACES);
    let mut app = App::new(
        Keymap::defaults(),
        Theme::dark(),
        engine.config().windows.clone(),
    );
    app.refresh(&engine, Instant::now(), true);
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut g = c.benchmark_group("render_200x50");
    for pane in Pane::ALL {
        app.pane = pane;
        g.bench_function(pane.title(), |b| {
            b.iter(|| {
                term.draw(|f| views::draw(f, &app, &engine)).unwrap();
            });
        });
    }
    app.pane = Pane::Conversations;
    app.act(llmmon::tui::keymap::Action::Enter, &engine);
    g.bench_function("Detail", |b| {
        b.iter(|| {
            term.draw(|f| views::draw(f, &app, &engine)).unwrap();
        });
    });
    app.stack.clear();
    app.pane = Pane::Traces;
    app.act(llmmon::tui::keymap::Action::Enter, &engine);
    g.bench_function("Trace waterfall", |b| {
        b.iter(|| {
            term.draw(|f| views::draw(f, &app, &engine)).unwrap();
        });
    });
    g.finish();
    let mut g = c.benchmark_group("rebuild");
    g.sample_size(10);
    g.bench_function("indexes + overview, 100k conversations", |b| {
        b.iter(|| app.refresh(&engine, Instant::now(), true));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
