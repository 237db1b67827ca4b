//! The LLM judge against a fake OpenAI-compatible Chat Completions server on 127.0.0.1,
//! driven through the real binary: what is sent (model, messages, the retrieved context for
//! groundedness, the key from the environment), sampling, the hourly spend cap under a
//! server that reports huge usage, malformed and out-of-range verdicts (counted, retried
//! once, never guessed), 429 with Retry-After, an endpoint that is down, and the verdicts
//! coming back as feedback records in `report --json`.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY_VAR: &str = "LLMMON_TEST_JUDGE_KEY";

fn bin() -> String {
    std::env::var("LLMMON_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_llmmon").into())
}

/// One request as received: the Authorization header and the JSON body.
#[derive(Debug, Clone)]
struct Req {
    auth: Option<String>,
    path: String,
    body: Value,
}

impl Req {
    fn user(&self) -> String {
        self.body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// How the fake judge answers.
#[derive(Clone, Copy)]
struct Behaviour {
    /// `usage.prompt_tokens` reported on every answer.
    prompt_tokens: u64,
}

struct Server {
    port: u16,
    got: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    fn start(b: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let sink = sink.clone();
                std::thread::spawn(move || handle(stream, b, &sink));
            }
        });
        Server { port, got }
    }

    fn requests(&self) -> Vec<Req> {
        self.got.lock().unwrap().clone()
    }
}

/// Answers by what the judged answer says: `MALFORMED_ONCE` gets prose first and a verdict
/// on the retry, `ALWAYS_OUT_OF_RANGE` a score of 7 every time, `RATE_LIMITED_ONCE` a 429
/// first; an answer saying `invented` scores 0.1, any other 0.9.
fn handle(stream: TcpStream, b: Behaviour, sink: &Mutex<Vec<Req>>) {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if r.read_exact(&mut body).is_err() {
        return;
    }
    let req = Req {
        auth: headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone()),
        path,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let user = req.body["messages"][1]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let seen_before = sink
        .lock()
        .unwrap()
        .iter()
        .filter(|q| q.user() == user)
        .count();
    sink.lock().unwrap().push(req);
    let mut s = r.into_inner();
    if user.contains("RATE_LIMITED_ONCE") && seen_before == 0 {
        let _ = s.write_all(
            b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        );
        return;
    }
    let content = if user.contains("MALFORMED_ONCE") && seen_before == 0 {
        "The answer looks fine to me.".to_string()
    } else if user.contains("ALWAYS_OUT_OF_RANGE") {
        r#"{"score": 7, "reason": "very good"}"#.to_string()
    } else if user.contains("ANSWER:\nIt is invented") {
        r#"{"score": 0.1, "reason": "claims a 90-day window the context does not give"}"#
            .to_string()
    } else {
        r#"{"score": 0.9, "reason": "supported by the context"}"#.to_string()
    };
    let answer = json!({
        "id": "chatcmpl-judge",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": b.prompt_tokens, "completion_tokens": 20, "total_tokens": b.prompt_tokens + 20},
    })
    .to_string();
    let _ = write!(
        s,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

/// A call line: `context` makes it a retrieval call (judged for groundedness too).
fn call(i: usize, output: &str, context: Option<&str>) -> Value {
    let mut c = json!({
        "type": "call",
        "id": format!("call-{i}"),
        "start": format!("2026-11-26T10:{:02}:{:02}.000Z", i / 60, i % 60),
        "end": format!("2026-11-26T10:{:02}:{:02}.800Z", i / 60, i % 60),
        "model": if i % 2 == 0 { "gpt-4o" } else { "claude-haiku-4-5" },
        "user": "ana",
        "operation": "chat",
        "status": "ok",
        "tokens": {"input": 100, "output": 20},
        "messages": [{"role": "user", "content": format!("What is the refund window? (question {i})")}],
        "output": output,
    });
    if let Some(ctx) = context {
        c["context"] = json!([ctx]);
    }
    c
}

fn write_log(dir: &Path, calls: &[Value]) -> PathBuf {
    let p = dir.join("app.jsonl");
    let text: String = calls.iter().map(|c| format!("{c}\n")).collect();
    std::fs::write(&p, text).unwrap();
    p
}

/// A config with a `[judge]` on the fake server; `set` replaces or adds keys of `[judge]`.
fn config(dir: &Path, port: u16, set: &[(&str, &str)]) -> PathBuf {
    let mut keys: Vec<(String, String)> = [
        ("endpoint", format!("\"http://127.0.0.1:{port}/v1\"")),
        ("model", "\"gpt-4o-mini\"".to_string()),
        ("api_key_env", format!("\"{KEY_VAR}\"")),
        ("sample", "1.0".to_string()),
        ("concurrency", "2".to_string()),
        ("timeout", "\"5s\"".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in set {
        match keys.iter_mut().find(|(key, _)| key == k) {
            Some(e) => e.1 = (*v).to_string(),
            None => keys.push(((*k).to_string(), (*v).to_string())),
        }
    }
    let mut text = String::from("[judge]\n");
    for (k, v) in keys {
        text.push_str(&format!("{k} = {v}\n"));
    }
    text.push_str(
        "[[judge.criteria]]\nname = \"groundedness\"\nprompt = \"builtin:groundedness\"\n\
         [[judge.criteria]]\nname = \"helpfulness\"\nprompt = \"builtin:helpfulness\"\n",
    );
    let p = dir.join("llmmon.toml");
    std::fs::write(&p, text).unwrap();
    p
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
    assert_eq!(v["records"], 9, "{v:#}");
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
