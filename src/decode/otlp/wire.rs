//! OTLP export requests as a receiver gets them: an OTLP/HTTP body (protobuf or JSON) or a
//! gRPC message already decoded by the generated `opentelemetry-proto` types. Every
//! encoding goes through the one mapping the Collector's file-exporter lines use: protobuf
//! spans are read into the same span view as OTLP/JSON ones, protobuf log records are
//! turned into the OTLP/JSON shape with that crate's serde support.

use super::{count_items, count_metric_points, decode_items, decode_proto_spans, Items};
use crate::decode::{Reject, RejectReason};
use crate::model::record::{Nanos, Record};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message;
use serde_json::Value;

/// Which OTLP signal a request carries (its HTTP path or gRPC service).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Logs,
    Metrics,
}

impl Signal {
    /// The OTLP/HTTP path of the signal.
    pub fn path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Logs => "/v1/logs",
            Signal::Metrics => "/v1/metrics",
        }
    }
}

/// How an OTLP/HTTP body is encoded (from its `Content-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

/// One decoded export request: the calls and attachments it held, one rejection per item
/// that could not be mapped, and how many items (spans, log records, metric points) it had.
#[derive(Debug, Default)]
pub struct Export {
    pub records: Vec<Record>,
    pub rejects: Vec<Reject>,
    pub items: u64,
    pub metric_points: u64,
}

/// Decodes an OTLP/HTTP request body. `Err` when the body as a whole is not a request of
/// that encoding (the receiver answers 400); bad items inside a good body are in
/// [`Export::rejects`].
pub fn decode_body(
    signal: Signal,
    encoding: Encoding,
    body: &[u8],
    arrival: Nanos,
) -> Result<Export, Reject> {
    match encoding {
        Encoding::Json => {
            let value: Value = serde_json::from_slice(body).map_err(|e| {
                Reject::new(
                    RejectReason::NotJson,
                    format!("request body is not JSON: {e}"),
                )
            })?;
            if !value.is_object() {
                return Err(Reject::new(
                    RejectReason::UnknownShape,
                    "request body is not a JSON object",
                ));
            }
            crate::decode::shape::otlp(&value)?;
            Ok(decode_value(signal, &value, arrival))
        }
        Encoding::Protobuf => match signal {
            Signal::Traces => ExportTraceServiceRequest::decode(body)
                .map(|r| decode_traces(&r, arrival))
                .map_err(undecodable),
            Signal::Logs => ExportLogsServiceRequest::decode(body)
                .map_err(undecodable)
                .and_then(|r| decode_logs(&r, arrival)),
            Signal::Metrics => ExportMetricsServiceRequest::decode(body)
                .map(|r| decode_metrics(&r))
                .map_err(undecodable),
        },
    }
}

/// Maps a decoded trace export request. Spans are read from the protobuf types directly
/// (through the same span mapping as OTLP/JSON), without building a JSON tree first.
pub fn decode_traces(req: &ExportTraceServiceRequest, arrival: Nanos) -> Export {
    let mut export = Export::default();
    export.items = decode_proto_spans(req, arrival, &mut export.records, &mut export.rejects);
    export
}

/// Maps a decoded logs export request.
pub fn decode_logs(req: &ExportLogsServiceRequest, arrival: Nanos) -> Result<Export, Reject> {
    let value = serde_json::to_value(req).map_err(unmappable)?;
    Ok(decode_value(Signal::Logs, &value, arrival))
}

/// Counts the points of a metrics export request (metrics are counted, not mapped).
pub fn decode_metrics(req: &ExportMetricsServiceRequest) -> Export {
    let mut points = 0u64;
    for rm in &req.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                let n = match &m.data {
                    Some(Data::Gauge(g)) => g.data_points.len(),
                    Some(Data::Sum(s)) => s.data_points.len(),
                    Some(Data::Histogram(h)) => h.data_points.len(),
                    Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
                    Some(Data::Summary(s)) => s.data_points.len(),
                    None => 0,
                };
                points = points.saturating_add(n as u64);
            }
        }
    }
    Export {
        items: points,
        metric_points: points,
        ..Export::default()
    }
}

