#![allow(clippy::unwrap_used)]
//! WebSocket sources against a real tokio-tungstenite server on 127.0.0.1: text, binary
//! and multi-line messages, a dropped connection and the reconnect after it, handshake
//! headers and bearer token, and a refused dial.

use futures_util::SinkExt;
use llmmon::source::{spawn_websocket, SourceDrop, SourceEvent, SourceOptions, SourceState};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{self, Receiver};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const WAIT: Duration = Duration::from_secs(10);

/// Everything one source has sent so far.
struct Probe {
    rx: Receiver<SourceEvent>,
    lines: Vec<(u64, String)>,
    states: Vec<SourceState>,
}

impl Probe {
    fn new(rx: Receiver<SourceEvent>) -> Self {
        Probe {
            rx,
            lines: Vec::new(),
            states: Vec::new(),
        }
    }

    async fn until(&mut self, what: &str, done: impl Fn(&Probe) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done(self) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(ev)) => self.take(ev),
                Ok(None) => panic!(
                    "source ended while waiting for {what}; states {:?}",
                    self.states
                ),
                Err(_) => panic!("timed out waiting for {what}; states {:?}", self.states),
            }
        }
    }

    async fn drain_to_end(&mut self) {
        while let Ok(Some(ev)) = tokio::time::timeout(WAIT, self.rx.recv()).await {
            self.take(ev);
        }
    }

    fn take(&mut self, ev: SourceEvent) {
        match ev {
            SourceEvent::Lines(batch) => {
                for l in batch {
                    self.lines
                        .push((l.line_no, String::from_utf8(l.bytes).unwrap()));
                }
            }
            SourceEvent::State { state, .. } => self.states.push(state),
            SourceEvent::Dropped { .. } | SourceEvent::Bytes { .. } => {}
            SourceEvent::Received(r) => panic!("a WebSocket sent decoded records: {r:?}"),
        }
    }

    fn texts(&self) -> Vec<&str> {
        self.lines.iter().map(|(_, l)| l.as_str()).collect()
    }
}

fn opts(reconnect: bool) -> SourceOptions {
    SourceOptions {
        reconnect,
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        connect_timeout: Duration::from_secs(5),
        ..SourceOptions::default()
    }
}

async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/feed", listener.local_addr().unwrap());
    (listener, url)
}

async fn accept(listener: &TcpListener) -> WebSocketStream<TcpStream> {
    let (stream, _) = listener.accept().await.unwrap();
    tokio_tungstenite::accept_async(stream).await.unwrap()
}

fn connect(url: &str, opts: SourceOptions) -> Probe {
    let (tx, rx) = mpsc::channel(8);
    spawn_websocket(3, url.to_string(), opts, tx);
    Probe::new(rx)
}

