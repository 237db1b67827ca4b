//! Small readers over `serde_json::Value` shared by the non-native decoders: they accept the
//! loose typing real producers emit (numbers as strings, nulls, content as parts arrays).

use serde_json::Value;

/// Follows a path of object keys.
pub(super) fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, key| cur.get(key))
}

/// A non-empty string at a path.
pub(super) fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// An owned non-empty string at a path.
pub(super) fn string_at(v: &Value, path: &[&str]) -> Option<String> {
    str_at(v, path).map(str::to_owned)
}

/// A count given as a JSON number or a decimal string.
pub(super) fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A float given as a JSON number or a decimal string; never NaN or infinite.
pub(super) fn as_f64(v: &Value) -> Option<f64> {
    let f = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }?;
    f.is_finite().then_some(f)
}

/// A count at a path.
pub(super) fn u64_at(v: &Value, path: &[&str]) -> Option<u64> {
    get(v, path).and_then(as_u64)
}

/// A float at a path.
pub(super) fn f64_at(v: &Value, path: &[&str]) -> Option<f64> {
    get(v, path).and_then(as_f64)
}

/// Text of a message `content`: a string, or the text parts of a parts array joined by
/// newlines (OpenAI `{type:text,text}`, Anthropic `{type:text,text}`, GenAI `{type:text,content}`).
pub(super) fn content_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| match p {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(_) => {
                        let ty = p.get("type").and_then(Value::as_str).unwrap_or("text");
                        let text_like = matches!(ty, "text" | "input_text" | "output_text");
                        text_like
                            .then(|| {
                                p.get("text")
                                    .or_else(|| p.get("content"))
                                    .and_then(Value::as_str)
                            })
                            .flatten()
                    }
                    _ => None,
                })
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

/// A tool-call argument or result as text: strings as they are, anything else as compact JSON.
pub(super) fn json_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Milliseconds, if finite and not negative.
pub(super) fn valid_ms(ms: f64) -> Option<f64> {
    (ms.is_finite() && ms >= 0.0).then_some(ms)
}

/// A stable id for a record that has none: FNV-1a of the whole line, so replaying a log
/// gives every call the same id again.
pub(super) fn line_id(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("line-{h:016x}")
}

/// Joins system prompts when a request carries several.
pub(super) fn push_system(system: &mut Option<String>, text: String) {
    match system {
        Some(s) => {
            s.push('\n');
            s.push_str(&text);
        }
        None => *system = Some(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_accept_strings_and_numbers() {
        assert_eq!(as_u64(&json!("42")), Some(42));
        assert_eq!(as_u64(&json!(42)), Some(42));
        assert_eq!(as_u64(&json!(-1)), None);
        assert_eq!(as_u64(&json!(null)), None);
    }

    #[test]
    fn content_parts_are_joined() {
        let v =
            json!([{"type":"text","text":"a"},{"type":"image_url"},{"type":"text","content":"b"}]);
        assert_eq!(content_text(&v).as_deref(), Some("a\nb"));
        assert_eq!(content_text(&json!(null)), None);
    }

    #[test]
    fn line_ids_are_stable() {
        assert_eq!(line_id("{}"), line_id("{}"));
        assert_ne!(line_id("{}"), line_id("{ }"));
    }
}
