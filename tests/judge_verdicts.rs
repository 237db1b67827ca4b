//! LLM judge verdicts through the binary: a log of calls (most with retrieved context) and
//! the verdicts a judge wrote about them as feedback records, some before their call and
//! most a few calls after it. `report --json` prints the means per criterion and per model
//! and the hallucination rate under `quality.judge` while people's feedback counts stay
//! theirs; `check` fires a `judge.hallucination_rate` rule grouped by model.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> String {
    std::env::var("LLMMON_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_llmmon").to_string())
}

/// 2026-11-26T10:00:00Z.
const BASE: i64 = 1_795_687_200;

/// Seconds of traffic, one call a second.
const SECONDS: i64 = 300;

fn model(s: i64) -> &'static str {
    if s % 2 == 0 {
        "gpt-4o"
    } else {
        "gpt-4o-mini"
    }
}

/// Calls with retrieved context get a groundedness verdict; every fourth has none.
fn has_context(s: i64) -> bool {
    s % 4 != 3
}

/// The groundedness the judge gives call `s`: gpt-4o answers from 100 s to 200 s cite
/// what the context does not say.
fn groundedness(s: i64) -> f64 {
    if model(s) == "gpt-4o" && (100..200).contains(&s) {
        0.1
    } else {
        0.9
    }
}

/// Every third call is also judged for helpfulness.
fn helpfulness(s: i64) -> Option<f64> {
    (s % 3 == 0).then_some(if s % 2 == 0 { 0.8 } else { 0.6 })
}

fn call_line(s: i64) -> String {
    let context = if has_context(s) {
        r#","context":["Refunds are accepted within 30 days of purchase."]"#
    } else {
        ""
    };
    format!(
        r#"{{"type":"call","id":"c{s}","ts":{},"model":"{}","latency_ms":800,"conversation_id":"s{}","user":"u{}","messages":[{{"role":"user","content":"What is the refund window?"}}],"output":"Refunds are accepted within 30 days."{context}}}"#,
        BASE + s,
        model(s),
        s % 10,
        s % 7
    )
}

fn verdict_lines(s: i64) -> String {
    let mut out = String::new();
    let mut one = |criterion: &str, score: f64| {
        let _ = writeln!(
            out,
            r#"{{"type":"feedback","call_id":"c{s}","ts":{},"kind":"score","value":{score},"name":"judge.{criterion}","judge":"gpt-4o-mini","comment":"{criterion} {score}"}}"#,
            BASE + s
        );
    };
    if has_context(s) {
        one("groundedness", groundedness(s));
    }
    if let Some(h) = helpfulness(s) {
        one("helpfulness", h);
    }
    out
}

