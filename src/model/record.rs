//! The one data model shared by every stage: sources tag lines, decoders produce
//! [`Record`]s, enrichment adds cost and flags, the engine aggregates them and the views
//! read them back.
//!
//! The serde field names here *are* llmmon's native JSONL schema (see `docs/schema.md`);
//! the aliases accept the spellings other tools use (`duration_ms`, `prompt_tokens`, ...).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Unix time in nanoseconds. Event time everywhere; arrival time only as a fallback.
pub type Nanos = i64;

/// One decoded unit of telemetry: an LLM call (or agent/tool/workflow span), or a piece of
/// feedback that refers to a call by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// An LLM operation or a span of an agent trace.
    Call(Box<Call>),
    /// Explicit or implicit user feedback about an earlier (or later) call.
    Feedback(Feedback),
    /// Content for a span that arrives separately from it (OpenTelemetry GenAI log events),
    /// merged into the call with the same span id whether it comes before or after it.
    Attachment(Box<Attachment>),
}

impl Record {
    /// Event time of the record, if it carries one.
    pub fn time(&self) -> Option<Nanos> {
        match self {
            Record::Call(c) => c.event_time(),
            Record::Feedback(f) => f.time,
            Record::Attachment(a) => a.time,
        }
    }
}

/// What kind of work a call or span did. Only `Chat`, `Completion` and `Embeddings` are
/// counted as LLM calls; the rest are structure around them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    #[default]
    Chat,
    #[serde(alias = "text_completion")]
    Completion,
    #[serde(alias = "embedding", alias = "embed")]
    Embeddings,
    #[serde(alias = "execute_tool", alias = "tool_call")]
    Tool,
    #[serde(alias = "invoke_agent")]
    Agent,
    #[serde(alias = "invoke_workflow", alias = "chain")]
    Workflow,
    #[serde(alias = "retriever")]
    Retrieval,
    /// Anything else a source calls a span (reranker, guardrail, ...).
    Other,
}

impl Operation {
    /// True for the operations that count as LLM calls in every metric.
    pub fn is_llm_call(self) -> bool {
        matches!(
            self,
            Operation::Chat | Operation::Completion | Operation::Embeddings
        )
    }

    /// Stable lower-case name, as used in the native schema and the query language.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Chat => "chat",
            Operation::Completion => "completion",
            Operation::Embeddings => "embeddings",
            Operation::Tool => "tool",
            Operation::Agent => "agent",
            Operation::Workflow => "workflow",
            Operation::Retrieval => "retrieval",
            Operation::Other => "other",
        }
    }
}

/// Outcome of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    #[serde(
        alias = "success",
        alias = "OK",
        alias = "STATUS_CODE_OK",
        alias = "unset"
    )]
    Ok,
    #[serde(
        alias = "failure",
        alias = "ERROR",
        alias = "STATUS_CODE_ERROR",
        alias = "failed"
    )]
    Error,
}

/// Where a call's cost came from, so no number is ever passed off as something it is not.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum CostProvenance {
    /// The source reported the cost itself (LiteLLM's `response_cost`, a native `cost_usd`).
    Reported,
    /// Computed from llmmon's price table (or a config override) of the given date.
    Computed {
        /// The `date` of the price table that produced the number.
        table_date: String,
    },
    /// The model is not in any price table and the source reported no cost.
    #[default]
    Unpriced,
}

/// Token counts of one call. `None` means "not reported", which is not the same as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tokens {
    #[serde(
        default,
        alias = "prompt_tokens",
        skip_serializing_if = "Option::is_none"
    )]
    pub input: Option<u64>,
    #[serde(
        default,
        alias = "completion_tokens",
        skip_serializing_if = "Option::is_none"
    )]
    pub output: Option<u64>,
    #[serde(
        default,
        alias = "cached_tokens",
        skip_serializing_if = "Option::is_none"
    )]
    pub cache_read: Option<u64>,
    #[serde(
        default,
        alias = "cache_creation",
        skip_serializing_if = "Option::is_none"
    )]
    pub cache_write: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<u64>,
}

