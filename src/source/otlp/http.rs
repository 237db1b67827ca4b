//! OTLP/HTTP: `POST /v1/traces`, `/v1/logs`, `/v1/metrics` with protobuf or JSON bodies,
//! optionally gzip-compressed, answered with the `Export*ServiceResponse` of the signal in
//! the request's own encoding, or a `google.rpc.Status` body with the error status code.

use super::intake::{Accepted, Busy, Intake};
use crate::decode::otlp_wire::{decode_body, Encoding, Signal};
use crate::decode::{Reject, RejectReason};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use prost::Message;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// `google.rpc.Status`, the body OTLP/HTTP error responses carry.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// Accepts connections until the listener fails, at most `max_connections` at once; each
/// must send its request headers within `read_timeout`.
pub(super) async fn serve(listener: TcpListener, intake: Arc<Intake>) {
    let timeout = intake.opts.read_timeout;
    let slots = Arc::new(Semaphore::new(intake.opts.max_connections.max(1)));
    let router = Router::new()
        .route(Signal::Traces.path(), post(traces))
        .route(Signal::Logs.path(), post(logs))
        .route(Signal::Metrics.path(), post(metrics))
        .with_state(intake);
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(timeout);
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn traces(State(i): State<Arc<Intake>>, headers: HeaderMap, body: Body) -> Response {
    export(Signal::Traces, &i, &headers, body).await
}

async fn logs(State(i): State<Arc<Intake>>, headers: HeaderMap, body: Body) -> Response {
    export(Signal::Logs, &i, &headers, body).await
}

async fn metrics(State(i): State<Arc<Intake>>, headers: HeaderMap, body: Body) -> Response {
    export(Signal::Metrics, &i, &headers, body).await
}

/// One export request, from the token check to the response.
async fn export(signal: Signal, intake: &Intake, headers: &HeaderMap, body: Body) -> Response {
    let known = match media_type(headers) {
        Some("application/x-protobuf") => Some(Encoding::Protobuf),
        Some("application/json") => Some(Encoding::Json),
        _ => None,
    };
    // The token is checked before anything of the request is answered or echoed.
    if !intake.authorized(headers.get("authorization").map(HeaderValue::as_bytes)) {
        let msg = "missing or wrong bearer token".to_owned();
        let status = StatusCode::UNAUTHORIZED;
        let encoding = known.unwrap_or(Encoding::Json);
        let mut r = refused(intake, encoding, status, RejectReason::Unauthorized, msg, 0).await;
        r.headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    let Some(encoding) = known else {
        let shown = headers
            .get(CONTENT_TYPE)
            .map_or("none".into(), |v| shown_header(v.as_bytes()));
        let msg = format!(
            "Content-Type {shown} is not supported: use application/x-protobuf or application/json"
        );
        let status = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return refused(
            intake,
            Encoding::Json,
            status,
            RejectReason::UnsupportedMedia,
            msg,
            0,
        )
        .await;
    };
    let fail = |status, msg: String| error(status, encoding, msg);
    let gzip = match headers
        .get(CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("identity") | Some("") => false,
        Some("gzip") => true,
        Some(other) => {
            let msg = format!("Content-Encoding {other} is not supported: use gzip or none");
            return refused(
                intake,
                encoding,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                RejectReason::UnsupportedMedia,
                msg,
                0,
            )
            .await;
        }
    };
    let limit = intake.opts.max_body_bytes;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(intake, encoding, declared.unwrap_or(0), limit).await;
    }
    let read = tokio::time::timeout(intake.opts.read_timeout, axum::body::to_bytes(body, limit));
    let raw = match read.await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) if is_length_limit(&e) => {
            return too_large(intake, encoding, limit as u64 + 1, limit).await
        }
        Ok(Err(e)) => {
            let msg = format!("request body could not be read: {e}");
            return refused(
                intake,
                encoding,
                StatusCode::BAD_REQUEST,
                RejectReason::Undecodable,
                msg,
                0,
            )
            .await;
        }
        Err(_) => {
            let msg = format!(
                "request body not received within {}s",
                intake.opts.read_timeout.as_secs_f64()
            );
            return refused(
                intake,
                encoding,
                StatusCode::REQUEST_TIMEOUT,
                RejectReason::SlowClient,
                msg,
                0,
            )
            .await;
        }
    };
    let wire_bytes = raw.len() as u64;
    let body = if gzip {
        match gunzip(&raw, limit) {
            Ok(b) => b,
            Err(Gunzip::TooLarge) => {
                return too_large(intake, encoding, limit as u64 + 1, limit).await
            }
            Err(Gunzip::Corrupt(e)) => {
                let msg = format!("gzip body could not be decompressed: {e}");
                return refused(
                    intake,
                    encoding,
                    StatusCode::BAD_REQUEST,
                    RejectReason::Undecodable,
                    msg,
                    wire_bytes,
                )
                .await;
            }
        }
    } else {
        raw
    };
    let decoded = intake
        .decode(move |arrival| decode_body(signal, encoding, &body, arrival))
        .await;
    let export = match decoded {
        Ok(e) => e,
        Err(reject) => {
            let msg = reject.to_string();
            intake.refuse(reject, wire_bytes).await;
            return fail(StatusCode::BAD_REQUEST, msg);
        }
    };
    match intake.deliver(export, wire_bytes).await {
        Ok(accepted) => success(signal, encoding, accepted),
        Err(Busy) => {
            let secs = intake.opts.retry_after.as_secs().max(1);
            let mut r = fail(
                StatusCode::SERVICE_UNAVAILABLE,
                "llmmon is falling behind; retry later".to_owned(),
            );
            r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
            r
        }
    }
}

