//! Malformed and hostile input: every reject reason with a clear detail, and no panic on any
//! bytes or any JSON.

use llmmon::decode::{Decoder, Reject, RejectReason};
use llmmon::model::record::Record;
use proptest::prelude::*;

fn decode(line: &[u8]) -> Result<Vec<Record>, Reject> {
    let mut out = Vec::new();
    Decoder::new().decode(line, 42, &mut out).map(|()| out)
}

fn reject(line: &[u8]) -> Reject {
    match decode(line) {
        Ok(r) => panic!("accepted {:?}: {r:?}", String::from_utf8_lossy(line)),
        Err(e) => e,
    }
}

#[test]
fn blank_lines_are_fine_and_empty() {
    for line in [&b""[..], b"   ", b"\t \r"] {
        assert!(decode(line).unwrap().is_empty());
    }
}

#[test]
fn invalid_utf8_says_where() {
    let e = reject(b"{\"id\":\"a\xff\xfe\"}");
    assert_eq!(e.reason, RejectReason::InvalidUtf8);
    assert!(e.detail.contains("byte 8"), "{}", e.detail);
}

#[test]
fn truncated_and_garbage_json_is_not_json() {
    for line in [
        &br#"{"id":"a","model":"gpt"#[..],
        b"hello world",
        b"{not json}",
        b"{\"a\":1}}",
    ] {
        let e = reject(line);
        assert_eq!(e.reason, RejectReason::NotJson, "{}", e.detail);
        assert!(!e.detail.is_empty());
    }
}

#[test]
fn json_that_is_not_an_object_is_unknown_shape() {
    for (line, word) in [
        ("[1,2]", "array"),
        ("42", "number"),
        ("\"x\"", "string"),
        ("null", "null"),
    ] {
        let e = reject(line.as_bytes());
        assert_eq!(e.reason, RejectReason::UnknownShape);
        assert!(e.detail.contains(word), "{}", e.detail);
    }
}

#[test]
fn objects_of_no_known_format_are_unknown_shape() {
    let e = reject(br#"{"hello":"world","n":3}"#);
    assert_eq!(e.reason, RejectReason::UnknownShape);
    assert!(e.detail.contains("native call fields"), "{}", e.detail);
}

#[test]
fn known_shapes_missing_a_field_name_it() {
    let cases: [(&str, &str); 6] = [
        (r#"{"type":"feedback","kind":"thumbs_up"}"#, "call_id"),
        (r#"{"type":"attachment","output":"x"}"#, "span_id"),
        (r#"{"type":"call"}"#, "id"),
        (r#"{"object":"chat.completion","id":"x"}"#, "choices"),
        (r#"{"call_type":"completion","response_cost":0.1}"#, "id"),
        (
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"chat x","traceId":"ab"}]}]}]}"#,
            "resourceSpans[0].scopeSpans[0].spans[0].spanId",
        ),
    ];
    for (line, field) in cases {
        let e = reject(line.as_bytes());
        assert_eq!(e.reason, RejectReason::MissingField, "{line}: {}", e.detail);
        assert!(e.detail.contains(field), "{line}: {}", e.detail);
    }
}

#[test]
fn a_bad_span_rejects_the_whole_line_and_appends_nothing() {
    let line = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"01","name":"a"},{"name":"b"}]}]}]}"#;
    let mut out = Vec::new();
    assert!(Decoder::new().decode(line, 1, &mut out).is_err());
    assert!(out.is_empty());
}

#[test]
fn wrong_types_in_a_native_line_are_explained() {
    let e = reject(br#"{"id":"a","latency_ms":"slow"}"#);
    assert_eq!(e.reason, RejectReason::UnknownShape);
    assert!(e.detail.starts_with("native record"), "{}", e.detail);
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    for depth in [200usize, 100_000] {
        let mut line = String::from(r#"{"id":"a","metadata":{"x":"#);
        line.push_str(&"[".repeat(depth));
        line.push_str(&"]".repeat(depth));
        line.push_str("}}");
        let e = reject(line.as_bytes());
        assert!(e.detail.contains("recursion"), "{}", e.detail);
        let arr = "[".repeat(depth);
        assert!(decode(arr.as_bytes()).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn random_json_never_panics(v in json_value()) {
        let _ = decode(v.to_string().as_bytes());
        // Also as the body of each format, where the decoders read deeper.
        for key in ["resourceSpans", "resourceLogs", "resourceMetrics", "messages", "tokens", "response"] {
            let line = serde_json::json!({ key: v.clone(), "id": "x", "call_type": "completion", "response_cost": 1 });
            let _ = decode(line.to_string().as_bytes());
        }
    }

    #[test]
    fn random_otlp_spans_never_panic(attrs in proptest::collection::vec((otlp_key(), json_value()), 0..12)) {
        let attributes: Vec<_> = attrs
            .into_iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
            .collect();
        let span = serde_json::json!({"spanId": "01", "traceId": "02", "startTimeUnixNano": "5",
            "attributes": attributes, "events": [{"name": "exception", "attributes": attributes}]});
        let line = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}],
            "resourceLogs": [{"scopeLogs": [{"logRecords": [{"spanId": "01", "eventName": "gen_ai.choice", "body": span}]}]}]});
        let _ = decode(line.to_string().as_bytes());
    }
}

fn otlp_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("openinference.span.kind".to_owned()),
        Just("gen_ai.operation.name".to_owned()),
        Just("gen_ai.input.messages".to_owned()),
        Just("gen_ai.output.messages".to_owned()),
        Just("llm.input_messages.0.message.role".to_owned()),
        Just("llm.output_messages.1.message.tool_calls.0.tool_call.function.name".to_owned()),
        Just("llm.invocation_parameters".to_owned()),
        Just("gen_ai.usage.input_tokens".to_owned()),
        "[a-z._0-9]{0,20}",
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~]{0,12}".prop_map(Value::String),
        Just(Value::String("stringValue".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("stringValue".to_owned()),
                    Just("intValue".to_owned()),
                    Just("kvlistValue".to_owned()),
                    Just("arrayValue".to_owned()),
                    Just("values".to_owned()),
                    Just("key".to_owned()),
                    Just("value".to_owned()),
                    Just("content".to_owned()),
                    Just("role".to_owned()),
                    Just("parts".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
