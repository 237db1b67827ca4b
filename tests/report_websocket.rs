//! `llmmon report ws://...` against a real WebSocket server on 127.0.0.1: records sent as
//! text and binary frames, several lines per message, read until the server closes, and
//! the bearer token taken from `LLMMON_WS_TOKEN` (never from argv).
#![allow(clippy::unwrap_used)]
// The handshake callback's error type is tungstenite's, not ours.
#![allow(clippy::result_large_err)]

use futures_util::SinkExt;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

fn call(id: u32, model: &str) -> String {
    format!(
        r#"{{"type":"call","id":"ws-{id}","ts":"2026-11-26T10:00:{:02}Z","model":"{model}","latency_ms":{},"tokens":{{"input":10,"output":5}}}}"#,
        id % 60,
        100 + id
    )
}

#[test]
fn report_reads_a_websocket_until_it_closes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = rt.spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut auth = None;
        let mut ws = tokio_tungstenite::accept_hdr_async(tcp, |req: &Request, resp: Response| {
            auth = req
                .headers()
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_string());
            Ok(resp)
        })
        .await
        .unwrap();
        ws.send(Message::text(call(1, "gpt-4o"))).await.unwrap();
        ws.send(Message::binary(
            format!("{}\n{}\n", call(2, "gpt-4o"), call(3, "gpt-4o-mini")).into_bytes(),
        ))
        .await
        .unwrap();
        ws.send(Message::text("not json")).await.unwrap();
        ws.close(None).await.unwrap();
        auth
    });
    let out = assert_cmd::Command::cargo_bin("llmmon")
        .unwrap()
        .env("LLMMON_WS_TOKEN", "s3cret")
        .args(["report", "--json", &format!("ws://127.0.0.1:{port}/feed")])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["calls"], 3);
    assert_eq!(r["by_model"]["gpt-4o"]["calls"], 2);
    assert_eq!(r["sources"][0]["kind"], "websocket");
    assert_eq!(r["sources"][0]["rejected"]["not_json"], 1);
    let auth = rt.block_on(server).unwrap();
    assert_eq!(auth.as_deref(), Some("Bearer s3cret"));
}

/// A message over the 16 MiB cap no longer makes `report` exit 1 with nothing printed: it
/// is counted `oversize`, the calls before it are reported, and the exit status is 0.
#[test]
fn report_counts_a_message_over_the_cap_as_oversize_and_prints() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        ws.send(Message::text(call(1, "gpt-4o"))).await.unwrap();
        let _ = ws.send(Message::text("x".repeat(17 << 20))).await;
    });
    let out = assert_cmd::Command::cargo_bin("llmmon")
        .unwrap()
        .args(["report", "--json", &format!("ws://127.0.0.1:{port}/feed")])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(r["calls"], 1, "{r}");
    assert_eq!(r["sources"][0]["rejected"]["oversize"], 1, "{r}");
}
