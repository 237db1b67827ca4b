//! OTLP/JSON lines as the OpenTelemetry Collector's file exporter writes them: one
//! `Export{Trace,Logs,Metrics}ServiceRequest` per line. Spans become calls (GenAI current and
//! legacy conventions, OpenInference), GenAI log events become attachments, metric points
//! are only counted. Spans are emitted as read; the engine joins them into traces.

mod attrs;
mod genai;
mod logs;
mod openinference;
mod params;
mod span_in;
mod spans;
pub mod wire;

use super::fields::{as_u64, get};
use super::Reject;
use crate::model::record::{Nanos, Record};
use attrs::Attrs;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
use serde_json::Value;

/// What every item of one `resource*` entry shares.
struct Resource {
    app: Option<String>,
    env: Option<String>,
}

impl Resource {
    fn read(resource: Option<&Value>) -> Self {
        Self::from_attrs(&Attrs::of(resource))
    }

    fn from_proto(resource: Option<&ProtoResource>) -> Self {
        Self::from_attrs(&Attrs::of_proto(
            resource.map_or(&[][..], |r| r.attributes.as_slice()),
        ))
    }

    fn from_attrs(attrs: &Attrs<'_>) -> Self {
        Resource {
            app: attrs.string("service.name"),
            env: attrs
                .string("deployment.environment.name")
                .or_else(|| attrs.string("deployment.environment")),
        }
    }
}

/// Decodes the spans and log records of one export request; the first bad item rejects
/// the whole line (a file line is one unit for the reader).
pub(super) fn decode(v: &Value, arrival: Nanos, out: &mut Vec<Record>) -> Result<(), Reject> {
    let mut rejects = Vec::new();
    decode_items(v, Items::All, arrival, out, &mut rejects);
    match rejects.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(()),
    }
}

/// Which items of a request to read: a file line holds any, an OTLP/HTTP path one signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Items {
    All,
    Spans,
    Logs,
}

/// Decodes every span and log record it can, and collects one rejection per bad item, so
/// a receiver can accept the rest and say how many it refused (`partial_success`).
pub(super) fn decode_items(
    v: &Value,
    items: Items,
    arrival: Nanos,
    out: &mut Vec<Record>,
    rejects: &mut Vec<Reject>,
) {
    if items != Items::Logs {
        for (ri, rs) in array(v, "resourceSpans").iter().enumerate() {
            let resource = Resource::read(rs.get("resource"));
            for (si, ss) in array(rs, "scopeSpans").iter().enumerate() {
                for (i, span) in array(ss, "spans").iter().enumerate() {
                    let path = || format!("resourceSpans[{ri}].scopeSpans[{si}].spans[{i}]");
                    match spans::decode(span_in::SpanIn::from_json(span), &resource, arrival, path)
                    {
                        Ok(r) => out.push(r),
                        Err(e) => rejects.push(e),
                    }
                }
            }
        }
    }
    if items != Items::Spans {
        for (ri, rl) in array(v, "resourceLogs").iter().enumerate() {
            for (si, sl) in array(rl, "scopeLogs").iter().enumerate() {
                for (i, log) in array(sl, "logRecords").iter().enumerate() {
                    let path = || format!("resourceLogs[{ri}].scopeLogs[{si}].logRecords[{i}]");
                    match logs::decode(log, arrival, path) {
                        Ok(Some(a)) => out.push(a),
                        Ok(None) => {}
                        Err(e) => rejects.push(e),
                    }
                }
            }
        }
    }
}

/// Decodes every span of a protobuf trace request, as [`decode_items`] does for OTLP/JSON;
/// returns how many spans there were.
pub(super) fn decode_proto_spans(
    req: &ExportTraceServiceRequest,
    arrival: Nanos,
    out: &mut Vec<Record>,
    rejects: &mut Vec<Reject>,
) -> u64 {
    let mut n = 0u64;
    for (ri, rs) in req.resource_spans.iter().enumerate() {
        let resource = Resource::from_proto(rs.resource.as_ref());
        for (si, ss) in rs.scope_spans.iter().enumerate() {
            for (i, span) in ss.spans.iter().enumerate() {
                n += 1;
                let path = || format!("resourceSpans[{ri}].scopeSpans[{si}].spans[{i}]");
                match spans::decode(span_in::SpanIn::from_proto(span), &resource, arrival, path) {
                    Ok(r) => out.push(r),
                    Err(e) => rejects.push(e),
                }
            }
        }
    }
    n
}

/// Spans (or log records) in an export request, decodable or not.
pub(super) fn count_items(v: &Value, items: Items) -> u64 {
    let (outer, inner, leaf) = match items {
        Items::Logs => ("resourceLogs", "scopeLogs", "logRecords"),
        _ => ("resourceSpans", "scopeSpans", "spans"),
    };
    array(v, outer)
        .iter()
        .flat_map(|r| array(r, inner))
        .map(|s| array(s, leaf).len() as u64)
        .sum()
}

/// Number of metric data points in a metrics export request (0 for anything else).
pub(super) fn count_metric_points(v: &Value) -> u64 {
    let mut n = 0u64;
    for rm in array(v, "resourceMetrics") {
        for sm in array(rm, "scopeMetrics") {
            for m in array(sm, "metrics") {
                for kind in [
                    "sum",
                    "gauge",
                    "histogram",
                    "exponentialHistogram",
                    "summary",
                ] {
                    if let Some(points) = get(m, &[kind, "dataPoints"]).and_then(Value::as_array) {
                        n = n.saturating_add(points.len() as u64);
                    }
                }
            }
        }
    }
    n
}

/// The array under `key`, or an empty slice.
fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A `*UnixNano` value (decimal string or number); zero means unset.
fn unix_nano(v: Option<&Value>) -> Option<Nanos> {
    let n = as_u64(v?)?;
    if n == 0 {
        return None;
    }
    Nanos::try_from(n).ok()
}

/// A string field of an OTLP object (ids, names, messages); empty means absent.
fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}
