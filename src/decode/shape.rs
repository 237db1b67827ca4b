//! The structure of an OTLP/JSON export request, checked before any item is read. Without
//! it `{"resourceSpans": -5}` or `"spans": "x"` read as an empty request: zero records and
//! zero rejections, a line accepted silently.

use super::{Reject, RejectReason};
use serde_json::Value;

/// The nesting of each signal: the list keys from the request down to the items.
const LEVELS: [[&str; 3]; 3] = [
    ["resourceSpans", "scopeSpans", "spans"],
    ["resourceLogs", "scopeLogs", "logRecords"],
    ["resourceMetrics", "scopeMetrics", "metrics"],
];

/// `Ok` when every list key present at each level holds an array of objects (or null).
pub(super) fn otlp(v: &Value) -> Result<(), Reject> {
    for keys in LEVELS {
        check(v, &keys, keys[0])?;
    }
    Ok(())
}

fn check(parent: &Value, keys: &[&str], path: &str) -> Result<(), Reject> {
    let Some((key, rest)) = keys.split_first() else {
        return Ok(());
    };
    let items = match parent.get(*key) {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(Reject::new(
                RejectReason::UnknownShape,
                format!("`{path}` is {}, expected an array", kind(other)),
            ))
        }
    };
    for (i, item) in items.iter().enumerate() {
        if !item.is_object() {
            return Err(Reject::new(
                RejectReason::UnknownShape,
                format!("`{path}[{i}]` is {}, expected an object", kind(item)),
            ));
        }
        if let Some(next) = rest.first() {
            check(item, rest, &format!("{path}[{i}].{next}"))?;
        }
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrong_shapes_are_refused() {
        for v in [
            json!({"resourceSpans": -5}),
            json!({"resourceSpans": "x"}),
            json!({"resourceSpans": [5]}),
            json!({"resourceSpans": [{"scopeSpans": [{"spans": "x"}]}]}),
            json!({"resourceLogs": 7}),
            json!({"resourceMetrics": true}),
        ] {
            let e = otlp(&v).unwrap_err();
            assert_eq!(e.reason, RejectReason::UnknownShape, "{v}");
        }
    }

    #[test]
    fn right_shapes_pass() {
        for v in [
            json!({"resourceSpans": []}),
            json!({"resourceSpans": [{"scopeSpans": [{"spans": [{}]}]}]}),
            json!({"resourceLogs": [{"resource": {}}], "resourceMetrics": null}),
        ] {
            assert!(otlp(&v).is_ok(), "{v}");
        }
    }
}
