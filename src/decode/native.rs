//! llmmon's native JSONL: the serde form of [`Record`] plus the flat aliases other loggers
//! use (`prompt_tokens`, `duration_ms`, `session_id`, ...). This is the hot path, so lines are
//! read into a borrowed wire struct (strings without escapes are not copied) and converted
//! once; the wire struct also spots the keys of every other format so those lines can be
//! handed to the generic path without a second guess.

use super::fields::line_id;
use super::{Decoded, Reject, RejectReason};
use crate::model::facts::CallFacts;
use crate::model::record::{
    Attachment, Call, CostProvenance, Feedback, FeedbackKind, Message, Nanos, Operation, Record,
    Status, Tokens, ToolCall,
};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A string borrowed from the line when it has no escapes.
#[derive(Deserialize)]
#[serde(transparent)]
pub(super) struct Str<'a>(#[serde(borrow)] Cow<'a, str>);

impl Str<'_> {
    fn own(self) -> String {
        self.0.into_owned()
    }
}

/// A string when the value is one, `None` for any other JSON value: for the plain aliases
/// (`prompt`, `input`, `answer`, ...) that home-made logs also use for objects and arrays, which
/// must not make the whole line unreadable.
#[derive(Default)]
pub(super) struct Loose<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> serde::de::Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Loose(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Loose(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Loose(Some(Cow::Owned(v))))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        while a.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
}

impl Loose<'_> {
    fn text(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty())
    }
}

/// Owned, non-empty.
fn own(s: Option<Str<'_>>) -> Option<String> {
    s.map(Str::own).filter(|s| !s.is_empty())
}

#[derive(Deserialize)]
struct WireMessage<'a> {
    #[serde(borrow)]
    role: Str<'a>,
    #[serde(default, borrow)]
    content: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct WireToolCall<'a> {
    #[serde(default, borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    name: Str<'a>,
    #[serde(default, borrow)]
    arguments: Option<&'a RawValue>,
    #[serde(default, borrow)]
    result: Option<&'a RawValue>,
}

