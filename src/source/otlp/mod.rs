//! The OTLP receiver: llmmon as the endpoint an OpenTelemetry SDK or Collector exports to.
//! OTLP/HTTP (`POST /v1/traces|logs|metrics`, protobuf or JSON, gzip or not) and OTLP/gRPC
//! on a second address, both answering as the OTLP specification says: 200 with
//! `partial_success` when some items were refused, 400 for bodies that do not decode, 413
//! above the body limit, 415 for other media types, 503 with `Retry-After` (gRPC
//! UNAVAILABLE) when llmmon falls behind, so exporters back off instead of losing data.

mod grpc;
mod http;
mod intake;

use super::{SourceEvent, SourceId, SourceState};
use intake::Intake;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How an OTLP receiver guards its port and how long it waits.
#[derive(Clone)]
pub struct OtlpOptions {
    /// Required as `Authorization: Bearer <token>` on every request when set (from
    /// `LLMMON_OTLP_TOKEN` or `[otlp] token`).
    pub token: Option<String>,
    /// Largest request body, before and after gzip (HTTP 413 / gRPC OUT_OF_RANGE).
    pub max_body_bytes: usize,
    /// Most connections open at once, per transport; more wait in the listen backlog.
    pub max_connections: usize,
    /// Headers and body must arrive within this (HTTP 408 after it); the whole gRPC call
    /// must finish within it, and a gRPC connection silent for this long is closed. A slow
    /// client holds one connection, never the pipeline.
    pub read_timeout: Duration,
    /// How long a decoded request waits for room in the pipeline before 503.
    pub queue_wait: Duration,
    /// Sent as `Retry-After` with a 503.
    pub retry_after: Duration,
    /// Requests decoded at once (a decoded request takes several times its body size).
    pub decode_concurrency: usize,
}

impl Default for OtlpOptions {
    fn default() -> Self {
        OtlpOptions {
            token: None,
            max_body_bytes: 20 << 20,
            max_connections: 64,
            read_timeout: Duration::from_secs(10),
            queue_wait: Duration::from_secs(2),
            retry_after: Duration::from_secs(2),
            decode_concurrency: 2,
        }
    }
}

/// Written by hand so the token never reaches a log or a panic message.
impl fmt::Debug for OtlpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpOptions")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_connections", &self.max_connections)
            .field("read_timeout", &self.read_timeout)
            .field("queue_wait", &self.queue_wait)
            .field("retry_after", &self.retry_after)
            .field("decode_concurrency", &self.decode_concurrency)
            .finish()
    }
}

/// Listens for OTLP/HTTP on `http` and, when given, OTLP/gRPC on `grpc`. Both addresses
/// are bound before this returns (call it inside the runtime), so a port in use is an
/// `Err` naming the address and the OS error, and nothing is announced as listening that
/// is not. The source is `Connected` once its servers run.
pub fn spawn_otlp(
    source: SourceId,
    http: String,
    grpc: Option<String>,
    opts: OtlpOptions,
    tx: mpsc::Sender<SourceEvent>,
) -> Result<JoinHandle<()>, String> {
    let http_listener = bind(&http, "OTLP/HTTP")?;
    let grpc_listener = grpc
        .as_deref()
        .map(|addr| bind(addr, "OTLP/gRPC"))
        .transpose()?;
    Ok(tokio::spawn(async move {
        let state = |state| SourceEvent::State { source, state };
        let _ = tx.send(state(SourceState::Connected)).await;
        let intake = Arc::new(Intake::new(source, tx.clone(), opts));
        if let Some(listener) = grpc_listener {
            let intake = intake.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Err(e) = grpc::serve(listener, intake).await {
                    let error = SourceState::Error(format!("OTLP/gRPC server stopped: {e}"));
                    let _ = tx
                        .send(SourceEvent::State {
                            source,
                            state: error,
                        })
                        .await;
                }
            });
        }
        http::serve(http_listener, intake).await;
    }))
}

/// Binds a listening socket now (as `tokio::net::TcpListener::bind` does, with address
/// reuse and a backlog of 1024, but without awaiting). Needs a runtime context.
fn bind(addr: &str, what: &str) -> Result<TcpListener, String> {
    use std::net::ToSocketAddrs;
    let fail = |e: std::io::Error| format!("cannot listen for {what} on {addr}: {e}");
    let mut last = None;
    for a in addr.to_socket_addrs().map_err(fail)? {
        let socket = if a.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        };
        let listening = socket.and_then(|s| {
            #[cfg(unix)]
            s.set_reuseaddr(true)?;
            s.bind(a)?;
            s.listen(1024)
        });
        match listening {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(fail(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address")
    })))
}
