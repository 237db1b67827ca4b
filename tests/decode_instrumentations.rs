//! Spans recorded from five real OpenAI instrumentations (OpenLLMetry, openlit, openai-v2,
//! the current GenAI one, OpenInference), content capture off and on, read by the real
//! binary. What the fake server answered is in each fixture's `.expected.json` (written by
//! tests/otel_python/record_instrumentations.py), so calls, errors and tokens are checked
//! against what was served, not against what the spans say. Where an instrumentation does
//! not emit something at all (openai-v2 has no cached tokens), [`Emits`] says so and the
//! test checks that llmmon does not invent it either.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/instrumentations"
);

/// What one instrumentation puts on its spans, as seen in its recordings.
struct Emits {
    name: &'static str,
    cached: bool,
    /// Reasoning tokens on non-streamed calls / on streamed calls.
    reasoning: (bool, bool),
    /// Some TTFT (attribute or event) on streamed calls.
    ttft: bool,
    /// Tool calls on the chat span with content capture off.
    tools_without_content: bool,
    /// The request's `user`.
    user: bool,
    /// `gen_ai.request.seed`.
    seed: bool,
    /// openlit writes temperature 1.0 when the request set none.
    default_temperature: bool,
}

const ALL: [Emits; 5] = [
    Emits {
        name: "openllmetry",
        cached: true,
        reasoning: (true, false),
        ttft: true,
        tools_without_content: false,
        user: true,
        seed: false,
        default_temperature: false,
    },
    Emits {
        name: "openlit",
        cached: true,
        reasoning: (false, false),
        ttft: true,
        tools_without_content: true,
        user: true,
        seed: true,
        default_temperature: true,
    },
    Emits {
        name: "openai-v2",
        cached: false,
        reasoning: (false, false),
        ttft: false,
        tools_without_content: false,
        user: false,
        seed: true,
        default_temperature: false,
    },
    Emits {
        name: "genai",
        cached: true,
        reasoning: (true, true),
        ttft: true,
        tools_without_content: false,
        user: false,
        seed: true,
        default_temperature: false,
    },
    Emits {
        name: "openinference",
        cached: true,
        reasoning: (true, true),
        ttft: true,
        tools_without_content: false,
        user: true,
        seed: true,
        default_temperature: false,
    },
];

fn fixture(name: &str, content: &str) -> PathBuf {
    PathBuf::from(format!("{DIR}/{name}-content-{content}.jsonl"))
}

/// The fake server's log for a fixture.
fn served(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{}.expected.json", path.display())).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["calls"].as_array().unwrap().clone()
}