/// The log: each call's verdicts three calls after it (every tenth call's before it), three
/// people's thumbs, and one verdict outside 0..=1 that must be refused.
fn write_log(dir: &Path) -> PathBuf {
    let mut text = String::new();
    for s in 0..SECONDS {
        if s % 10 == 0 {
            text.push_str(&verdict_lines(s));
        }
        text.push_str(&call_line(s));
        text.push('\n');
        if s >= 3 && (s - 3) % 10 != 0 {
            text.push_str(&verdict_lines(s - 3));
        }
        if s == 50 {
            for (id, kind) in [(5, "thumbs_down"), (6, "thumbs_up"), (7, "thumbs_up")] {
                let _ = writeln!(
                    text,
                    r#"{{"type":"feedback","call_id":"c{id}","ts":{},"kind":"{kind}","user":"u1"}}"#,
                    BASE + s
                );
            }
        }
    }
    for s in SECONDS - 3..SECONDS {
        text.push_str(&verdict_lines(s));
    }
    let _ = writeln!(
        text,
        r#"{{"type":"feedback","call_id":"c1","ts":{},"kind":"score","value":7,"name":"judge.groundedness","judge":"gpt-4o-mini"}}"#,
        BASE + 1
    );
    let path = dir.join("judged.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// Mean and count of `score` over the calls it is given for, optionally of one model.
fn expected(score: impl Fn(i64) -> Option<f64>, of: Option<&str>) -> (f64, u64) {
    let v: Vec<f64> = (0..SECONDS)
        .filter(|s| of.is_none_or(|m| model(*s) == m))
        .filter_map(score)
        .collect();
    (v.iter().sum::<f64>() / v.len() as f64, v.len() as u64)
}

fn grounded(s: i64) -> Option<f64> {
    has_context(s).then(|| groundedness(s))
}

fn assert_summary(v: &Value, (mean, count): (f64, u64)) {
    assert!(
        (v["mean"].as_f64().unwrap() - mean).abs() < 1e-6,
        "{v} vs {mean}"
    );
    assert_eq!(v["count"], count, "{v}");
}

#[test]
fn report_json_prints_judge_means_per_criterion_and_model_and_the_hallucination_rate() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let out = Command::new(bin())
        .args(["report", "--json"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let j = &v["quality"]["judge"];
    assert_summary(&j["criteria"]["groundedness"], expected(grounded, None));
    assert_summary(&j["criteria"]["helpfulness"], expected(helpfulness, None));
    for m in ["gpt-4o", "gpt-4o-mini"] {
        assert_summary(
            &j["by_model"][m]["groundedness"],
            expected(grounded, Some(m)),
        );
        assert_summary(
            &j["by_model"][m]["helpfulness"],
            expected(helpfulness, Some(m)),
        );
    }
    let judged = (0..SECONDS).filter(|s| has_context(*s)).count() as u64;
    let below = (0..SECONDS)
        .filter(|s| has_context(*s) && groundedness(*s) < 0.5)
        .count() as u64;
    assert_eq!(below, 50, "every gpt-4o answer from 100 s to 200 s");
    assert_eq!(j["hallucination"]["judged"], judged);
    assert_eq!(j["hallucination"]["below"], below);
    assert_eq!(j["hallucination"]["threshold"], 0.5);
    let rate = j["hallucination_rate"].as_f64().unwrap();
    assert!((rate - below as f64 / judged as f64).abs() < 1e-6, "{rate}");
    // People's feedback is theirs alone: three thumbs, not the verdicts.
    let helpful = (0..SECONDS).filter_map(helpfulness).count() as u64;
    assert_eq!(v["feedback"], 3);
    assert_eq!(v["verdicts"], judged + helpful);
    assert_eq!(v["calls"], SECONDS);
    assert_eq!(v["sources"][0]["rejected"]["out_of_range"], 1);

    let text = Command::new(bin())
        .arg("report")
        .arg(&log)
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "hallucination rate {:.1}% ({below} of {judged} groundedness verdicts below 0.5)",
            rate * 100.0
        )),
        "{text}"
    );
    assert!(text.contains("feedback 3   judge verdicts"), "{text}");
}

const RULES: &str = r#"
[alerting]
default_rules = false

[[alerts]]
name = "hallucinating"
metric = "judge.hallucination_rate"
window = "1m"
every = "10s"
warn = "20%"
crit = "50%"
group_by = "model"

[[alerts]]
name = "mini ungrounded"
metric = "judge.groundedness.mean"
window = "1m"
every = "10s"
warn = 0.5
filter = "model:gpt-4o-mini"

[[alerts]]
name = "unhappy people"
metric = "feedback.negative_rate"
window = "5m"
warn = "50%"
"#;

#[test]
fn check_fires_the_hallucination_rate_of_the_model_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let cfg = dir.path().join("llmmon.toml");
    std::fs::write(&cfg, RULES).unwrap();
    let out = Command::new(bin())
        .env("LLMMON_ANNOTATIONS", "/nonexistent/ann.jsonl")
        .arg("--config")
        .arg(&cfg)
        .args(["check", "--json"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fired = v["fired"].as_array().unwrap();
    let rules: Vec<&str> = fired.iter().map(|t| t["rule"].as_str().unwrap()).collect();
    assert!(
        rules.iter().all(|r| *r == "hallucinating · model=gpt-4o"),
        "{rules:?}"
    );
    let crit = fired.iter().find(|t| t["level"] == "crit").unwrap();
    assert_eq!(crit["metric"], "judge.hallucination_rate");
    assert!(crit["value"].as_f64().unwrap() >= 0.5, "{crit}");
    let at: jiff::Timestamp = crit["at"].as_str().unwrap().parse().unwrap();
    let secs = at.as_second() - BASE;
    assert!((100..=170).contains(&secs), "fired {secs} s in");
}

#[test]
fn judge_hallucination_below_sets_the_line_and_a_score_outside_0_to_1_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let report = |toml: &str| {
        let cfg = dir.path().join("llmmon.toml");
        std::fs::write(&cfg, toml).unwrap();
        Command::new(bin())
            .args(["report", "--json", "--config"])
            .arg(&cfg)
            .arg(&log)
            .output()
            .unwrap()
    };
    let out = report("[judge]\nhallucination_below = 0.05\n");
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = &v["quality"]["judge"]["hallucination"];
    assert_eq!(h["threshold"], 0.05, "{h}");
    assert_eq!(h["below"], 0, "0.1 is above a 0.05 line: {h}");
    assert_eq!(v["quality"]["judge"]["hallucination_rate"], 0.0);

    let out = report("[judge]\nhallucination_below = 1.5\n");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("judge.hallucination_below") && err.contains("0..1"),
        "{err}"
    );
}
