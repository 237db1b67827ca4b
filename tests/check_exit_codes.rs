#![allow(clippy::unwrap_used)]
//! `llmmon check` exits 0, 1, 2 and 3 on four crafted inputs and prints the rules that fired.

use assert_cmd::Command;
use predicates::prelude::*;
use std::io::Write;

const BASE: i64 = 1_795_687_200;

const RULES: &str = r#"
[alerting]
default_rules = false

[[alerts]]
name = "p95 latency"
metric = "latency.p95"
window = "1m"
every = "10s"
warn = "1s"
crit = "3s"

[budgets]
daily = 1000.0
"#;

/// 300 s of one call per second; `slow(s)` gives the latency of second `s`.
fn log(dir: &tempfile::TempDir, name: &str, slow: impl Fn(i64) -> i64) -> String {
    let p = dir.path().join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    for s in 0..300 {
        writeln!(
            f,
            r#"{{"type":"call","id":"c{s}","ts":{},"model":"gpt-4o","latency_ms":{},"cost_usd":0.01}}"#,
            BASE + s,
            slow(s)
        )
        .unwrap();
    }
    p.display().to_string()
}

fn setup() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("llmmon.toml");
    std::fs::write(&cfg, RULES).unwrap();
    let cfg = cfg.display().to_string();
    (dir, cfg)
}

fn check(cfg: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("llmmon")
        .unwrap()
        .env("LLMMON_ANNOTATIONS", "/nonexistent/ann.jsonl")
        .arg("check")
        .arg("--config")
        .arg(cfg)
        .args(args)
        .assert()
}

#[test]
fn healthy_traffic_exits_0() {
    let (dir, cfg) = setup();
    let f = log(&dir, "ok.jsonl", |_| 100);
    check(&cfg, &[&f]).code(0).stdout(predicate::str::contains(
        "OK: 0 alert(s) fired over 300 calls",
    ));
}

#[test]
fn a_warning_exits_1_and_prints_the_rule() {
    let (dir, cfg) = setup();
    let f = log(&dir, "warn.jsonl", |s| {
        if (100..160).contains(&s) {
            2000
        } else {
            100
        }
    });
    check(&cfg, &[&f]).code(1).stdout(
        predicate::str::contains("2026-11-26T10:01:50.000Z  FIRING warn p95 latency")
            .and(predicate::str::contains("latency.p95=2.00s vs 1.00s")),
    );
}

#[test]
fn a_critical_exits_2_with_json() {
    let (dir, cfg) = setup();
    let f = log(&dir, "crit.jsonl", |s| match s {
        100..=159 => 2000,
        160..=219 => 5000,
        _ => 100,
    });
    let out = check(&cfg, &[&f, "--json"])
        .code(2)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["result"], "crit");
    assert_eq!(v["exit_code"], 2);
    let fired = v["fired"].as_array().unwrap();
    assert_eq!(fired.len(), 2);
    assert_eq!(fired[0]["level"], "warn");
    assert_eq!(fired[0]["at"], "2026-11-26T10:01:50.000Z");
    assert_eq!(fired[1]["level"], "crit");
    // Percentiles come from HDR histograms: within 1 % of the true value.
    assert!((fired[1]["value"].as_f64().unwrap() - 5000.0).abs() <= 50.0);
    assert_eq!(fired[1]["threshold"], 3000.0);
    assert_eq!(v["budgets"][0]["name"], "daily");
}

#[test]
fn input_and_usage_errors_exit_3() {
    let (dir, cfg) = setup();
    check(&cfg, &["/no/such/file.jsonl"])
        .code(3)
        .stderr(predicate::str::contains("cannot read /no/such/file.jsonl"));
    check(&cfg, &[]).code(3);
    check(&cfg, &["--bogus-flag", "x"]).code(3);
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[alerts]]\nname = \"a\"\nmetric = \"nope\"\nwarn = 1\n",
    )
    .unwrap();
    let f = log(&dir, "ok.jsonl", |_| 100);
    check(&bad.display().to_string(), &[&f])
        .code(3)
        .stderr(predicate::str::contains("bad.toml:3:"));
    check(&cfg, &[&f, "--baseline", "/no/such/baseline.json"]).code(3);
}
