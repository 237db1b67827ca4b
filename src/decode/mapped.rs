//! `[[formats]]`: logs of any JSON shape read through a mapping from the config. Each format
//! names a `match` path that must be present for a line to use it, and maps native call
//! fields to paths in the line (`a.b`, `items[0]`, `items[-1]`, optionally with a `scale`).
//! The mapping is checked once at config load (bad path syntax, unknown field, scale on a
//! non-numeric field); at decode time a mapped value of the wrong type rejects the line with
//! a reason naming the field, so a broken mapping is counted, never silently empty.

use super::fields::{as_f64, as_u64, content_text, json_text, line_id};
use super::native::operation;
use super::{Reject, RejectReason};
use crate::model::record::{parse_time_str, Call, Message, Nanos, Record, Status, ToolCall};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One `[[formats]]` entry as written in the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatSection {
    /// Shown by `report --explain` and in rejection reasons.
    pub name: String,
    /// A path that must be present (and not null) for a line to use this format.
    #[serde(rename = "match")]
    pub match_path: String,
    /// Native field name to the path (or `{ path, scale }`) it is read from.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSource>,
}

/// Where a mapped field is read from: a path, or a path and a factor applied to the number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldSource {
    /// `model = "req.llm"`.
    Path(String),
    /// `latency_ms = { path = "took_s", scale = 1000 }`.
    Scaled(ScaledSource),
}

/// The table form of a [`FieldSource`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaledSource {
    /// The path to read.
    pub path: String,
    /// Multiplies the number read (numeric fields only).
    #[serde(default)]
    pub scale: Option<f64>,
}

/// A `[[formats]]` entry that cannot be used, named by format and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[[formats]] {format:?}: {field}: {message}")]
pub struct FormatError {
    /// The format's `name`.
    pub format: String,
    /// `match`, `name` or `fields.NAME`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    /// An array index; negative counts from the end (`-1` is the last element).
    Index(i64),
}

/// A parsed path: object keys separated by `.`, array indexes as `[N]` or `[-N]`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    text: String,
    steps: Vec<Step>,
}

