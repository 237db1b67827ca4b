//! Decodes every file in the shared samples and checks the records against totals computed
//! independently from the raw JSON (with `serde_json::Value`, not the decoder's mapping), plus
//! the specific facts the samples' README states.
#![allow(clippy::unwrap_used)]

use llmmon::decode::Decoder;
use llmmon::model::record::{Operation, Record, Status};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples");

/// Totals over a set of records or raw lines.
#[derive(Debug, Default, PartialEq)]
struct Totals {
    llm_calls: usize,
    spans: usize,
    errors: usize,
    input_tokens: u64,
    output_tokens: u64,
    attachments: usize,
    models: BTreeSet<String>,
}

struct Decoded {
    records: Vec<Record>,
    metric_points: u64,
}

fn decode_file(name: &str) -> Decoded {
    let text = std::fs::read_to_string(format!("{SAMPLES}/{name}")).unwrap();
    let mut dec = Decoder::new();
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Err(e) = dec.decode(line.as_bytes(), 1_000, &mut records) {
            panic!("{name}:{}: rejected: {e}", n + 1);
        }
    }
    Decoded {
        records,
        metric_points: dec.metric_points(),
    }
}

fn calls(records: &[Record]) -> impl Iterator<Item = &llmmon::model::record::Call> {
    records.iter().filter_map(|r| match r {
        Record::Call(c) => Some(&**c),
        _ => None,
    })
}

fn decoded_totals(records: &[Record]) -> Totals {
    let mut t = Totals::default();
    for r in records {
        match r {
            Record::Call(c) => {
                t.spans += 1;
                if c.operation.is_llm_call() {
                    t.llm_calls += 1;
                    if let Some(m) = c.model_name() {
                        t.models.insert(m.to_owned());
                    }
                }
                if c.status == Status::Error {
                    t.errors += 1;
                }
                t.input_tokens += c.tokens.input.unwrap_or(0);
                t.output_tokens += c.tokens.output.unwrap_or(0);
            }
            Record::Attachment(_) => t.attachments += 1,
            Record::Feedback(_) => {}
        }
    }
    t
}

// ---- independent readers over raw JSON ----

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], |a| a.as_slice())
}

fn attr<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    arr(span, "attributes")
        .iter()
        .find(|kv| kv["key"] == key)
        .map(|kv| &kv["value"])
}

fn attr_str<'a>(span: &'a Value, key: &str) -> Option<&'a str> {
    attr(span, key)?.get("stringValue")?.as_str()
}

fn attr_int(span: &Value, key: &str) -> u64 {
    attr(span, key)
        .and_then(|v| v.get("intValue"))
        .and_then(Value::as_str)
        .map_or(0, |s| s.parse().unwrap())
}

fn all_spans(v: &Value) -> Vec<&Value> {
    arr(v, "resourceSpans")
        .iter()
        .flat_map(|rs| arr(rs, "scopeSpans"))
        .flat_map(|ss| arr(ss, "spans"))
        .collect()
}

fn is_llm_span(span: &Value) -> bool {
    matches!(
        attr_str(span, "gen_ai.operation.name"),
        Some("chat" | "text_completion" | "embeddings")
    ) || matches!(
        attr_str(span, "openinference.span.kind"),
        Some("LLM" | "EMBEDDING")
    )
}

/// The request model as the raw span states it (OpenInference: in the invocation parameters).
fn raw_span_model(span: &Value) -> Option<String> {
    if let Some(m) = attr_str(span, "gen_ai.request.model") {
        return Some(m.to_owned());
    }
    for key in [
        "llm.invocation_parameters",
        "embedding.invocation_parameters",
    ] {
        if let Some(p) = attr_str(span, key) {
            let p: Value = serde_json::from_str(p).unwrap();
            return p["model"].as_str().map(str::to_owned);
        }
    }
    None
}