#[tokio::test]
async fn messages_before_and_after_a_dropped_connection_all_arrive_in_order() {
    let (listener, url) = listen().await;
    let server = tokio::spawn(async move {
        let mut ws = accept(&listener).await;
        ws.send(Message::text(r#"{"n":1}"#)).await.unwrap();
        ws.send(Message::binary(b"{\"n\":2}\n".to_vec()))
            .await
            .unwrap();
        ws.send(Message::text("{\"n\":3}\n{\"n\":4}\r\n{\"n\":5}"))
            .await
            .unwrap();
        // Gone without a close frame, the way a crashed server goes.
        drop(ws);
        let mut ws = accept(&listener).await;
        ws.send(Message::text("{\"n\":6}\n")).await.unwrap();
        ws.send(Message::binary(b"{\"n\":7}\n{\"n\":8}".to_vec()))
            .await
            .unwrap();
        ws.close(None).await.unwrap();
        listener
    });
    let mut p = connect(&url, opts(true));
    p.until("eight lines", |p| p.lines.len() >= 8).await;
    let want: Vec<String> = (1..=8).map(|n| format!("{{\"n\":{n}}}")).collect();
    assert_eq!(p.texts(), want);
    let nos: Vec<u64> = p.lines.iter().map(|(n, _)| *n).collect();
    assert_eq!(nos, (1..=8).collect::<Vec<_>>());

    let connected = p
        .states
        .iter()
        .filter(|s| **s == SourceState::Connected)
        .count();
    assert_eq!(connected, 2, "{:?}", p.states);
    let retry = p
        .states
        .iter()
        .find_map(|s| match s {
            SourceState::Retrying {
                attempt,
                last_error,
                in_ms,
            } => Some((*attempt, last_error.clone(), *in_ms)),
            _ => None,
        })
        .unwrap();
    assert_eq!(retry.0, 1);
    assert!(retry.1.contains("127.0.0.1"), "{}", retry.1);
    assert!(retry.2 <= 20);

    // The clean close is followed by another reconnect; the listener still accepts it.
    let listener = server.await.unwrap();
    let mut ws = accept(&listener).await;
    ws.send(Message::text("{\"n\":9}")).await.unwrap();
    p.until("line after the second reconnect", |p| p.lines.len() >= 9)
        .await;
    assert_eq!(p.texts()[8], "{\"n\":9}");
}

#[tokio::test]
async fn without_reconnect_a_server_close_is_done() {
    let (listener, url) = listen().await;
    tokio::spawn(async move {
        let mut ws = accept(&listener).await;
        ws.send(Message::text("a\nb\n")).await.unwrap();
        ws.send(Message::text("c")).await.unwrap();
        ws.close(None).await.unwrap();
        // Let the client finish the close handshake before the socket goes away.
        while let Some(Ok(_)) = futures_util::StreamExt::next(&mut ws).await {}
    });
    let mut p = connect(&url, opts(false));
    p.drain_to_end().await;
    assert_eq!(p.texts(), ["a", "b", "c"]);
    assert_eq!(
        p.states,
        [
            SourceState::Connecting,
            SourceState::Connected,
            SourceState::Done
        ]
    );
}

/// Accepts one connection, checking the handshake headers; sends one line when they match.
/// (The callback's error type is tungstenite's, large or not.)
#[allow(clippy::result_large_err)]
async fn serve_if_authorized(listener: &TcpListener) {
    let (stream, _) = listener.accept().await.unwrap();
    let check = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let h = req.headers();
        let authorized = h.get("authorization").is_some_and(|v| v == "Bearer s3cret")
            && h.get("x-team").is_some_and(|v| v == "blue");
        if authorized {
            Ok(resp)
        } else {
            let mut denied = ErrorResponse::new(Some("no".into()));
            *denied.status_mut() = StatusCode::UNAUTHORIZED;
            Err(denied)
        }
    };
    if let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, check).await {
        ws.send(Message::text("welcome")).await.unwrap();
        ws.close(None).await.unwrap();
        while let Some(Ok(_)) = futures_util::StreamExt::next(&mut ws).await {}
    }
}

#[tokio::test]
async fn headers_and_bearer_token_are_sent_in_the_handshake() {
    let (listener, url) = listen().await;
    tokio::spawn(async move {
        serve_if_authorized(&listener).await;
        serve_if_authorized(&listener).await;
    });
    let with_headers = |token: Option<&str>| SourceOptions {
        ws_headers: vec![("X-Team".into(), "blue".into())],
        ws_token: token.map(str::to_string),
        ..opts(false)
    };

    let mut denied = connect(&url, with_headers(None));
    denied.drain_to_end().await;
    let Some(SourceState::Error(msg)) = denied.states.last() else {
        panic!("{:?}", denied.states)
    };
    assert!(msg.contains("401"), "{msg}");
    assert!(denied.lines.is_empty());

    let mut allowed = connect(&url, with_headers(Some("s3cret")));
    allowed.drain_to_end().await;
    assert_eq!(allowed.texts(), ["welcome"]);
    assert_eq!(allowed.states.last(), Some(&SourceState::Done));
}

