//! `llmmon report --json` on every shared sample, checked against totals this test computes
//! on its own from the raw JSON: calls, errors, tokens, cost, per-model and per-user
//! breakdowns, latency percentiles (nearest rank, within the histogram's 1 %).
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples");
const PRICES: &str = include_str!("../assets/pricing.json");

#[derive(Debug, Default)]
struct Group {
    calls: u64,
    errors: u64,
    input: u64,
    output: u64,
}

#[derive(Debug, Default)]
struct Expected {
    calls: u64,
    errors: u64,
    input: u64,
    output: u64,
    /// Some(cost) when the test can compute it (reported, or all models priced).
    cost: f64,
    unpriced: u64,
    latencies: Vec<f64>,
    by_model: BTreeMap<String, Group>,
    by_user: BTreeMap<String, Group>,
}

impl Expected {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        model: &str,
        user: Option<&str>,
        error: bool,
        input: u64,
        output: u64,
        latency_ms: f64,
        cost: Option<f64>,
    ) {
        self.calls += 1;
        self.errors += u64::from(error);
        self.input += input;
        self.output += output;
        self.latencies.push(latency_ms);
        match cost {
            Some(c) => self.cost += c,
            None => self.unpriced += 1,
        }
        for (map, key) in [
            (&mut self.by_model, model),
            (&mut self.by_user, user.unwrap_or("(none)")),
        ] {
            let g = map.entry(key.to_string()).or_default();
            g.calls += 1;
            g.errors += u64::from(error);
            g.input += input;
            g.output += output;
        }
    }
}

