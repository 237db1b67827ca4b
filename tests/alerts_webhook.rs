#![allow(clippy::unwrap_used)]
//! Webhook delivery against a real HTTP server on 127.0.0.1: the POST arrives with a correct
//! HMAC; with the server down, ingest goes on and retries stop at their bound.

use hmac::{Hmac, Mac};
use llmmon::engine::alerts::{AlertStatus, Level, Transition};
use llmmon::engine::{Engine, EngineConfig, SECOND};
use llmmon::notify::{Notifier, NotifyConfig, SIGNATURE_HEADER};
use llmmon::record::{Call, Record};
use llmmon::source::SourceKind;
use sha2::Sha256;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn transition() -> Transition {
    Transition {
        rule: "p95 latency".into(),
        metric: "latency.p95".into(),
        filter: "model:gpt-4o".into(),
        from: AlertStatus::Ok,
        to: AlertStatus::Firing,
        level: Some(Level::Crit),
        at: 1_795_687_200 * SECOND,
        value: Some(5000.0),
        threshold: Some(3000.0),
        window_ns: 60 * SECOND,
        renotify: false,
    }
}

/// Head and body of each request the test server received.
type Received = Vec<(String, Vec<u8>)>;

/// Accepts `n` requests, answers 200, and returns (headers, body) of each.
fn serve(n: usize) -> (u16, std::thread::JoinHandle<Received>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        rt.block_on(async move {
            let mut got = Vec::new();
            for _ in 0..n {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body) = loop {
                    let k = s.read(&mut chunk).await.unwrap();
                    buf.extend_from_slice(&chunk[..k]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_string();
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap())
                            })
                            .unwrap();
                        while buf.len() < i + 4 + len {
                            let k = s.read(&mut chunk).await.unwrap();
                            buf.extend_from_slice(&chunk[..k]);
                        }
                        break (head, buf[i + 4..i + 4 + len].to_vec());
                    }
                    assert!(k > 0, "connection closed before the headers ended");
                };
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .unwrap();
                got.push((head, body));
            }
            got
        })
    });
    (port, handle)
}

#[test]
fn webhook_receives_a_signed_post() {
    let (port, server) = serve(1);
    let n = Notifier::start(NotifyConfig {
        webhook: Some(format!("http://127.0.0.1:{port}/hook?team=a")),
        secret: Some("s3cret".into()),
        ..NotifyConfig::default()
    })
    .unwrap();
    assert!(n.send(transition()));
    let got = server.join().unwrap();
    let (head, body) = &got[0];
    assert!(head.starts_with("POST /hook?team=a HTTP/1.1"), "{head}");
    let sig = head
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{SIGNATURE_HEADER}: ")))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(body);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sig, format!("sha256={want}"));
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["alert"]["rule"], "p95 latency");
    assert_eq!(v["alert"]["to"], "firing");
    assert_eq!(v["alert"]["at"], "2026-11-26T10:00:00.000Z");
    assert!(v["text"]
        .as_str()
        .unwrap()
        .starts_with("FIRING crit p95 latency"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while n.stats.sent.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(n.stats.sent.load(Ordering::Relaxed), 1);
    n.shutdown(Duration::from_secs(1));
}

#[test]
fn server_down_does_not_stop_ingest_and_retries_are_bounded() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let n = Notifier::start(NotifyConfig {
        webhook: Some(format!("http://127.0.0.1:{port}/")),
        retries: 3,
        backoff: Duration::from_millis(20),
        queue: 2,
        ..NotifyConfig::default()
    })
    .unwrap();
    let started = Instant::now();
    let mut sent = 0;
    for _ in 0..10 {
        sent += u64::from(n.send(transition()));
    }
    // Ingest keeps going at full speed while the notifier retries.
    let mut e = Engine::new(EngineConfig::default());
    let src = e.add_source("x", SourceKind::File);
    let recs: Vec<(u64, Record)> = (0..20_000)
        .map(|i| {
            let c = Call {
                id: format!("c{i}"),
                ts: Some(1_795_687_200 * SECOND + i * SECOND / 100),
                latency_ms: Some(100.0),
                ..Call::default()
            };
            (i as u64, Record::Call(Box::new(c)))
        })
        .collect();
    e.ingest(src, recs);
    assert_eq!(e.windows.total.all.calls, 20_000);
    assert!(started.elapsed() < Duration::from_secs(10));
    let dropped = n.stats.dropped.load(Ordering::Relaxed);
    assert_eq!(sent + dropped, 10);
    assert!(dropped >= 7, "queue of 2 (+1 in flight) keeps at most 3");
    let deadline = Instant::now() + Duration::from_secs(10);
    while n.stats.failed.load(Ordering::Relaxed) < sent && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(n.stats.failed.load(Ordering::Relaxed), sent);
    assert_eq!(n.stats.attempts.load(Ordering::Relaxed), sent * 3);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        n.stats.attempts.load(Ordering::Relaxed),
        sent * 3,
        "no retry past the bound"
    );
    assert_eq!(n.stats.sent.load(Ordering::Relaxed), 0);
    n.shutdown(Duration::from_secs(1));
}

#[test]
fn dispatch_rings_the_bell_only_for_new_firing() {
    let n = Notifier::start(NotifyConfig {
        bell: true,
        ..NotifyConfig::default()
    })
    .unwrap();
    assert!(n.dispatch(vec![transition()]));
    let mut again = transition();
    again.renotify = true;
    assert!(!n.dispatch(vec![again]));
    assert!(!n.dispatch(Vec::new()));
}
