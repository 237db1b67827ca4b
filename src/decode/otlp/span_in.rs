//! What the span mappers read of one span, whatever its encoding (OTLP/JSON or decoded
//! protobuf). Both vocabularies (GenAI in `spans`, OpenInference in `openinference`) read this
//! one shape, so neither depends on the other.

use super::attrs::Attrs;
use super::{array, str_field, unix_nano};
use crate::model::record::Nanos;
use opentelemetry_proto::tonic::trace::v1::Span as ProtoSpan;
use serde_json::Value;

/// What the mapping reads of a span, whatever its encoding.
pub(super) struct SpanIn<'a> {
    pub(super) span_id: Option<String>,
    pub(super) trace_id: Option<String>,
    pub(super) parent_span_id: Option<String>,
    pub(super) name: Option<String>,
    pub(super) start: Option<Nanos>,
    pub(super) end: Option<Nanos>,
    pub(super) failed: bool,
    pub(super) status_message: Option<String>,
    pub(super) attrs: Attrs<'a>,
    pub(super) events: Vec<EventIn<'a>>,
}

/// A span event: its name, time, and where its attributes are.
pub(super) struct EventIn<'a> {
    pub(super) name: &'a str,
    pub(super) time: Option<Nanos>,
    attrs: EventAttrs<'a>,
}

/// Event attributes, read only for the few events the mapping looks into.
enum EventAttrs<'a> {
    Json(&'a Value),
    Proto(&'a [opentelemetry_proto::tonic::common::v1::KeyValue]),
}

impl<'a> EventIn<'a> {
    pub(super) fn attrs(&self) -> Attrs<'a> {
        match self.attrs {
            EventAttrs::Json(e) => Attrs::of(Some(e)),
            EventAttrs::Proto(list) => Attrs::of_proto(list),
        }
    }
}

impl<'a> SpanIn<'a> {
    /// A span of an OTLP/JSON request.
    pub(super) fn from_json(span: &'a Value) -> Self {
        let status = span.get("status");
        let code = status.and_then(|s| s.get("code"));
        SpanIn {
            span_id: str_field(span, "spanId"),
            trace_id: str_field(span, "traceId"),
            parent_span_id: str_field(span, "parentSpanId"),
            name: str_field(span, "name"),
            start: unix_nano(span.get("startTimeUnixNano")),
            end: unix_nano(span.get("endTimeUnixNano")),
            failed: matches!(code, Some(Value::Number(n)) if n.as_u64() == Some(2))
                || matches!(code, Some(Value::String(s)) if s == "STATUS_CODE_ERROR" || s == "2"),
            status_message: status.and_then(|s| str_field(s, "message")),
            attrs: Attrs::of(Some(span)),
            events: array(span, "events")
                .iter()
                .map(|e| EventIn {
                    name: e.get("name").and_then(Value::as_str).unwrap_or(""),
                    time: unix_nano(e.get("timeUnixNano")),
                    attrs: EventAttrs::Json(e),
                })
                .collect(),
        }
    }

    /// A span of a protobuf request (ids become the lower-case hex OTLP/JSON uses).
    pub(super) fn from_proto(span: &'a ProtoSpan) -> Self {
        let nanos = |n: u64| (n != 0).then(|| Nanos::try_from(n).ok()).flatten();
        let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        SpanIn {
            span_id: hex(&span.span_id),
            trace_id: hex(&span.trace_id),
            parent_span_id: hex(&span.parent_span_id),
            name: text(&span.name),
            start: nanos(span.start_time_unix_nano),
            end: nanos(span.end_time_unix_nano),
            failed: span.status.as_ref().is_some_and(|s| s.code == 2),
            status_message: span.status.as_ref().and_then(|s| text(&s.message)),
            attrs: Attrs::of_proto(&span.attributes),
            events: span
                .events
                .iter()
                .map(|e| EventIn {
                    name: e.name.as_str(),
                    time: nanos(e.time_unix_nano),
                    attrs: EventAttrs::Proto(&e.attributes),
                })
                .collect(),
        }
    }
}

/// Lower-case hex of an id; empty is absent.
fn hex(bytes: &[u8]) -> Option<String> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    if bytes.is_empty() {
        return None;
    }
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    Some(s)
}