/// One chat message of the request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    #[serde(default)]
    pub content: String,
}

/// A tool call the model asked for, with its result when the source has it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ToolCall {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arguments: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

/// How serious a flag is. Ordered, so `--fail-on high` means "high or critical".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Lower-case name used in output and config.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// Which text of a call a flag was found in; with the byte span it locates the match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextField {
    /// The system prompt.
    System,
    /// `input_messages[i].content`.
    Input(usize),
    /// The output text.
    Output,
    /// `tool_calls[i].arguments`.
    ToolArguments(usize),
    /// `tool_calls[i].result` (indirect injection lives here).
    ToolResult(usize),
    /// `context[i]` (retrieved documents).
    Context(usize),
}

/// One detector finding on one record: what matched, where, and how bad it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// Detector family: `injection`, `leak`, `pii`, `secret`, `toxicity`, `refusal`, `custom`.
    pub detector: String,
    /// Rule id inside the family, e.g. `override.en` or `card`.
    pub rule: String,
    pub severity: Severity,
    /// Confidence in 0..=1.
    pub score: f32,
    pub field: TextField,
    /// Byte span `[start, end)` inside the field's text.
    pub start: usize,
    pub end: usize,
    /// The matched text, shortened for display.
    pub snippet: String,
}

/// An LLM call or a span of an agent trace, as every decoder maps it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Call {
    pub id: String,
    /// Start time (unix ns).
    #[serde(
        default,
        with = "time_opt",
        alias = "start_time",
        alias = "startTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub start: Option<Nanos>,
    /// End time (unix ns). Event time is `end`, else `start`, else `ts`.
    #[serde(
        default,
        with = "time_opt",
        alias = "end_time",
        alias = "endTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub end: Option<Nanos>,
    /// A single timestamp for sources that have only one.
    #[serde(
        default,
        with = "time_opt",
        alias = "timestamp",
        alias = "time",
        skip_serializing_if = "Option::is_none"
    )]
    pub ts: Option<Nanos>,
    #[serde(
        default,
        alias = "session_id",
        alias = "conversation",
        alias = "session",
        skip_serializing_if = "Option::is_none"
    )]
    pub conversation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<u32>,
    #[serde(default, alias = "user_id", skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(
        default,
        alias = "service",
        alias = "service_name",
        skip_serializing_if = "Option::is_none"
    )]
    pub app: Option<String>,
    #[serde(
        default,
        alias = "environment",
        skip_serializing_if = "Option::is_none"
    )]
    pub env: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Requested model (what the application asked for).
    #[serde(
        default,
        alias = "request_model",
        skip_serializing_if = "Option::is_none"
    )]
    pub model: Option<String>,
    /// Model the provider says answered (often dated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_model: Option<String>,
    #[serde(default, alias = "system", skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default)]
    pub operation: Operation,
    /// Span or tool name (`search_flights`, `FlightAgent`); empty for plain calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(
        default,
        alias = "duration_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub latency_ms: Option<f64>,
    #[serde(
        default,
        alias = "time_to_first_token_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub ttft_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default)]
    pub tokens: Tokens,
    /// Cost in USD; see `cost_source` for where it came from.
    #[serde(default, alias = "cost", skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_source: Option<CostProvenance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    #[serde(
        default,
        alias = "input_messages",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub messages: Vec<Message>,
    #[serde(
        default,
        alias = "output_text",
        alias = "response",
        skip_serializing_if = "Option::is_none"
    )]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// Retrieved documents given to the model (RAG context).
    #[serde(
        default,
        alias = "retrieved_context",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub context: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_span_id: Option<String>,
    /// Named scores, e.g. an LLM judge's `helpfulness: 0.8`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scores: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// Detector findings, filled by the enrich stage (never read from input).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
}

impl Call {
    /// The record's own time: end, else start, else its single timestamp.
    pub fn event_time(&self) -> Option<Nanos> {
        self.end.or(self.start).or(self.ts)
    }