fn raw_totals(name: &str) -> (Totals, u64) {
    let text = std::fs::read_to_string(format!("{SAMPLES}/{name}")).unwrap();
    let mut t = Totals::default();
    let mut points = 0u64;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        if v.get("call_type").is_some() {
            t.spans += 1;
            t.llm_calls += 1;
            t.errors += usize::from(v["status"] == "failure");
            t.input_tokens += v["prompt_tokens"].as_u64().unwrap();
            t.output_tokens += v["completion_tokens"].as_u64().unwrap();
            t.models.insert(v["model"].as_str().unwrap().to_owned());
        }
        for span in all_spans(&v) {
            t.spans += 1;
            if is_llm_span(span) {
                t.llm_calls += 1;
                if let Some(m) = raw_span_model(span) {
                    t.models.insert(m);
                }
            }
            t.errors += usize::from(span["status"]["code"] == 2);
            t.input_tokens += attr_int(span, "gen_ai.usage.input_tokens")
                + attr_int(span, "gen_ai.usage.prompt_tokens")
                + attr_int(span, "llm.token_count.prompt");
            t.output_tokens += attr_int(span, "gen_ai.usage.output_tokens")
                + attr_int(span, "gen_ai.usage.completion_tokens")
                + attr_int(span, "llm.token_count.completion");
        }
        for rl in arr(&v, "resourceLogs") {
            for sl in arr(rl, "scopeLogs") {
                t.attachments += arr(sl, "logRecords").len();
            }
        }
        for rm in arr(&v, "resourceMetrics") {
            for sm in arr(rm, "scopeMetrics") {
                for m in arr(sm, "metrics") {
                    for kind in [
                        "sum",
                        "gauge",
                        "histogram",
                        "exponentialHistogram",
                        "summary",
                    ] {
                        if let Some(k) = m.get(kind) {
                            points += arr(k, "dataPoints").len() as u64;
                        }
                    }
                }
            }
        }
    }
    (t, points)
}

#[test]
fn every_sample_file_matches_independent_totals() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(SAMPLES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "samples missing: {files:?}");
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let decoded = decode_file(name);
        let (want, points) = raw_totals(name);
        assert_eq!(decoded_totals(&decoded.records), want, "{name}");
        assert_eq!(decoded.metric_points, points, "{name}");
    }
}

#[test]
fn litellm_facts() {
    let d = decode_file("litellm.jsonl");
    let cs: Vec<_> = calls(&d.records).collect();
    assert_eq!(cs.len(), 30);
    assert_eq!(
        cs.iter().filter(|c| c.operation == Operation::Chat).count(),
        27
    );
    assert_eq!(
        cs.iter()
            .filter(|c| c.operation == Operation::Embeddings)
            .count(),
        3
    );
    assert_eq!(cs.iter().filter(|c| c.status == Status::Error).count(), 8);
    assert_eq!(
        cs.iter()
            .filter(|c| c.tokens.cache_read.unwrap_or(0) > 0)
            .count(),
        3
    );
    assert_eq!(
        cs.iter()
            .filter(|c| c.tokens.cache_write.unwrap_or(0) > 0)
            .count(),
        2
    );
    assert_eq!(
        cs.iter()
            .filter(|c| c.tokens.reasoning.unwrap_or(0) > 0)
            .count(),
        2
    );
    assert_eq!(cs.iter().filter(|c| c.stream == Some(true)).count(), 6);
    assert!(cs.iter().all(|c| c.cost_usd.is_some()
        && c.cost_source == Some(llmmon::model::record::CostProvenance::Reported)));
    // TTFT only on streams, and shorter than the whole call.
    for c in &cs {
        assert_eq!(c.ttft_ms.is_some(), c.stream == Some(true), "{}", c.id);
        if let (Some(t), Some(l)) = (c.ttft_ms, c.effective_latency_ms()) {
            assert!(t <= l + 1e-6);
        }
    }
    let users: BTreeSet<_> = cs.iter().filter_map(|c| c.user.as_deref()).collect();
    assert_eq!(
        users,
        ["marco", "olu", "priya", "sven", "yuki"]
            .into_iter()
            .collect()
    );
    let errors: BTreeSet<_> = cs.iter().filter_map(|c| c.error_type.as_deref()).collect();
    assert!(errors.contains("RateLimitError") && errors.contains("ContextWindowExceededError"));
    assert!(cs
        .iter()
        .filter(|c| c.status == Status::Error)
        .all(|c| c.error_message.is_some()));
    assert!(cs
        .iter()
        .all(|c| c.system_prompt.is_some() || c.operation == Operation::Embeddings));
    assert_eq!(cs.iter().filter(|c| !c.tool_calls.is_empty()).count(), 2);
    let embed = cs
        .iter()
        .find(|c| c.operation == Operation::Embeddings)
        .unwrap();
    assert_eq!(embed.messages[0].role, "user");
    assert!(cs.iter().any(|c| c.app.as_deref() == Some("travel")));
    assert!(cs.iter().any(|c| c.tags.contains(&"canary".to_owned())));
    // The README's 16 sessions include the embeddings' empty `session_id`, which is no
    // session; LiteLLM's `trace_id` stands in for it (where LiteLLM puts `metadata.session_id`),
    // so each embedding call is its own conversation: 15 sessions plus 3 traces.
    assert_eq!(
        cs.iter()
            .filter_map(|c| c.conversation_id.as_deref())
            .collect::<BTreeSet<_>>()
            .len(),
        18
    );
    assert!(cs
        .iter()
        .filter(|c| c.operation == Operation::Embeddings)
        .all(|c| c
            .conversation_id
            .as_deref()
            .is_some_and(|id| id.len() == 36)));
}