impl JsonPath {
    /// Parses `a.b[0].c`, `items[-1]`, `[2].x`; explains the first syntax error.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let mut steps = Vec::new();
        let mut key = String::new();
        let mut chars = text.chars().peekable();
        // Whether the previous step was an index (then `.`, `[` or the end must follow).
        let mut after_index = false;
        while let Some(c) = chars.next() {
            match c {
                '.' => {
                    if key.is_empty() && !after_index {
                        return Err(format!("empty key in path {text:?}"));
                    }
                    if !key.is_empty() {
                        steps.push(Step::Key(std::mem::take(&mut key)));
                    }
                    after_index = false;
                    if chars.peek().is_none() {
                        return Err(format!("path {text:?} ends with `.`"));
                    }
                }
                '[' => {
                    if !key.is_empty() {
                        steps.push(Step::Key(std::mem::take(&mut key)));
                    }
                    let mut digits = String::new();
                    loop {
                        match chars.next() {
                            Some(']') => break,
                            Some(d) => digits.push(d),
                            None => return Err(format!("unclosed `[` in path {text:?}")),
                        }
                    }
                    let n: i64 = digits.trim().parse().map_err(|_| {
                        format!("index [{digits}] in path {text:?} is not an integer")
                    })?;
                    steps.push(Step::Index(n));
                    after_index = true;
                }
                ']' => return Err(format!("unmatched `]` in path {text:?}")),
                c if after_index => {
                    return Err(format!(
                        "path {text:?}: expected `.` or `[` after an index, found {c:?}"
                    ))
                }
                c => key.push(c),
            }
        }
        if !key.is_empty() {
            steps.push(Step::Key(key));
        }
        if steps.is_empty() {
            return Err("empty path".into());
        }
        Ok(JsonPath {
            text: text.to_owned(),
            steps,
        })
    }

    /// The value at this path; `None` when a step is missing or the value is null.
    pub fn get<'a>(&self, v: &'a Value) -> Option<&'a Value> {
        let found = self.steps.iter().try_fold(v, |cur, step| match step {
            Step::Key(k) => cur.get(k.as_str()),
            Step::Index(i) => {
                let arr = cur.as_array()?;
                let idx = if *i < 0 {
                    arr.len()
                        .checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?
                } else {
                    usize::try_from(*i).ok()?
                };
                arr.get(idx)
            }
        })?;
        (!found.is_null()).then_some(found)
    }

    /// The top-level key this path starts with, if it starts with a key.
    fn root(&self) -> Option<&str> {
        match self.steps.first() {
            Some(Step::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// The value types a native field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A string (a number is taken as its decimal text).
    Text,
    /// RFC 3339 text or an epoch number in s/ms/µs/ns.
    Time,
    /// A non-negative integer (or its decimal string).
    Count,
    /// A finite, non-negative number (or its decimal string).
    Number,
    /// A boolean (or `"true"`/`"false"`).
    Bool,
    /// A status word, a boolean (true = ok) or an HTTP status code (>= 400 = error).
    Status,
    /// An array of strings, or one string.
    TextList,
    /// `[{role, content}]`, or one string taken as the user message.
    Messages,
    /// `[{name, arguments, id, result}]` or OpenAI's `[{id, function: {name, arguments}}]`.
    ToolCalls,
    /// An object of name to number.
    Scores,
    /// An object merged into the call's metadata.
    Object,
    /// Any JSON value (a `metadata.KEY` field).
    Any,
}

impl Kind {
    fn expected(self) -> &'static str {
        match self {
            Kind::Text => "a string",
            Kind::Time => "an RFC 3339 time or an epoch number",
            Kind::Count => "a non-negative integer",
            Kind::Number => "a non-negative number",
            Kind::Bool => "a boolean",
            Kind::Status => "a status string, a boolean or an HTTP status code",
            Kind::TextList => "an array of strings or a string",
            Kind::Messages => "an array of {role, content} or a string",
            Kind::ToolCalls => "an array of tool-call objects",
            Kind::Scores => "an object of numbers",
            Kind::Object => "an object",
            Kind::Any => "any value",
        }
    }
}

/// Every native call field a format can map, with the type it accepts.
pub const FIELDS: &[(&str, &str)] = &[
    ("id", "text"),
    ("ts", "time"),
    ("start", "time"),
    ("end", "time"),
    ("conversation_id", "text"),
    ("turn", "count"),
    ("user", "text"),
    ("app", "text"),
    ("env", "text"),
    ("tags", "text list"),
    ("model", "text"),
    ("response_model", "text"),
    ("provider", "text"),
    ("operation", "text"),
    ("name", "text"),
    ("status", "status"),
    ("error_type", "text"),
    ("error_message", "text"),
    ("finish_reason", "text"),
    ("latency_ms", "number"),
    ("ttft_ms", "number"),
    ("stream", "bool"),
    ("input_tokens", "count"),
    ("output_tokens", "count"),
    ("cache_read_tokens", "count"),
    ("cache_write_tokens", "count"),
    ("reasoning_tokens", "count"),
    ("cost_usd", "number"),
    ("system_prompt", "text"),
    ("messages", "messages"),
    ("output", "text"),
    ("tool_calls", "tool calls"),
    ("context", "text list"),
    ("trace_id", "text"),
    ("span_id", "text"),
    ("parent_span_id", "text"),
    ("scores", "object of numbers"),
    ("metadata", "object"),
];

fn kind_of(field: &str) -> Option<Kind> {
    if field
        .strip_prefix("metadata.")
        .is_some_and(|k| !k.is_empty())
    {
        return Some(Kind::Any);
    }
    let (_, ty) = FIELDS.iter().find(|(n, _)| *n == field)?;
    Some(match *ty {
        "text" => Kind::Text,
        "time" => Kind::Time,
        "count" => Kind::Count,
        "number" => Kind::Number,
        "bool" => Kind::Bool,
        "status" => Kind::Status,
        "text list" => Kind::TextList,
        "messages" => Kind::Messages,
        "tool calls" => Kind::ToolCalls,
        "object of numbers" => Kind::Scores,
        _ => Kind::Object,
    })
}

/// One mapped field, checked.
#[derive(Debug, Clone)]
struct Mapped {
    field: String,
    kind: Kind,
    path: JsonPath,
    scale: Option<f64>,
}

/// One usable format.
#[derive(Debug, Clone)]
pub struct Format {
    name: String,
    matcher: JsonPath,
    fields: Vec<Mapped>,
}

impl Format {
    /// The format's `name`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The configured formats in config order, checked; the first whose `match` path is present
/// in a line decodes it.
#[derive(Debug, Clone, Default)]
pub struct Formats {
    list: Vec<Format>,
}

impl Formats {
    /// Checks every section: path syntax, field names, scales, unique names.
    pub fn compile(sections: &[FormatSection]) -> Result<Formats, FormatError> {
        let mut list: Vec<Format> = Vec::with_capacity(sections.len());
        for s in sections {
            let err = |field: &str, message: String| FormatError {
                format: s.name.clone(),
                field: field.to_owned(),
                message,
            };
            if s.name.trim().is_empty() {
                return Err(err("name", "must not be empty".into()));
            }
            if list.iter().any(|f| f.name == s.name) {
                return Err(err("name", "another format has this name".into()));
            }
            let matcher = JsonPath::parse(&s.match_path).map_err(|m| err("match", m))?;
            if s.fields.is_empty() {
                return Err(err("fields", "maps no field".into()));
            }
            let mut fields = Vec::with_capacity(s.fields.len());
            for (name, src) in &s.fields {
                let at = format!("fields.{name}");
                let kind = kind_of(name).ok_or_else(|| {
                    let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
                    err(
                        &at,
                        format!(
                            "not a native field; one of {}, or metadata.KEY",
                            names.join(", ")
                        ),
                    )
                })?;
                let (path, scale) = match src {
                    FieldSource::Path(p) => (p, None),
                    FieldSource::Scaled(s) => (&s.path, s.scale),
                };
                let path = JsonPath::parse(path).map_err(|m| err(&at, m))?;
                if let Some(f) = scale {
                    if !matches!(kind, Kind::Number | Kind::Count) {
                        return Err(err(
                            &at,
                            "`scale` applies only to numbers (latency, TTFT, cost, tokens)".into(),
                        ));
                    }
                    if !(f.is_finite() && f > 0.0) {
                        return Err(err(&at, format!("scale {f} must be a positive number")));
                    }
                }
                fields.push(Mapped {
                    field: name.clone(),
                    kind,
                    path,
                    scale,
                });
            }
            list.push(Format {
                name: s.name.clone(),
                matcher,
                fields,
            });
        }
        Ok(Formats { list })
    }

    /// True when no format is configured (the decoder then skips this step entirely).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The first format whose `match` path is present in `v`.
    pub fn find(&self, v: &Value) -> Option<&Format> {
        self.list.iter().find(|f| f.matcher.get(v).is_some())
    }
}

/// A JSON value's type, for rejection reasons (never its content: that may be long, private
/// or unsafe for a terminal; numbers and booleans are shown).
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// What one mapped field read from a line, for `report --explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRead {
    /// The native field.
    pub field: String,
    /// The path it is read from.
    pub path: String,
    /// Whether the line had a (non-null) value there.
    pub present: bool,
}

/// What a format does with one line: the fields read and the top-level keys no mapped path
/// starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    /// Every mapped field, present or not.
    pub fields: Vec<FieldRead>,
    /// Top-level keys of the line that no mapped path (nor `match`) starts with.
    pub ignored: Vec<String>,
}

