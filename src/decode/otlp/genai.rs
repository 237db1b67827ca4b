//! OpenTelemetry GenAI message content (`gen_ai.input.messages`, `gen_ai.output.messages`,
//! `gen_ai.system_instructions`): lists of `{role, parts: [{type, ...}]}` read from plain JSON,
//! whichever form (JSON string on spans, structured value on log events) they arrived in.

use super::super::fields::{json_text, push_system, str_at, string_at};
use crate::model::record::{Message, ToolCall};
use serde_json::Value;

/// Content read from GenAI message attributes.
#[derive(Default)]
pub(super) struct Content {
    pub system_prompt: Option<String>,
    pub messages: Vec<Message>,
    pub output: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub finish_reason: Option<String>,
}

impl Content {
    /// Reads `system_instructions`: a parts list (or a plain string).
    pub(super) fn add_system(&mut self, v: &Value) {
        let text = match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(parts) => parts_text(parts),
            _ => None,
        };
        if let Some(t) = text {
            push_system(&mut self.system_prompt, t);
        }
    }

    /// Reads input messages; `system` ones become the system prompt.
    pub(super) fn add_input(&mut self, v: &Value) {
        for m in v.as_array().into_iter().flatten() {
            let role = str_at(m, &["role"]).unwrap_or("user");
            let text = message_text(m).unwrap_or_default();
            if role == "system" || role == "developer" {
                push_system(&mut self.system_prompt, text);
            } else {
                self.messages.push(Message {
                    role: role.to_owned(),
                    content: text,
                });
            }
        }
    }

    /// Reads output messages: text, requested tool calls and the finish reason.
    pub(super) fn add_output(&mut self, v: &Value) {
        let mut texts = Vec::new();
        for m in v.as_array().into_iter().flatten() {
            if let Some(t) = m
                .get("parts")
                .and_then(Value::as_array)
                .and_then(|p| parts_text(p))
            {
                texts.push(t);
            }
            for part in m
                .get("parts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if str_at(part, &["type"]) == Some("tool_call") {
                    if let Some(name) = string_at(part, &["name"]) {
                        self.tool_calls.push(ToolCall {
                            id: string_at(part, &["id"]),
                            name,
                            arguments: part
                                .get("arguments")
                                .and_then(json_text)
                                .unwrap_or_default(),
                            result: None,
                        });
                    }
                }
            }
            if self.finish_reason.is_none() {
                self.finish_reason = string_at(m, &["finish_reason"]);
            }
        }
        if !texts.is_empty() {
            self.output = Some(texts.join("\n"));
        }
    }
}

/// Text parts joined; tool calls and tool results rendered so a conversation reads whole.
fn message_text(m: &Value) -> Option<String> {
    let parts = m.get("parts").and_then(Value::as_array)?;
    let mut texts = Vec::new();
    for p in parts {
        match str_at(p, &["type"]) {
            Some("tool_call") => {
                let name = str_at(p, &["name"]).unwrap_or("tool");
                let args = p.get("arguments").and_then(json_text).unwrap_or_default();
                texts.push(format!("{name}({args})"));
            }
            Some("tool_call_response") => {
                if let Some(r) = p.get("response").and_then(json_text) {
                    texts.push(r);
                }
            }
            _ => {
                if let Some(t) = str_at(p, &["content"]) {
                    texts.push(t.to_owned());
                }
            }
        }
    }
    (!texts.is_empty()).then(|| texts.join("\n"))
}

/// Text (and reasoning-free) parts of a parts list joined by newlines.
fn parts_text(parts: &[Value]) -> Option<String> {
    let texts: Vec<&str> = parts
        .iter()
        .filter(|p| matches!(str_at(p, &["type"]), None | Some("text")))
        .filter_map(|p| str_at(p, &["content"]))
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn system_messages_become_the_prompt_and_tool_calls_are_kept() {
        let mut c = Content::default();
        c.add_input(&json!([
            {"role":"system","parts":[{"type":"text","content":"be brief"}]},
            {"role":"user","parts":[{"type":"text","content":"hi"}]}
        ]));
        c.add_output(
            &json!([{"role":"assistant","finish_reason":"tool_call","parts":[
            {"type":"tool_call","name":"search","id":"c1","arguments":{"q":1}}]}]),
        );
        assert_eq!(c.system_prompt.as_deref(), Some("be brief"));
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.tool_calls[0].arguments, r#"{"q":1}"#);
        assert_eq!(c.finish_reason.as_deref(), Some("tool_call"));
        assert_eq!(c.output, None);
    }
}
