//! One OTLP span → one [`Call`]. Ids, times, status and resource are common; the attribute
//! vocabulary is OpenInference when `openinference.span.kind` is set, otherwise
//! OpenTelemetry GenAI (current `gen_ai.provider.name`/`gen_ai.usage.input_tokens` and legacy
//! `gen_ai.system`/`gen_ai.usage.prompt_tokens` spellings alike). A span comes as OTLP/JSON
//! or as a decoded protobuf [`ProtoSpan`]; both are read into one [`SpanIn`] first.

use super::super::native::operation;
use super::super::{Reject, RejectReason};
use super::attrs::Attrs;
use super::genai::Content;
use super::{array, openinference, str_field, unix_nano, Resource};
use crate::record::{Call, Nanos, Operation, Record, Status, Tokens, ToolCall};
use opentelemetry_proto::tonic::trace::v1::Span as ProtoSpan;
use serde_json::Value;

/// What the mapping reads of a span, whatever its encoding.
pub(super) struct SpanIn<'a> {
    span_id: Option<String>,
    trace_id: Option<String>,
    parent_span_id: Option<String>,
    name: Option<String>,
    start: Option<Nanos>,
    end: Option<Nanos>,
    failed: bool,
    status_message: Option<String>,
    attrs: Attrs<'a>,
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
    fn attrs(&self) -> Attrs<'a> {
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

/// Decodes one span. `path` names it in a rejection.
pub(super) fn decode(
    span: SpanIn<'_>,
    resource: &Resource,
    arrival: Nanos,
    path: impl Fn() -> String,
) -> Result<Record, Reject> {
    let span_id = span
        .span_id
        .clone()
        .ok_or_else(|| Reject::new(RejectReason::MissingField, format!("{}.spanId", path())))?;
    let attrs = &span.attrs;
    let (start, end) = (span.start, span.end);
    let mut call = Call {
        id: span_id.clone(),
        span_id: Some(span_id),
        trace_id: span.trace_id.clone(),
        parent_span_id: span.parent_span_id.clone(),
        start,
        end,
        ts: (start.is_none() && end.is_none()).then_some(arrival),
        app: resource.app.clone(),
        env: resource.env.clone(),
        error_type: attrs.string("error.type"),
        ..Call::default()
    };
    if span.failed || call.error_type.is_some() {
        call.status = Status::Error;
        call.error_message = span.status_message.clone();
    }
    if attrs.has("openinference.span.kind") {
        openinference::fill(attrs, &span, span.name.clone(), &mut call);
    } else {
        fill_genai(attrs, span.name.clone(), &mut call);
    }
    if call.status == Status::Error {
        read_exception(&span, &mut call);
    }
    Ok(Record::Call(Box::new(call)))
}

/// The first `exception` event fills in a missing error type and message.
fn read_exception(span: &SpanIn<'_>, call: &mut Call) {
    let Some(event) = span.events.iter().find(|e| e.name == "exception") else {
        return;
    };
    let a = event.attrs();
    if call.error_type.is_none() {
        call.error_type = a.string("exception.type");
    }
    if call.error_message.is_none() {
        call.error_message = a.string("exception.message");
    }
}

/// OpenTelemetry GenAI conventions, current and legacy.
fn fill_genai(a: &Attrs<'_>, span_name: Option<String>, call: &mut Call) {
    call.operation = a
        .str("gen_ai.operation.name")
        .map_or(Operation::Other, operation);
    call.name = match call.operation {
        Operation::Tool => a.string("gen_ai.tool.name"),
        Operation::Agent => a.string("gen_ai.agent.name"),
        Operation::Workflow => a.string("gen_ai.workflow.name"),
        _ => None,
    }
    .or_else(|| {
        (!call.operation.is_llm_call())
            .then_some(span_name)
            .flatten()
    });
    call.model = a.string("gen_ai.request.model");
    call.response_model = a.string("gen_ai.response.model");
    call.provider = a
        .string("gen_ai.provider.name")
        .or_else(|| a.string("gen_ai.system"));
    call.tokens = Tokens {
        input: a
            .u64("gen_ai.usage.input_tokens")
            .or_else(|| a.u64("gen_ai.usage.prompt_tokens")),
        output: a
            .u64("gen_ai.usage.output_tokens")
            .or_else(|| a.u64("gen_ai.usage.completion_tokens")),
        cache_read: a
            .u64("gen_ai.usage.cache_read.input_tokens")
            .or_else(|| a.u64("gen_ai.usage.cache_read_input_tokens")),
        cache_write: a
            .u64("gen_ai.usage.cache_creation.input_tokens")
            .or_else(|| a.u64("gen_ai.usage.cache_creation_input_tokens")),
        reasoning: a.u64("gen_ai.usage.reasoning.output_tokens"),
    };
    call.finish_reason = a.first_string("gen_ai.response.finish_reasons");
    call.ttft_ms = a
        .f64("gen_ai.response.time_to_first_chunk")
        .or_else(|| a.f64("gen_ai.server.time_to_first_token"))
        .map(|s| s * 1000.0)
        .filter(|ms| ms.is_finite() && *ms >= 0.0);
    call.stream = a.bool("gen_ai.request.stream");
    call.conversation_id = a.string("gen_ai.conversation.id");
    call.user = a.string("user.id").or_else(|| a.string("enduser.id"));

    let mut content = Content::default();
    if let Some(v) = a.json("gen_ai.system_instructions") {
        content.add_system(&v);
    }
    if let Some(v) = a.json("gen_ai.input.messages") {
        content.add_input(&v);
    }
    if let Some(v) = a.json("gen_ai.output.messages") {
        content.add_output(&v);
    }
    call.system_prompt = content.system_prompt;
    call.messages = content.messages;
    call.output = content.output;
    call.tool_calls = content.tool_calls;
    if call.finish_reason.is_none() {
        call.finish_reason = content.finish_reason;
    }
    if call.operation == Operation::Tool {
        if let Some(name) = call.name.clone() {
            call.tool_calls.push(ToolCall {
                id: a.string("gen_ai.tool.call.id"),
                name,
                arguments: a.string("gen_ai.tool.call.arguments").unwrap_or_default(),
                result: a.string("gen_ai.tool.call.result"),
            });
        }
    }
    for (key, attr) in [
        ("agent", "gen_ai.agent.name"),
        ("response_id", "gen_ai.response.id"),
        ("api_type", "openai.api.type"),
    ] {
        if let Some(s) = a.string(attr) {
            call.metadata.insert(key.to_owned(), Value::String(s));
        }
    }
}