impl Format {
    /// The fields this format reads from `v` and the keys it leaves unread.
    pub fn explain(&self, v: &Value) -> Explained {
        let fields = self
            .fields
            .iter()
            .map(|m| FieldRead {
                field: m.field.clone(),
                path: m.path.as_str().to_owned(),
                present: m.path.get(v).is_some(),
            })
            .collect();
        let roots: Vec<&str> = self
            .fields
            .iter()
            .map(|m| &m.path)
            .chain(std::iter::once(&self.matcher))
            .filter_map(JsonPath::root)
            .collect();
        let ignored = v
            .as_object()
            .map(|o| {
                o.keys()
                    .filter(|k| !roots.contains(&k.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        Explained { fields, ignored }
    }

    /// Decodes one line that matched this format into a call.
    pub fn decode(
        &self,
        v: &Value,
        text: &str,
        arrival: Nanos,
        out: &mut Vec<Record>,
    ) -> Result<(), Reject> {
        let mut c = Call::default();
        let mut status_given = false;
        for m in &self.fields {
            let Some(value) = m.path.get(v) else {
                continue;
            };
            let wrong = || {
                Reject::new(
                    RejectReason::WrongType,
                    format!(
                        "format {:?}: field `{}` at `{}`: expected {}, found {}",
                        self.name,
                        m.field,
                        m.path.as_str(),
                        m.kind.expected(),
                        describe(value)
                    ),
                )
            };
            status_given |= m.field == "status";
            apply(&mut c, m, value).ok_or_else(wrong)?;
        }
        if !status_given && (c.error_type.is_some() || c.error_message.is_some()) {
            c.status = Status::Error;
        }
        if c.id.is_empty() {
            c.id = c.span_id.clone().unwrap_or_else(|| line_id(text));
        }
        if c.start.is_none() && c.end.is_none() && c.ts.is_none() {
            c.ts = Some(arrival);
        }
        out.push(Record::Call(Box::new(c)));
        Ok(())
    }
}

/// An integer epoch by magnitude (s, ms, µs, ns), without the rounding of a float.
fn epoch_int_to_nanos(i: u64) -> Option<Nanos> {
    let ns = match i {
        0..100_000_000_000 => i.checked_mul(1_000_000_000)?,
        100_000_000_000..100_000_000_000_000 => i.checked_mul(1_000_000)?,
        100_000_000_000_000..100_000_000_000_000_000 => i.checked_mul(1_000)?,
        _ => i,
    };
    Nanos::try_from(ns).ok()
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn scaled(n: f64, scale: Option<f64>) -> f64 {
    n * scale.unwrap_or(1.0)
}

fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn status_of(v: &Value, has_error: bool) -> Option<Status> {
    match v {
        Value::Bool(ok) => Some(if *ok { Status::Ok } else { Status::Error }),
        Value::Number(n) => {
            let code = n.as_u64()?;
            Some(if code >= 400 {
                Status::Error
            } else {
                Status::Ok
            })
        }
        Value::String(s) => Some(match s.trim().to_ascii_lowercase().as_str() {
            "ok" | "success" | "succeeded" | "completed" | "unset" | "status_code_ok" => Status::Ok,
            "error" | "failure" | "failed" | "fail" | "status_code_error" => Status::Error,
            code if code.parse::<u16>().is_ok_and(|c| c >= 400) => Status::Error,
            _ if has_error => Status::Error,
            _ => Status::Ok,
        }),
        _ => None,
    }
}

fn text_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn messages_of(v: &Value) -> Option<Vec<Message>> {
    match v {
        Value::String(s) => Some(vec![Message {
            role: "user".into(),
            content: s.clone(),
        }]),
        Value::Array(items) => items
            .iter()
            .map(|m| {
                let role = m.get("role")?.as_str()?.to_owned();
                let content = match m.get("content") {
                    None | Some(Value::Null) => String::new(),
                    Some(c) => content_text(c)?,
                };
                Some(Message { role, content })
            })
            .collect(),
        _ => None,
    }
}

fn tool_calls_of(v: &Value) -> Option<Vec<ToolCall>> {
    v.as_array()?
        .iter()
        .map(|t| {
            let f = t.get("function").unwrap_or(t);
            Some(ToolCall {
                id: t.get("id").and_then(Value::as_str).map(str::to_owned),
                name: f.get("name")?.as_str()?.to_owned(),
                arguments: f.get("arguments").and_then(json_text).unwrap_or_default(),
                result: t.get("result").and_then(json_text),
            })
        })
        .collect()
}

/// Sets one field of `c` from `v`; `None` when `v` has the wrong type or an invalid value.
fn apply(c: &mut Call, m: &Mapped, v: &Value) -> Option<()> {
    let number = || {
        as_f64(v)
            .map(|n| scaled(n, m.scale))
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    let count = || match m.scale {
        None => as_u64(v),
        Some(_) => number().map(|n| n.round() as u64),
    };
    let text = || text_of(v);
    let time = || match v {
        Value::String(s) => parse_time_str(s),
        Value::Number(n) => match n.as_u64() {
            Some(i) => epoch_int_to_nanos(i),
            None => n.as_f64().and_then(crate::model::record::epoch_to_nanos),
        },
        _ => None,
    };
    match m.field.as_str() {
        "id" => c.id = text()?,
        "ts" => c.ts = Some(time()?),
        "start" => c.start = Some(time()?),
        "end" => c.end = Some(time()?),
        "conversation_id" => c.conversation_id = Some(text()?),
        "turn" => c.turn = Some(u32::try_from(as_u64(v)?).ok()?),
        "user" => c.user = Some(text()?),
        "app" => c.app = Some(text()?),
        "env" => c.env = Some(text()?),
        "tags" => c.tags = text_list(v)?,
        "model" => c.model = Some(text()?),
        "response_model" => c.response_model = Some(text()?),
        "provider" => c.provider = Some(text()?),
        "operation" => c.operation = operation(v.as_str()?),
        "name" => c.name = Some(text()?),
        "status" => {
            let has_error = c.error_type.is_some() || c.error_message.is_some();
            c.status = status_of(v, has_error)?;
        }
        "error_type" => c.error_type = Some(text()?),
        "error_message" => c.error_message = Some(text()?),
        "finish_reason" => c.finish_reason = Some(text()?),
        "latency_ms" => c.latency_ms = Some(number()?),
        "ttft_ms" => c.ttft_ms = Some(number()?),
        "stream" => c.stream = Some(bool_of(v)?),
        "input_tokens" => c.tokens.input = Some(count()?),
        "output_tokens" => c.tokens.output = Some(count()?),
        "cache_read_tokens" => c.tokens.cache_read = Some(count()?),
        "cache_write_tokens" => c.tokens.cache_write = Some(count()?),
        "reasoning_tokens" => c.tokens.reasoning = Some(count()?),
        "cost_usd" => {
            c.cost_usd = Some(number()?);
            c.cost_source = Some(crate::model::record::CostProvenance::Reported);
        }
        "system_prompt" => c.system_prompt = Some(v.as_str()?.to_owned()),
        "messages" => c.messages = messages_of(v)?,
        "output" => c.output = Some(content_text(v)?),
        "tool_calls" => c.tool_calls = tool_calls_of(v)?,
        "context" => c.context = text_list(v)?,
        "trace_id" => c.trace_id = Some(text()?),
        "span_id" => c.span_id = Some(text()?),
        "parent_span_id" => c.parent_span_id = Some(text()?),
        "scores" => {
            for (k, s) in v.as_object()? {
                c.scores.insert(k.clone(), as_f64(s)?);
            }
        }
        "metadata" => {
            for (k, x) in v.as_object()? {
                c.metadata.insert(k.clone(), x.clone());
            }
        }
        other => {
            let key = other.strip_prefix("metadata.")?;
            c.metadata.insert(key.to_owned(), v.clone());
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn formats(toml_text: &str) -> Result<Formats, FormatError> {
        #[derive(Deserialize)]
        struct F {
            formats: Vec<FormatSection>,
        }
        let f: F = toml::from_str(toml_text).unwrap();
        Formats::compile(&f.formats)
    }

    fn acme() -> Formats {
        formats(
            r#"
            [[formats]]
            name = "acme"
            match = "req.llm"
            [formats.fields]
            ts = "when"
            model = "req.llm"
            user = "req.who"
            messages = "req.msgs"
            output = "resp.choices[-1].text"
            input_tokens = "usage.in"
            output_tokens = "usage.out"
            latency_ms = { path = "took_s", scale = 1000 }
            cost_usd = "usd"
            stream = "streamed"
            status = "ok"
            tags = "labels"
            tool_calls = "resp.tools"
            scores = "judge"
            "metadata.team" = "req.team"
            turn = "req.turn"
            "#,
        )
        .unwrap()
    }

    fn decode(f: &Formats, v: &Value) -> Result<Call, Reject> {
        let fmt = f.find(v).unwrap();
        let mut out = Vec::new();
        fmt.decode(v, &v.to_string(), 5, &mut out)?;
        match out.pop() {
            Some(Record::Call(c)) => Ok(*c),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paths_parse_and_resolve() {
        let v = json!({"a": {"b": [1, {"c": "x"}, 3]}, "d.e": 1, "top": [[5, 6]]});
        let get = |p: &str| JsonPath::parse(p).unwrap().get(&v).cloned();
        assert_eq!(get("a.b[1].c"), Some(json!("x")));
        assert_eq!(get("a.b[-1]"), Some(json!(3)));
        assert_eq!(get("a.b[-3]"), Some(json!(1)));
        assert_eq!(get("a.b[-4]"), None);
        assert_eq!(get("a.b[9]"), None);
        assert_eq!(get("top[0][1]"), Some(json!(6)));
        assert_eq!(get("a.missing"), None);
        assert_eq!(get("a.b.c"), None);
        for bad in [
            "", ".a", "a.", "a..b", "a[", "a[x]", "a]", "a[0]b", "a[1.5]",
        ] {
            assert!(JsonPath::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_field_type_is_read() {
        let f = acme();
        let v = json!({
            "when": 1_795_687_200_123u64,
            "req": {"llm": "gpt-4o", "who": 42, "team": {"id": 7}, "turn": 3,
                    "msgs": [{"role": "system", "content": "be nice"},
                             {"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
            "resp": {"choices": [{"text": "first"}, {"text": "last"}],
                     "tools": [{"id": "t1", "function": {"name": "f", "arguments": "{}"}},
                               {"name": "g", "arguments": {"a": 1}, "result": "ok"}]},
            "usage": {"in": "12", "out": 3},
            "took_s": 1.25,
            "usd": 0.5,
            "streamed": "true",
            "ok": 503,
            "labels": ["a", "b"],
            "judge": {"helpful": 0.75},
            "extra": 1
        });
        let c = decode(&f, &v).unwrap();
        assert_eq!(c.ts, Some(1_795_687_200_123_000_000));
        assert_eq!(c.model.as_deref(), Some("gpt-4o"));
        assert_eq!(c.user.as_deref(), Some("42"));
        assert_eq!(c.messages.len(), 2);
        assert_eq!(c.messages[1].content, "hi");
        assert_eq!(c.output.as_deref(), Some("last"));
        assert_eq!(c.tokens.input, Some(12));
        assert_eq!(c.tokens.output, Some(3));
        assert_eq!(c.latency_ms, Some(1250.0));
        assert_eq!(c.cost_usd, Some(0.5));
        assert_eq!(c.stream, Some(true));
        assert_eq!(c.status, Status::Error);
        assert_eq!(c.tags, ["a", "b"]);
        assert_eq!(c.tool_calls[0].name, "f");
        assert_eq!(c.tool_calls[1].arguments, r#"{"a":1}"#);
        assert_eq!(c.tool_calls[1].result.as_deref(), Some("ok"));
        assert_eq!(c.scores["helpful"], 0.75);
        assert_eq!(c.metadata["team"], json!({"id": 7}));
        assert_eq!(c.turn, Some(3));
        assert!(c.id.starts_with("line-"));
        let e = f.list[0].explain(&v);
        assert_eq!(e.ignored, ["extra"]);
        assert!(e.fields.iter().all(|r| r.present));
    }

    #[test]
    fn times_and_messages_take_every_form() {
        let f = formats(
            "[[formats]]\nname = \"t\"\nmatch = \"m\"\n[formats.fields]\nts = \"t\"\nmessages = \"m\"\n",
        )
        .unwrap();
        for (t, want) in [
            (json!(1_795_687_200u64), 1_795_687_200_000_000_000i64),
            (json!(1_795_687_200_000u64), 1_795_687_200_000_000_000),
            (json!(1_795_687_200_000_000u64), 1_795_687_200_000_000_000),
            (
                json!(1_795_687_200_000_000_000u64),
                1_795_687_200_000_000_000,
            ),
            (json!("2026-11-26T10:00:00Z"), 1_795_687_200_000_000_000),
            (
                json!("2026-11-26T11:00:00+01:00"),
                1_795_687_200_000_000_000,
            ),
        ] {
            let c = decode(&f, &json!({"t": t, "m": "hello"})).unwrap();
            assert_eq!(c.ts, Some(want), "{t}");
            assert_eq!(c.messages[0].role, "user");
            assert_eq!(c.messages[0].content, "hello");
        }
        // No time at all: the arrival time.
        assert_eq!(decode(&f, &json!({"m": "x"})).unwrap().ts, Some(5));
    }

    #[test]
    fn wrong_types_are_rejections_naming_the_field() {
        let f = acme();
        for (line, field) in [
            (json!({"usage": {"in": "many"}}), "input_tokens"),
            (json!({"usage": {"out": -3}}), "output_tokens"),
            (json!({"took_s": -1}), "latency_ms"),
            (json!({"when": "yesterday"}), "ts"),
            (json!({"when": true}), "ts"),
            (json!({"streamed": "maybe"}), "stream"),
            (json!({"labels": [1, 2]}), "tags"),
            (
                json!({"req": {"msgs": [{"content": "no role"}]}}),
                "messages",
            ),
            (json!({"req": {"msgs": 7}}), "messages"),
            (
                json!({"resp": {"tools": [{"arguments": "{}"}]}}),
                "tool_calls",
            ),
            (json!({"judge": {"x": "high"}}), "scores"),
            (json!({"usd": {"v": 1}}), "cost_usd"),
            (json!({"ok": [true]}), "status"),
            (json!({"req": {"turn": 1.5e12}}), "turn"),
            (json!({"req": {"who": [1]}}), "user"),
        ] {
            let mut v = line.clone();
            match v["req"].as_object_mut() {
                Some(req) => {
                    req.insert("llm".into(), json!("m"));
                }
                None => v["req"] = json!({"llm": "m"}),
            }
            let e = decode(&f, &v).unwrap_err();
            assert_eq!(e.reason, RejectReason::WrongType, "{line}");
            assert!(
                e.detail.contains(&format!("`{field}`")),
                "{field}: {}",
                e.detail
            );
            assert!(e.detail.contains("acme"), "{}", e.detail);
        }
        // A model given as an object: named too.
        let e = decode(&f, &json!({"req": {"llm": {"id": 1}}})).unwrap_err();
        assert!(e.detail.contains("`model`"), "{}", e.detail);
    }

    #[test]
    fn config_errors_name_the_field() {
        let cases = [
            ("match = \"a..b\"\n[formats.fields]\nmodel = \"m\"", "match"),
            (
                "match = \"a\"\n[formats.fields]\nmodle = \"m\"",
                "fields.modle",
            ),
            (
                "match = \"a\"\n[formats.fields]\nmodel = \"m[\"",
                "fields.model",
            ),
            (
                "match = \"a\"\n[formats.fields]\nmodel = { path = \"m\", scale = 2 }",
                "fields.model",
            ),
            (
                "match = \"a\"\n[formats.fields]\nlatency_ms = { path = \"m\", scale = -1 }",
                "fields.latency_ms",
            ),
            ("match = \"a\"\n[formats.fields]\n", "fields"),
        ];
        for (body, field) in cases {
            let text = format!("[[formats]]\nname = \"x\"\n{body}\n");
            let e = formats(&text).unwrap_err();
            assert_eq!(e.field, field, "{text}: {e}");
            assert_eq!(e.format, "x");
        }
        let two = "[[formats]]\nname = \"x\"\nmatch = \"a\"\nfields = { model = \"a\" }\n";
        let e = formats(&format!("{two}{two}")).unwrap_err();
        assert_eq!(e.field, "name");
    }

    #[test]
    fn first_matching_format_wins_and_others_fall_through() {
        let f = formats(
            "[[formats]]\nname = \"a\"\nmatch = \"x.y\"\nfields = { model = \"x.y\" }\n\
             [[formats]]\nname = \"b\"\nmatch = \"x\"\nfields = { model = \"x.z\" }\n",
        )
        .unwrap();
        assert_eq!(f.find(&json!({"x": {"y": 1}})).unwrap().name(), "a");
        assert_eq!(f.find(&json!({"x": {"z": 1}})).unwrap().name(), "b");
        assert!(f.find(&json!({"x": null})).is_none());
        assert!(f.find(&json!({"model": "m"})).is_none());
    }
}
