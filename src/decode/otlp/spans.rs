//! One OTLP span → one [`Call`]. Ids, times, status and resource are common; the attribute
//! vocabulary is OpenInference when `openinference.span.kind` is set, otherwise
//! OpenTelemetry GenAI (current `gen_ai.provider.name`/`gen_ai.usage.input_tokens` and legacy
//! `gen_ai.system`/`gen_ai.usage.prompt_tokens` spellings alike). A span comes as OTLP/JSON
//! or as a decoded protobuf `Span`; both are read into one
//! [`SpanIn`](super::span_in::SpanIn) first.

use super::super::fields::valid_ms;
use super::super::native::operation;
use super::super::{Reject, RejectReason};
use super::attrs::Attrs;
use super::genai::Content;
use super::span_in::SpanIn;
use super::{openinference, params, Resource};
use crate::model::record::{
    Call, CostProvenance, Nanos, Operation, Record, Status, Tokens, ToolCall,
};
use serde_json::Value;

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
        error_type: attrs.string("error.type").map(error_type),
        ..Call::default()
    };
    if span.failed || call.error_type.is_some() {
        call.status = Status::Error;
        call.error_message = span.status_message.clone();
    }
    if attrs.has("openinference.span.kind") {
        openinference::fill(attrs, &span, span.name.clone(), &mut call);
    } else {
        fill_genai(attrs, &span, span.name.clone(), &mut call);
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

/// `error.type` as written, except the Python class repr some instrumentations put there
/// (`<class 'openai.RateLimitError'>`), which becomes the bare class name.
fn error_type(raw: String) -> String {
    match raw
        .strip_prefix("<class '")
        .and_then(|r| r.strip_suffix("'>"))
    {
        Some(path) => path.rsplit('.').next().unwrap_or(path).to_owned(),
        None => raw,
    }
}

/// Time to first token from OpenLLMetry's `gen_ai.content.completion.chunk` events: the
/// first one's time after the span start.
fn first_chunk_ms(span: &SpanIn<'_>, start: Option<Nanos>) -> Option<f64> {
    let first = span
        .events
        .iter()
        .filter(|e| e.name == "gen_ai.content.completion.chunk")
        .filter_map(|e| e.time)
        .min()?;
    valid_ms(first.checked_sub(start?)? as f64 / 1e6)
}

/// OpenTelemetry GenAI conventions, current and legacy, with the extra spellings of
/// OpenLLMetry (`gen_ai.is_streaming`, `gen_ai.usage.reasoning_tokens`, chunk events) and
/// openlit (`gen_ai.usage.cost`, tool calls on chat spans).
fn fill_genai(a: &Attrs<'_>, span: &SpanIn<'_>, span_name: Option<String>, call: &mut Call) {
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
        reasoning: a
            .u64("gen_ai.usage.reasoning.output_tokens")
            .or_else(|| a.u64("gen_ai.usage.reasoning_tokens")),
    };
    call.finish_reason = a.first_string("gen_ai.response.finish_reasons");
    call.stream = a
        .bool("gen_ai.request.stream")
        .or_else(|| a.bool("gen_ai.is_streaming"));
    // openlit sets its server TTFT to about the whole duration on calls that did not stream.
    let server_ttft = (call.stream != Some(false) && call.operation != Operation::Embeddings)
        .then(|| a.f64("gen_ai.server.time_to_first_token"))
        .flatten();
    call.ttft_ms = a
        .f64("gen_ai.response.time_to_first_chunk")
        .or(server_ttft)
        .and_then(|s| valid_ms(s * 1000.0))
        .or_else(|| first_chunk_ms(span, call.start));
    if call.ttft_ms.is_some() && call.stream.is_none() {
        call.stream = Some(true);
    }
    call.conversation_id = a.string("gen_ai.conversation.id");
    call.user = a
        .string("user.id")
        .or_else(|| a.string("enduser.id"))
        .or_else(|| a.string("gen_ai.request.user"))
        .or_else(|| a.string("gen_ai.user"));
    if let Some(cost) = a.f64("gen_ai.usage.cost").filter(|c| *c > 0.0) {
        call.cost_usd = Some(cost);
        call.cost_source = Some(CostProvenance::Reported);
    }
    params::from_genai(a, call);

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
    if call.operation.is_llm_call() && call.tool_calls.is_empty() {
        call.tool_calls = requested_tools(a);
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

/// Tool calls openlit puts on the chat span that asked for them, content capture or not:
/// names and ids joined by `", "` in `gen_ai.tool.name`/`gen_ai.tool.call.id`, and the
/// argument JSON documents likewise in `gen_ai.tool.args`.
fn requested_tools(a: &Attrs<'_>) -> Vec<ToolCall> {
    let Some(names) = a.str("gen_ai.tool.name") else {
        return Vec::new();
    };
    let names: Vec<&str> = names.split(", ").filter(|n| !n.is_empty()).collect();
    let ids = a.str("gen_ai.tool.call.id").unwrap_or("");
    let mut ids = ids.split(", ").filter(|i| !i.is_empty());
    let args = a.str("gen_ai.tool.args").unwrap_or("");
    let mut args = split_json_list(args, names.len()).into_iter();
    names
        .into_iter()
        .map(|name| ToolCall {
            id: ids.next().map(str::to_owned),
            name: name.to_owned(),
            arguments: args.next().unwrap_or_default(),
            result: None,
        })
        .collect()
}

/// `n` JSON documents joined by `", "`, split apart; one document is taken whole.
fn split_json_list(text: &str, n: usize) -> Vec<String> {
    if n <= 1 {
        return vec![text.to_owned()];
    }
    let mut out = Vec::with_capacity(n);
    let mut rest = text;
    while !rest.is_empty() {
        let mut docs =
            serde_json::Deserializer::from_str(rest).into_iter::<serde::de::IgnoredAny>();
        match docs.next() {
            Some(Ok(_)) => {
                let end = docs.byte_offset();
                out.push(rest[..end].trim().to_owned());
                rest = rest[end..].trim_start_matches([',', ' ']);
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call_of(span: &Value) -> Call {
        let resource = Resource {
            app: None,
            env: None,
        };
        match decode(SpanIn::from_json(span), &resource, 0, String::new) {
            Ok(Record::Call(c)) => *c,
            other => panic!("not a call: {other:?}"),
        }
    }

    #[test]
    fn openlit_server_ttft_counts_only_for_streams() {
        let span = |stream: bool| {
            json!({"spanId":"01","startTimeUnixNano":"1000000000","endTimeUnixNano":"2000000000",
            "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
                {"key":"gen_ai.request.stream","value":{"boolValue":stream}},
                {"key":"gen_ai.server.time_to_first_token","value":{"doubleValue":0.25}},
                {"key":"gen_ai.usage.cost","value":{"doubleValue":0.002}}]})
        };
        assert_eq!(call_of(&span(false)).ttft_ms, None);
        let streamed = call_of(&span(true));
        assert_eq!(streamed.ttft_ms, Some(250.0));
        assert_eq!(streamed.cost_usd, Some(0.002));
        assert_eq!(streamed.cost_source, Some(CostProvenance::Reported));
    }

    #[test]
    fn openllmetry_chunk_events_give_ttft_and_its_spellings_are_read() {
        let span = json!({"spanId":"01","startTimeUnixNano":"1000000000",
            "endTimeUnixNano":"2000000000",
            "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
                {"key":"gen_ai.usage.reasoning_tokens","value":{"intValue":"256"}},
                {"key":"gen_ai.user","value":{"stringValue":"u-bob"}}],
            "events":[{"name":"gen_ai.content.completion.chunk","timeUnixNano":"1200000000"},
                {"name":"gen_ai.content.completion.chunk","timeUnixNano":"1150000000"}]});
        let c = call_of(&span);
        assert_eq!(c.ttft_ms, Some(150.0));
        assert_eq!(c.stream, Some(true));
        assert_eq!(c.tokens.reasoning, Some(256));
        assert_eq!(c.user.as_deref(), Some("u-bob"));
    }

    #[test]
    fn class_reprs_become_class_names() {
        assert_eq!(
            error_type("<class 'openai.RateLimitError'>".into()),
            "RateLimitError"
        );
        assert_eq!(
            error_type("openai.RateLimitError".into()),
            "openai.RateLimitError"
        );
        assert_eq!(error_type("<class 'TimeoutError'>".into()), "TimeoutError");
    }

    #[test]
    fn openlit_tool_lists_are_split() {
        let span = json!({"attributes":[
            {"key":"gen_ai.tool.name","value":{"stringValue":"a, b"}},
            {"key":"gen_ai.tool.call.id","value":{"stringValue":"c1, c2"}},
            {"key":"gen_ai.tool.args","value":{"stringValue":"{\"x\": 1, \"y\": [2, 3]}, {}"}}]});
        let calls = requested_tools(&Attrs::of(Some(&span)));
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].arguments, r#"{"x": 1, "y": [2, 3]}"#);
        assert_eq!(calls[1].id.as_deref(), Some("c2"));
        assert_eq!(calls[1].arguments, "{}");
    }
}
