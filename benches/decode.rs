//! Decode throughput: synthetic ~900-byte native lines (the hot path), and the LiteLLM and
//! OTLP sample files. Criterion reports time per line; lines/s = 1 / that.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use llmmon::decode::Decoder;
use std::hint::black_box;

/// A native call line of about 900 bytes, varied by `i` so no two lines are equal.
fn native_line(i: usize) -> String {
    format!(
        concat!(
            r#"{{"type":"call","id":"call-{i:08}","start":"2026-11-26T10:00:{s:02}.120Z","end":"2026-11-26T10:00:{s:02}.980Z","#,
            r#""conversation_id":"conv-{c}","turn":{t},"user":"user-{u}","app":"trip-planner","env":"prod","tags":["canary","eu"],"#,
            r#""model":"gpt-4.1-mini","response_model":"gpt-4.1-mini-2025-04-14","provider":"openai","operation":"chat","#,
            r#""status":"ok","finish_reason":"stop","latency_ms":860.5,"ttft_ms":210.25,"stream":true,"#,
            r#""tokens":{{"input":{inp},"output":{out},"cache_read":256}},"cost_usd":0.00123,"#,
            r#""system_prompt":"You are TripMate, a travel-booking assistant. Keep answers short.","#,
            r#""messages":[{{"role":"user","content":"Find me a direct flight from Lisbon to Tokyo on 3 November, economy, under 900 EUR."}},"#,
            r#"{{"role":"user","content":"Great, book it and send the \"confirmation\" to my email please."}}],"#,
            r#""output":"Booked: TP 1407, reference MRM-4471. Confirmation sent to your email address.","#,
            r#""trace_id":"2d9ce50ce321448d44284bc8d23b91df","span_id":"9ae1d24725{i:06x}"}}"#
        ),
        i = i,
        s = i % 60,
        c = i % 97,
        t = i % 7,
        u = i % 13,
        inp = 400 + i % 1000,
        out = 50 + i % 300,
    )
}

fn sample_lines(file: &str) -> Vec<String> {
    let path = format!("{}/../shared/samples/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn bench_lines(c: &mut Criterion, name: &str, lines: &[String]) {
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function(name, |b| {
        let mut dec = Decoder::new();
        let mut out = Vec::with_capacity(64);
        b.iter(|| {
            for line in lines {
                out.clear();
                dec.decode(black_box(line.as_bytes()), 0, &mut out).unwrap();
                black_box(&out);
            }
        });
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let native: Vec<String> = (0..1000).map(native_line).collect();
    let avg = native.iter().map(String::len).sum::<usize>() / native.len();
    assert!((800..1000).contains(&avg), "native line is {avg} bytes");
    bench_lines(c, "native_900b", &native);
    // Reference on the same machine: serde_json skipping the same lines without building
    // anything, the floor any decoder of this JSON pays.
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(native.len() as u64));
    group.bench_function("native_900b_serde_skip_baseline", |b| {
        b.iter(|| {
            for line in &native {
                black_box(serde_json::from_str::<serde::de::IgnoredAny>(black_box(line)).unwrap());
            }
        });
    });
    group.finish();
    bench_lines(c, "litellm", &sample_lines("litellm.jsonl"));
    bench_lines(
        c,
        "otlp_genai_spans",
        &sample_lines("otel_genai_spans.jsonl"),
    );
    bench_lines(
        c,
        "otlp_openinference_spans",
        &sample_lines("openinference_spans.jsonl"),
    );
    bench_lines(c, "otlp_genai_logs", &sample_lines("otel_genai_logs.jsonl"));
}

criterion_group!(benches, decode);
criterion_main!(benches);