#[tokio::test]
async fn a_refused_connection_fails_fast_without_reconnect_and_retries_with_it() {
    let (listener, url) = listen().await;
    drop(listener);

    let started = std::time::Instant::now();
    let mut p = connect(&url, opts(false));
    p.drain_to_end().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let Some(SourceState::Error(msg)) = p.states.last() else {
        panic!("{:?}", p.states)
    };
    assert!(msg.starts_with("connection refused"), "{msg}");

    let mut p = connect(&url, opts(true));
    p.until("third attempt", |p| {
        p.states
            .iter()
            .any(|s| matches!(s, SourceState::Retrying { attempt: 3, .. }))
    })
    .await;
    let attempts: Vec<u32> = p
        .states
        .iter()
        .filter_map(|s| match s {
            SourceState::Retrying {
                attempt,
                last_error,
                ..
            } => {
                assert!(last_error.starts_with("connection refused"), "{last_error}");
                Some(*attempt)
            }
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
}

#[tokio::test]
async fn a_wss_dial_negotiates_tls_and_reports_a_failed_handshake() {
    // A plain TCP server: the TLS handshake fails, which must be an error state, not a
    // panic for want of a crypto provider.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "wss://localhost:{}/feed",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut stream, b"HTTP/1.1 400 Nope\r\n\r\n")
            .await
            .unwrap();
    });
    let mut p = connect(&url, opts(false));
    p.drain_to_end().await;
    let Some(SourceState::Error(msg)) = p.states.last() else {
        panic!("{:?}", p.states)
    };
    assert!(msg.starts_with("wss://localhost:"), "{msg}");
}

/// A message over the protocol cap (tungstenite's 16 MiB frame limit) is counted as one
/// oversize line; what came before it arrives, and without reconnect the source ends `Done`
/// (a `report` prints its summary), with reconnect it dials again and reads on.
#[tokio::test]
async fn a_message_over_the_cap_is_counted_oversize_and_reading_goes_on() {
    for reconnect in [false, true] {
        let (listener, url) = listen().await;
        tokio::spawn(async move {
            let mut ws = accept(&listener).await;
            ws.send(Message::text("{\"n\":1}\n")).await.unwrap();
            let _ = ws.send(Message::text("x".repeat(17 << 20))).await;
            drop(ws);
            let mut ws = accept(&listener).await;
            ws.send(Message::text("{\"n\":2}\n")).await.unwrap();
            ws.close(None).await.unwrap();
            while let Some(Ok(_)) = futures_util::StreamExt::next(&mut ws).await {}
        });
        let (tx, mut rx) = mpsc::channel(8);
        spawn_websocket(3, url, opts(reconnect), tx);
        let (mut lines, mut oversize, mut states) = (Vec::new(), Vec::new(), Vec::new());
        let want = if reconnect { 2 } else { 1 };
        while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            match ev {
                SourceEvent::Lines(ls) => lines.extend(
                    ls.into_iter()
                        .map(|l| (l.line_no, String::from_utf8(l.bytes).unwrap())),
                ),
                SourceEvent::Dropped {
                    line_no,
                    reason: SourceDrop::Oversize,
                    len,
                    ..
                } => oversize.push((line_no, len)),
                SourceEvent::State { state, .. } => states.push(state),
                _ => {}
            }
            if lines.len() >= want
                && !oversize.is_empty()
                && (reconnect || states.last() == Some(&SourceState::Done))
            {
                break;
            }
        }
        assert_eq!(
            lines[0],
            (1, "{\"n\":1}".to_string()),
            "reconnect {reconnect}"
        );
        assert_eq!(oversize.len(), 1, "reconnect {reconnect}: {states:?}");
        assert_eq!(oversize[0].0, 2, "the oversize message is line 2");
        assert!(oversize[0].1 > 16 << 20, "{:?}", oversize[0]);
        if reconnect {
            assert_eq!(lines[1], (3, "{\"n\":2}".to_string()), "{states:?}");
        } else {
            assert_eq!(states.last(), Some(&SourceState::Done), "{states:?}");
        }
    }
}