    /// Latency as reported, or derived from start and end.
    pub fn effective_latency_ms(&self) -> Option<f64> {
        derive_latency_ms(self.latency_ms, self.start, self.end)
    }

    /// Time per output token after the first, when latency, TTFT and output tokens allow it.
    pub fn tpot_ms(&self) -> Option<f64> {
        derive_tpot_ms(
            self.effective_latency_ms(),
            self.ttft_ms,
            self.tokens.output,
        )
    }

    /// The model name used for grouping and pricing: requested, else response model.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_deref().or(self.response_model.as_deref())
    }

    /// The last user message, which is what the person typed this turn.
    pub fn last_user_message(&self) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .map(|m| m.content.as_str())
    }

    /// The text a [`TextField`] points at, if the call has it.
    pub fn text(&self, field: TextField) -> Option<&str> {
        match field {
            TextField::System => self.system_prompt.as_deref(),
            TextField::Input(i) => self.messages.get(i).map(|m| m.content.as_str()),
            TextField::Output => self.output.as_deref(),
            TextField::ToolArguments(i) => self.tool_calls.get(i).map(|t| t.arguments.as_str()),
            TextField::ToolResult(i) => self.tool_calls.get(i).and_then(|t| t.result.as_deref()),
            TextField::Context(i) => self.context.get(i).map(String::as_str),
        }
    }
}

/// Message content that belongs to a span reported elsewhere (GenAI log events).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    #[serde(default, with = "time_opt", skip_serializing_if = "Option::is_none")]
    pub time: Option<Nanos>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Detector findings on this content, filled by the enrich stage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
}

/// Latency as reported, or derived from start and end; one rule for [`Call`] and the
/// engine's borrowed view of it.
pub fn derive_latency_ms(
    reported: Option<f64>,
    start: Option<Nanos>,
    end: Option<Nanos>,
) -> Option<f64> {
    reported.or_else(|| match (start, end) {
        (Some(s), Some(e)) if e >= s => Some((e - s) as f64 / 1e6),
        _ => None,
    })
}

/// Time per output token after the first: (latency − TTFT) / (output tokens − 1), when all
/// are known and there are at least two output tokens.
pub fn derive_tpot_ms(
    latency_ms: Option<f64>,
    ttft_ms: Option<f64>,
    output_tokens: Option<u64>,
) -> Option<f64> {
    let out = output_tokens?;
    if out < 2 {
        return None;
    }
    let (lat, ttft) = (latency_ms?, ttft_ms?);
    (lat >= ttft).then(|| (lat - ttft) / (out - 1) as f64)
}

/// What kind of feedback a user gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    #[serde(alias = "up", alias = "thumbs-up", alias = "like")]
    ThumbsUp,
    #[serde(alias = "down", alias = "thumbs-down", alias = "dislike")]
    ThumbsDown,
    /// A numeric rating in `value`.
    Score,
    /// Free text in `comment`.
    Comment,
    /// Implicit positive signal: the user copied the answer.
    Copy,
    /// Any other implicit signal the application reports (`regenerate`, `share`, ...).
    #[serde(other)]
    Implicit,
}

/// Feedback about a call, joined to it by `call_id` whichever arrives first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    #[serde(alias = "target_id", alias = "call")]
    pub call_id: String,
    #[serde(
        default,
        with = "time_opt",
        alias = "timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<Nanos>,
    pub kind: FeedbackKind,
    #[serde(default, alias = "score", skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The score's name for a named rating (`judge.groundedness` from an LLM judge,
    /// `csat` from the app); unnamed scores are a user's rating of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The judge model that gave this verdict, when an LLM judge did (its reason is in
    /// `comment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
}

impl Feedback {
    /// Prefix of score names written by an LLM judge.
    pub const JUDGE_PREFIX: &'static str = "judge.";

