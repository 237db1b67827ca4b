//! OpenInference span attributes (Arize Phoenix and its instrumentations): span kind in
//! `openinference.span.kind`, flattened message lists, the request model only inside the
//! `llm.invocation_parameters` JSON, and TTFT as a `First Token Stream Event`.

use super::super::fields::{push_system, string_at, valid_ms};
use super::attrs::Attrs;
use super::params;
use super::span_in::SpanIn;
use crate::model::record::{Call, Message, Operation, Tokens, ToolCall};
use serde_json::Value;
use std::collections::BTreeMap;

/// Fills a call from OpenInference attributes and events.
pub(super) fn fill(a: &Attrs<'_>, span: &SpanIn<'_>, span_name: Option<String>, call: &mut Call) {
    call.operation = match a.str("openinference.span.kind").unwrap_or("") {
        "LLM" => Operation::Chat,
        "EMBEDDING" => Operation::Embeddings,
        "AGENT" => Operation::Agent,
        "TOOL" => Operation::Tool,
        "CHAIN" => Operation::Workflow,
        "RETRIEVER" => Operation::Retrieval,
        _ => Operation::Other,
    };
    let params = a
        .json("llm.invocation_parameters")
        .or_else(|| a.json("embedding.invocation_parameters"))
        .unwrap_or(Value::Null);
    call.model = string_at(&params, &["model"]);
    call.response_model = a
        .string("llm.model_name")
        .or_else(|| a.string("embedding.model_name"));
    call.provider = a.string("llm.provider").or_else(|| a.string("llm.system"));
    call.stream = params.get("stream").and_then(Value::as_bool);
    call.tokens = Tokens {
        input: a.u64("llm.token_count.prompt"),
        output: a.u64("llm.token_count.completion"),
        cache_read: a.u64("llm.token_count.prompt_details.cache_read"),
        cache_write: a.u64("llm.token_count.prompt_details.cache_write"),
        reasoning: a.u64("llm.token_count.completion_details.reasoning"),
    };
    call.finish_reason = a.string("llm.finish_reason");
    call.conversation_id = a.string("session.id");
    call.user = a
        .string("user.id")
        .or_else(|| string_at(&params, &["user"]));
    params::from_invocation(&params, a, call);
    let tools: Vec<Value> = indexed(a, "llm.tools.", ".tool.json_schema")
        .iter()
        .filter_map(|s| serde_json::from_str(s).ok())
        .collect();
    if !tools.is_empty() {
        call.metadata
            .insert("tool_definitions".to_owned(), Value::Array(tools));
    }
    call.tags = a.strings("tag.tags");
    if let Some(Value::Object(m)) = a.json("metadata") {
        call.metadata.extend(m);
    }
    call.name = match call.operation {
        Operation::Tool => a.string("tool.name").or(span_name),
        op if op.is_llm_call() => None,
        _ => span_name,
    };

    for (role, content) in flat_messages(a, "llm.input_messages.") {
        if role == "system" || role == "developer" {
            push_system(&mut call.system_prompt, content.text);
        } else {
            call.messages.push(Message {
                role,
                content: content.text,
            });
        }
    }
    let outputs = flat_messages(a, "llm.output_messages.");
    let texts: Vec<&str> = outputs
        .iter()
        .map(|(_, m)| m.text.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    if !texts.is_empty() {
        call.output = Some(texts.join("\n"));
    }
    call.tool_calls = outputs
        .into_iter()
        .flat_map(|(_, m)| m.tool_calls)
        .collect();

    match call.operation {
        Operation::Embeddings => {
            for text in indexed(a, "embedding.embeddings.", ".embedding.text") {
                call.messages.push(Message {
                    role: "user".to_owned(),
                    content: text,
                });
            }
        }
        Operation::Tool => {
            if let Some(name) = call.name.clone() {
                call.tool_calls.push(ToolCall {
                    id: a.string("tool_call.id"),
                    name,
                    arguments: a.string("input.value").unwrap_or_default(),
                    result: a.string("output.value"),
                });
            }
        }
        op if !op.is_llm_call() => {
            if let Some(input) = a.string("input.value") {
                call.messages.push(Message {
                    role: "user".to_owned(),
                    content: input,
                });
            }
            call.output = a.string("output.value");
        }
        _ => {}
    }

    if let (Some(start), Some(first)) = (
        call.start,
        span.events
            .iter()
            .find(|e| e.name == "First Token Stream Event")
            .and_then(|e| e.time),
    ) {
        call.ttft_ms = valid_ms(first.saturating_sub(start) as f64 / 1e6);
        call.stream = Some(true);
    }
}

/// One flattened message.
#[derive(Default)]
struct FlatMessage {
    role: Option<String>,
    text: String,
    tool_calls: Vec<ToolCall>,
}

/// Rebuilds `prefix{i}.message.*` attributes into messages ordered by index.
fn flat_messages(a: &Attrs<'_>, prefix: &'static str) -> Vec<(String, FlatMessage)> {
    let mut by_index: BTreeMap<usize, FlatMessage> = BTreeMap::new();
    let mut calls: BTreeMap<(usize, usize), ToolCall> = BTreeMap::new();
    let mut parts: BTreeMap<(usize, usize), String> = BTreeMap::new();
    for key in a.keys_with(prefix) {
        let rest = &key[prefix.len()..];
        let Some((i, field)) = rest.split_once('.') else {
            continue;
        };
        let Ok(i) = i.parse::<usize>() else { continue };
        let entry = by_index.entry(i).or_default();
        match field {
            "message.role" => entry.role = a.string(key),
            "message.content" => entry.text = a.string(key).unwrap_or_default(),
            _ => {
                if let Some(tc) = field.strip_prefix("message.tool_calls.") {
                    let Some((j, f)) = tc.split_once('.') else {
                        continue;
                    };
                    let Ok(j) = j.parse::<usize>() else { continue };
                    let slot = calls.entry((i, j)).or_default();
                    match f {
                        "tool_call.id" => slot.id = a.string(key),
                        "tool_call.function.name" => slot.name = a.string(key).unwrap_or_default(),
                        "tool_call.function.arguments" => {
                            slot.arguments = a.string(key).unwrap_or_default()
                        }
                        _ => {}
                    }
                } else if let Some(c) = field.strip_prefix("message.contents.") {
                    let Some((j, f)) = c.split_once('.') else {
                        continue;
                    };
                    let Ok(j) = j.parse::<usize>() else { continue };
                    if f == "message_content.text" {
                        if let Some(t) = a.string(key) {
                            parts.insert((i, j), t);
                        }
                    }
                }
            }
        }
    }
    for ((i, _), text) in parts {
        if let Some(m) = by_index.get_mut(&i) {
            if !m.text.is_empty() {
                m.text.push('\n');
            }
            m.text.push_str(&text);
        }
    }
    for ((i, _), tc) in calls {
        if let (Some(m), false) = (by_index.get_mut(&i), tc.name.is_empty()) {
            m.tool_calls.push(tc);
        }
    }
    by_index
        .into_values()
        .map(|mut m| (m.role.take().unwrap_or_else(|| "user".to_owned()), m))
        .collect()
}

/// String values of `prefix{i}suffix` attributes ordered by index.
fn indexed(a: &Attrs<'_>, prefix: &'static str, suffix: &str) -> Vec<String> {
    let mut found: BTreeMap<usize, String> = BTreeMap::new();
    for key in a.keys_with(prefix) {
        let rest = &key[prefix.len()..];
        if let Some(i) = rest
            .strip_suffix(suffix)
            .and_then(|i| i.parse::<usize>().ok())
        {
            if let Some(s) = a.string(key) {
                found.insert(i, s);
            }
        }
    }
    found.into_values().collect()
}
