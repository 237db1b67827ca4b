//! What both OTLP transports share: the bearer-token check, decoding with a cap on how
//! many requests decode at once (decoded requests are several times their body size), and
//! handing the records to the pipeline with backpressure: a request that cannot be queued
//! in time is refused as "busy, retry later", never dropped in silence.

use super::OtlpOptions;
use crate::decode::otlp_wire::Export;
use crate::decode::Reject;
use crate::source::{now_nanos, Received, SourceEvent, SourceId};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, Semaphore};

/// The pipeline did not take a request in time (HTTP 503, gRPC UNAVAILABLE).
#[derive(Debug)]
pub(super) struct Busy;

/// An accepted request: how many of its items were refused, and why (for `partial_success`).
#[derive(Debug, PartialEq)]
pub(super) struct Accepted {
    pub rejected: u64,
    pub message: String,
}

impl Accepted {
    fn partial(&self) -> Option<(i64, String)> {
        (self.rejected > 0).then(|| {
            (
                i64::try_from(self.rejected).unwrap_or(i64::MAX),
                self.message.clone(),
            )
        })
    }

    /// The trace service's answer, with `partial_success` only when spans were refused.
    pub(super) fn traces(&self) -> ExportTraceServiceResponse {
        ExportTraceServiceResponse {
            partial_success: self.partial().map(|(n, m)| ExportTracePartialSuccess {
                rejected_spans: n,
                error_message: m,
            }),
        }
    }

    /// The logs service's answer.
    pub(super) fn logs(&self) -> ExportLogsServiceResponse {
        ExportLogsServiceResponse {
            partial_success: self.partial().map(|(n, m)| ExportLogsPartialSuccess {
                rejected_log_records: n,
                error_message: m,
            }),
        }
    }

    /// The metrics service's answer.
    pub(super) fn metrics(&self) -> ExportMetricsServiceResponse {
        ExportMetricsServiceResponse {
            partial_success: self.partial().map(|(n, m)| ExportMetricsPartialSuccess {
                rejected_data_points: n,
                error_message: m,
            }),
        }
    }
}

/// Shared by every connection of one OTLP source.
pub(super) struct Intake {
    source: SourceId,
    tx: mpsc::Sender<SourceEvent>,
    pub(super) opts: OtlpOptions,
    seq: AtomicU64,
    throttled: Arc<AtomicU64>,
    /// True while a task waits to report `throttled` (so a busy spell counts even if no
    /// request is accepted after it).
    flushing: Arc<AtomicBool>,
    decode_slots: Arc<Semaphore>,
}

impl Intake {
    /// An intake sending to `tx` as source `source`.
    pub(super) fn new(source: SourceId, tx: mpsc::Sender<SourceEvent>, opts: OtlpOptions) -> Self {
        let slots = opts.decode_concurrency.max(1);
        Intake {
            source,
            tx,
            opts,
            seq: AtomicU64::new(0),
            throttled: Arc::default(),
            flushing: Arc::default(),
            decode_slots: Arc::new(Semaphore::new(slots)),
        }
    }