    /// Whether this is an LLM judge's verdict rather than a person's feedback.
    pub fn is_judge_verdict(&self) -> bool {
        self.judge.is_some()
            || self
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with(Self::JUDGE_PREFIX))
    }

    /// The criterion a judge verdict scores, its name without the `judge.` prefix
    /// (`judge.groundedness` → `groundedness`): the key it takes in [`Call::scores`], so
    /// a verdict and a score carried by the call share one name. `None` without a name.
    pub fn criterion(&self) -> Option<&str> {
        let n = self.name.as_deref()?;
        Some(n.strip_prefix(Self::JUDGE_PREFIX).unwrap_or(n)).filter(|c| !c.is_empty())
    }

    /// A judge verdict's criterion and score, when this is a verdict with a name and a
    /// score in 0..=1 (the only verdicts that count anywhere; decoding refuses the rest).
    pub fn verdict(&self) -> Option<(&str, f64)> {
        if !self.is_judge_verdict() {
            return None;
        }
        let v = self.value.filter(|v| (0.0..=1.0).contains(v))?;
        Some((self.criterion()?, v))
    }
}

/// Parses a timestamp given as ISO-8601/RFC 3339 text, or as epoch seconds, milliseconds,
/// microseconds or nanoseconds (the unit chosen by magnitude).
pub fn parse_time_str(s: &str) -> Option<Nanos> {
    let s = s.trim();
    if let Some(ns) = parse_utc_fast(s.as_bytes()) {
        return Some(ns);
    }
    if let Ok(n) = s.parse::<f64>() {
        return epoch_to_nanos(n);
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return i64::try_from(ts.as_nanosecond()).ok();
    }
    // Naive date-times (no offset) are taken as UTC, which is what loggers that omit the
    // offset almost always mean.
    let dt: jiff::civil::DateTime = s.parse().ok()?;
    let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    i64::try_from(ts.as_nanosecond()).ok()
}