/// An OTLP/JSON request of `signal`: only that signal's items are read.
fn decode_value(signal: Signal, value: &Value, arrival: Nanos) -> Export {
    let items = match signal {
        Signal::Traces => Items::Spans,
        Signal::Logs => Items::Logs,
        Signal::Metrics => {
            let points = count_metric_points(value);
            return Export {
                items: points,
                metric_points: points,
                ..Export::default()
            };
        }
    };
    let mut export = Export {
        items: count_items(value, items),
        ..Export::default()
    };
    decode_items(
        value,
        items,
        arrival,
        &mut export.records,
        &mut export.rejects,
    );
    export
}

fn undecodable(e: prost::DecodeError) -> Reject {
    Reject::new(
        RejectReason::Undecodable,
        format!("request body is not an OTLP protobuf message: {e}"),
    )
}

fn unmappable(e: serde_json::Error) -> Reject {
    Reject::new(
        RejectReason::Undecodable,
        format!("request could not be mapped: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Decoder;

    const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples");

    /// Every OTLP/JSON sample line, read into the generated types by their own serde
    /// support, encoded as protobuf and decoded as a receiver would, gives the records the
    /// line gives when tailed from a file.
    #[test]
    fn protobuf_bodies_map_like_the_file_lines() {
        let mut checked = 0;
        for entry in std::fs::read_dir(SAMPLES).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for line in text.lines() {
                let Ok(value) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                let (signal, body) = if value.get("resourceSpans").is_some() {
                    match serde_json::from_str::<ExportTraceServiceRequest>(line) {
                        Ok(r) => (Signal::Traces, r.encode_to_vec()),
                        Err(_) => continue,
                    }
                } else if value.get("resourceLogs").is_some() {
                    match serde_json::from_str::<ExportLogsServiceRequest>(line) {
                        Ok(r) => (Signal::Logs, r.encode_to_vec()),
                        Err(_) => continue,
                    }
                } else {
                    continue;
                };
                let mut from_line = Vec::new();
                Decoder::new()
                    .decode(line.as_bytes(), 7, &mut from_line)
                    .unwrap();
                let export = decode_body(signal, Encoding::Protobuf, &body, 7).unwrap();
                assert!(export.rejects.is_empty(), "{}", path.display());
                assert_eq!(export.records, from_line, "{}", path.display());
                checked += from_line.len();
            }
        }
        assert!(checked > 10, "only {checked} records compared");
    }

    #[test]
    fn a_bad_span_is_refused_alone() {
        let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[
            {"spanId":"01","traceId":"aa","name":"chat m","attributes":[
              {"key":"gen_ai.operation.name","value":{"stringValue":"chat"}}]},
            {"traceId":"aa","name":"no span id"}]}]}]}"#;
        let export = decode_body(Signal::Traces, Encoding::Json, body, 1).unwrap();
        assert_eq!(export.items, 2);
        assert_eq!(export.records.len(), 1);
        assert_eq!(export.rejects.len(), 1);
        assert_eq!(export.rejects[0].reason, RejectReason::MissingField);
    }

    #[test]
    fn only_the_signal_of_the_path_is_read() {
        let body = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}]}"#;
        let export = decode_body(Signal::Traces, Encoding::Json, body, 1).unwrap();
        assert_eq!(export.items, 0);
    }

    #[test]
    fn garbage_is_refused_whole() {
        let e = decode_body(Signal::Traces, Encoding::Protobuf, b"\xff\xff\xff", 1).unwrap_err();
        assert_eq!(e.reason, RejectReason::Undecodable);
        let e = decode_body(Signal::Logs, Encoding::Json, b"[1]", 1).unwrap_err();
        assert_eq!(e.reason, RejectReason::UnknownShape);
        let e = decode_body(Signal::Logs, Encoding::Json, b"{", 1).unwrap_err();
        assert_eq!(e.reason, RejectReason::NotJson);
    }

    #[test]
    fn metric_points_are_counted_in_both_encodings() {
        let json = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[
            {"name":"m","sum":{"dataPoints":[{"asInt":"1"},{"asInt":"2"}]}}]}]}]}"#;
        let a = decode_body(Signal::Metrics, Encoding::Json, json, 1).unwrap();
        let req: ExportMetricsServiceRequest = serde_json::from_slice(json).unwrap();
        let b = decode_body(Signal::Metrics, Encoding::Protobuf, &req.encode_to_vec(), 1).unwrap();
        assert_eq!((a.metric_points, b.metric_points), (2, 2));
    }
}
