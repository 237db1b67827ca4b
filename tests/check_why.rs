//! "Why" from the real binary on the demo's scripted incident (`llmmon gen` writes the log,
//! `check` replays it with the default rules): each fired alert carries the values that
//! stand out in its bad calls, and they name what the script made go wrong — gpt-4o for
//! the latency spike, mallory for the injections, the leaking user for the PII, anthropic
//! for the 429s. The text output has one `why:` line per fired alert and the incident
//! report a Why section.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> String {
    std::env::var("LLMMON_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_llmmon").to_string())
}

const START: &str = "2026-11-26T10:00:00Z";

/// The incident scenario as a file, and an empty config next to it (defaults on).
fn incident(dir: &Path, seed: u32) -> (PathBuf, PathBuf) {
    let out = Command::new(bin())
        .args(["gen", "--scenario", "incident", "--start", START])
        .args(["--records", "4000", "--seed", &seed.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = dir.join(format!("incident-{seed}.jsonl"));
    std::fs::write(&log, out.stdout).unwrap();
    let cfg = dir.join("empty.toml");
    std::fs::write(&cfg, "").unwrap();
    (log, cfg)
}

fn check(cfg: &Path, log: &Path, json: bool) -> std::process::Output {
    let mut cmd = Command::new(bin());
    cmd.arg("--config").arg(cfg).arg("check").arg(log);
    if json {
        cmd.arg("--json");
    }
    cmd.output().unwrap()
}

/// `dimension=value` of each why item of the first firing of `rule`.
fn why_of(fired: &[Value], rule: &str) -> (Value, Vec<String>) {
    let t = fired
        .iter()
        .find(|t| t["rule"] == rule)
        .unwrap_or_else(|| panic!("{rule} did not fire"));
    let why = t["why"].clone();
    let items = why["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{rule} has no why: {t}"))
        .iter()
        .map(|i| {
            format!(
                "{}={}",
                i["dimension"].as_str().unwrap(),
                i["value"].as_str().unwrap()
            )
        })
        .collect();
    (why, items)
}

#[test]
fn check_json_names_the_cause_of_each_scripted_incident() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [7, 3] {
        let (log, cfg) = incident(dir.path(), seed);
        let out = check(&cfg, &log, true);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let fired = v["fired"].as_array().unwrap();
        assert!(fired
            .iter()
            .all(|t| t["why"]["items"].as_array().unwrap().len() <= 3));

        let (why, items) = why_of(fired, "slow model (p95 latency) · model=gpt-4o");
        assert_eq!(items[0], "model=gpt-4o", "seed {seed}: {why}");
        let top = &why["items"][0];
        assert_eq!(top["bad_share"], 1.0, "{why}");
        assert!(top["rest_share"].as_f64().unwrap() < 0.5, "{why}");
        assert!(top["lift"].as_f64().unwrap() > 2.0, "{why}");
        assert_eq!(top["bad_of"], why["bad"]);

        let (why, items) = why_of(fired, "prompt injection attempts · user=mallory");
        assert_eq!(items[0], "user=mallory", "seed {seed}: {why}");
        let (why, items) = why_of(fired, "PII in traffic");
        assert_eq!(
            items[0], "user=priya",
            "seed {seed}: the contact leak (scenario.rs): {why}"
        );
        let (why, items) = why_of(fired, "secret in traffic");
        assert_eq!(
            items[0], "user=kenji",
            "seed {seed}: the printed key: {why}"
        );

        let (why, items) = why_of(fired, "provider errors · provider=anthropic");
        assert_eq!(items[0], "provider=anthropic", "seed {seed}: {why}");
        assert!(
            items.contains(&"error=RateLimitError".to_string()),
            "seed {seed}: {why}"
        );
        let rate = &why["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["value"] == "RateLimitError")
            .unwrap()["lift"];
        assert!(rate.as_f64().unwrap() > 10.0, "{why}");
    }
}

#[test]
fn check_text_prints_a_why_line_under_each_fired_alert() {
    let dir = tempfile::tempdir().unwrap();
    let (log, cfg) = incident(dir.path(), 7);
    let out = check(&cfg, &log, false);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let firing: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains(" FIRING "))
        .collect();
    assert!(firing.len() >= 6, "{text}");
    for i in firing {
        assert!(
            lines[i + 1].starts_with("  why: "),
            "no why under {}:\n{text}",
            lines[i]
        );
    }
    let slow = lines.iter().position(|l| l.contains("slow model")).unwrap();
    let why = lines[slow + 1];
    assert!(
        why.starts_with("  why: model=gpt-4o 100% of bad vs ") && why.contains("rest (lift "),
        "{why}"
    );
}

#[test]
fn the_incident_report_has_a_why_section() {
    let dir = tempfile::tempdir().unwrap();
    let (log, cfg) = incident(dir.path(), 7);
    let report = dir.path().join("incident.md");
    let out = Command::new(bin())
        .arg("--config")
        .arg(&cfg)
        .args(["export", "-q", "--incident-report"])
        .arg(&report)
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(&report).unwrap();
    let why = &md[md
        .find("## Why\n")
        .unwrap_or_else(|| panic!("no Why section:\n{md}"))..];
    assert!(
        why.contains(" prompt injection attempts · user=mallory\n"),
        "{why}"
    );
    assert!(why.contains("| user=mallory | 100% ("), "{why}");
    assert!(why.contains("| model=gpt-4o | 100% ("), "{why}");
}
