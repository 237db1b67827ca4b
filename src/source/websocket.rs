//! WebSocket feeds: every text or binary message holds one or more newline-separated lines.
//! Reconnects with exponential backoff and full jitter, unless told not to (`report`).

use super::lines::LineSplitter;
use super::outbox::{Closed, Outbox};
use super::spec::redact_url;
use super::{SourceEvent, SourceId, SourceOptions, SourceState};
use futures_util::StreamExt;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::io::ErrorKind;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::CapacityError;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// A connection that stayed up this long was healthy: the next failure starts the backoff
/// from the beginning.
const HEALTHY_CONNECTION: Duration = Duration::from_secs(10);

/// Connects to `url` and reads its messages until the task is dropped. Sends
/// `Authorization: Bearer <opts.ws_token>` and `opts.ws_headers` in the handshake. With
/// `opts.reconnect` every close or failure is followed by a backoff and a new dial
/// (reported as `Retrying`); without it a server close ends in `Done` and a failed dial in
/// `Error`.
pub fn spawn_websocket(
    id: SourceId,
    url: String,
    opts: SourceOptions,
    tx: Sender<SourceEvent>,
) -> JoinHandle<()> {
    install_crypto_provider();
    tokio::spawn(async move {
        let mut out = Outbox::new(id, tx, opts.batch_lines, opts.batch_bytes);
        let _ = run(id, &url, &opts, &mut out).await;
    })
}

/// Makes `ring` the process's TLS crypto provider unless one is installed already.
fn install_crypto_provider() {
    // Err only means another provider was installed first, which serves as well.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn run(
    id: SourceId,
    url: &str,
    opts: &SourceOptions,
    out: &mut Outbox,
) -> Result<(), Closed> {
    let shown = redact_url(url);
    let request = match build_request(url, opts) {
        Ok(r) => r,
        Err(e) => return out.set_state(SourceState::Error(e)).await,
    };
    let mut rng = Pcg64Mcg::seed_from_u64(super::now_nanos() as u64 ^ u64::from(id));
    let mut splitter = LineSplitter::new(opts.max_line_bytes);
    let mut attempt: u32 = 0;
    loop {
        out.set_state(SourceState::Connecting).await?;
        let dial = tokio::time::timeout(
            opts.connect_timeout,
            tokio_tungstenite::connect_async(request.clone()),
        )
        .await;
        let last_error = match dial {
            Err(_) => format!("{shown}: no connection after {:?}", opts.connect_timeout),
            Ok(Err(e)) if is_permanent(&e) => {
                return out
                    .set_state(SourceState::Error(describe(&e, &shown)))
                    .await;
            }
            Ok(Err(e)) => describe(&e, &shown),
            Ok(Ok((mut ws, _))) => {
                out.set_state(SourceState::Connected).await?;
                let since = Instant::now();
                let (clean, why) = loop {
                    match ws.next().await {
                        Some(Ok(Message::Text(text))) => {
                            message(text.as_bytes(), &mut splitter, out).await?;
                        }
                        Some(Ok(Message::Binary(bytes))) => {
                            message(&bytes, &mut splitter, out).await?;
                        }
                        Some(Ok(Message::Close(Some(frame)))) if !frame.reason.is_empty() => {
                            break (true, format!("{shown}: closed by server: {}", frame.reason));
                        }
                        Some(Ok(Message::Close(_)) | Err(WsError::ConnectionClosed)) | None => {
                            break (true, format!("{shown}: closed by server"));
                        }
                        Some(Ok(_)) => {}
                        Some(Err(WsError::Capacity(CapacityError::MessageTooLong {
                            size,
                            max_size,
                        }))) => {
                            // The protocol cannot skip a message, so the connection ends:
                            // counted like an oversize line, then as a server close.
                            splitter.skip_oversize(size as u64, out);
                            out.flush().await?;
                            break (
                                true,
                                format!(
                                    "{shown}: a message of {size} bytes is over the {max_size}-byte cap; counted oversize"
                                ),
                            );
                        }
                        Some(Err(e)) => break (false, describe(&e, &shown)),
                    }
                };
                if clean && !opts.reconnect {
                    return out.set_state(SourceState::Done).await;
                }
                if since.elapsed() >= HEALTHY_CONNECTION {
                    attempt = 0;
                }
                why
            }
        };
        if !opts.reconnect {
            return out.set_state(SourceState::Error(last_error)).await;
        }
        attempt = attempt.saturating_add(1);
        let delay = backoff(attempt, opts, &mut rng);
        out.set_state(SourceState::Retrying {
            in_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            attempt,
            last_error,
        })
        .await?;
        tokio::time::sleep(delay).await;
        if out.is_closed() {
            return Err(Closed);
        }
    }
}

