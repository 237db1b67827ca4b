//! The LLM judge against a fake OpenAI-compatible Chat Completions server on 127.0.0.1,
//! driven through the real binary: what is sent (model, messages, the retrieved context for
//! groundedness, the key from the environment), sampling, the hourly spend cap under a
//! server that reports huge usage, malformed and out-of-range verdicts (counted, retried
//! once, never guessed), 429 with Retry-After, an endpoint that is down, and the verdicts
//! coming back as feedback records in `report --json`.
#![allow(clippy::unwrap_used)]

mod judge_support;

use judge_support::{call, config, write_log, Behaviour, Req, Server, KEY_VAR};
use serde_json::Value;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn bin() -> String {
    std::env::var("LLMMON_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_llmmon").into())
}

fn run(cfg: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env(KEY_VAR, "sk-test-123")
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn judge_sends_the_context_writes_verdicts_and_report_reads_them_back() {
    let server = Server::start(Behaviour { prompt_tokens: 300 });
    let dir = tempfile::tempdir().unwrap();
    let ctx = "Refunds are accepted within 14 days of delivery.";
    let log = write_log(
        dir.path(),
        &[
            call(0, "Within 14 days of delivery.", Some(ctx)),
            call(1, "It is invented: 90 days, no questions asked.", Some(ctx)),
            call(2, "Our policy allows returns. MALFORMED_ONCE", None),
            call(3, "Sure. ALWAYS_OUT_OF_RANGE", None),
            call(4, "", Some(ctx)),
        ],
    );
    let cfg = config(dir.path(), server.port, &[]);
    let verdicts = dir.path().join("verdicts.jsonl");
    let out = run(
        &cfg,
        &[
            "judge",
            log.to_str().unwrap(),
            "--out",
            verdicts.to_str().unwrap(),
            "--json",
        ],
    );
    let v = json_of(&out);
    let reqs = server.requests();
    // Two calls with context get two criteria, two without get helpfulness only; one
    // malformed answer is retried once, the out-of-range one twice in all.
    assert_eq!(reqs.len(), 4 + 2 + 1 + 1, "{reqs:#?}");
    for r in &reqs {
        assert_eq!(r.path, "/v1/chat/completions");
        assert_eq!(r.auth.as_deref(), Some("Bearer sk-test-123"));
        assert_eq!(r.body["model"], "gpt-4o-mini");
        assert_eq!(r.body["messages"][0]["role"], "system");
        assert!(r.body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("\"score\""));
    }
    let grounded: Vec<&Req> = reqs
        .iter()
        .filter(|r| r.user().contains("GROUNDEDNESS"))
        .collect();
    assert_eq!(grounded.len(), 2);
    assert!(grounded.iter().all(|r| r.user().contains(ctx)));
    let counts = &v["run"];
    assert_eq!(counts["judged"], 5, "{v:#}");
    assert_eq!(counts["malformed"], 3, "{v:#}");
    assert_eq!(counts["failed"], 1, "{v:#}");
    assert_eq!(counts["sampled"], 4);
    assert_eq!(
        counts["no_output"], 1,
        "a call with no answer is counted, not sent: {v:#}"
    );
    assert_eq!(
        counts["calls_done"], 4,
        "a given-up verdict still finishes its call"
    );
    assert!(counts["spend_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(out.status.code(), Some(1), "a verdict was given up");

    // The verdicts file holds feedback records stamped with their call's time.
    let lines: Vec<Value> = std::fs::read_to_string(&verdicts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    let low = lines
        .iter()
        .find(|l| l["call_id"] == "call-1" && l["name"] == "judge.groundedness")
        .unwrap();
    assert_eq!(low["type"], "feedback");
    assert_eq!(low["kind"], "score");
    assert_eq!(low["value"], 0.1);
    assert_eq!(low["judge"], "gpt-4o-mini");
    assert!(low["comment"].as_str().unwrap().contains("90-day"));
    assert_eq!(low["time"], "2026-11-26T10:00:01.800Z");
    assert!(
        !lines.iter().any(|l| l["call_id"] == "call-3"),
        "an out-of-range verdict is refused, never kept"
    );

    // Read back beside the log without a judge, the verdicts are scores of their calls.
    let plain = dir.path().join("plain.toml");
    std::fs::write(&plain, "").unwrap();
    let out = run(
        &plain,
        &[
            "report",
            log.to_str().unwrap(),
            verdicts.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    assert_eq!(v["records"], 10, "five calls and five verdicts: {v:#}");
}

#[test]
fn sampling_judges_the_share_the_call_ids_choose() {
    let server = Server::start(Behaviour { prompt_tokens: 300 });
    let dir = tempfile::tempdir().unwrap();
    let calls: Vec<Value> = (0..120).map(|i| call(i, "Within 14 days.", None)).collect();
    let log = write_log(dir.path(), &calls);
    let cfg = config(dir.path(), server.port, &[]);
    let out = run(
        &cfg,
        &["judge", log.to_str().unwrap(), "--sample", "0.25", "--json"],
    );
    let v = json_of(&out);
    let expected: Vec<String> = (0..120)
        .map(|i| format!("call-{i}"))
        .filter(|id| llmmon::judge::sampled(id, 0.25))
        .collect();
    assert!((15..=45).contains(&expected.len()), "{}", expected.len());
    assert_eq!(v["run"]["sampled"], expected.len(), "{v:#}");
    assert_eq!(v["run"]["seen"], 120);
    let judged: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| {
            let u = r.user();
            let i = u.find("(question ")? + "(question ".len();
            let n: usize = u[i..].split(')').next()?.parse().ok()?;
            Some(format!("call-{n}"))
        })
        .collect();
    let mut judged_sorted = judged.clone();
    judged_sorted.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(
        judged_sorted, expected_sorted,
        "the same calls, on every run"
    );
}

#[test]
fn a_log_is_judged_whole_even_through_a_tiny_queue() {
    let server = Server::start(Behaviour { prompt_tokens: 300 });
    let dir = tempfile::tempdir().unwrap();
    let calls: Vec<Value> = (0..400).map(|i| call(i, "Within 14 days.", None)).collect();
    let log = write_log(dir.path(), &calls);
    let cfg = config(
        dir.path(),
        server.port,
        &[("queue", "2"), ("concurrency", "1"), ("timeout", "\"30s\"")],
    );
    let verdicts = dir.path().join("verdicts.jsonl");
    let out = run(
        &cfg,
        &[
            "judge",
            log.to_str().unwrap(),
            "--out",
            verdicts.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["run"]["sampled"], 400, "{v:#}");
    assert_eq!(v["run"]["dropped"], 0, "{v:#}");
    assert_eq!(v["run"]["judged"], 400, "{v:#}");
    assert_eq!(v["run"]["calls_done"], 400, "{v:#}");
    assert_eq!(server.requests().len(), 400);
    let lines = std::fs::read_to_string(&verdicts).unwrap().lines().count();
    assert_eq!(lines, 400);
}

#[test]
fn the_spend_cap_holds_when_the_server_reports_huge_usage() {
    // 2,000,000 prompt tokens at gpt-4o-mini's $0.15 per million: $0.30 a request.
    let server = Server::start(Behaviour {
        prompt_tokens: 2_000_000,
    });
    let dir = tempfile::tempdir().unwrap();
    let calls: Vec<Value> = (0..40).map(|i| call(i, "Within 14 days.", None)).collect();
    let log = write_log(dir.path(), &calls);
    let cfg = config(
        dir.path(),
        server.port,
        &[("max_cost_per_hour", "1.0"), ("concurrency", "4")],
    );
    let out = run(&cfg, &["judge", log.to_str().unwrap(), "--json"]);
    let v = json_of(&out);
    let spend = v["run"]["spend_usd"].as_f64().unwrap();
    assert!(spend <= 1.0 + 1e-9, "spent {spend} over a $1.00 cap: {v:#}");
    assert!(spend >= 0.6, "{v:#}");
    assert_eq!(v["run"]["paused"], true, "{v:#}");
    assert!(v["run"]["over_budget"].as_u64().unwrap() >= 30, "{v:#}");
    assert_eq!(
        server.requests().len() as u64,
        v["run"]["requests"].as_u64().unwrap()
    );
    assert!(server.requests().len() <= 3, "{}", server.requests().len());
}

#[test]
fn a_429_is_retried_after_its_delay_and_a_down_endpoint_never_stalls_the_report() {
    let server = Server::start(Behaviour { prompt_tokens: 300 });
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), &[call(0, "Fine. RATE_LIMITED_ONCE", None)]);
    let cfg = config(dir.path(), server.port, &[]);
    let out = run(&cfg, &["judge", log.to_str().unwrap(), "--json"]);
    let v = json_of(&out);
    assert_eq!(v["run"]["judged"], 1, "{v:#}");
    assert_eq!(v["run"]["retries"], 1, "{v:#}");
    assert_eq!(out.status.code(), Some(0));

    // Nothing listens on this port: every attempt fails fast, the report still prints.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let cfg = config(dir.path(), port, &[("retries", "1")]);
    let started = Instant::now();
    let out = run(&cfg, &["report", log.to_str().unwrap(), "--json"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    let r = &v["quality"]["judge"]["run"];
    assert_eq!(r["judged"], 0, "{v:#}");
    assert_eq!(r["failed"], 1, "{v:#}");
    assert!(r["last_error"].as_str().unwrap().contains("judge endpoint"));
}

#[test]
fn a_missing_key_or_a_bad_section_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), &[call(0, "x", None)]);
    let cfg = config(dir.path(), 9, &[]);
    let out = Command::new(bin())
        .arg("--config")
        .arg(&cfg)
        .args(["report", log.to_str().unwrap()])
        .env_remove(KEY_VAR)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(KEY_VAR) && err.contains("not set"), "{err}");
    let cfg = config(dir.path(), 9, &[("sample", "3.0")]);
    let out = run(&cfg, &["report", log.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("sample"));
}

#[test]
fn the_readme_setups_for_openai_and_ollama_parse_and_build() {
    let readme = include_str!("../README.md");
    let section = &readme[readme.find("## The LLM judge").unwrap()..];
    let section = &section[..section.find("\n## ").unwrap()];
    let blocks: Vec<&str> = section
        .split("```toml\n")
        .skip(1)
        .map(|b| &b[..b.find("```").unwrap()])
        .collect();
    assert_eq!(blocks.len(), 2);
    let table = llmmon::enrich::pricing::PriceTable::builtin().unwrap();
    std::env::set_var("OPENAI_API_KEY", "sk-readme");
    for (i, b) in blocks.iter().enumerate() {
        let cfg = llmmon::config::Config::parse(b, Path::new("README.md")).unwrap();
        let judge = cfg.judge.build(&table).unwrap().unwrap();
        match i {
            0 => {
                assert_eq!(judge.model, "gpt-4o-mini");
                assert_eq!(judge.api_key.as_deref(), Some("sk-readme"));
                assert!(judge.price.is_some(), "OpenAI's judge model is priced");
                assert_eq!(judge.criteria.len(), 2);
            }
            _ => {
                assert_eq!(judge.endpoint.port, 11434);
                assert_eq!(judge.api_key, None);
                assert_eq!(judge.criteria[0].name, "groundedness");
            }
        }
    }
}
