//! GenAI log events → [`Attachment`]s linked to their span by `traceId`/`spanId`. Current
//! conventions put everything in the attributes of one
//! `gen_ai.client.inference.operation.details` event; legacy ones emit one event per message
//! (`gen_ai.system.message`, `gen_ai.user.message`, `gen_ai.assistant.message`,
//! `gen_ai.tool.message`, `gen_ai.choice`) with the name in the `event.name` attribute and the
//! content in a kvlist `body`. Log records that are not GenAI events are skipped.

use super::super::fields::{content_text, json_text, string_at};
use super::super::litellm::openai_tool_calls;
use super::super::{Reject, RejectReason};
use super::attrs::{any_to_json, Attrs};
use super::genai::Content;
use super::{str_field, unix_nano};
use crate::model::record::{Attachment, Message, Nanos, Record};
use serde_json::Value;

/// Decodes one log record; `None` for log records that are not GenAI events.
pub(super) fn decode(
    log: &Value,
    arrival: Nanos,
    path: impl Fn() -> String,
) -> Result<Option<Record>, Reject> {
    let attrs = Attrs::of(Some(log));
    let event = str_field(log, "eventName").or_else(|| attrs.string("event.name"));
    let Some(event) = event.filter(|e| e.starts_with("gen_ai.")) else {
        return Ok(None);
    };
    let span_id = str_field(log, "spanId").ok_or_else(|| {
        Reject::new(
            RejectReason::MissingField,
            format!("{}.spanId (GenAI event {event} cannot be linked)", path()),
        )
    })?;
    let mut att = Attachment {
        trace_id: str_field(log, "traceId"),
        span_id: Some(span_id),
        time: Some(
            unix_nano(log.get("timeUnixNano"))
                .or_else(|| unix_nano(log.get("observedTimeUnixNano")))
                .unwrap_or(arrival),
        ),
        ..Attachment::default()
    };
    let body = log.get("body").map_or(Value::Null, any_to_json);
    match event.as_str() {
        "gen_ai.system.message" => att.system_prompt = body_text(&body),
        "gen_ai.user.message" | "gen_ai.assistant.message" | "gen_ai.tool.message" => {
            let role = event
                .trim_start_matches("gen_ai.")
                .trim_end_matches(".message")
                .to_owned();
            let mut content = body_text(&body).unwrap_or_default();
            for tc in openai_tool_calls(&body) {
                if !content.is_empty() {
                    content.push('\n');
                }
                content.push_str(&format!("{}({})", tc.name, tc.arguments));
            }
            att.messages.push(Message { role, content });
        }
        "gen_ai.choice" => {
            let message = body.get("message").unwrap_or(&Value::Null);
            att.output = message.get("content").and_then(content_text);
            att.tool_calls = openai_tool_calls(message);
            att.finish_reason = string_at(&body, &["finish_reason"]);
        }
        _ => {
            let mut content = Content::default();
            if let Some(v) = attrs.json("gen_ai.system_instructions") {
                content.add_system(&v);
            }
            if let Some(v) = attrs.json("gen_ai.input.messages") {
                content.add_input(&v);
            }
            if let Some(v) = attrs.json("gen_ai.output.messages") {
                content.add_output(&v);
            }
            att.system_prompt = content.system_prompt;
            att.messages = content.messages;
            att.output = content.output;
            att.tool_calls = content.tool_calls;
            att.finish_reason = attrs
                .first_string("gen_ai.response.finish_reasons")
                .or(content.finish_reason);
        }
    }
    Ok(Some(Record::Attachment(Box::new(att))))
}

/// The `content` of a legacy event body (kvlist), or a plain string body.
fn body_text(body: &Value) -> Option<String> {
    match body {
        Value::String(s) => Some(s.clone()),
        other => other
            .get("content")
            .and_then(|c| content_text(c).or_else(|| json_text(c))),
    }
}
