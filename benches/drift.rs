//! Drift costs: comparing one window (~30 features) with a reference, text drift over a
//! window of 10,000 prompts, and feature extraction + accumulation per call.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use llmmon::demo::{GenConfig, Generator};
use llmmon::engine::drift::compare::{CompareConfig, Reference};
use llmmon::engine::drift::features::extract;
use llmmon::engine::drift::profile::{Builder, BuilderLimits};
use llmmon::engine::drift::text::{TermCounts, TextReference, Tokenizer};
use llmmon::engine::drift::BaselineBuilder;
use llmmon::model::record::{Call, Record};
use std::hint::black_box;

fn calls(seed: u64, n: usize) -> Vec<Call> {
    Generator::new(GenConfig {
        seed,
        ..GenConfig::default()
    })
    .filter_map(|r| match r {
        Record::Call(c) if c.operation.is_llm_call() => Some(*c),
        _ => None,
    })
    .take(n)
    .collect()
}

fn bench(c: &mut Criterion) {
    let base = calls(1, 20_000);
    let mut b = BaselineBuilder::new(20_000, 2000);
    for x in &base {
        b.add_call(x, x.event_time().unwrap_or(0));
    }
    let reference = Reference::new(b.finish(vec!["bench".into()]));
    let cur_calls = calls(2, 10_000);
    let mut tok = Tokenizer::default();
    let mut window = Builder::new(BuilderLimits {
        sample: 2000,
        terms: 20_000,
    });
    for x in cur_calls.iter().take(1200) {
        window.add(&extract(x), &x.id, 0, &mut tok);
    }
    let cfg = CompareConfig::default();
    c.bench_function(
        "compare one window (1200 calls, all features + text)",
        |bch| bch.iter(|| black_box(reference.compare(&window, &cfg))),
    );

    let prompts: Vec<&str> = cur_calls
        .iter()
        .filter_map(|x| x.last_user_message())
        .collect();
    let tref = TextReference::new(reference.profile.text.prompt.clone());
    c.bench_function("text drift, 10k prompts: tokenize + compare", |bch| {
        bch.iter(|| {
            let mut counts = TermCounts::new(20_000);
            for (i, p) in prompts.iter().enumerate() {
                counts.add(&mut tok, p, if i % 2 == 0 { "a" } else { "b" });
            }
            black_box(tref.compare(&counts, 25, 0.2))
        })
    });
    let mut counts = TermCounts::new(20_000);
    for p in &prompts {
        counts.add(&mut tok, p, "x");
    }
    c.bench_function("text drift, 10k prompts: compare only", |bch| {
        bch.iter(|| black_box(tref.compare(&counts, 25, 0.2)))
    });
    c.bench_function("extract + accumulate 1,000 calls", |bch| {
        bch.iter(|| {
            let mut w = Builder::new(BuilderLimits {
                sample: 2000,
                terms: 20_000,
            });
            for x in cur_calls.iter().take(1000) {
                w.add(&extract(x), &x.id, 0, &mut tok);
            }
            black_box(w.calls)
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
