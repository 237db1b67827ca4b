//! Request parameters and response details each instrumentation spells its own way
//! (`gen_ai.request.temperature`, `openai.response.service_tier`, OpenInference's
//! `llm.invocation_parameters` JSON, ...), kept in [`Call::metadata`] under one plain name
//! each, so the query language's `attr.NAME` (`attr.temperature>0.7`,
//! `attr.service_tier:flex`) reads them the same whichever instrumentation sent the span.

use super::attrs::Attrs;
use crate::model::record::Call;
use serde_json::Value;

/// Numeric request parameters: the metadata name and the GenAI attribute holding it.
const NUMBERS: &[(&str, &str)] = &[
    ("temperature", "gen_ai.request.temperature"),
    ("top_p", "gen_ai.request.top_p"),
    ("frequency_penalty", "gen_ai.request.frequency_penalty"),
    ("presence_penalty", "gen_ai.request.presence_penalty"),
];

/// Integer request parameters and counts, likewise.
const INTEGERS: &[(&str, &str)] = &[
    ("max_tokens", "gen_ai.request.max_tokens"),
    ("seed", "gen_ai.request.seed"),
    ("total_tokens", "gen_ai.usage.total_tokens"),
];

/// Where the service tier is, best first: what answered, then what was asked for.
const SERVICE_TIER: &[&str] = &[
    "openai.response.service_tier",
    "gen_ai.openai.response.service_tier",
    "openai.request.service_tier",
    "gen_ai.openai.request.service_tier",
    "gen_ai.request.service_tier",
];

/// Reads the GenAI-convention spellings (current, legacy, OpenLLMetry and openlit alike).
pub(super) fn from_genai(a: &Attrs<'_>, call: &mut Call) {
    for &(name, key) in NUMBERS {
        if let Some(n) = a.f64(key).and_then(serde_json::Number::from_f64) {
            call.metadata.insert(name.to_owned(), Value::Number(n));
        }
    }
    for &(name, key) in INTEGERS {
        if let Some(n) = a.u64(key) {
            call.metadata.insert(name.to_owned(), Value::from(n));
        }
    }
    if let Some(tier) = SERVICE_TIER.iter().find_map(|k| a.string(k)) {
        call.metadata
            .insert("service_tier".to_owned(), Value::String(tier));
    }
    // openlit reports seconds per output token, and 0 for calls that did not stream.
    if let Some(ms) = a
        .f64("gen_ai.server.time_per_output_token")
        .filter(|s| *s > 0.0)
        .map(|s| s * 1000.0)
        .and_then(serde_json::Number::from_f64)
    {
        call.metadata
            .insert("time_per_output_token_ms".to_owned(), Value::Number(ms));
    }
    if let Some(defs) = a.json("gen_ai.tool.definitions") {
        call.metadata.insert("tool_definitions".to_owned(), defs);
    }
}

/// Reads OpenInference's `llm.invocation_parameters` (the request's own JSON) and its token
/// total.
pub(super) fn from_invocation(params: &Value, a: &Attrs<'_>, call: &mut Call) {
    for name in [
        "temperature",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "max_tokens",
        "max_completion_tokens",
        "seed",
    ] {
        if let Some(v) = params.get(name).filter(|v| v.is_number()) {
            call.metadata.insert(name.to_owned(), v.clone());
        }
    }
    if let Some(tier) = params.get("service_tier").and_then(Value::as_str) {
        call.metadata
            .insert("service_tier".to_owned(), Value::String(tier.to_owned()));
    }
    if let Some(n) = a.u64("llm.token_count.total") {
        call.metadata
            .insert("total_tokens".to_owned(), Value::from(n));
    }
    if let Some(tools) = params.get("tools").filter(|t| t.is_array()) {
        call.metadata
            .insert("tool_definitions".to_owned(), tools.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn genai_parameters_get_plain_names() {
        let span = json!({"attributes":[
            {"key":"gen_ai.request.temperature","value":{"doubleValue":0.2}},
            {"key":"gen_ai.request.max_tokens","value":{"intValue":"100"}},
            {"key":"gen_ai.request.seed","value":{"intValue":"7"}},
            {"key":"openai.request.service_tier","value":{"stringValue":"auto"}},
            {"key":"gen_ai.openai.response.service_tier","value":{"stringValue":"flex"}},
            {"key":"gen_ai.server.time_per_output_token","value":{"doubleValue":0.025}}]});
        let mut call = Call::default();
        from_genai(&Attrs::of(Some(&span)), &mut call);
        assert_eq!(call.metadata["temperature"], json!(0.2));
        assert_eq!(call.metadata["max_tokens"], json!(100));
        assert_eq!(call.metadata["seed"], json!(7));
        assert_eq!(call.metadata["service_tier"], json!("flex"));
        assert_eq!(call.metadata["time_per_output_token_ms"], json!(25.0));
    }

    #[test]
    fn invocation_parameters_are_read_from_the_request_json() {
        let params = json!({"model":"o4-mini","temperature":0.9,"max_tokens":800,
            "service_tier":"flex","user":"u-bob","stream":true});
        let span =
            json!({"attributes":[{"key":"llm.token_count.total","value":{"intValue":"420"}}]});
        let mut call = Call::default();
        from_invocation(&params, &Attrs::of(Some(&span)), &mut call);
        assert_eq!(call.metadata["temperature"], json!(0.9));
        assert_eq!(call.metadata["max_tokens"], json!(800));
        assert_eq!(call.metadata["service_tier"], json!("flex"));
        assert_eq!(call.metadata["total_tokens"], json!(420));
        assert!(!call.metadata.contains_key("user"));
    }
}
