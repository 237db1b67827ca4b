//! `report --explain`: what the decoder does with a line, in words. Which format it took,
//! which keys (or mapped fields) it read, which keys it left unread and why, and what came
//! out (records or the rejection). This is how a user finds out that a key of their log is
//! not one llmmon knows, since decoding itself ignores unknown keys.

use super::{litellm, native, object_text, sniff, Decoder, Format, Reject};

use crate::model::record::Nanos;
use serde_json::Value;

/// What decoding made of one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The format the line was read as: `native`, `litellm`, `otlp`, `openai_chat`,
    /// `openai_responses`, `anthropic`, `format "NAME"` for a `[[formats]]` mapping, `blank`,
    /// or `none` when the line is not a JSON object.
    pub format: String,
    /// Keys read (native, LiteLLM) or `field <- path` (mappings).
    pub read: Vec<String>,
    /// Mapped fields whose path was absent or null in this line (`field <- path`).
    pub absent: Vec<String>,
    /// Top-level keys that were not read, some with the reason in parentheses.
    pub ignored: Vec<String>,
    /// A remark on the format (e.g. that OTLP attributes are not itemised).
    pub note: Option<String>,
    /// Records produced, or why the line was rejected.
    pub outcome: Result<usize, Reject>,
}

impl Decoder {
    /// Explains one line the way this decoder (with its `[[formats]]`) would read it. The
    /// decoder's own state is not changed.
    pub fn explain(&self, line: &[u8], arrival: Nanos) -> Explanation {
        let mut scratch = Decoder::with_formats(self.formats.clone());
        let mut out = Vec::new();
        let outcome = scratch.decode(line, arrival, &mut out).map(|()| out.len());
        let mut e = Explanation {
            format: "none".into(),
            read: Vec::new(),
            absent: Vec::new(),
            ignored: Vec::new(),
            note: None,
            outcome,
        };
        let text = match object_text(line) {
            Ok(Some(t)) => t,
            Ok(None) => {
                e.format = "blank".into();
                return e;
            }
            Err(_) => return e,
        };
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(text) else {
            return e;
        };
        let value = Value::Object(obj);
        if let Some(f) = self.formats.find(&value) {
            e.format = format!("format {:?}", f.name());
            let x = f.explain(&value);
            for r in x.fields {
                let item = format!("{} <- {}", r.field, r.path);
                if r.present {
                    e.read.push(item);
                } else {
                    e.absent.push(item);
                }
            }
            e.ignored = x.ignored;
            return e;
        }
        let Value::Object(obj) = &value else {
            return e;
        };
        match sniff(obj) {
            Format::Native => {
                e.format = "native".into();
                native_keys(obj, &mut e);
            }
            Format::LiteLlm => {
                e.format = "litellm".into();
                for k in obj.keys() {
                    if litellm::KEYS.contains(&k.as_str()) {
                        e.read.push(k.clone());
                    } else {
                        e.ignored.push(k.clone());
                    }
                }
            }
            other => {
                e.format = match other {
                    Format::Otlp => "otlp",
                    Format::OpenAiChat => "openai_chat",
                    Format::OpenAiResponses => "openai_responses",
                    Format::Anthropic => "anthropic",
                    Format::LiteLlm | Format::Native => "native",
                }
                .into();
                e.read = obj.keys().cloned().collect();
                e.note = Some(
                    "a nested format: its known attributes are read, others are not itemised"
                        .into(),
                );
            }
        }
        e
    }
}

/// Sorts a native line's keys into read and ignored, with the reason a plain alias was not
/// taken (not a string, or shadowed by a key that wins).
fn native_keys(obj: &serde_json::Map<String, Value>, e: &mut Explanation) {
    let known = native::known_keys();
    let is_text = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let has_messages = ["messages", "input_messages"].iter().any(|k| {
        obj.get(*k)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    });
    let has_output = ["output", "output_text", "response"]
        .iter()
        .any(|k| obj.get(*k).is_some_and(|v| !v.is_null()));
    // The plain aliases in precedence order, with what shadows all of them.
    let groups: [(&[&str], bool, &str); 2] = [
        (&native::PLAIN_PROMPT, has_messages, "messages"),
        (&native::PLAIN_OUTPUT, has_output, "output"),
    ];
    for k in obj.keys() {
        let key = k.as_str();
        let group = groups.iter().find(|(keys, _, _)| keys.contains(&key));
        match group {
            Some((keys, shadowed, by)) => {
                if !is_text(key) {
                    e.ignored.push(format!("{key} (not a string)"));
                } else if *shadowed {
                    e.ignored.push(format!("{key} (shadowed by {by})"));
                } else if let Some(first) = keys.iter().find(|x| is_text(x)).filter(|x| **x != key)
                {
                    e.ignored.push(format!("{key} (shadowed by {first})"));
                } else {
                    e.read.push(k.clone());
                }
            }
            None if known.contains(&key) => e.read.push(k.clone()),
            None => e.ignored.push(k.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn native_lines_list_read_and_ignored_keys() {
        let d = Decoder::new();
        let e = d.explain(
            br#"{"model":"m","prompt":"hi","question":"q","input":{"a":1},"answer":"a","colour":"red"}"#,
            0,
        );
        assert_eq!(e.format, "native");
        assert_eq!(e.read, ["answer", "model", "prompt"]);
        assert_eq!(
            e.ignored,
            [
                "colour",
                "input (not a string)",
                "question (shadowed by prompt)"
            ]
        );
        assert_eq!(e.outcome, Ok(1));
    }

    #[test]
    fn serde_aliases_count_as_read() {
        let e = Decoder::new().explain(
            br#"{"timestamp":1,"duration_ms":5,"session":"s","service":"a","tokens":{"input":1}}"#,
            0,
        );
        assert_eq!(e.read.len(), 5, "{e:?}");
        assert!(e.ignored.is_empty(), "{e:?}");
    }

    #[test]
    fn litellm_and_bad_lines() {
        let d = Decoder::new();
        let e = d.explain(
            br#"{"id":"x","call_type":"completion","response_cost":0,"api_base":"http://h"}"#,
            0,
        );
        assert_eq!(e.format, "litellm");
        assert_eq!(e.ignored, ["api_base"]);
        let e = d.explain(b"not json", 0);
        assert_eq!(e.format, "none");
        assert!(e.outcome.is_err());
        assert_eq!(d.explain(b"  ", 0).format, "blank");
    }
}
