//! Bare provider response objects logged as they came back: OpenAI Chat Completions
//! (`object: chat.completion`), OpenAI Responses (`object: response`) and Anthropic Messages
//! (`type: message`). Each becomes one call; the time is `created` when present, else arrival.

use super::fields::{content_text, f64_at, get, json_text, str_at, string_at, u64_at};
use super::litellm::openai_tool_calls;
use super::{Reject, RejectReason};
use crate::model::record::{
    epoch_to_nanos, Call, Nanos, Operation, Record, Status, Tokens, ToolCall,
};
use serde_json::Value;

fn missing(what: &str) -> Reject {
    Reject::new(RejectReason::MissingField, what.to_owned())
}

/// A call skeleton shared by the three shapes.
fn base(v: &Value, provider: &str, created: Option<Nanos>, arrival: Nanos) -> Result<Call, Reject> {
    let id = string_at(v, &["id"]).ok_or_else(|| missing("response object needs `id`"))?;
    Ok(Call {
        id,
        ts: Some(created.unwrap_or(arrival)),
        response_model: string_at(v, &["model"]),
        provider: Some(provider.to_owned()),
        ..Call::default()
    })
}

/// OpenAI Chat Completions (and legacy text completions).
pub(super) fn openai_chat(v: &Value, arrival: Nanos, out: &mut Vec<Record>) -> Result<(), Reject> {
    let created = f64_at(v, &["created"]).and_then(epoch_to_nanos);
    let mut call = base(v, "openai", created, arrival)?;
    let choice = get(v, &["choices"])
        .and_then(Value::as_array)
        .ok_or_else(|| missing("chat.completion needs `choices`"))?
        .first();
    if str_at(v, &["object"]) == Some("text_completion") {
        call.operation = Operation::Completion;
    }
    if let Some(choice) = choice {
        call.finish_reason = string_at(choice, &["finish_reason"]);
        let message = choice.get("message").unwrap_or(&Value::Null);
        call.output = message
            .get("content")
            .and_then(content_text)
            .or_else(|| string_at(choice, &["text"]));
        call.tool_calls = openai_tool_calls(message);
    }
    call.tokens = Tokens {
        input: u64_at(v, &["usage", "prompt_tokens"]),
        output: u64_at(v, &["usage", "completion_tokens"]),
        cache_read: u64_at(v, &["usage", "prompt_tokens_details", "cached_tokens"]),
        cache_write: None,
        reasoning: u64_at(
            v,
            &["usage", "completion_tokens_details", "reasoning_tokens"],
        ),
    };
    out.push(Record::Call(Box::new(call)));
    Ok(())
}

/// OpenAI Responses API object.
pub(super) fn openai_responses(
    v: &Value,
    arrival: Nanos,
    out: &mut Vec<Record>,
) -> Result<(), Reject> {
    let created = f64_at(v, &["created_at"]).and_then(epoch_to_nanos);
    let mut call = base(v, "openai", created, arrival)?;
    let items = get(v, &["output"])
        .and_then(Value::as_array)
        .ok_or_else(|| missing("response object needs `output`"))?;
    let mut texts = Vec::new();
    for item in items {
        match str_at(item, &["type"]) {
            Some("message") => {
                if let Some(t) = item.get("content").and_then(content_text) {
                    texts.push(t);
                }
            }
            Some("function_call") => {
                if let Some(name) = string_at(item, &["name"]) {
                    call.tool_calls.push(ToolCall {
                        id: string_at(item, &["call_id"]).or_else(|| string_at(item, &["id"])),
                        name,
                        arguments: item
                            .get("arguments")
                            .and_then(json_text)
                            .unwrap_or_default(),
                        result: None,
                    });
                }
            }
            _ => {}
        }
    }
    call.output = (!texts.is_empty()).then(|| texts.join("\n"));
    call.system_prompt = string_at(v, &["instructions"]);
    call.finish_reason = string_at(v, &["incomplete_details", "reason"]).or_else(|| {
        (!call.tool_calls.is_empty())
            .then(|| "tool_calls".to_owned())
            .or_else(|| string_at(v, &["status"]))
    });
    if str_at(v, &["status"]) == Some("failed") || get(v, &["error"]).is_some_and(|e| !e.is_null())
    {
        call.status = Status::Error;
        call.error_type = string_at(v, &["error", "code"]);
        call.error_message = string_at(v, &["error", "message"]);
    }
    call.tokens = Tokens {
        input: u64_at(v, &["usage", "input_tokens"]),
        output: u64_at(v, &["usage", "output_tokens"]),
        cache_read: u64_at(v, &["usage", "input_tokens_details", "cached_tokens"]),
        cache_write: None,
        reasoning: u64_at(v, &["usage", "output_tokens_details", "reasoning_tokens"]),
    };
    out.push(Record::Call(Box::new(call)));
    Ok(())
}

/// Anthropic Messages API response.
pub(super) fn anthropic(v: &Value, arrival: Nanos, out: &mut Vec<Record>) -> Result<(), Reject> {
    let mut call = base(v, "anthropic", None, arrival)?;
    let blocks = get(v, &["content"])
        .and_then(Value::as_array)
        .ok_or_else(|| missing("Anthropic message needs `content`"))?;
    let mut texts = Vec::new();
    for b in blocks {
        match str_at(b, &["type"]) {
            Some("text") => {
                if let Some(t) = str_at(b, &["text"]) {
                    texts.push(t);
                }
            }
            Some("tool_use") => {
                if let Some(name) = string_at(b, &["name"]) {
                    call.tool_calls.push(ToolCall {
                        id: string_at(b, &["id"]),
                        name,
                        arguments: b.get("input").and_then(json_text).unwrap_or_default(),
                        result: None,
                    });
                }
            }
            _ => {}
        }
    }
    call.output = (!texts.is_empty()).then(|| texts.join("\n"));
    call.finish_reason = string_at(v, &["stop_reason"]);
    call.tokens = Tokens {
        input: u64_at(v, &["usage", "input_tokens"]),
        output: u64_at(v, &["usage", "output_tokens"]),
        cache_read: u64_at(v, &["usage", "cache_read_input_tokens"]),
        cache_write: u64_at(v, &["usage", "cache_creation_input_tokens"]),
        reasoning: None,
    };
    out.push(Record::Call(Box::new(call)));
    Ok(())
}