/// Every field of call, feedback and attachment, each alias that may meet another in the
/// same line as its own field (first one present wins), and the marker keys of the other
/// formats.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Wire<'a> {
    #[serde(rename = "type", borrow)]
    record_type: Option<Str<'a>>,
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(deserialize_with = "time", alias = "start_time", alias = "startTime")]
    start: Option<Nanos>,
    #[serde(deserialize_with = "time", alias = "end_time", alias = "endTime")]
    end: Option<Nanos>,
    #[serde(deserialize_with = "time", alias = "timestamp", alias = "time")]
    ts: Option<Nanos>,
    #[serde(borrow)]
    conversation_id: Option<Str<'a>>,
    #[serde(borrow)]
    session_id: Option<Str<'a>>,
    #[serde(borrow, alias = "session")]
    conversation: Option<Str<'a>>,
    turn: Option<u32>,
    #[serde(borrow)]
    user: Option<Str<'a>>,
    #[serde(borrow)]
    user_id: Option<Str<'a>>,
    #[serde(borrow, alias = "service", alias = "service_name")]
    app: Option<Str<'a>>,
    #[serde(borrow, alias = "environment")]
    env: Option<Str<'a>>,
    #[serde(borrow)]
    tags: Vec<Str<'a>>,
    #[serde(borrow)]
    model: Option<Str<'a>>,
    #[serde(borrow)]
    request_model: Option<Str<'a>>,
    #[serde(borrow)]
    response_model: Option<Str<'a>>,
    #[serde(borrow, alias = "system")]
    provider: Option<Str<'a>>,
    #[serde(borrow)]
    operation: Option<Str<'a>>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    /// The judge model of a feedback record written by an LLM judge.
    #[serde(borrow)]
    judge: Option<Str<'a>>,
    #[serde(borrow)]
    status: Option<Str<'a>>,
    #[serde(borrow)]
    error_type: Option<Str<'a>>,
    #[serde(borrow)]
    error_message: Option<Str<'a>>,
    #[serde(borrow)]
    finish_reason: Option<Str<'a>>,
    latency_ms: Option<f64>,
    duration_ms: Option<f64>,
    #[serde(alias = "time_to_first_token_ms")]
    ttft_ms: Option<f64>,
    stream: Option<bool>,
    tokens: Option<Tokens>,
    input_tokens: Option<u64>,
    prompt_tokens: Option<u64>,
    output_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    cached_tokens: Option<u64>,
    cache_read_tokens: Option<u64>,
    cache_write_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
    #[serde(alias = "cost")]
    cost_usd: Option<f64>,
    #[serde(borrow)]
    system_prompt: Option<Str<'a>>,
    #[serde(borrow, alias = "input_messages")]
    messages: Vec<WireMessage<'a>>,
    #[serde(borrow, alias = "output_text", alias = "response")]
    output: Option<Str<'a>>,
    // Plain aliases of home-made logs: the request as one string (the user message) and the
    // reply as one string. Each is its own field (two may meet in one line); a non-string
    // value is ignored rather than making the line unreadable.
    #[serde(borrow)]
    prompt: Loose<'a>,
    #[serde(borrow)]
    question: Loose<'a>,
    #[serde(borrow)]
    input: Loose<'a>,
    #[serde(borrow)]
    query: Loose<'a>,
    #[serde(borrow)]
    completion: Loose<'a>,
    #[serde(borrow)]
    answer: Loose<'a>,
    #[serde(borrow)]
    tool_calls: Vec<WireToolCall<'a>>,
    #[serde(borrow, alias = "retrieved_context")]
    context: Vec<Str<'a>>,
    #[serde(borrow)]
    trace_id: Option<Str<'a>>,
    #[serde(borrow)]
    span_id: Option<Str<'a>>,
    #[serde(borrow)]
    parent_span_id: Option<Str<'a>>,
    scores: BTreeMap<String, f64>,
    metadata: BTreeMap<String, Value>,
    #[serde(borrow, alias = "target_id", alias = "call")]
    call_id: Option<Str<'a>>,
    #[serde(borrow)]
    kind: Option<Str<'a>>,
    #[serde(alias = "score")]
    value: Option<f64>,
    #[serde(borrow)]
    comment: Option<Str<'a>>,
    // Keys that mark the other formats.
    #[serde(rename = "resourceSpans")]
    resource_spans: Option<IgnoredAny>,
    #[serde(rename = "resourceLogs")]
    resource_logs: Option<IgnoredAny>,
    #[serde(rename = "resourceMetrics")]
    resource_metrics: Option<IgnoredAny>,
    call_type: Option<IgnoredAny>,
    object: Option<IgnoredAny>,
    choices: Option<IgnoredAny>,
}

/// Reads a line as native JSONL; `None` when it carries another format's keys.
pub(super) fn parse(text: &str) -> Result<Option<Wire<'_>>, serde_json::Error> {
    let wire: Wire<'_> = serde_json::from_str(text)?;
    let foreign = wire.resource_spans.is_some()
        || wire.resource_logs.is_some()
        || wire.resource_metrics.is_some()
        || wire.call_type.is_some()
        || wire.object.is_some()
        || wire.choices.is_some()
        || matches!(&wire.record_type, Some(t) if !matches!(&*t.0, "call" | "feedback" | "attachment"));
    Ok((!foreign).then_some(wire))
}

/// Explains why a line that looked native could not be read.
pub(super) fn reject_from(e: &serde_json::Error) -> Reject {
    let msg = e.to_string();
    let reason = if msg.starts_with("missing field") {
        RejectReason::MissingField
    } else {
        RejectReason::UnknownShape
    };
    Reject::new(reason, format!("native record: {msg}"))
}

/// Which native record a wire struct holds.
enum Kind {
    Feedback,
    Attachment,
    /// A call; `typed` when it said `"type": "call"` (or any other native type).
    Call {
        typed: bool,
    },
}

fn kind(w: &Wire<'_>) -> Kind {
    match w.record_type.as_ref().map(|t| &*t.0) {
        Some("feedback") => Kind::Feedback,
        Some("attachment") => Kind::Attachment,
        Some(_) => Kind::Call { typed: true },
        None if w.call_id.is_some() && w.kind.is_some() => Kind::Feedback,
        None => Kind::Call { typed: false },
    }
}

/// Turns a native wire record into a [`Record`].
pub(super) fn convert(
    w: Wire<'_>,
    text: &str,
    arrival: Nanos,
    out: &mut Vec<Record>,
) -> Result<(), Reject> {
    let record = match kind(&w) {
        Kind::Feedback => feedback(w, arrival)?,
        Kind::Attachment => attachment(w, arrival)?,
        Kind::Call { typed } => call(w, text, arrival, typed)?,
    };
    out.push(record);
    Ok(())
}

