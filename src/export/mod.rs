//! Datasets from what was found: the OpenAI chat fine-tuning shape (one `{"messages": [...]}`
//! object per conversation) or the raw records, with annotations attached, optionally
//! redacted; and Markdown incident reports.
//!
//! Chat shape, one JSON object per line:
//!
//! ```json
//! {"messages": [{"role": "system", "content": "..."},
//!               {"role": "user", "content": "..."},
//!               {"role": "assistant", "content": "...", "weight": 0}],
//!  "metadata": {"conversation": "c1", "calls": ["id1"], "annotations": [...]}}
//! ```
//!
//! Roles are only `system`, `user` and `assistant`; every object has at least one assistant
//! message; `weight` (0) appears only on assistant turns a reviewer labelled bad,
//! hallucination or unsafe, which fine-tuning then skips. `metadata` carries the
//! conversation key, the call ids and the annotations.

pub mod incident;
pub mod redact;
pub mod reviewed;

use crate::annotations::{Annotation, Annotations};
use crate::engine::store::StoredCall;
use crate::engine::Engine;
use crate::model::query::Query;
use crate::model::record::{Call, Nanos, Record};
use redact::{redact_call, Redactor};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// Which calls go into a dataset.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Calls carrying at least one detector finding.
    Flagged,
    /// Calls of marked conversations, and labelled calls.
    Marked,
    /// Calls matching a query.
    Filter(Query),
}

/// Output shape of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Chat,
    Raw,
}

/// Event-time bounds (inclusive) on the calls considered.
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    pub from: Option<Nanos>,
    pub to: Option<Nanos>,
}

impl Range {
    /// Whether `t` falls inside.
    pub fn contains(&self, t: Nanos) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t <= e)
    }
}

/// What a dataset export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Lines written (conversations for chat, calls for raw).
    pub items: u64,
    pub calls: u64,
    /// Conversations skipped because they had no assistant answer (chat only).
    pub skipped: u64,
}

/// The stored calls selected, oldest first.
pub fn select<'a>(
    engine: &'a Engine,
    sel: &Selection,
    ann: &Annotations,
    range: Range,
) -> Vec<&'a StoredCall> {
    engine
        .store
        .calls()
        .filter(|s| s.call.operation.is_llm_call() && range.contains(s.time))
        .filter(|s| match sel {
            Selection::Flagged => !s.call.flags.is_empty(),
            Selection::Marked => {
                ann.touches_call(&s.call.id)
                    || s.conversation
                        .as_deref()
                        .is_some_and(|k| ann.is_marked(k, None))
                    || s.conversation.as_deref().is_some_and(|k| {
                        engine.store.conversations().get(k).is_some_and(|c| {
                            c.turns.iter().any(|q| {
                                engine
                                    .store
                                    .get(*q)
                                    .is_some_and(|t| ann.is_marked(k, Some(&t.call.id)))
                            })
                        })
                    })
            }
            Selection::Filter(q) => q.matches(&crate::annotations::LabelledCall {
                call: &s.call,
                conversation: s.conversation.as_deref(),
                annotations: ann,
            }),
        })
        .collect()
}

fn annotations_of<'a>(
    ann: &'a Annotations,
    call: &Call,
    conv: Option<&str>,
) -> Vec<&'a Annotation> {
    let mut v: Vec<&Annotation> = ann.for_call(&call.id).collect();
    if let Some(k) = conv {
        v.extend(ann.for_conversation(k).filter(|a| a.call_id.is_none()));
    }
    v
}

/// Writes the selected calls as raw native records (one per line), annotations in
/// `metadata.llmmon_annotations`.
pub fn write_raw(
    out: &mut dyn std::io::Write,
    calls: &[&StoredCall],
    ann: &Annotations,
    redactor: Option<&dyn Redactor>,
) -> std::io::Result<Written> {
    let mut w = Written::default();
    for s in calls {
        let mut c = match redactor {
            Some(r) => redact_call(&s.call, r),
            None => s.call.clone(),
        };
        let notes = annotations_of(ann, &s.call, s.conversation.as_deref());
        if !notes.is_empty() {
            c.metadata.insert(
                "llmmon_annotations".into(),
                serde_json::to_value(&notes).unwrap_or_default(),
            );
        }
        let line = serde_json::to_string(&Record::Call(Box::new(c)))?;
        writeln!(out, "{line}")?;
        w.items += 1;
        w.calls += 1;
    }
    Ok(w)
}

#[derive(Serialize)]
struct ChatMessage {
    role: &'static str,
    content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<u8>,
}

fn role(r: &str) -> Option<&'static str> {
    match r {
        "system" | "developer" => Some("system"),
        "user" | "human" => Some("user"),
        "assistant" | "ai" | "model" => Some("assistant"),
        _ => None,
    }
}