    /// True when no token is configured or `authorization` is `Bearer <token>`. The
    /// comparison takes the same time wherever the first difference is.
    pub(super) fn authorized(&self, authorization: Option<&[u8]>) -> bool {
        let Some(token) = &self.opts.token else {
            return true;
        };
        // The scheme is case-insensitive (RFC 7235); the token is not.
        let Some(given) = authorization.and_then(|h| {
            let (scheme, rest) = h.split_at_checked(7)?;
            scheme
                .eq_ignore_ascii_case(b"bearer ")
                .then(|| rest.trim_ascii_start())
        }) else {
            return false;
        };
        let want = token.as_bytes();
        given.len() == want.len()
            && given
                .iter()
                .zip(want)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// Decodes on the blocking pool, at most `decode_concurrency` requests at once.
    pub(super) async fn decode<F>(&self, f: F) -> Result<Export, Reject>
    where
        F: FnOnce(i64) -> Result<Export, Reject> + Send + 'static,
    {
        let permit = self.decode_slots.clone().acquire_owned().await;
        let arrival = now_nanos();
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f(arrival)
        })
        .await;
        joined.unwrap_or_else(|e| {
            Err(Reject::new(
                crate::decode::RejectReason::Undecodable,
                format!("decoding the request failed: {e}"),
            ))
        })
    }

    /// Queues a decoded request for the pipeline, waiting at most `queue_wait` for room.
    pub(super) async fn deliver(&self, export: Export, bytes: u64) -> Result<Accepted, Busy> {
        let rejected = export.rejects.len() as u64;
        let message = export
            .rejects
            .first()
            .map(|r| {
                if rejected > 1 {
                    format!("{r} (and {} more)", rejected - 1)
                } else {
                    r.to_string()
                }
            })
            .unwrap_or_default();
        let permit = match tokio::time::timeout(self.opts.queue_wait, self.tx.reserve()).await {
            Ok(Ok(p)) => p,
            Ok(Err(_)) | Err(_) => {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                self.flush_throttled_later();
                return Err(Busy);
            }
        };
        permit.send(self.event(export, bytes));
        Ok(Accepted { rejected, message })
    }

    /// Counts a request refused as a whole (bad token, media type, size, body). Waits for
    /// room in the queue, so a flood of bad requests is slowed down, not lost from the count.
    pub(super) async fn refuse(&self, reject: Reject, bytes: u64) {
        let export = Export {
            rejects: vec![reject],
            items: 1,
            ..Export::default()
        };
        let _ = self.tx.send(self.event(export, bytes)).await;
    }

    /// Reports the busy count once the queue has room, unless a task already waits to.
    fn flush_throttled_later(&self) {
        if self.flushing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (tx, throttled, flushing) = (
            self.tx.clone(),
            self.throttled.clone(),
            self.flushing.clone(),
        );
        let source = self.source;
        tokio::spawn(async move {
            if let Ok(permit) = tx.reserve().await {
                let n = throttled.swap(0, Ordering::Relaxed);
                if n > 0 {
                    permit.send(SourceEvent::Received(Box::new(Received {
                        source,
                        seq: 0,
                        items: 0,
                        bytes: 0,
                        records: Vec::new(),
                        rejects: Vec::new(),
                        metric_points: 0,
                        throttled: n,
                    })));
                }
            }
            flushing.store(false, Ordering::Release);
        });
    }

    fn event(&self, export: Export, bytes: u64) -> SourceEvent {
        SourceEvent::Received(Box::new(Received {
            source: self.source,
            seq: self.seq.fetch_add(1, Ordering::Relaxed) + 1,
            items: export.items,
            bytes,
            records: export.records,
            rejects: export.rejects,
            metric_points: export.metric_points,
            throttled: self.throttled.swap(0, Ordering::Relaxed),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intake(token: Option<&str>, tx: mpsc::Sender<SourceEvent>) -> Intake {
        let opts = OtlpOptions {
            token: token.map(str::to_owned),
            queue_wait: std::time::Duration::from_millis(20),
            ..OtlpOptions::default()
        };
        Intake::new(3, tx, opts)
    }

    #[test]
    fn tokens_are_checked_exactly() {
        let (tx, _rx) = mpsc::channel(1);
        let i = intake(Some("s3cret"), tx.clone());
        assert!(i.authorized(Some(b"Bearer s3cret")));
        assert!(!i.authorized(Some(b"Bearer s3cres")));
        assert!(!i.authorized(Some(b"Bearer s3cret2")));
        assert!(i.authorized(Some(b"bearer s3cret")));
        assert!(i.authorized(Some(b"BEARER  s3cret")));
        assert!(!i.authorized(Some(b"Basic s3cret")));
        assert!(!i.authorized(Some(b"bearer S3CRET")));
        assert!(!i.authorized(Some(b"s3cret")));
        assert!(!i.authorized(None));
        assert!(intake(None, tx).authorized(None));
    }

    #[tokio::test]
    async fn a_full_queue_is_busy_and_counted_on_the_next_event() {
        let (tx, mut rx) = mpsc::channel(1);
        let i = intake(None, tx);
        let first = i.deliver(Export::default(), 10).await;
        assert!(first.is_ok());
        assert!(matches!(i.deliver(Export::default(), 10).await, Err(Busy)));
        let Some(SourceEvent::Received(r)) = rx.recv().await else {
            panic!("no event")
        };
        assert_eq!((r.seq, r.throttled), (1, 0));
        // The busy spell is reported as soon as the queue has room, request or not.
        let Some(SourceEvent::Received(r)) = rx.recv().await else {
            panic!("no event")
        };
        assert_eq!((r.items, r.throttled), (0, 1));
    }
}