#[test]
fn otel_genai_span_facts() {
    let d = decode_file("otel_genai_spans.jsonl");
    let cs: Vec<_> = calls(&d.records).collect();
    assert_eq!(cs.len(), 44);
    assert_eq!(
        cs.iter().filter(|c| c.operation == Operation::Chat).count(),
        30
    );
    assert_eq!(
        cs.iter()
            .filter(|c| c.operation == Operation::Embeddings)
            .count(),
        2
    );
    assert_eq!(
        cs.iter()
            .filter(|c| c.operation == Operation::Agent)
            .count(),
        4
    );
    assert_eq!(
        cs.iter()
            .filter(|c| c.operation == Operation::Workflow)
            .count(),
        4
    );
    assert_eq!(
        cs.iter().filter(|c| c.operation == Operation::Tool).count(),
        4
    );
    assert_eq!(cs.iter().filter(|c| c.status == Status::Error).count(), 7);
    // TTFT exactly on the streaming spans.
    let ttft: Vec<_> = cs.iter().filter(|c| c.ttft_ms.is_some()).collect();
    assert_eq!(ttft.len(), 6);
    assert!(ttft.iter().all(|c| c.stream == Some(true)));
    assert!(cs.iter().all(|c| c.app.as_deref() == Some("trip-planner")));
    assert!(cs.iter().all(|c| c.env.as_deref() == Some("dev")));
    assert!(cs
        .iter()
        .all(|c| c.trace_id.is_some() && c.start.is_some() && c.end.is_some()));
    let rate = cs
        .iter()
        .find(|c| c.model.as_deref() == Some("gpt-4.1-fail429"))
        .unwrap();
    assert_eq!(rate.error_type.as_deref(), Some("openai.RateLimitError"));
    assert!(rate.error_message.as_deref().unwrap().contains("429"));
    let tool = cs
        .iter()
        .find(|c| c.operation == Operation::Tool && c.status == Status::Ok)
        .unwrap();
    assert_eq!(tool.name.as_deref(), Some("search_flights"));
    assert!(tool.tool_calls[0]
        .result
        .as_deref()
        .unwrap()
        .contains("AC 880"));
    assert!(cs.iter().any(|c| c.tokens.reasoning.unwrap_or(0) > 0));
    let chat = cs
        .iter()
        .find(|c| c.operation == Operation::Chat && c.status == Status::Ok)
        .unwrap();
    assert!(chat.system_prompt.is_some() && chat.output.is_some() && !chat.messages.is_empty());
    assert!(chat.response_model.as_deref().unwrap().len() > chat.model.as_deref().unwrap().len());
    assert!(cs.iter().any(|c| c.operation == Operation::Chat
        && c.tool_calls.iter().any(|t| t.name == "search_flights")));
    let responses = cs
        .iter()
        .filter(|c| c.metadata.contains_key("api_type"))
        .count();
    assert_eq!(responses, 3);
    assert!(cs
        .iter()
        .filter(|c| matches!(c.operation, Operation::Agent | Operation::Workflow))
        .all(|c| c.conversation_id.is_some() && c.name.is_some()));
}