/// Hands a native call to `sink` as borrowed [`CallFacts`] (nothing is copied out of the
/// line); feedback and attachments are converted to owned records as usual.
pub(super) fn convert_facts(
    w: Wire<'_>,
    text: &str,
    arrival: Nanos,
    sink: &mut impl FnMut(Decoded<'_>),
) -> Result<(), Reject> {
    match kind(&w) {
        Kind::Call { typed } => {
            check_call(&w, typed)?;
            let id = call_id(&w, text);
            sink(Decoded::Facts(facts(&w, &id, arrival)));
        }
        _ => {
            let mut out = Vec::with_capacity(1);
            convert(w, text, arrival, &mut out)?;
            for r in out {
                sink(Decoded::Record(r));
            }
        }
    }
    Ok(())
}

fn missing(detail: &str) -> Reject {
    Reject::new(RejectReason::MissingField, detail.to_owned())
}

fn feedback(w: Wire<'_>, arrival: Nanos) -> Result<Record, Reject> {
    let call_id = own(w.call_id).ok_or_else(|| missing("feedback needs `call_id`"))?;
    let kind = match w.kind.as_ref().map(|k| k.0.as_ref()) {
        Some(k) => feedback_kind(k),
        None if w.value.is_some() => FeedbackKind::Score,
        None if w.comment.is_some() => FeedbackKind::Comment,
        None => return Err(missing("feedback needs `kind` (or a `value` or `comment`)")),
    };
    Ok(Record::Feedback(Feedback {
        call_id,
        time: Some(w.ts.or(w.end).or(w.start).unwrap_or(arrival)),
        kind,
        value: w.value.filter(|v| v.is_finite()),
        comment: own(w.comment),
        user: own(w.user).or_else(|| own(w.user_id)),
        name: own(w.name),
        judge: own(w.judge),
    }))
}

fn feedback_kind(k: &str) -> FeedbackKind {
    match k.to_ascii_lowercase().as_str() {
        "thumbs_up" | "thumbs-up" | "up" | "like" | "positive" => FeedbackKind::ThumbsUp,
        "thumbs_down" | "thumbs-down" | "down" | "dislike" | "negative" => FeedbackKind::ThumbsDown,
        "score" | "rating" => FeedbackKind::Score,
        "comment" => FeedbackKind::Comment,
        "copy" => FeedbackKind::Copy,
        _ => FeedbackKind::Implicit,
    }
}

fn attachment(w: Wire<'_>, arrival: Nanos) -> Result<Record, Reject> {
    let span_id = own(w.span_id).ok_or_else(|| missing("attachment needs `span_id`"))?;
    Ok(Record::Attachment(Box::new(Attachment {
        trace_id: own(w.trace_id),
        span_id: Some(span_id),
        time: Some(w.ts.or(w.end).or(w.start).unwrap_or(arrival)),
        system_prompt: own(w.system_prompt),
        messages: messages(w.messages),
        output: w.output.map(Str::own),
        tool_calls: tool_calls(w.tool_calls),
        finish_reason: own(w.finish_reason),
        flags: Vec::new(),
    })))
}

/// A call needs at least one field that says what it was.
fn check_call(w: &Wire<'_>, typed: bool) -> Result<(), Reject> {
    let has_content = w.id.is_some()
        || w.span_id.is_some()
        || w.model.is_some()
        || w.request_model.is_some()
        || w.response_model.is_some()
        || tokens(w) != Tokens::default()
        || w.latency_ms.is_some()
        || w.duration_ms.is_some()
        || !w.messages.is_empty()
        || w.output.is_some()
        || plain_prompt(w).is_some()
        || plain_output(w).is_some()
        || w.operation.is_some();
    if has_content {
        return Ok(());
    }
    Err(if typed {
        missing(
            "call needs at least one of `id`, `model`, tokens, `latency_ms`, `messages`, `output`",
        )
    } else {
        Reject::new(
            RejectReason::UnknownShape,
            "object has none of the native call fields (`id`, `model`, tokens, `latency_ms`, `messages`, `output`)",
        )
    })
}

/// The plain request keys, in precedence order.
pub(super) const PLAIN_PROMPT: [&str; 4] = ["prompt", "question", "input", "query"];
/// The plain reply keys (after `output`, `output_text`, `response`), in precedence order.
pub(super) const PLAIN_OUTPUT: [&str; 2] = ["completion", "answer"];

/// Every top-level key the native reader takes (field names and aliases), as serde itself
/// lists them, so the list cannot drift from the wire struct.
pub(super) fn known_keys() -> &'static [&'static str] {
    static KEYS: std::sync::OnceLock<&'static [&'static str]> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let mut fields: &'static [&'static str] = &[];
        let _ = Wire::deserialize(FieldNames(&mut fields));
        fields
    })
}