fn report(path: &Path) -> Value {
    let out = Command::cargo_bin("llmmon")
        .unwrap()
        .args(["report", "--json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The calls `export --filter QUERY --format raw` selects, as JSON.
fn export(path: &Path, query: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.jsonl");
    let out = Command::cargo_bin("llmmon")
        .unwrap()
        .args(["export", "--format", "raw", "--filter", query, "-o"])
        .arg(&file)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn sum(calls: &[Value], key: &str, keep: impl Fn(&Value) -> bool) -> u64 {
    calls
        .iter()
        .filter(|c| keep(c))
        .map(|c| c[key].as_u64().unwrap())
        .sum()
}

fn models(calls: &[Value]) -> Vec<String> {
    let mut m: Vec<String> = calls
        .iter()
        .map(|c| c["model"].as_str().unwrap().to_owned())
        .collect();
    m.sort();
    m
}

#[test]
fn calls_errors_and_tokens_are_what_the_server_answered() {
    for e in &ALL {
        for content in ["off", "on"] {
            let path = fixture(e.name, content);
            let calls = served(&path);
            let r = report(&path);
            let d = &r["detail"];
            let ctx = format!("{} content {content}", e.name);
            assert_eq!(r["calls"], calls.len() as u64, "{ctx}: calls");
            let errors = calls.iter().filter(|c| c["status"] != 200).count() as u64;
            assert_eq!(r["errors"], errors, "{ctx}: errors");
            assert_eq!(r["input_tokens"], sum(&calls, "prompt", |_| true), "{ctx}");
            assert_eq!(
                r["output_tokens"],
                sum(&calls, "completion", |_| true),
                "{ctx}"
            );
            let cached = if e.cached {
                sum(&calls, "cached", |_| true)
            } else {
                0
            };
            assert_eq!(d["cache_read_tokens"], cached, "{ctx}: cached tokens");
            let (plain, streamed) = e.reasoning;
            let reasoning = sum(&calls, "reasoning", |c| {
                if c["stream"] == true {
                    streamed
                } else {
                    plain
                }
            });
            assert_eq!(d["reasoning_tokens"], reasoning, "{ctx}: reasoning tokens");
            assert!(
                reasoning > 0 || !(plain || streamed),
                "{ctx}: o4-mini reasons"
            );
        }
    }
}

#[test]
fn exactly_one_ttft_per_streamed_call() {
    for e in &ALL {
        for content in ["off", "on"] {
            let path = fixture(e.name, content);
            let calls = served(&path);
            let ctx = format!("{} content {content}", e.name);
            let streamed: Vec<Value> = calls
                .iter()
                .filter(|c| c["stream"] == true && c["status"] == 200)
                .cloned()
                .collect();
            assert_eq!(streamed.len(), 2, "{ctx}: the workload streams twice");
            let r = report(&path);
            let want = if e.ttft { streamed.len() as u64 } else { 0 };
            assert_eq!(r["detail"]["ttft_ms"]["count"], want, "{ctx}: TTFT count");
            let with_ttft = export(&path, "has:ttft");
            assert_eq!(with_ttft.len() as u64, want, "{ctx}");
            if e.ttft {
                assert_eq!(models(&with_ttft), models(&streamed), "{ctx}");
                for c in &with_ttft {
                    assert_eq!(c["stream"], true, "{ctx}");
                    // The fake server waits 120 ms before the first chunk.
                    let ttft = c["ttft_ms"].as_f64().unwrap();
                    assert!((100.0..1000.0).contains(&ttft), "{ctx}: ttft {ttft}");
                }
            }
        }
    }
}

#[test]
fn tool_calls_are_seen_whenever_the_spans_carry_them() {
    for e in &ALL {
        for content in ["off", "on"] {
            let path = fixture(e.name, content);
            let served_tools = served(&path)
                .iter()
                .filter(|c| c["tool"].is_string())
                .count();
            assert_eq!(served_tools, 1);
            let ctx = format!("{} content {content}", e.name);
            let got = export(&path, "tool:search_flights");
            let visible = content == "on" || e.tools_without_content;
            assert_eq!(got.len(), usize::from(visible), "{ctx}");
            // The tools the request offered, where the spans carry them.
            let offered = export(&path, "has:attr.tool_definitions");
            if content == "on" && ["openllmetry", "genai", "openinference"].contains(&e.name) {
                assert_eq!(models(&offered), ["gpt-4.1-mini-tool"; 2], "{ctx}");
                let defs = &offered[0]["metadata"]["tool_definitions"];
                assert!(defs.to_string().contains("search_flights"), "{ctx}: {defs}");
            } else {
                assert!(offered.is_empty(), "{ctx}");
            }
            if let Some(c) = got.first() {
                let tc = &c["tool_calls"][0];
                assert_eq!(tc["id"], "call_abc123", "{ctx}");
                let args: Value = serde_json::from_str(tc["arguments"].as_str().unwrap()).unwrap();
                assert_eq!(
                    args,
                    serde_json::json!({"from": "OSL", "to": "FCO"}),
                    "{ctx}"
                );
            }
        }
    }
}

#[test]
fn request_parameters_are_filterable_attributes() {
    for e in &ALL {
        let path = fixture(e.name, "off");
        let ctx = e.name;
        // Requested: 0.2, 0.9 (o4-mini), 0.8 (gpt-4o stream), 0.0 (tool call).
        let hot = export(&path, "attr.temperature>0.7");
        let mut want = vec!["gpt-4o".to_owned(), "o4-mini".to_owned()];
        if e.default_temperature {
            // The streamed o4-mini call and the tool follow-up, which set none.
            want.extend(["gpt-4.1-mini-tool".to_owned(), "o4-mini".to_owned()]);
            want.sort();
        }
        assert_eq!(models(&hot), want, "{ctx}");
        assert_eq!(
            models(&export(&path, "attr.max_tokens=100 attr.top_p<1")),
            ["gpt-4.1-mini"],
            "{ctx}"
        );
        let flex = export(&path, "service_tier:flex");
        assert_eq!(models(&flex), ["o4-mini"], "{ctx}");
        assert_eq!(flex[0]["metadata"]["service_tier"], "flex", "{ctx}");
        assert_eq!(
            export(&path, "attr.service_tier:flex"),
            flex,
            "{ctx}: the long form"
        );
        let seeded = export(&path, "attr.seed:7");
        assert_eq!(seeded.len(), usize::from(e.seed), "{ctx}: seed");
        let users = export(&path, "user:u-bob");
        assert_eq!(users.len(), if e.user { 2 } else { 0 }, "{ctx}: users");
    }
}

#[test]
fn openlit_cost_is_reported_and_its_server_ttft_ignored_when_not_streaming() {
    let path = fixture("openlit", "off");
    let text = std::fs::read_to_string(format!("{}.expected.json", path.display())).unwrap();
    let expected: Value = serde_json::from_str(&text).unwrap();
    let prices = &expected["openlit_pricing_per_1k"];
    let mut cost = 0.0;
    for c in expected["calls"].as_array().unwrap() {
        let model = c["model"].as_str().unwrap();
        let tokens = |k: &str| c[k].as_f64().unwrap() / 1000.0;
        cost += match c["kind"].as_str().unwrap() {
            "embeddings" => tokens("prompt") * prices["embeddings"][model].as_f64().unwrap(),
            _ if c["status"] != 200 => 0.0,
            _ => {
                let p = &prices["chat"][model];
                tokens("prompt") * p["promptPrice"].as_f64().unwrap()
                    + tokens("completion") * p["completionPrice"].as_f64().unwrap()
            }
        };
    }
    let r = report(&path);
    let reported = r["detail"]["cost_reported_usd"].as_f64().unwrap();
    assert!((reported - cost).abs() < 1e-9, "{reported} vs {cost}");
    // openlit also sets gen_ai.server.time_to_first_token on the 7 calls that did not
    // stream; only the 2 streams count.
    assert_eq!(r["detail"]["ttft_ms"]["count"], 2);
    let tpot = export(&path, "attr.time_per_output_token_ms>0");
    assert_eq!(models(&tpot), ["gpt-4o", "o4-mini"]);
}

#[test]
fn openai_v2_class_reprs_become_error_types() {
    let r = report(&fixture("openai-v2", "off"));
    assert_eq!(
        r["detail"]["errors_by_type"],
        serde_json::json!({"InternalServerError": 1, "RateLimitError": 1})
    );
}