/// The media type of `Content-Type`, without parameters, lower-cased.
fn media_type(headers: &HeaderMap) -> Option<&'static str> {
    let v = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let t = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match t.as_str() {
        "application/x-protobuf" | "application/protobuf" => Some("application/x-protobuf"),
        "application/json" => Some("application/json"),
        _ => None,
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// Counts a request refused as a whole under `reason` and answers `status` with `msg`.
async fn refused(
    intake: &Intake,
    encoding: Encoding,
    status: StatusCode,
    reason: RejectReason,
    msg: String,
    bytes: u64,
) -> Response {
    intake.refuse(Reject::new(reason, &msg), bytes).await;
    error(status, encoding, msg)
}

async fn too_large(intake: &Intake, encoding: Encoding, size: u64, limit: usize) -> Response {
    let msg = format!("request body of {size} bytes or more is over the limit of {limit} bytes");
    let status = StatusCode::PAYLOAD_TOO_LARGE;
    refused(intake, encoding, status, RejectReason::Oversize, msg, 0).await
}

enum Gunzip {
    TooLarge,
    Corrupt(std::io::Error),
}

/// Decompresses at most `limit` bytes; more is [`Gunzip::TooLarge`] (a gzip bomb stops
/// at the limit, it never fills memory).
fn gunzip(raw: &[u8], limit: usize) -> Result<Bytes, Gunzip> {
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4).min(limit));
    flate2::read::MultiGzDecoder::new(raw)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(Gunzip::Corrupt)?;
    if out.len() > limit {
        return Err(Gunzip::TooLarge);
    }
    Ok(Bytes::from(out))
}

/// A header value as it may be shown in an answer (which a client may print to a terminal):
/// at most 64 bytes, every byte outside printable ASCII escaped.
fn shown_header(v: &[u8]) -> String {
    let mut out: String = v
        .iter()
        .take(64)
        .flat_map(|b| b.escape_ascii())
        .map(char::from)
        .collect();
    if v.len() > 64 {
        out.push_str("...");
    }
    out
}

/// 200 with the signal's `Export*ServiceResponse`; `partial_success` only when items were
/// refused (in JSON an empty object, as the specification's examples show).
fn success(signal: Signal, encoding: Encoding, a: Accepted) -> Response {
    let body = match (encoding, a.rejected > 0) {
        (Encoding::Json, false) => b"{}".to_vec(),
        (Encoding::Json, true) => {
            let field = match signal {
                Signal::Traces => "rejectedSpans",
                Signal::Logs => "rejectedLogRecords",
                Signal::Metrics => "rejectedDataPoints",
            };
            serde_json::json!({"partialSuccess": {field: a.rejected, "errorMessage": a.message}})
                .to_string()
                .into_bytes()
        }
        (Encoding::Protobuf, _) => match signal {
            Signal::Traces => a.traces().encode_to_vec(),
            Signal::Logs => a.logs().encode_to_vec(),
            Signal::Metrics => a.metrics().encode_to_vec(),
        },
    };
    (
        StatusCode::OK,
        [(CONTENT_TYPE, content_type(encoding))],
        body,
    )
        .into_response()
}

fn error(status: StatusCode, encoding: Encoding, message: String) -> Response {
    let status_msg = RpcStatus {
        code: grpc_code(status),
        message,
    };
    let body = match encoding {
        Encoding::Protobuf => status_msg.encode_to_vec(),
        Encoding::Json => {
            serde_json::json!({"code": status_msg.code, "message": status_msg.message})
                .to_string()
                .into_bytes()
        }
    };
    (status, [(CONTENT_TYPE, content_type(encoding))], body).into_response()
}

/// The gRPC code matching an HTTP status, for the `Status.code` of an error body.
fn grpc_code(status: StatusCode) -> i32 {
    match status {
        StatusCode::BAD_REQUEST => 3,
        StatusCode::UNAUTHORIZED => 16,
        StatusCode::PAYLOAD_TOO_LARGE => 8,
        StatusCode::REQUEST_TIMEOUT => 4,
        StatusCode::SERVICE_UNAVAILABLE => 14,
        _ => 2,
    }
}

fn content_type(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Protobuf => "application/x-protobuf",
        Encoding::Json => "application/json",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_stops_at_the_limit() {
        let bomb = gz(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 10_000);
        assert!(matches!(gunzip(&bomb, 1000), Err(Gunzip::TooLarge)));
        assert_eq!(gunzip(&gz(b"hello"), 1000).ok().unwrap(), "hello");
        assert!(matches!(gunzip(b"not gzip", 1000), Err(Gunzip::Corrupt(_))));
    }

    #[test]
    fn media_types_ignore_parameters_and_case() {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert_eq!(media_type(&h), Some("application/json"));
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(media_type(&h), None);
    }
}