/// A deserializer that only records the field names a struct asks for.
struct FieldNames<'x>(&'x mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("field names only"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("field names only"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The request of a plain log (`prompt`, `question`, `input`, `query`, first present wins).
fn plain_prompt<'x>(w: &'x Wire<'_>) -> Option<&'x str> {
    [&w.prompt, &w.question, &w.input, &w.query]
        .into_iter()
        .find_map(Loose::text)
}

/// The reply of a plain log (`completion`, `answer`), when `output`/`response` is absent.
fn plain_output<'x>(w: &'x Wire<'_>) -> Option<&'x str> {
    [&w.completion, &w.answer].into_iter().find_map(Loose::text)
}

/// A borrowed string field, when present and not empty.
fn text<'x>(s: &'x Option<Str<'_>>) -> Option<&'x str> {
    s.as_ref().map(|s| &*s.0).filter(|s| !s.is_empty())
}

/// The call's id: its own, else its span id, else one derived from the line.
fn call_id<'x>(w: &'x Wire<'_>, line: &str) -> Cow<'x, str> {
    text(&w.id)
        .or_else(|| text(&w.span_id))
        .map_or_else(|| Cow::Owned(line_id(line)), Cow::Borrowed)
}

/// Everything the engine counts of a call, resolved from the aliases and borrowed from the
/// wire; the owned [`Call`] is built from these same values.
fn facts<'x>(w: &'x Wire<'_>, id: &'x str, arrival: Nanos) -> CallFacts<'x> {
    let error_type = text(&w.error_type);
    let has_error = error_type.is_some() || text(&w.error_message).is_some();
    let status = match w.status.as_ref().map(|s| s.0.as_ref()) {
        Some(s) => status(s, has_error),
        None if has_error => Status::Error,
        None => Status::Ok,
    };
    let time_given = w.start.is_some() || w.end.is_some() || w.ts.is_some();
    CallFacts {
        id,
        start: w.start,
        end: w.end,
        ts: if time_given { w.ts } else { Some(arrival) },
        conversation_id: text(&w.conversation_id)
            .or_else(|| text(&w.session_id))
            .or_else(|| text(&w.conversation)),
        user: text(&w.user).or_else(|| text(&w.user_id)),
        app: text(&w.app),
        model: text(&w.model).or_else(|| text(&w.request_model)),
        response_model: text(&w.response_model),
        provider: text(&w.provider),
        operation: w
            .operation
            .as_ref()
            .map_or(Operation::Chat, |o| operation(&o.0)),
        status,
        error_type,
        // Out-of-range latencies and costs are refused by `validate`, not dropped here.
        latency_ms: w.latency_ms.or(w.duration_ms),
        ttft_ms: w.ttft_ms.filter(|v| v.is_finite() && *v >= 0.0),
        tokens: tokens(w),
        cost_usd: w.cost_usd,
        cost_computed: false,
        trace_id: text(&w.trace_id),
        span_id: text(&w.span_id),
        flags: &[],
    }
}

