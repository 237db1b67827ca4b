//! The built-in alert rules, with no configuration at all, on the demo's scripted incidents
//! and on steady traffic, in event time (`llmmon gen` writes a log, `check` replays it: no
//! wall clock anywhere). Each default must fire within 10 s of its incident's onset, scoped
//! to the model, user or provider at fault, and none may fire on steady traffic.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn bin() -> String {
    std::env::var("LLMMON_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_llmmon").to_string())
}

/// The scenario's start, the event time every incident onset is counted from.
const START: &str = "2026-11-26T10:00:00Z";

fn gen(dir: &Path, scenario: &str, records: u32, seed: u32) -> std::path::PathBuf {
    let path = dir.join(format!("{scenario}-{seed}.jsonl"));
    let out = Command::new(bin())
        .args(["gen", "--scenario", scenario, "--start", START])
        .args([
            "--records",
            &records.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&path, out.stdout).unwrap();
    path
}

/// What `llmmon --config CFG check --json LOG` printed.
fn check_json(cfg: &Path, log: &Path) -> Value {
    let out = Command::new(bin())
        .arg("--config")
        .arg(cfg)
        .args(["check", "--json"])
        .arg(log)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `check --json` with an empty config (defaults on), from a directory with no config.
fn fired(log: &Path) -> Vec<(String, f64)> {
    let dir = log.parent().unwrap();
    let cfg = dir.join("empty.toml");
    std::fs::write(&cfg, "").unwrap();
    let v = check_json(&cfg, log);
    let start = timestamp(START);
    v["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let at = timestamp(t["at"].as_str().unwrap());
            let secs = (at.as_millisecond() - start.as_millisecond()) as f64 / 1000.0;
            (t["rule"].as_str().unwrap().to_string(), secs)
        })
        .collect()
}

fn timestamp(s: &str) -> jiff::Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn each_default_fires_within_ten_seconds_of_its_incident_with_its_scope() {
    let dir = tempfile::tempdir().unwrap();
    // The incident timeline (src/demo/scenario.rs): onset in seconds after the start.
    let want = [
        ("slow model (p95 latency) · model=gpt-4o", 20.0),
        ("prompt injection attempts · user=mallory", 35.0),
        ("PII in traffic", 50.0),
        ("cost runaway · user=bob-batch", 80.0),
        ("secret in traffic", 88.0),
        ("provider errors · provider=anthropic", 95.0),
    ];
    for seed in [7, 3] {
        let got = fired(&gen(dir.path(), "incident", 4000, seed));
        for (rule, onset) in want {
            let first = got.iter().find(|(r, _)| r == rule).map(|(_, at)| *at);
            let at = first.unwrap_or_else(|| panic!("seed {seed}: {rule} never fired: {got:?}"));
            assert!(
                at >= onset && at <= onset + 10.0,
                "seed {seed}: {rule} fired at {at}s, onset {onset}s"
            );
        }
        let stray: Vec<_> = got
            .iter()
            .filter(|(r, _)| !want.iter().any(|(w, _)| w == r) && !r.starts_with("budget."))
            .collect();
        assert!(stray.is_empty(), "seed {seed}: unexpected alerts {stray:?}");
    }
}

#[test]
fn defaults_stay_silent_on_ten_minutes_of_steady_traffic() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [7, 3, 11] {
        // About 22 calls per second of event time: 20,000 records cover over ten minutes.
        let log = gen(dir.path(), "steady", 20_000, seed);
        let text = std::fs::read_to_string(&log).unwrap();
        let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        let end = last["end"].as_str().or(last["ts"].as_str()).unwrap();
        let span = timestamp(end).as_second() - timestamp(START).as_second();
        assert!(span >= 600, "the log covers only {span} s");
        let got = fired(&log);
        assert!(got.is_empty(), "seed {seed}: {got:?}");
    }
}

/// `drift.share` and `rephrase_rate` are fed by the drift engine: through the binary, on the
/// demo incident, a drift rule and a rephrase rule fire, and neither fires on steady traffic
/// at the same thresholds. A filter on a drift rule is refused with its line.
#[test]
fn drift_and_rephrase_rules_fire_through_check() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("drift.toml");
    std::fs::write(
        &cfg,
        r#"[alerting]
default_rules = false
[[alerts]]
name = "drift"
metric = "drift.share"
window = "5m"
warn = "60%"
no_data = "keep"
[[alerts]]
name = "rephrases"
metric = "rephrase_rate"
window = "5m"
warn = "20%"
"#,
    )
    .unwrap();
    let run = |log: &Path| -> Vec<String> {
        let v = check_json(&cfg, log);
        let rules = v["rules"].as_array().unwrap();
        assert!(
            rules.iter().all(|r| r["value"].is_number()),
            "every rule has a value: {rules:?}"
        );
        v["fired"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let incident = run(&gen(dir.path(), "incident", 20_000, 7));
    assert!(incident.iter().any(|r| r == "drift"), "{incident:?}");
    assert!(incident.iter().any(|r| r == "rephrases"), "{incident:?}");
    let steady = run(&gen(dir.path(), "steady", 20_000, 7));
    assert!(steady.is_empty(), "{steady:?}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[alerts]]\nname = \"d\"\nmetric = \"drift.share\"\nwarn = 0.5\nfilter = \"model:x\"\n",
    )
    .unwrap();
    let out = Command::new(bin())
        .arg("--config")
        .arg(&bad)
        .args(["check", "--json"])
        .arg(dir.path().join("steady-7.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:5:") && err.contains("no filter or group_by"),
        "{err}"
    );
}
