//! Decode: one line in, zero or more [`Record`]s out. The format is sniffed per line, so one
//! source may mix formats. Every format quirk lives in this module and nowhere else. A bad
//! line is a counted, reasoned [`Reject`], never a panic and never silent.

use crate::model::facts::CallFacts;
use crate::model::record::{Nanos, Record};
pub use crate::model::reject::{Reject, RejectReason};

/// One record from [`Decoder::decode_facts`]: a native call borrowed from its line, or any
/// other record owned. Lives only for one call of the sink, so its size does not matter.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Decoded<'a> {
    Facts(CallFacts<'a>),
    Record(Record),
}

mod explain;
mod fields;
mod litellm;
mod mapped;
mod native;
mod otlp;
mod provider;
mod shape;
pub mod validate;

/// OTLP export requests as the receiver gets them (protobuf or JSON bodies, gRPC messages).
pub use otlp::wire as otlp_wire;

pub use explain::Explanation;
pub use mapped::{FieldSource, Format as MappedFormat, FormatError, FormatSection, Formats};

use serde_json::Value;

/// Per-source decoder: sniffs each line's format and maps it into [`Record`]s. Holds the
/// only cross-line state decoding needs (a count of OTLP metric points); trace assembly is
/// left to the engine's store, so spans are emitted as soon as they are read. Lines matching
/// a configured `[[formats]]` mapping are read through it before any format is sniffed.
#[derive(Debug, Default)]
pub struct Decoder {
    metric_points: u64,
    formats: std::sync::Arc<Formats>,
}

impl Decoder {
    /// A decoder with no state and no `[[formats]]`, one per source.
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder that reads lines matching one of `formats` through its mapping.
    pub fn with_formats(formats: std::sync::Arc<Formats>) -> Self {
        Decoder {
            metric_points: 0,
            formats,
        }
    }

    /// Decodes a line through the first `[[formats]]` mapping it matches: `None` when no
    /// format is configured or none matches (the line then takes the usual path).
    fn decode_mapped(
        &self,
        text: &str,
        arrival: Nanos,
        out: &mut Vec<Record>,
    ) -> Option<Result<(), Reject>> {
        if self.formats.is_empty() {
            return None;
        }
        let value: Value = serde_json::from_str(text).ok()?;
        let format = self.formats.find(&value)?;
        Some(format.decode(&value, text, arrival, out))
    }

    /// Decodes one line (no trailing newline). `arrival` (unix ns) is used as the event time
    /// (`Call.ts` / `Feedback.time` / `Attachment.time`) of records that carry no time at all.
    ///
    /// On `Ok` the records are appended to `out`; on `Err` nothing is appended. Blank lines
    /// are `Ok` with no records.
    pub fn decode(
        &mut self,
        line: &[u8],
        arrival: Nanos,
        out: &mut Vec<Record>,
    ) -> Result<(), Reject> {
        let Some(text) = object_text(line)? else {
            return Ok(());
        };
        let mark = out.len();
        let result = self
            .decode_object(text, arrival, out)
            .and_then(|()| out[mark..].iter().try_for_each(validate::record));
        if result.is_err() {
            out.truncate(mark);
        }
        result
    }

