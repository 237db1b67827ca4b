//! A fake OpenAI-compatible Chat Completions server on 127.0.0.1 for the judge's tests,
//! and the call logs and `[judge]` configs they run on.
#![allow(clippy::unwrap_used, dead_code)]

#[path = "../http_support/mod.rs"]
mod http;

use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The variable the test configs name in `api_key_env`.
pub const KEY_VAR: &str = "LLMMON_TEST_JUDGE_KEY";

/// One request as received: the Authorization header and the JSON body.
#[derive(Debug, Clone)]
pub struct Req {
    pub auth: Option<String>,
    pub path: String,
    pub body: Value,
}

impl Req {
    pub fn user(&self) -> String {
        self.body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// How the fake judge answers.
#[derive(Clone, Copy)]
pub struct Behaviour {
    /// `usage.prompt_tokens` reported on every answer.
    pub prompt_tokens: u64,
}

pub struct Server {
    pub port: u16,
    got: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    pub fn start(b: Behaviour) -> Server {
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        let port = http::serve(move |req, stream| handle(&req, stream, b, &sink));
        Server { port, got }
    }

    pub fn requests(&self) -> Vec<Req> {
        self.got.lock().unwrap().clone()
    }
}

/// Answers by what the judged answer says: `MALFORMED_ONCE` gets prose first and a verdict
/// on the retry, `ALWAYS_OUT_OF_RANGE` a score of 7 every time, `RATE_LIMITED_ONCE` a 429
/// first; an answer saying `invented` scores 0.1, any other 0.9.
fn handle(raw: &http::Request, mut s: TcpStream, b: Behaviour, sink: &Mutex<Vec<Req>>) {
    let req = Req {
        auth: raw.header("authorization").map(String::from),
        path: raw.path.clone(),
        body: raw.json(),
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
pub fn call(i: usize, output: &str, context: Option<&str>) -> Value {
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

pub fn write_log(dir: &Path, calls: &[Value]) -> PathBuf {
    let p = dir.join("app.jsonl");
    let text: String = calls.iter().map(|c| format!("{c}\n")).collect();
    std::fs::write(&p, text).unwrap();
    p
}

/// A config with a `[judge]` on the fake server; `set` replaces or adds keys of `[judge]`.
pub fn config(dir: &Path, port: u16, set: &[(&str, &str)]) -> PathBuf {
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