/// The form almost every logger writes, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, read without
/// the general parser; anything else (offsets, leap seconds, odd widths) returns `None` and
/// takes the general path.
fn parse_utc_fast(b: &[u8]) -> Option<Nanos> {
    if b.len() < 20 || b.last() != Some(&b'Z') {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, min, sec) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let frac = &b[19..b.len() - 1];
    let nanos = match frac.split_first() {
        None => 0,
        Some((b'.', f)) if !f.is_empty() && f.len() <= 9 => {
            let v = digits(20..20 + f.len())?;
            v * 10i64.pow(9 - f.len() as u32)
        }
        _ => return None,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let days_in_month = *month_days.get(usize::try_from(month).ok()?.checked_sub(1)?)?;
    if day < 1 || day > days_in_month || hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    // Days since the epoch of a proleptic Gregorian date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Interprets an epoch number by magnitude: seconds (< 1e11), milliseconds (< 1e14),
/// microseconds (< 1e17), else nanoseconds.
pub fn epoch_to_nanos(n: f64) -> Option<Nanos> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let ns = if n < 1e11 {
        n * 1e9
    } else if n < 1e14 {
        n * 1e6
    } else if n < 1e17 {
        n * 1e3
    } else {
        n
    };
    (ns < i64::MAX as f64).then_some(ns as i64)
}

/// Formats unix nanoseconds as RFC 3339 UTC with millisecond precision.
pub fn format_time(ns: Nanos) -> String {
    match jiff::Timestamp::from_nanosecond(i128::from(ns)) {
        Ok(ts) => format!("{:.3}", ts),
        Err(_) => ns.to_string(),
    }
}

/// Serde glue for optional timestamps: reads text or numbers, writes RFC 3339.
pub(crate) mod time_opt {
    use super::{epoch_to_nanos, format_time, parse_time_str, Nanos};
    use serde::{de, Deserializer, Serializer};
    use std::fmt;

    pub fn serialize<S: Serializer>(v: &Option<Nanos>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(ns) => s.serialize_str(&format_time(*ns)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Nanos>, D::Error> {
        d.deserialize_any(TimeVisitor)
    }

    struct TimeVisitor;

    impl<'de> de::Visitor<'de> for TimeVisitor {
        type Value = Option<Nanos>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an RFC 3339 timestamp or epoch seconds/milliseconds")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(TimeVisitor)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            parse_time_str(v)
                .map(Some)
                .ok_or_else(|| E::custom(format!("unreadable timestamp {v:?}")))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            self.visit_f64(v as f64)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            self.visit_f64(v as f64)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            epoch_to_nanos(v)
                .map(Some)
                .ok_or_else(|| E::custom(format!("timestamp out of range: {v}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_accepted_form_agree() {
        let want = parse_time_str("2026-11-26T10:00:00Z").unwrap();
        assert_eq!(parse_time_str("1795687200").unwrap(), want);
        assert_eq!(parse_time_str("1795687200000").unwrap(), want);
        assert_eq!(parse_time_str("2026-11-26T10:00:00").unwrap(), want);
        assert_eq!(parse_time_str("2026-11-26T11:00:00+01:00").unwrap(), want);
        assert_eq!(format_time(want), "2026-11-26T10:00:00.000Z");
        assert!(parse_time_str("yesterday").is_none());
    }

    #[test]
    fn fast_utc_form_agrees_with_the_general_parser() {
        for s in [
            "2026-11-26T10:00:00Z",
            "2026-11-26T10:00:00.1Z",
            "2026-11-26T10:00:00.250Z",
            "2026-11-26T10:00:00.123456789Z",
            "1970-01-01T00:00:00Z",
            "2000-02-29T23:59:59.999Z",
            "2100-03-01T00:00:00Z",
            "1969-12-31T23:59:59.5Z",
        ] {
            let general = s.parse::<jiff::Timestamp>().unwrap().as_nanosecond();
            assert_eq!(
                parse_utc_fast(s.as_bytes()).map(i128::from),
                Some(general),
                "{s}"
            );
        }
        for s in [
            "2026-11-26T10:00:60Z",
            "2026-02-30T10:00:00Z",
            "2026-11-26 10:00:00Z",
            "2026-11-26T10:00:00.Z",
            "2026-11-26T10:00:00+01:00",
            "2026-11-26T10:00:00.1234567890Z",
        ] {
            assert_eq!(parse_utc_fast(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn native_call_round_trips_with_aliases() {
        let line = r#"{"type":"call","id":"c1","timestamp":1795687200.5,"duration_ms":1200,
            "prompt_tokens":0,"tokens":{"prompt_tokens":12,"completion_tokens":3},
            "model":"gpt-4o","status":"failure","session_id":"s1"}"#;
        let r: Record = serde_json::from_str(line).unwrap();
        let Record::Call(c) = &r else {
            panic!("not a call")
        };
        assert_eq!(c.latency_ms, Some(1200.0));
        assert_eq!(c.tokens.input, Some(12));
        assert_eq!(c.status, Status::Error);
        assert_eq!(c.conversation_id.as_deref(), Some("s1"));
        let back: Record = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn judge_verdicts_name_their_criterion() {
        let mut f = Feedback {
            call_id: "c".into(),
            time: None,
            kind: FeedbackKind::Score,
            value: Some(0.2),
            comment: Some("cites a refund window the context lacks".into()),
            user: None,
            name: Some("judge.groundedness".into()),
            judge: Some("gpt-4o-mini".into()),
        };
        assert_eq!(f.criterion(), Some("groundedness"));
        assert_eq!(f.verdict(), Some(("groundedness", 0.2)));
        f.value = Some(3.0);
        assert_eq!(f.verdict(), None);
        f.value = Some(0.9);
        f.name = Some("csat".into());
        assert_eq!(f.verdict(), Some(("csat", 0.9)));
        f.judge = None;
        assert!(!f.is_judge_verdict());
        assert_eq!(f.verdict(), None);
    }

    #[test]
    fn tpot_needs_two_output_tokens() {
        let mut c = Call {
            latency_ms: Some(1000.0),
            ttft_ms: Some(100.0),
            ..Call::default()
        };
        c.tokens.output = Some(10);
        assert_eq!(c.tpot_ms(), Some(100.0));
        c.tokens.output = Some(1);
        assert_eq!(c.tpot_ms(), None);
    }
}