fn report(file: &str) -> Value {
    let out = Command::cargo_bin("llmmon")
        .unwrap()
        .args(["report", "--json", &format!("{SAMPLES}/{file}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn lines(file: &str) -> Vec<Value> {
    std::fs::read_to_string(format!("{SAMPLES}/{file}"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Price of a call from assets/pricing.json, looked up by the response model with any
/// `-YYYY-MM-DD` suffix removed; `None` when the model is not in the table.
fn price(model: &str, input: u64, cached: u64, output: u64) -> Option<f64> {
    let table: Value = serde_json::from_str(PRICES).unwrap();
    let base = match model.len().checked_sub(11) {
        Some(i)
            if model.as_bytes()[i] == b'-'
                && model[i + 1..]
                    .chars()
                    .filter(|c| c.is_ascii_digit())
                    .count()
                    == 8 =>
        {
            &model[..i]
        }
        _ => model,
    };
    let p = &table["models"][base];
    let pin = p["input_cost_per_token"].as_f64()?;
    let pout = p["output_cost_per_token"].as_f64()?;
    let pcr = p["cache_read_input_token_cost"].as_f64().unwrap_or(pin);
    Some((input - cached) as f64 * pin + cached as f64 * pcr + output as f64 * pout)
}

fn otlp_attrs(span: &Value) -> BTreeMap<String, Value> {
    span["attributes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|kv| {
                    let v = &kv["value"];
                    let v = v
                        .get("stringValue")
                        .cloned()
                        .or_else(|| {
                            v.get("intValue")
                                .map(|i| Value::from(i.as_str().unwrap().parse::<u64>().unwrap()))
                        })
                        .or_else(|| v.get("doubleValue").cloned())
                        .unwrap_or(Value::Null);
                    (kv["key"].as_str().unwrap().to_string(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn otlp_spans(file: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for line in lines(file) {
        for rs in line["resourceSpans"].as_array().unwrap() {
            for ss in rs["scopeSpans"].as_array().unwrap() {
                out.extend(ss["spans"].as_array().unwrap().iter().cloned());
            }
        }
    }
    out
}

fn nanos(v: &Value) -> f64 {
    v.as_str().unwrap().parse::<u64>().unwrap() as f64
}

fn expected_otlp(file: &str) -> Expected {
    let mut e = Expected::default();
    for span in otlp_spans(file) {
        let a = otlp_attrs(&span);
        let s = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
        let n = |k: &str| a.get(k).and_then(Value::as_u64).unwrap_or(0);
        let kind = s("openinference.span.kind");
        let op = s("gen_ai.operation.name");
        let is_llm = matches!(kind.as_deref(), Some("LLM" | "EMBEDDING"))
            || matches!(
                op.as_deref(),
                Some("chat" | "text_completion" | "embeddings")
            );
        if !is_llm {
            continue;
        }
        let (model, response_model, input, output, cached, user) = if kind.is_some() {
            let params: Value =
                serde_json::from_str(&s("llm.invocation_parameters").unwrap_or("{}".into()))
                    .unwrap();
            let req = params["model"]
                .as_str()
                .map(str::to_string)
                .or(s("embedding.model_name"))
                .unwrap();
            (
                req,
                s("llm.model_name"),
                n("llm.token_count.prompt"),
                n("llm.token_count.completion"),
                n("llm.token_count.prompt_details.cache_read"),
                s("user.id"),
            )
        } else {
            let input = n("gen_ai.usage.input_tokens") + n("gen_ai.usage.prompt_tokens");
            let output = n("gen_ai.usage.output_tokens") + n("gen_ai.usage.completion_tokens");
            (
                s("gen_ai.request.model").unwrap(),
                s("gen_ai.response.model"),
                input,
                output,
                n("gen_ai.usage.cache_read.input_tokens"),
                None,
            )
        };
        let error = span["status"]["code"].as_u64() == Some(2);
        let latency = (nanos(&span["endTimeUnixNano"]) - nanos(&span["startTimeUnixNano"])) / 1e6;
        // A span that reported no token counts at all has an unknown cost, not $0.
        let counted = a
            .keys()
            .any(|k| k.starts_with("gen_ai.usage.") || k.starts_with("llm.token_count."));
        let cost = price(
            response_model.as_deref().unwrap_or(&model),
            input,
            cached,
            output,
        )
        .or_else(|| price(&model, input, cached, output))
        .filter(|_| counted);
        e.add(&model, user.as_deref(), error, input, output, latency, cost);
    }
    e
}

fn expected_litellm() -> Expected {
    let mut e = Expected::default();
    for r in lines("litellm.jsonl") {
        let latency = (r["endTime"].as_f64().unwrap() - r["startTime"].as_f64().unwrap()) * 1000.0;
        e.add(
            r["model"].as_str().unwrap(),
            r["metadata"]["user_api_key_user_id"].as_str(),
            r["status"] == "failure",
            r["prompt_tokens"].as_u64().unwrap(),
            r["completion_tokens"].as_u64().unwrap(),
            latency,
            r["response_cost"].as_f64(),
        );
    }
    e
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-9) + 1e-9
}

/// The reported percentile must be within 1 % of the nearest-rank value or of a neighbour
/// (histograms and hand methods may pick adjacent ranks).
fn check_percentile(name: &str, got: &Value, sorted: &[f64], q: f64) {
    let got = got.as_f64().unwrap();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    let near = &sorted[rank.saturating_sub(2)..(rank + 1).min(sorted.len())];
    assert!(
        near.iter().any(|&v| close(got, v, 0.011)),
        "{name}: p{} = {got}, nearest ranks {near:?}",
        q * 100.0
    );
}

fn check(file: &str, e: &Expected) {
    let r = report(file);
    assert_eq!(r["calls"], e.calls, "{file}: calls");
    assert_eq!(r["errors"], e.errors, "{file}: errors");
    assert_eq!(r["input_tokens"], e.input, "{file}: input tokens");
    assert_eq!(r["output_tokens"], e.output, "{file}: output tokens");
    assert_eq!(r["unpriced_calls"], e.unpriced, "{file}: unpriced");
    assert!(
        close(r["cost_usd"].as_f64().unwrap(), e.cost, 1e-6),
        "{file}: cost {} vs {}",
        r["cost_usd"],
        e.cost
    );
    let rate = if e.calls == 0 {
        0.0
    } else {
        e.errors as f64 / e.calls as f64
    };
    assert!(
        close(r["error_rate"].as_f64().unwrap(), rate, 1e-5),
        "{file}: error rate"
    );
    for (key, groups) in [("by_model", &e.by_model), ("by_user", &e.by_user)] {
        let got = r[key].as_object().unwrap();
        assert_eq!(
            got.len(),
            groups.len(),
            "{file}: {key} keys {:?}",
            got.keys().collect::<Vec<_>>()
        );
        for (name, g) in groups {
            let o = &got[name];
            assert_eq!(o["calls"], g.calls, "{file}: {key}.{name}.calls");
            assert_eq!(o["errors"], g.errors, "{file}: {key}.{name}.errors");
            assert_eq!(
                o["input_tokens"], g.input,
                "{file}: {key}.{name}.input_tokens"
            );
            assert_eq!(
                o["output_tokens"], g.output,
                "{file}: {key}.{name}.output_tokens"
            );
        }
    }
    let mut lat = e.latencies.clone();
    lat.sort_by(f64::total_cmp);
    if let Some(max) = lat.last() {
        assert!(
            close(r["latency_ms"]["max"].as_f64().unwrap(), *max, 1e-4),
            "{file}: max latency"
        );
        for (k, q) in [("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)] {
            check_percentile(file, &r["latency_ms"][k], &lat, q);
        }
    }
    let src = &r["sources"][0];
    assert_eq!(src["kind"], "file");
    assert_eq!(
        src["rejected"].as_object().unwrap().len(),
        0,
        "{file}: rejected {}",
        src["rejected"]
    );
    assert_eq!(src["lines"], lines(file).len() as u64);
}

#[test]
fn litellm_report_matches_hand_totals() {
    let e = expected_litellm();
    assert_eq!(e.calls, 30);
    check("litellm.jsonl", &e);
}

#[test]
fn otel_genai_spans_report_matches_hand_totals() {
    let e = expected_otlp("otel_genai_spans.jsonl");
    assert_eq!(e.calls, 32);
    check("otel_genai_spans.jsonl", &e);
}

#[test]
fn otel_genai_legacy_spans_report_matches_hand_totals() {
    let e = expected_otlp("otel_genai_legacy_spans.jsonl");
    check("otel_genai_legacy_spans.jsonl", &e);
}

#[test]
fn openinference_report_matches_hand_totals() {
    let e = expected_otlp("openinference_spans.jsonl");
    assert_eq!(e.calls, 19);
    check("openinference_spans.jsonl", &e);
}

#[test]
fn log_and_metric_files_report_records_but_no_calls() {
    for (file, attachments, points) in [
        ("otel_genai_logs.jsonl", 30, None),
        ("otel_genai_legacy_logs.jsonl", 31, None),
        ("otel_genai_metrics.jsonl", 0, Some(())),
        ("otel_genai_legacy_metrics.jsonl", 0, Some(())),
    ] {
        let r = report(file);
        assert_eq!(r["calls"], 0, "{file}");
        assert_eq!(r["attachments"], attachments, "{file}");
        let raw_points: u64 = lines(file)
            .iter()
            .flat_map(|l| l["resourceMetrics"].as_array().cloned().unwrap_or_default())
            .flat_map(|rm| rm["scopeMetrics"].as_array().cloned().unwrap_or_default())
            .flat_map(|sm| sm["metrics"].as_array().cloned().unwrap_or_default())
            .map(|m| {
                [
                    "histogram",
                    "sum",
                    "gauge",
                    "exponentialHistogram",
                    "summary",
                ]
                .iter()
                .filter_map(|k| m[*k]["dataPoints"].as_array().map(Vec::len))
                .sum::<usize>() as u64
            })
            .sum();
        assert_eq!(r["metric_points"], raw_points, "{file}");
        assert_eq!(points.is_some(), raw_points > 0, "{file}");
    }
}

#[test]
fn spans_and_their_log_events_join_across_files() {
    let out = Command::cargo_bin("llmmon")
        .unwrap()
        .args([
            "report",
            "--json",
            &format!("{SAMPLES}/otel_genai_logs.jsonl"),
            &format!("{SAMPLES}/otel_genai_spans.jsonl"),
        ])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["calls"], 32);
    assert_eq!(r["attachments"], 30);
    assert_eq!(r["sources"].as_array().unwrap().len(), 2);
}