/// Splits one message into lines (its end ends the last line) and sends them.
async fn message(
    bytes: &[u8],
    splitter: &mut LineSplitter,
    out: &mut Outbox,
) -> Result<(), Closed> {
    out.read(bytes.len());
    splitter.feed(bytes, out);
    splitter.finish(out);
    out.flush().await
}

/// The handshake request: the URL plus configured headers and the bearer token.
fn build_request(url: &str, opts: &SourceOptions) -> Result<Request, String> {
    let shown = redact_url(url);
    let mut request = url
        .into_client_request()
        .map_err(|e| format!("{shown}: {e}"))?;
    let headers = request.headers_mut();
    for (name, value) in &opts.ws_headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid WebSocket header name {name:?}"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("invalid value for WebSocket header {name}"))?;
        headers.insert(name, value);
    }
    if let Some(token) = &opts.ws_token {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            "the WebSocket token holds characters not allowed in a header".to_string()
        })?;
        value.set_sensitive(true);
        headers.insert(
            tokio_tungstenite::tungstenite::http::header::AUTHORIZATION,
            value,
        );
    }
    Ok(request)
}

/// Errors that no retry can fix: the URL or the request itself is wrong.
fn is_permanent(e: &WsError) -> bool {
    matches!(e, WsError::Url(_) | WsError::HttpFormat(_))
}

/// A one-line description of a connection error, naming the (redacted) URL.
fn describe(e: &WsError, shown: &str) -> String {
    match e {
        WsError::Io(io) if io.kind() == ErrorKind::ConnectionRefused => {
            format!("connection refused by {shown}")
        }
        WsError::Io(io) => format!("{shown}: {io}"),
        WsError::Http(resp) => format!("{shown}: handshake rejected with HTTP {}", resp.status()),
        other => format!("{shown}: {other}"),
    }
}

/// Full-jitter exponential backoff: a uniform delay between zero and
/// `min(max, initial * 2^(attempt-1))`.
fn backoff(attempt: u32, opts: &SourceOptions, rng: &mut Pcg64Mcg) -> Duration {
    let initial = opts.backoff_initial.as_millis().max(1);
    let cap = opts.backoff_max.as_millis().max(initial);
    let doublings = attempt.saturating_sub(1).min(32);
    let ceiling = initial.saturating_mul(1u128 << doublings).min(cap);
    let ceiling = u64::try_from(ceiling).unwrap_or(u64::MAX);
    Duration::from_millis(rng.gen_range(0..=ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_below_it() {
        let opts = SourceOptions::default();
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        for (attempt, ceiling_ms) in [(1, 250), (2, 500), (3, 1000), (8, 30_000), (400, 30_000)] {
            let max = (0..200)
                .map(|_| backoff(attempt, &opts, &mut rng))
                .max()
                .unwrap();
            assert!(
                max <= Duration::from_millis(ceiling_ms),
                "{attempt}: {max:?}"
            );
            assert!(
                max >= Duration::from_millis(ceiling_ms / 2),
                "{attempt}: {max:?}"
            );
        }
    }

    #[test]
    fn request_carries_headers_and_a_sensitive_bearer_token() {
        let opts = SourceOptions {
            ws_headers: vec![("X-Team".into(), "blue".into())],
            ws_token: Some("t0k".into()),
            ..SourceOptions::default()
        };
        let req = build_request("ws://127.0.0.1:9/feed", &opts).unwrap();
        assert_eq!(req.headers()["x-team"], "blue");
        let auth = &req.headers()["authorization"];
        assert_eq!(auth, "Bearer t0k");
        assert!(auth.is_sensitive());
        let bad = SourceOptions {
            ws_headers: vec![("bad header".into(), "v".into())],
            ..SourceOptions::default()
        };
        assert!(build_request("ws://h/", &bad).is_err());
    }
}