fn call(w: Wire<'_>, line: &str, arrival: Nanos, typed: bool) -> Result<Record, Reject> {
    check_call(&w, typed)?;
    let id = call_id(&w, line);
    // A plain prompt is the user message only when the line has no message list.
    let prompt = if w.messages.is_empty() {
        plain_prompt(&w).map(|p| Message {
            role: "user".to_owned(),
            content: p.to_owned(),
        })
    } else {
        None
    };
    let output = match &w.output {
        Some(o) => Some(o.0.to_string()),
        None => plain_output(&w).map(str::to_owned),
    };
    let f = facts(&w, &id, arrival);
    let owned = |s: Option<&str>| s.map(str::to_owned);
    let head = Call {
        id: f.id.to_owned(),
        start: f.start,
        end: f.end,
        ts: f.ts,
        conversation_id: owned(f.conversation_id),
        user: owned(f.user),
        app: owned(f.app),
        model: owned(f.model),
        response_model: owned(f.response_model),
        provider: owned(f.provider),
        operation: f.operation,
        status: f.status,
        error_type: owned(f.error_type),
        latency_ms: f.latency_ms,
        ttft_ms: f.ttft_ms,
        tokens: f.tokens,
        cost_source: f.cost_usd.map(|_| CostProvenance::Reported),
        cost_usd: f.cost_usd,
        trace_id: owned(f.trace_id),
        span_id: owned(f.span_id),
        ..Call::default()
    };
    Ok(Record::Call(Box::new(Call {
        turn: w.turn,
        env: own(w.env),
        tags: w.tags.into_iter().map(Str::own).collect(),
        name: own(w.name),
        error_message: own(w.error_message),
        finish_reason: own(w.finish_reason),
        stream: w.stream,
        system_prompt: own(w.system_prompt),
        messages: prompt.into_iter().chain(messages(w.messages)).collect(),
        output,
        tool_calls: tool_calls(w.tool_calls),
        context: w.context.into_iter().map(Str::own).collect(),
        parent_span_id: own(w.parent_span_id),
        scores: w
            .scores
            .into_iter()
            .filter(|(_, v)| v.is_finite())
            .collect(),
        metadata: w.metadata,
        ..head
    })))
}

/// Nested `tokens` object first, then the flat aliases.
fn tokens(w: &Wire<'_>) -> Tokens {
    let t = w.tokens.unwrap_or_default();
    Tokens {
        input: t.input.or(w.input_tokens).or(w.prompt_tokens),
        output: t.output.or(w.output_tokens).or(w.completion_tokens),
        cache_read: t.cache_read.or(w.cached_tokens).or(w.cache_read_tokens),
        cache_write: t.cache_write.or(w.cache_write_tokens),
        reasoning: t.reasoning.or(w.reasoning_tokens),
    }
}

/// Maps a status word; unknown words count as errors only when an error is described.
fn status(s: &str, has_error: bool) -> Status {
    match s.to_ascii_lowercase().as_str() {
        "ok" | "success" | "succeeded" | "status_code_ok" | "unset" | "completed" => Status::Ok,
        "error" | "failure" | "failed" | "status_code_error" | "fail" => Status::Error,
        _ if has_error => Status::Error,
        _ => Status::Ok,
    }
}

/// Maps an operation name with the aliases the model accepts; unknown names are `Other`.
pub(super) fn operation(s: &str) -> Operation {
    match s.to_ascii_lowercase().as_str() {
        "chat" | "chat_completion" | "generate_content" => Operation::Chat,
        "completion" | "text_completion" => Operation::Completion,
        "embeddings" | "embedding" | "embed" => Operation::Embeddings,
        "tool" | "execute_tool" | "tool_call" => Operation::Tool,
        "agent" | "invoke_agent" | "create_agent" => Operation::Agent,
        "workflow" | "invoke_workflow" | "chain" => Operation::Workflow,
        "retrieval" | "retriever" => Operation::Retrieval,
        _ => Operation::Other,
    }
}

fn messages(ms: Vec<WireMessage<'_>>) -> Vec<Message> {
    ms.into_iter()
        .map(|m| Message {
            role: m.role.own(),
            content: m.content.map(Str::own).unwrap_or_default(),
        })
        .collect()
}

fn tool_calls(ts: Vec<WireToolCall<'_>>) -> Vec<ToolCall> {
    ts.into_iter()
        .map(|t| ToolCall {
            id: own(t.id),
            name: t.name.own(),
            arguments: t.arguments.and_then(raw_text).unwrap_or_default(),
            result: t.result.and_then(raw_text),
        })
        .collect()
}

/// A raw JSON value as text: a string's contents, or the JSON itself for anything else.
fn raw_text(raw: &RawValue) -> Option<String> {
    let s = raw.get();
    match s.as_bytes().first() {
        Some(b'"') => serde_json::from_str(s).ok(),
        Some(b'n') => None,
        _ => Some(s.to_owned()),
    }
}

/// Reads a time as RFC 3339 text or epoch seconds/milliseconds/micro/nanoseconds, exactly
/// as the record model's own serde does.
fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Nanos>, D::Error> {
    crate::model::record::time_opt::deserialize(d)
}