/// Writes one chat object per conversation of the selected calls (calls without a
/// conversation stand alone). Every turn of a selected conversation that the store still
/// holds is included, in order.
pub fn write_chat(
    out: &mut dyn std::io::Write,
    engine: &Engine,
    calls: &[&StoredCall],
    ann: &Annotations,
    redactor: Option<&dyn Redactor>,
) -> std::io::Result<Written> {
    let mut groups: BTreeMap<(Nanos, String), Vec<&StoredCall>> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for s in calls {
        match s.conversation.as_deref() {
            Some(k) if seen.insert(k.to_string()) => {
                let turns: Vec<&StoredCall> = engine
                    .store
                    .conversations()
                    .get(k)
                    .map(|c| {
                        c.turns
                            .iter()
                            .filter_map(|q| engine.store.get(*q))
                            .collect()
                    })
                    .unwrap_or_else(|| vec![*s]);
                let first = turns.first().map_or(s.time, |t| t.time);
                groups.insert((first, k.to_string()), turns);
            }
            Some(_) => {}
            None => {
                groups.insert((s.time, format!("call:{}", s.call.id)), vec![*s]);
            }
        }
    }
    let mut w = Written::default();
    for ((_, key), turns) in groups {
        let mut msgs: Vec<ChatMessage> = Vec::new();
        let mut history: Vec<(String, String)> = Vec::new();
        let mut notes = Vec::new();
        let mut ids = Vec::new();
        for s in &turns {
            let c = match redactor {
                Some(r) => redact_call(&s.call, r),
                None => s.call.clone(),
            };
            let labels = annotations_of(ann, &s.call, None);
            if msgs.is_empty() {
                if let Some(sp) = c.system_prompt.as_deref().filter(|s| !s.is_empty()) {
                    msgs.push(ChatMessage {
                        role: "system",
                        content: sp.to_string(),
                        weight: None,
                    });
                }
            }
            let cur: Vec<(String, String)> = c
                .messages
                .iter()
                .filter_map(|m| role(&m.role).map(|r| (r.to_string(), m.content.clone())))
                .collect();
            let new: &[(String, String)] = if cur.starts_with(&history) {
                &cur[history.len()..]
            } else {
                let last_user = cur
                    .iter()
                    .rposition(|(r, _)| r == "user")
                    .unwrap_or(cur.len());
                &cur[last_user..]
            };
            for (r, content) in new {
                if r == "system" && !msgs.is_empty() {
                    continue;
                }
                msgs.push(ChatMessage {
                    role: role(r).unwrap_or("user"),
                    content: content.clone(),
                    weight: None,
                });
            }
            history = cur;
            if let Some(o) = c.output.as_deref().filter(|o| !o.is_empty()) {
                let bad = labels.iter().any(|a| a.is_negative());
                msgs.push(ChatMessage {
                    role: "assistant",
                    content: o.to_string(),
                    weight: bad.then_some(0),
                });
                history.push(("assistant".into(), o.to_string()));
            }
            notes.extend(labels.into_iter().cloned());
            ids.push(s.call.id.clone());
        }
        notes.extend(
            ann.for_conversation(&key)
                .filter(|a| a.call_id.is_none())
                .cloned(),
        );
        if !msgs.iter().any(|m| m.role == "assistant") {
            w.skipped += 1;
            continue;
        }
        let obj = json!({
            "messages": msgs,
            "metadata": {"conversation": key, "calls": ids, "annotations": notes},
        });
        writeln!(out, "{obj}")?;
        w.items += 1;
        w.calls += turns.len() as u64;
    }
    Ok(w)
}

/// Checks one chat line against the documented shape; the error says what is wrong.
pub fn validate_chat_line(line: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let obj = v.as_object().ok_or("not an object")?;
    if let Some(k) = obj.keys().find(|k| *k != "messages" && *k != "metadata") {
        return Err(format!("unexpected key {k:?}"));
    }
    let msgs = obj
        .get("messages")
        .and_then(|m| m.as_array())
        .filter(|m| !m.is_empty())
        .ok_or("messages must be a non-empty array")?;
    let mut assistant = false;
    for m in msgs {
        let m = m.as_object().ok_or("message is not an object")?;
        let role = m
            .get("role")
            .and_then(|r| r.as_str())
            .ok_or("role missing")?;
        if !["system", "user", "assistant"].contains(&role) {
            return Err(format!("bad role {role:?}"));
        }
        m.get("content")
            .and_then(|c| c.as_str())
            .ok_or("content must be a string")?;
        if let Some(w) = m.get("weight") {
            if role != "assistant" || !(w == 0 || w == 1) {
                return Err("weight must be 0 or 1 on assistant messages".into());
            }
        }
        if let Some(k) = m
            .keys()
            .find(|k| !["role", "content", "weight"].contains(&k.as_str()))
        {
            return Err(format!("unexpected message key {k:?}"));
        }
        assistant |= role == "assistant";
    }
    if !assistant {
        return Err("no assistant message".into());
    }
    Ok(())
}
