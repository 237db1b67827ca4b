//! LiteLLM's `StandardLoggingPayload` (one per line from its file/custom loggers). Quirks
//! handled here: float epoch-second times; `response_time` is TTFT for streams; the user and
//! team live in `metadata`; cached, cache-write and reasoning tokens only in the usage
//! object; failures carry `error_information`; embeddings put their input in `messages`.

use super::fields::{
    content_text, f64_at, get, json_text, push_system, str_at, string_at, u64_at, valid_ms,
};
use super::{Reject, RejectReason};
use crate::model::record::{
    epoch_to_nanos, Call, CostProvenance, Message, Nanos, Operation, Record, Status, Tokens,
    ToolCall,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// The top-level keys of a StandardLoggingPayload this decoder reads (`report --explain`
/// lists the others as ignored).
pub(super) const KEYS: &[&str] = &[
    "id",
    "litellm_call_id",
    "startTime",
    "endTime",
    "completionStartTime",
    "response_time",
    "stream",
    "call_type",
    "session_id",
    "trace_id",
    "metadata",
    "model_parameters",
    "end_user",
    "request_tags",
    "model",
    "response",
    "custom_llm_provider",
    "prompt_tokens",
    "completion_tokens",
    "response_cost",
    "response_cost_failure_debug_info",
    "status",
    "error_information",
    "error_str",
    "messages",
    "cache_hit",
];

/// Decodes one StandardLoggingPayload into a call.
pub(super) fn decode(v: &Value, arrival: Nanos, out: &mut Vec<Record>) -> Result<(), Reject> {
    let id = string_at(v, &["id"])
        .or_else(|| string_at(v, &["litellm_call_id"]))
        .ok_or_else(|| Reject::new(RejectReason::MissingField, "LiteLLM payload needs `id`"))?;
    let start = f64_at(v, &["startTime"]).and_then(epoch_to_nanos);
    let end = f64_at(v, &["endTime"]).and_then(epoch_to_nanos);
    let stream = get(v, &["stream"]).and_then(Value::as_bool) == Some(true);
    let call_type = str_at(v, &["call_type"]).unwrap_or("completion");
    let operation = operation(call_type);

    let mut call = Call {
        id,
        start,
        end,
        ts: if start.is_none() && end.is_none() {
            Some(arrival)
        } else {
            None
        },
        // LiteLLM copies `metadata.session_id` (or `litellm_session_id`) into `trace_id`, so
        // when `session_id` is empty the trace id is the conversation.
        conversation_id: string_at(v, &["session_id"])
            .or_else(|| string_at(v, &["metadata", "session_id"]))
            .or_else(|| string_at(v, &["trace_id"])),
        user: string_at(v, &["metadata", "user_api_key_user_id"])
            .or_else(|| string_at(v, &["model_parameters", "user"]))
            .or_else(|| string_at(v, &["end_user"])),
        app: string_at(v, &["metadata", "user_api_key_team_alias"])
            .or_else(|| string_at(v, &["metadata", "user_api_key_team_id"])),
        tags: tags(v),
        model: string_at(v, &["model"]),
        response_model: string_at(v, &["response", "model"]),
        provider: string_at(v, &["custom_llm_provider"]),
        operation,
        stream: Some(stream),
        latency_ms: match (start, end) {
            (Some(s), Some(e)) if e >= s => Some(e.saturating_sub(s) as f64 / 1e6),
            _ => None,
        },
        ttft_ms: if stream { ttft(v, start) } else { None },
        tokens: tokens(v),
        metadata: metadata(v),
        ..Call::default()
    };
    // A model LiteLLM cannot price gets `response_cost: 0.0` plus a debug note: that is no
    // price at all, so the call is left for llmmon's table (computed, or unpriced).
    let cost_failed = get(v, &["response_cost_failure_debug_info"])
        .is_some_and(|d| !d.is_null() && d.as_object().is_none_or(|o| !o.is_empty()));
    match f64_at(v, &["response_cost"]) {
        Some(cost) if !(cost_failed && cost == 0.0) => {
            call.cost_usd = Some(cost);
            call.cost_source = Some(CostProvenance::Reported);
        }
        Some(_) => {
            call.metadata
                .insert("litellm_cost_failure".to_owned(), Value::Bool(true));
        }
        None => {}
    }
    if str_at(v, &["status"]) == Some("failure")
        || str_at(v, &["error_information", "error_class"]).is_some()
    {
        call.status = Status::Error;
        call.error_type = string_at(v, &["error_information", "error_class"]);
        call.error_message = string_at(v, &["error_information", "error_message"])
            .or_else(|| string_at(v, &["error_str"]));
    }
    read_messages(v, &mut call);
    read_response(v, &mut call);
    out.push(Record::Call(Box::new(call)));
    Ok(())
}

/// `completion`/`acompletion` are chat completions; `text_completion` the legacy API.
fn operation(call_type: &str) -> Operation {
    let t = call_type.trim_start_matches('a');
    if t.contains("embedding") {
        Operation::Embeddings
    } else if t.contains("text_completion") {
        Operation::Completion
    } else if t.starts_with("completion")
        || t.contains("responses")
        || t.contains("generate_content")
    {
        Operation::Chat
    } else {
        Operation::Other
    }
}

fn tags(v: &Value) -> Vec<String> {
    get(v, &["request_tags"])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Stream TTFT: first chunk time minus start, else `response_time` (seconds).
fn ttft(v: &Value, start: Option<Nanos>) -> Option<f64> {
    let first = f64_at(v, &["completionStartTime"]).and_then(epoch_to_nanos);
    match (start, first) {
        (Some(s), Some(f)) if f >= s => valid_ms(f.saturating_sub(s) as f64 / 1e6),
        _ => f64_at(v, &["response_time"]).and_then(|s| valid_ms(s * 1000.0)),
    }
}

/// Top-level counts, then the detail counts from the usage object (or the response's usage).
fn tokens(v: &Value) -> Tokens {
    let usage = get(v, &["metadata", "usage_object"])
        .filter(|u| u.as_object().is_some_and(|o| !o.is_empty()))
        .or_else(|| get(v, &["response", "usage"]))
        .unwrap_or(&Value::Null);
    let first = |paths: &[&[&str]]| paths.iter().find_map(|p| u64_at(usage, p));
    Tokens {
        input: u64_at(v, &["prompt_tokens"]).or_else(|| first(&[&["prompt_tokens"]])),
        output: u64_at(v, &["completion_tokens"]).or_else(|| first(&[&["completion_tokens"]])),
        cache_read: first(&[
            &["prompt_tokens_details", "cached_tokens"],
            &["cache_read_input_tokens"],
        ]),
        cache_write: first(&[
            &["cache_creation_input_tokens"],
            &["prompt_tokens_details", "cache_creation_tokens"],
            &["prompt_tokens_details", "cache_write_tokens"],
        ]),
        reasoning: first(&[&["completion_tokens_details", "reasoning_tokens"]]),
    }
}

/// A few identifying keys worth keeping for filtering (team id, end user, key alias, ...).
fn metadata(v: &Value) -> BTreeMap<String, Value> {
    let mut m = BTreeMap::new();
    let mut put = |key: &str, path: &[&str]| {
        if let Some(s) = str_at(v, path) {
            m.insert(key.to_owned(), Value::String(s.to_owned()));
        }
    };
    put("call_type", &["call_type"]);
    put("team_id", &["metadata", "user_api_key_team_id"]);
    put("end_user", &["end_user"]);
    put("api_key_alias", &["metadata", "user_api_key_alias"]);
    put("error_code", &["error_information", "error_code"]);
    put("litellm_trace_id", &["trace_id"]);
    if let Some(code) = u64_at(v, &["error_information", "error_code"]) {
        m.insert("error_code".to_owned(), Value::from(code));
    }
    if get(v, &["cache_hit"]).and_then(Value::as_bool) == Some(true) {
        m.insert("cache_hit".to_owned(), Value::Bool(true));
    }
    m
}

/// System messages become the system prompt; the rest (embedding inputs included) stay.
fn read_messages(v: &Value, call: &mut Call) {
    match get(v, &["messages"]) {
        Some(Value::Array(ms)) => {
            for m in ms {
                let role = m.get("role").and_then(Value::as_str).unwrap_or("user");
                let content = m.get("content").and_then(content_text).unwrap_or_default();
                if role == "system" || role == "developer" {
                    push_system(&mut call.system_prompt, content);
                } else {
                    call.messages.push(Message {
                        role: role.to_owned(),
                        content,
                    });
                }
            }
        }
        Some(Value::String(s)) => call.messages.push(Message {
            role: "user".to_owned(),
            content: s.clone(),
        }),
        _ => {}
    }
}

/// Output text, finish reason and tool calls from the first choice of the response.
fn read_response(v: &Value, call: &mut Call) {
    let Some(choice) = get(v, &["response", "choices"])
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        return;
    };
    call.finish_reason = string_at(choice, &["finish_reason"]);
    let message = choice.get("message").unwrap_or(&Value::Null);
    call.output = message
        .get("content")
        .and_then(content_text)
        .or_else(|| string_at(choice, &["text"]));
    call.tool_calls = openai_tool_calls(message);
}

/// OpenAI-style `message.tool_calls[].function.{name,arguments}`.
pub(super) fn openai_tool_calls(message: &Value) -> Vec<ToolCall> {
    message
        .get("tool_calls")
        .and_then(Value::as_array)
        .map(|tcs| {
            tcs.iter()
                .filter_map(|tc| {
                    let name = str_at(tc, &["function", "name"])?;
                    Some(ToolCall {
                        id: string_at(tc, &["id"]),
                        name: name.to_owned(),
                        arguments: get(tc, &["function", "arguments"])
                            .and_then(json_text)
                            .unwrap_or_default(),
                        result: None,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_one(v: &Value) -> Call {
        let mut out = Vec::new();
        decode(v, 0, &mut out).unwrap();
        match out.pop() {
            Some(Record::Call(c)) => *c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cost_failure_is_not_a_reported_zero() {
        let base = serde_json::json!({"id": "x", "call_type": "completion", "model": "acme-ft",
            "response_cost": 0.0, "prompt_tokens": 10, "completion_tokens": 2});
        let c = decode_one(&base);
        assert_eq!(c.cost_usd, Some(0.0));
        assert_eq!(c.cost_source, Some(CostProvenance::Reported));
        let mut failed = base.clone();
        failed["response_cost_failure_debug_info"] = serde_json::json!({
            "error_str": "This model isn't mapped yet.", "model": "acme-ft"});
        let c = decode_one(&failed);
        assert_eq!(c.cost_usd, None);
        assert_eq!(c.cost_source, None);
        assert_eq!(c.metadata["litellm_cost_failure"], Value::Bool(true));
        // A null or empty debug note is no failure.
        failed["response_cost_failure_debug_info"] = Value::Null;
        assert_eq!(decode_one(&failed).cost_usd, Some(0.0));
        // A real cost next to a debug note is still the cost LiteLLM charged.
        failed["response_cost_failure_debug_info"] = serde_json::json!({"error_str": "x"});
        failed["response_cost"] = serde_json::json!(0.25);
        assert_eq!(decode_one(&failed).cost_usd, Some(0.25));
    }

    #[test]
    fn trace_id_is_the_conversation_when_session_id_is_empty() {
        let mut v = serde_json::json!({"id": "x", "call_type": "completion",
            "session_id": "", "trace_id": "sess-1"});
        assert_eq!(decode_one(&v).conversation_id.as_deref(), Some("sess-1"));
        v["metadata"] = serde_json::json!({"session_id": "meta-sess"});
        assert_eq!(decode_one(&v).conversation_id.as_deref(), Some("meta-sess"));
        v["session_id"] = serde_json::json!("own");
        assert_eq!(decode_one(&v).conversation_id.as_deref(), Some("own"));
    }

    #[test]
    fn call_types_map_to_operations() {
        assert_eq!(operation("completion"), Operation::Chat);
        assert_eq!(operation("acompletion"), Operation::Chat);
        assert_eq!(operation("aembedding"), Operation::Embeddings);
        assert_eq!(operation("text_completion"), Operation::Completion);
        assert_eq!(operation("image_generation"), Operation::Other);
    }
}