#[test]
fn openinference_facts() {
    let d = decode_file("openinference_spans.jsonl");
    let cs: Vec<_> = calls(&d.records).collect();
    assert_eq!(cs.len(), 25);
    assert_eq!(
        cs.iter().filter(|c| c.operation == Operation::Chat).count(),
        18
    );
    assert_eq!(
        cs.iter()
            .filter(|c| c.operation == Operation::Embeddings)
            .count(),
        1
    );
    assert_eq!(
        cs.iter()
            .filter(|c| c.operation == Operation::Agent)
            .count(),
        3
    );
    assert_eq!(
        cs.iter().filter(|c| c.operation == Operation::Tool).count(),
        3
    );
    // Request model recovered from the invocation parameters, even on failures.
    assert!(cs
        .iter()
        .filter(|c| c.operation.is_llm_call())
        .all(|c| c.model.is_some()));
    let failed: Vec<_> = cs
        .iter()
        .filter(|c| c.operation == Operation::Chat && c.status == Status::Error)
        .collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|c| c.response_model.is_none()
        && c.error_type.is_some()
        && c.model.as_deref().unwrap().contains("-fail")));
    assert_eq!(cs.iter().filter(|c| c.ttft_ms.is_some()).count(), 3);
    assert!(cs
        .iter()
        .all(|c| c.conversation_id.is_some() && c.user.is_some()));
    let users: BTreeSet<_> = cs.iter().filter_map(|c| c.user.as_deref()).collect();
    assert_eq!(users.len(), 5);
    let embed = cs
        .iter()
        .find(|c| c.operation == Operation::Embeddings)
        .unwrap();
    assert_eq!(embed.messages.len(), 3);
    let llm = cs.iter().find(|c| c.operation == Operation::Chat).unwrap();
    assert!(llm.system_prompt.is_some() && llm.tags == ["dev", "ide"]);
    assert_eq!(llm.metadata["tenant"], "initech");
    assert!(cs
        .iter()
        .any(|c| c.tool_calls.iter().any(|t| t.name == "run_tests")));
    assert!(cs.iter().all(|c| c.app.as_deref() == Some("code-helper")));
}

#[test]
fn legacy_span_facts() {
    let d = decode_file("otel_genai_legacy_spans.jsonl");
    let cs: Vec<_> = calls(&d.records).collect();
    assert_eq!(cs.len(), 11);
    assert_eq!(cs.iter().filter(|c| c.status == Status::Error).count(), 2);
    assert!(cs.iter().all(|c| c.provider.as_deref() == Some("openai")));
    assert_eq!(
        cs.iter()
            .find(|c| c.status == Status::Error)
            .unwrap()
            .error_type
            .as_deref(),
        Some("RateLimitError")
    );
}

#[test]
fn log_events_become_linked_attachments() {
    for (file, n) in [
        ("otel_genai_legacy_logs.jsonl", 31),
        ("otel_genai_logs.jsonl", 30),
    ] {
        let d = decode_file(file);
        let atts: Vec<_> = d
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Attachment(a) => Some(a),
                _ => None,
            })
            .collect();
        assert_eq!(atts.len(), n, "{file}");
        assert!(atts
            .iter()
            .all(|a| a.span_id.is_some() && a.trace_id.is_some() && a.time.is_some()));
    }
    let legacy = decode_file("otel_genai_legacy_logs.jsonl");
    let count = |f: &dyn Fn(&llmmon::model::record::Attachment) -> bool| {
        legacy
            .records
            .iter()
            .filter(|r| matches!(r, Record::Attachment(a) if f(a)))
            .count()
    };
    assert_eq!(count(&|a| a.system_prompt.is_some()), 9);
    assert_eq!(count(&|a| a.messages.iter().any(|m| m.role == "user")), 11);
    assert_eq!(count(&|a| a.finish_reason.is_some()), 9);
    assert_eq!(
        count(&|a| a.tool_calls.iter().any(|t| t.name == "search_flights")),
        1
    );
    let current = decode_file("otel_genai_logs.jsonl");
    assert!(current
        .records
        .iter()
        .all(|r| matches!(r, Record::Attachment(a)
        if a.system_prompt.is_some() || !a.messages.is_empty())));
}

#[test]
fn metrics_are_counted_not_recorded() {
    for file in [
        "otel_genai_metrics.jsonl",
        "otel_genai_legacy_metrics.jsonl",
    ] {
        let d = decode_file(file);
        assert!(d.records.is_empty());
        assert!(d.metric_points > 0, "{file}");
    }
}

#[test]
fn schema_doc_examples_decode() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.md")).unwrap();
    let mut dec = Decoder::new();
    let mut out = Vec::new();
    let mut in_block = false;
    let mut lines = 0;
    for line in doc.lines() {
        match line {
            "```json" => in_block = true,
            "```" => in_block = false,
            l if in_block => {
                dec.decode(l.as_bytes(), 1, &mut out)
                    .unwrap_or_else(|e| panic!("{l}: {e}"));
                lines += 1;
            }
            _ => {}
        }
    }
    assert_eq!(out.len(), lines);
    assert!(lines >= 9);
    assert_eq!(
        out.iter()
            .filter(|r| matches!(r, Record::Feedback(_)))
            .count(),
        2
    );
    assert_eq!(
        out.iter()
            .filter(|r| matches!(r, Record::Attachment(_)))
            .count(),
        1
    );
}
