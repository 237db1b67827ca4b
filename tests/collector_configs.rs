//! The OpenTelemetry Collector example configs in `docs/collector/`. No Collector binary can
//! run here, so these tests check from the YAML what would make a config wrong for llmmon:
//! pipelines naming undefined components, an exporter aimed at the wrong port or encoding,
//! a sampling policy set that could drop an error trace, a file llmmon cannot follow.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

/// llmmon's default OTLP/HTTP port, the one `llmmon watch otlp://0.0.0.0:4318` listens on.
const LLMMON_OTLP_HTTP_PORT: u16 = 4318;

fn load(name: &str) -> Value {
    let path = format!("{}/docs/collector/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A component id's type: `otlp_http/llmmon` -> `otlp_http`.
fn kind(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The port of `http://host:port/...`, `host:port`, or `${env:X}:port`.
fn port(endpoint: &str) -> u16 {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let authority = rest.split('/').next().unwrap();
    authority.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// Every pipeline names only defined components, has at least one receiver and exporter,
/// and every defined component is used somewhere.
fn check_pipelines(cfg: &Value, file: &str) {
    let pipelines = cfg["service"]["pipelines"].as_object().unwrap();
    assert!(!pipelines.is_empty(), "{file}: no pipelines");
    for section in ["receivers", "processors", "exporters"] {
        let defined = cfg[section].as_object().unwrap();
        let mut used = Vec::new();
        for (name, p) in pipelines {
            let signal = kind(name);
            assert!(
                ["traces", "logs", "metrics"].contains(&signal),
                "{file}: pipeline {name}"
            );
            let listed = names(&p[section]);
            if section != "processors" {
                assert!(
                    !listed.is_empty(),
                    "{file}: pipeline {name} has no {section}"
                );
            }
            for id in listed {
                assert!(
                    defined.contains_key(id),
                    "{file}: pipeline {name} uses {section} {id}, which is not defined"
                );
                used.push(id);
            }
        }
        for id in defined.keys() {
            assert!(
                used.contains(&id.as_str()),
                "{file}: {section} {id} is defined but no pipeline uses it"
            );
        }
    }
    for (name, p) in pipelines {
        let procs = names(&p["processors"]);
        if procs.contains(&"memory_limiter") {
            assert_eq!(
                procs[0], "memory_limiter",
                "{file}: {name}: memory_limiter must come first"
            );
        }
        if let (Some(t), Some(b)) = (
            procs.iter().position(|&p| p == "tail_sampling"),
            procs.iter().position(|&p| p == "batch"),
        ) {
            assert!(
                t < b,
                "{file}: {name}: tail_sampling must come before batch"
            );
        }
        if procs.contains(&"tail_sampling") {
            assert_eq!(kind(name), "traces", "{file}: tail_sampling outside traces");
        }
    }
}

/// The pipelines (by name) that send to `exporter`.
fn pipelines_to<'a>(cfg: &'a Value, exporter: &str) -> Vec<&'a str> {
    cfg["service"]["pipelines"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, p)| names(&p["exporters"]).contains(&exporter))
        .map(|(n, _)| kind(n))
        .collect()
}

#[test]
fn gateway_forwards_gzip_otlp_http_to_llmmon_with_the_token() {
    let file = "gateway-otlphttp.yaml";
    let cfg = load(file);
    check_pipelines(&cfg, file);

    let otlp = &cfg["receivers"]["otlp"]["protocols"];
    assert_eq!(otlp["grpc"]["endpoint"], "0.0.0.0:4317");
    assert_eq!(otlp["http"]["endpoint"], "0.0.0.0:4318");

    let exporters = cfg["exporters"].as_object().unwrap();
    let (id, ex) = exporters
        .iter()
        .find(|(id, _)| matches!(kind(id), "otlp_http" | "otlphttp"))
        .expect("an OTLP/HTTP exporter");
    let endpoint = ex["endpoint"].as_str().unwrap();
    assert!(endpoint.starts_with("http://"), "{endpoint}");
    assert_eq!(port(endpoint), LLMMON_OTLP_HTTP_PORT, "{endpoint}");
    assert_eq!(ex["compression"], "gzip");
    assert_eq!(
        ex["headers"]["Authorization"], "Bearer ${env:LLMMON_OTLP_TOKEN}",
        "the token comes from the environment, never from the file"
    );
    assert_eq!(ex["retry_on_failure"]["enabled"], true);
    assert_eq!(ex["sending_queue"]["enabled"], true);
    let mut signals = pipelines_to(&cfg, id);
    signals.sort_unstable();
    assert_eq!(signals, ["logs", "metrics", "traces"]);
}

#[test]
fn gateway_sampling_keeps_every_error_and_every_flagged_trace() {
    let cfg = load("gateway-otlphttp.yaml");
    let traces = &cfg["service"]["pipelines"]["traces"];
    assert!(names(&traces["processors"]).contains(&"tail_sampling"));
    let policies = cfg["processors"]["tail_sampling"]["policies"]
        .as_array()
        .unwrap();
    // A trace is kept when any policy samples it, unless a drop policy or an inverted match
    // vetoes it. With neither present, one keep-errors policy keeps every error trace.
    for p in policies {
        let t = p["type"].as_str().unwrap();
        assert!(
            !matches!(t, "drop" | "and" | "composite" | "rate_limiting"),
            "policy {} ({t}) could drop or limit an error trace",
            p["name"]
        );
        assert_ne!(
            p[t]["invert_match"], true,
            "policy {} inverts its match, which can veto a sample",
            p["name"]
        );
    }
    let errors = policies
        .iter()
        .filter(|p| p["type"] == "status_code")
        .flat_map(|p| names(&p["status_code"]["status_codes"]))
        .collect::<Vec<_>>();
    assert!(errors.contains(&"ERROR"), "no status_code ERROR policy");
    let flagged = policies.iter().any(|p| {
        matches!(
            p["type"].as_str(),
            Some("boolean_attribute" | "string_attribute")
        )
    });
    assert!(flagged, "no attribute policy for flagged calls");
    let share = policies
        .iter()
        .filter(|p| p["type"] == "probabilistic")
        .map(|p| p["probabilistic"]["sampling_percentage"].as_f64().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(share.len(), 1, "one probabilistic policy for the rest");
    assert!(share[0] > 0.0 && share[0] <= 100.0);
}

#[test]
fn agent_writes_json_lines_llmmon_can_follow() {
    let file = "agent-file.yaml";
    let cfg = load(file);
    check_pipelines(&cfg, file);

    let exporters = cfg["exporters"].as_object().unwrap();
    let (id, ex) = exporters
        .iter()
        .find(|(id, _)| kind(id) == "file")
        .expect("a file exporter");
    let path = ex["path"].as_str().unwrap();
    assert!(path.ends_with(".jsonl"), "{path}");
    assert!(
        path.starts_with('/'),
        "{path}: absolute, as `llmmon watch` names it"
    );
    // proto, or any compression, writes length-prefixed records instead of lines.
    assert!(matches!(ex["format"].as_str(), None | Some("json")));
    assert!(
        ex["compression"].is_null(),
        "compressed output is not JSON lines"
    );
    let rotation = ex["rotation"].as_object().expect("rotation");
    assert!(rotation["max_megabytes"].as_u64().unwrap() > 0);
    let mut signals = pipelines_to(&cfg, id);
    signals.sort_unstable();
    assert_eq!(signals, ["logs", "metrics", "traces"]);
    // An agent listens on loopback only.
    for proto in ["grpc", "http"] {
        let ep = cfg["receivers"]["otlp"]["protocols"][proto]["endpoint"]
            .as_str()
            .unwrap();
        assert!(ep.starts_with("127.0.0.1:"), "{proto}: {ep}");
    }
}

#[test]
fn endpoint_ports_parse() {
    assert_eq!(port("http://${env:LLMMON_HOST}:4318"), 4318);
    assert_eq!(port("https://monitor.internal:4318/"), 4318);
    assert_eq!(port("0.0.0.0:4317"), 4317);
}