    /// Like [`Decoder::decode`], but a native call is handed to `sink` as borrowed
    /// [`CallFacts`] (its strings stay in `line`, its content is never copied); every other
    /// record as an owned [`Record`]. For consumers that count and keep no content.
    pub fn decode_facts(
        &mut self,
        line: &[u8],
        arrival: Nanos,
        sink: &mut impl FnMut(Decoded<'_>),
    ) -> Result<(), Reject> {
        let Some(text) = object_text(line)? else {
            return Ok(());
        };
        let mut out = Vec::new();
        if let Some(mapped) = self.decode_mapped(text, arrival, &mut out) {
            mapped?;
            for r in out {
                sink(Decoded::Record(r));
            }
            return Ok(());
        }
        let native_err = match native::parse(text) {
            Ok(Some(wire)) => {
                let mut checked = Ok(());
                let result = native::convert_facts(wire, text, arrival, &mut |d| {
                    let valid = match &d {
                        Decoded::Facts(f) => validate::facts(f),
                        Decoded::Record(r) => validate::record(r),
                    };
                    match valid {
                        Ok(()) => sink(d),
                        Err(e) => checked = Err(e),
                    }
                });
                return result.and(checked);
            }
            Ok(None) => None,
            Err(e) => Some(e),
        };
        self.decode_other(text, native_err, arrival, &mut out)?;
        out.iter().try_for_each(validate::record)?;
        for r in out {
            sink(Decoded::Record(r));
        }
        Ok(())
    }

    /// OTLP metric data points seen so far (resourceMetrics lines are counted, not turned
    /// into calls).
    pub fn metric_points(&self) -> u64 {
        self.metric_points
    }

    fn decode_object(
        &mut self,
        text: &str,
        arrival: Nanos,
        out: &mut Vec<Record>,
    ) -> Result<(), Reject> {
        if let Some(mapped) = self.decode_mapped(text, arrival, out) {
            return mapped;
        }
        // Fast path: most lines in a busy native log are native records. The borrowed wire
        // struct also notices the keys that mark every other format, and hands those lines
        // (and any line it cannot read) to the generic path below.
        let native_err = match native::parse(text) {
            Ok(Some(wire)) => return native::convert(wire, text, arrival, out),
            Ok(None) => None,
            Err(e) => Some(e),
        };
        self.decode_other(text, native_err, arrival, out)
    }

    /// The generic path: any format but native, or a native line the wire struct could not
    /// read (`native_err`).
    fn decode_other(
        &mut self,
        text: &str,
        native_err: Option<serde_json::Error>,
        arrival: Nanos,
        out: &mut Vec<Record>,
    ) -> Result<(), Reject> {
        let value: Value = serde_json::from_str(text).map_err(json_error)?;
        let Value::Object(obj) = &value else {
            return Err(Reject::new(RejectReason::UnknownShape, "not a JSON object"));
        };
        match sniff(obj) {
            Format::Otlp => {
                shape::otlp(&value)?;
                self.metric_points += otlp::count_metric_points(&value);
                otlp::decode(&value, arrival, out)
            }
            Format::LiteLlm => litellm::decode(&value, arrival, out),
            Format::OpenAiChat => provider::openai_chat(&value, arrival, out),
            Format::OpenAiResponses => provider::openai_responses(&value, arrival, out),
            Format::Anthropic => provider::anthropic(&value, arrival, out),
            Format::Native => Err(match native_err {
                Some(e) => native::reject_from(&e),
                None => Reject::new(RejectReason::UnknownShape, "object of no known format"),
            }),
        }
    }
}

/// A line's text when it is a JSON object; `None` for a blank line.
fn object_text(line: &[u8]) -> Result<Option<&str>, Reject> {
    let text = std::str::from_utf8(line).map_err(|e| {
        Reject::new(
            RejectReason::InvalidUtf8,
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    // A UTF-8 byte order mark (editors on Windows write one at the start of a file) is not
    // part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim();
    if text.is_empty() {
        return Ok(None);
    }
    if !text.starts_with('{') {
        return Err(classify_non_object(text));
    }
    Ok(Some(text))
}

/// The input formats a line can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Native,
    LiteLlm,
    Otlp,
    OpenAiChat,
    OpenAiResponses,
    Anthropic,
}

/// Picks a format from the top-level keys of a JSON object.
fn sniff(obj: &serde_json::Map<String, Value>) -> Format {
    if ["resourceSpans", "resourceLogs", "resourceMetrics"]
        .iter()
        .any(|k| obj.contains_key(*k))
    {
        return Format::Otlp;
    }
    if obj.contains_key("call_type")
        && [
            "litellm_call_id",
            "response_cost",
            "hidden_params",
            "model_parameters",
        ]
        .iter()
        .any(|k| obj.contains_key(*k))
    {
        return Format::LiteLlm;
    }
    match obj.get("object").and_then(Value::as_str) {
        Some("chat.completion" | "text_completion") => return Format::OpenAiChat,
        Some("response") => return Format::OpenAiResponses,
        _ => {}
    }
    if obj.get("type").and_then(Value::as_str) == Some("message")
        && obj.get("role").and_then(Value::as_str) == Some("assistant")
    {
        return Format::Anthropic;
    }
    Format::Native
}

/// Explains why a line that does not start with `{` was rejected.
fn classify_non_object(text: &str) -> Reject {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => {
            let kind = match text.as_bytes().first() {
                Some(b'[') => "a JSON array",
                Some(b'"') => "a JSON string",
                Some(b'n') => "JSON null",
                Some(b't' | b'f') => "a JSON boolean",
                _ => "a JSON number",
            };
            Reject::new(
                RejectReason::UnknownShape,
                format!("{kind}, expected an object"),
            )
        }
        Err(e) => json_error(e),
    }
}

/// Maps a serde_json syntax error to a rejection (a too-deep document is JSON, just not ours).
fn json_error(e: serde_json::Error) -> Reject {
    let msg = e.to_string();
    if msg.starts_with("recursion limit exceeded") {
        return Reject::new(
            RejectReason::UnknownShape,
            format!("JSON nested too deeply ({msg})"),
        );
    }
    if e.is_data() {
        return Reject::new(RejectReason::UnknownShape, msg);
    }
    Reject::new(RejectReason::NotJson, msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::{CostProvenance, FeedbackKind, Operation, Status};

    fn one(line: &str) -> Record {
        let mut out = Vec::new();
        Decoder::new()
            .decode(line.as_bytes(), 7_000, &mut out)
            .unwrap();
        assert_eq!(out.len(), 1, "{out:?}");
        out.remove(0)
    }

    fn call(line: &str) -> crate::model::record::Call {
        match one(line) {
            Record::Call(c) => *c,
            other => panic!("not a call: {other:?}"),
        }
    }

    #[test]
    fn native_flat_aliases() {
        let c = call(
            r#"{"id":"c1","timestamp":"2026-11-26T10:00:00Z","prompt_tokens":12,"completion_tokens":3,
            "cache_read_tokens":4,"cache_write_tokens":5,"reasoning_tokens":6,"duration_ms":900,
            "session_id":"s1","user_id":"u1","request_model":"gpt-4o","cost":0.25,"status":"failure",
            "messages":[{"role":"user","content":"hi \"there\""}],"tool_calls":[{"name":"f","arguments":{"a":1}}]}"#,
        );
        assert_eq!(c.tokens.input, Some(12));
        assert_eq!(c.tokens.output, Some(3));
        assert_eq!(c.tokens.cache_read, Some(4));
        assert_eq!(c.tokens.cache_write, Some(5));
        assert_eq!(c.tokens.reasoning, Some(6));
        assert_eq!(c.latency_ms, Some(900.0));
        assert_eq!(c.conversation_id.as_deref(), Some("s1"));
        assert_eq!(c.user.as_deref(), Some("u1"));
        assert_eq!(c.model.as_deref(), Some("gpt-4o"));
        assert_eq!(c.cost_source, Some(CostProvenance::Reported));
        assert_eq!(c.status, Status::Error);
        assert_eq!(
            c.ts,
            crate::model::record::parse_time_str("2026-11-26T10:00:00Z")
        );
        assert_eq!(c.messages[0].content, "hi \"there\"");
        assert_eq!(c.tool_calls[0].arguments, r#"{"a":1}"#);
    }

    #[test]
    fn plain_prompt_and_reply_aliases() {
        for key in ["prompt", "question", "input", "query"] {
            let c = call(&format!(r#"{{"model":"m","{key}":"what is up"}}"#));
            assert_eq!(c.messages.len(), 1, "{key}");
            assert_eq!(c.messages[0].role, "user");
            assert_eq!(c.messages[0].content, "what is up");
            assert_eq!(c.last_user_message(), Some("what is up"));
        }
        for key in ["response", "completion", "answer"] {
            let c = call(&format!(r#"{{"{key}":"fine"}}"#));
            assert_eq!(c.output.as_deref(), Some("fine"), "{key}");
        }
        // First alias wins; `messages` and `output` win over the plain aliases.
        let c = call(r#"{"question":"q","prompt":"p","answer":"a","completion":"c"}"#);
        assert_eq!(c.messages[0].content, "p");
        assert_eq!(c.output.as_deref(), Some("c"));
        let c = call(
            r#"{"prompt":"p","messages":[{"role":"user","content":"m"}],"output":"o","answer":"a"}"#,
        );
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.messages[0].content, "m");
        assert_eq!(c.output.as_deref(), Some("o"));
        // A non-string value of a plain alias is ignored, not a rejection.
        let c = call(r#"{"model":"m","input":[{"role":"user"}],"query":{"q":1},"prompt":7}"#);
        assert!(c.messages.is_empty());
        assert_eq!(c.model.as_deref(), Some("m"));
    }

    #[test]
    fn native_epoch_times_and_first_alias_wins() {
        let c = call(
            r#"{"model":"m","start_time":1795687200,"end":1795687200500,"input_tokens":1,"prompt_tokens":2}"#,
        );
        assert_eq!(c.start, Some(1_795_687_200_000_000_000));
        assert_eq!(c.end, Some(1_795_687_200_500_000_000));
        assert_eq!(c.tokens.input, Some(1));
        assert_eq!(c.effective_latency_ms(), Some(500.0));
    }

    #[test]
    fn native_call_without_id_or_time_gets_stable_id_and_arrival() {
        let line = r#"{"model":"gpt-4o","latency_ms":10}"#;
        let a = call(line);
        assert_eq!(a.id, call(line).id);
        assert!(a.id.starts_with("line-"));
        assert_eq!(a.ts, Some(7_000));
        assert_eq!(a.operation, Operation::Chat);
    }

    #[test]
    fn native_serde_form_round_trips() {
        let c = call(
            r#"{"id":"x","ts":"2026-11-26T10:00:00.250Z","model":"m","tokens":{"input":1},"operation":"invoke_agent","name":"A"}"#,
        );
        assert_eq!(c.operation, Operation::Agent);
        let line = serde_json::to_string(&Record::Call(Box::new(c.clone()))).unwrap();
        assert_eq!(call(&line), c);
    }

    #[test]
    fn native_feedback_and_attachment() {
        let Record::Feedback(f) =
            one(r#"{"type":"feedback","call_id":"c1","kind":"down","comment":"wrong"}"#)
        else {
            panic!()
        };
        assert_eq!(f.kind, FeedbackKind::ThumbsDown);
        assert_eq!(f.time, Some(7_000));
        let Record::Feedback(f) =
            one(r#"{"call_id":"c1","kind":"score","score":0.5,"time":1795687200}"#)
        else {
            panic!()
        };
        assert_eq!(f.value, Some(0.5));
        let Record::Attachment(a) = one(r#"{"type":"attachment","span_id":"s","output":"o"}"#)
        else {
            panic!()
        };
        assert_eq!(a.output.as_deref(), Some("o"));
    }

    #[test]
    fn borrowed_facts_equal_the_facts_of_the_owned_call() {
        let lines = [
            r#"{"id":"c1","timestamp":"2026-11-26T10:00:00Z","prompt_tokens":12,"duration_ms":900,
            "session_id":"s1","user_id":"u1","request_model":"gpt-4o","cost":0.25,"status":"failure",
            "error_type":"RateLimit","trace_id":"t","span_id":"s","messages":[{"role":"user","content":"a\nb"}]}"#,
            r#"{"model":"gpt-4o","latency_ms":10,"operation":"invoke_agent","user":"","app":"x"}"#,
            r#"{"type":"call","span_id":"sp","response_model":"m","start":1795687200,"end":1795687201,"ttft_ms":-1}"#,
        ];
        for line in lines {
            let owned = call(line);
            let mut seen = 0;
            Decoder::new()
                .decode_facts(line.as_bytes(), 7_000, &mut |d| {
                    let Decoded::Facts(f) = d else {
                        panic!("not facts: {d:?}")
                    };
                    assert_eq!(f, crate::model::facts::CallFacts::of(&owned), "{line}");
                    seen += 1;
                })
                .unwrap();
            assert_eq!(seen, 1);
        }
        let mut kinds = Vec::new();
        Decoder::new()
            .decode_facts(
                br#"{"type":"feedback","call_id":"c1","kind":"up"}"#,
                0,
                &mut |d| {
                    kinds.push(matches!(d, Decoded::Record(Record::Feedback(_))));
                },
            )
            .unwrap();
        assert_eq!(kinds, [true]);
    }

    #[test]
    fn bare_provider_objects() {
        let c = call(
            r#"{"id":"chatcmpl-1","object":"chat.completion","created":1795687200,"model":"gpt-4o-2024-11-20",
            "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hello"}}],
            "usage":{"prompt_tokens":5,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":2}}}"#,
        );
        assert_eq!(c.output.as_deref(), Some("hello"));
        assert_eq!(c.tokens.cache_read, Some(2));
        assert_eq!(c.ts, Some(1_795_687_200_000_000_000));
        let c = call(
            r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-4-5","stop_reason":"tool_use",
            "content":[{"type":"text","text":"let me look"},{"type":"tool_use","id":"t1","name":"search","input":{"q":"x"}}],
            "usage":{"input_tokens":10,"output_tokens":4,"cache_read_input_tokens":3}}"#,
        );
        assert_eq!(c.provider.as_deref(), Some("anthropic"));
        assert_eq!(c.tool_calls[0].arguments, r#"{"q":"x"}"#);
        assert_eq!(c.ts, Some(7_000));
        let c = call(
            r#"{"id":"resp_1","object":"response","created_at":1795687200,"model":"gpt-4.1","status":"completed",
            "instructions":"be brief","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"ok"}]}],
            "usage":{"input_tokens":9,"output_tokens":1,"output_tokens_details":{"reasoning_tokens":0}}}"#,
        );
        assert_eq!(c.output.as_deref(), Some("ok"));
        assert_eq!(c.system_prompt.as_deref(), Some("be brief"));
        assert_eq!(c.tokens.input, Some(9));
    }
}
