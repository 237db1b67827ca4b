//! The filter language shared by the TUI, `report`, `check` and `export`, modelled on what
//! users already type in Langfuse:
//!
//! ```text
//! model:gpt-4o user:alice latency>2s cost>0.01 status:error flag:pii -model:gpt-4o-mini
//! has:feedback "rate limit" model:gpt-4* (user:alice OR user:bob) severity>=high
//! ```
//!
//! - `field:value` matches a text field case-insensitively; `*` is a wildcard anywhere in the
//!   value (`model:gpt-4*`, `model:*mini`); values with spaces are quoted (`user:"bob smith"`,
//!   `\"` and `\\` escape inside quotes). Wildcards work inside quotes too.
//! - `field>v`, `>=`, `<`, `<=`, `=` (also written `field:>v`; `field:v` means `=`) compare
//!   numbers with units: durations `2s`, `500ms`, `1.5m`, `250us`, `1h`; cost `0.01` or
//!   `$0.01`; tokens `1500`, `1k`, `2.5k`, `1m`; severities by name (`severity>=high`).
//! - `has:field` is true when the item has any value for the field (`has:feedback`,
//!   `has:error`, `has:flags`, `has:tools`, `has:trace`, `has:scores`, `has:ttft`, ...).
//! - A bare word or a quoted phrase is a case-insensitive full-text search.
//! - `-` in front of any term (or of a parenthesised group) negates it.
//! - Terms side by side must all hold (AND); `OR` (upper case) between terms means either,
//!   binding looser than AND; parentheses group.
//!
//! A field may carry several values (a conversation uses several models, a call carries
//! several flags): a term holds when *any* value matches, so `-model:x` means "no value is
//! `x`". Unknown field names are errors that list the valid ones.

use crate::model::record::{Call, Severity, Status};
use std::fmt;

/// A named attribute a query term can test. Which values an item has for each field is up to
/// its [`Filterable`] implementation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Model,
    Provider,
    User,
    App,
    Env,
    Tag,
    Operation,
    Status,
    /// The error type of failed calls.
    Error,
    Finish,
    Conversation,
    Trace,
    /// Span or tool name.
    Name,
    /// Names of the tools a call used.
    Tool,
    /// Kinds of feedback an item received (`thumbs_up`, `thumbs_down`, `score`, ...).
    Feedback,
    /// Review labels a person gave the item (`bad`, `hallucination`, ...). They live beside
    /// the records, so a bare call has none: the caller joins them in its own [`Filterable`].
    Label,
    /// Latency in milliseconds.
    Latency,
    /// Time to first token in milliseconds.
    Ttft,
    /// Cost in USD.
    Cost,
    /// Input plus output tokens.
    Tokens,
    InputTokens,
    OutputTokens,
    /// Detector families and rule ids of the item's flags (`pii`, `card`, `override.en`).
    Flag,
    /// Severity of the item's flags, as [`severity_rank`].
    Severity,
    /// One named score (`score.helpfulness`).
    Score(String),
    /// Any score at all; only meaningful in `has:scores`.
    Scores,
    /// One attribute a decoder kept (`attr.temperature`, `attr.service_tier`): text or
    /// number, whichever the value is.
    Attr(String),
}

/// How a field's values are written and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Case-insensitive text with `*` wildcards.
    Text,
    /// Milliseconds, written with a unit (`2s`, `500ms`).
    Duration,
    /// US dollars (`0.01`, `$0.01`).
    Money,
    /// Counts with optional `k`/`m` suffix.
    Count,
    /// Plain numbers.
    Number,
    /// Severity names, ordered `info < low < medium < high < critical`.
    Severity,
    /// Usable only with `has:`.
    Presence,
}

/// Canonical field names with their accepted aliases, in the order shown in help and errors.
const FIELD_TABLE: &[(&str, &[&str])] = &[
    ("model", &["models"]),
    ("provider", &["system"]),
    ("user", &["users", "user_id"]),
    ("app", &["service"]),
    ("env", &["environment"]),
    ("tag", &["tags"]),
    ("operation", &["op"]),
    ("status", &[]),
    ("error", &["error_type", "errors"]),
    ("finish", &["finish_reason"]),
    (
        "conversation",
        &["conv", "session", "conversation_id", "session_id"],
    ),
    ("trace", &["trace_id"]),
    ("name", &[]),
    ("tool", &["tools"]),
    ("feedback", &[]),
    ("label", &["labels"]),
    ("latency", &["lat", "duration"]),
    ("ttft", &[]),
    ("cost", &[]),
    ("tokens", &["tok"]),
    ("input_tokens", &["in", "prompt_tokens"]),
    ("output_tokens", &["out", "completion_tokens"]),
    ("flag", &["flags"]),
    ("severity", &["sev"]),
    ("scores", &[]),
];

/// Every field name a query accepts (canonical names only), for help texts and errors.
pub const FIELD_NAMES: &[&str] = &[
    "model",
    "provider",
    "user",
    "app",
    "env",
    "tag",
    "operation",
    "status",
    "error",
    "finish",
    "conversation",
    "trace",
    "name",
    "tool",
    "feedback",
    "label",
    "latency",
    "ttft",
    "cost",
    "tokens",
    "input_tokens",
    "output_tokens",
    "flag",
    "severity",
    "score.NAME",
    "attr.NAME",
    "has",
];

impl Field {
    /// Resolves a field name or alias, case-insensitively (`score.NAME` included).
    pub fn from_name(name: &str) -> Option<Field> {
        let lower = name.to_ascii_lowercase();
        for prefix in ["score.", "scores."] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                let original = &name[prefix.len()..];
                return (!rest.is_empty()).then(|| Field::Score(original.to_string()));
            }
        }
        if lower == "score" {
            return Some(Field::Scores);
        }
        if let Some(rest) = lower.strip_prefix("attr.") {
            return (!rest.is_empty()).then(|| Field::Attr(rest.to_string()));
        }
        // The one attribute common enough to go without the prefix.
        if lower == "service_tier" {
            return Some(Field::Attr(lower));
        }
        let canonical = FIELD_TABLE
            .iter()
            .find(|(n, aliases)| *n == lower || aliases.contains(&lower.as_str()))?
            .0;
        Some(match canonical {
            "model" => Field::Model,
            "provider" => Field::Provider,
            "user" => Field::User,
            "app" => Field::App,
            "env" => Field::Env,
            "tag" => Field::Tag,
            "operation" => Field::Operation,
            "status" => Field::Status,
            "error" => Field::Error,
            "finish" => Field::Finish,
            "conversation" => Field::Conversation,
            "trace" => Field::Trace,
            "name" => Field::Name,
            "tool" => Field::Tool,
            "feedback" => Field::Feedback,
            "label" => Field::Label,
            "latency" => Field::Latency,
            "ttft" => Field::Ttft,
            "cost" => Field::Cost,
            "tokens" => Field::Tokens,
            "input_tokens" => Field::InputTokens,
            "output_tokens" => Field::OutputTokens,
            "flag" => Field::Flag,
            "severity" => Field::Severity,
            _ => Field::Scores,
        })
    }

    /// The canonical name, as printed back in a normalised query.
    pub fn name(&self) -> String {
        match self {
            Field::Score(n) => format!("score.{n}"),
            Field::Attr(n) => format!("attr.{n}"),
            other => other.static_name().to_string(),
        }
    }

    fn static_name(&self) -> &'static str {
        match self {
            Field::Model => "model",
            Field::Provider => "provider",
            Field::User => "user",
            Field::App => "app",
            Field::Env => "env",
            Field::Tag => "tag",
            Field::Operation => "operation",
            Field::Status => "status",
            Field::Error => "error",
            Field::Finish => "finish",
            Field::Conversation => "conversation",
            Field::Trace => "trace",
            Field::Name => "name",
            Field::Tool => "tool",
            Field::Feedback => "feedback",
            Field::Label => "label",
            Field::Latency => "latency",
            Field::Ttft => "ttft",
            Field::Cost => "cost",
            Field::Tokens => "tokens",
            Field::InputTokens => "input_tokens",
            Field::OutputTokens => "output_tokens",
            Field::Flag => "flag",
            Field::Severity => "severity",
            Field::Score(_) => "score",
            Field::Scores => "scores",
            Field::Attr(_) => "attr",
        }
    }

    /// How the field's values are written and compared.
    pub fn kind(&self) -> FieldKind {
        match self {
            Field::Latency | Field::Ttft => FieldKind::Duration,
            Field::Cost => FieldKind::Money,
            Field::Tokens | Field::InputTokens | Field::OutputTokens => FieldKind::Count,
            Field::Score(_) => FieldKind::Number,
            Field::Severity => FieldKind::Severity,
            Field::Scores => FieldKind::Presence,
            _ => FieldKind::Text,
        }
    }
}

/// The numeric value of a severity used by the `severity` field (`info` = 0 … `critical` = 4).
pub fn severity_rank(s: Severity) -> f64 {
    match s {
        Severity::Info => 0.0,
        Severity::Low => 1.0,
        Severity::Medium => 2.0,
        Severity::High => 3.0,
        Severity::Critical => 4.0,
    }
}

const SEVERITY_NAMES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

/// Something a query can be evaluated against: a call, a conversation row, a trace.
///
/// Each field may have any number of values; the `any_*` methods call `pred` on each value
/// until it returns true, and report whether it did. Implementations should not allocate.
pub trait Filterable {
    /// Offers each text value of `field` to `pred`; true as soon as one is accepted.
    fn any_text(&self, field: &Field, pred: &mut dyn FnMut(&str) -> bool) -> bool;
    /// Offers each numeric value of `field` (units as in [`Field`]) to `pred`.
    fn any_num(&self, field: &Field, pred: &mut dyn FnMut(f64) -> bool) -> bool;
    /// Whether the item has any value for `field` (`has:field`).
    fn has(&self, field: &Field) -> bool {
        self.any_text(field, &mut |_| true) || self.any_num(field, &mut |_| true)
    }
    /// Whether any of the item's searchable text contains `needle_lowercase` ignoring case
    /// (see [`contains_ignore_case`]).
    fn full_text_contains(&self, needle_lowercase: &str) -> bool;
}

/// Case-insensitive substring test against an already lower-cased needle; allocates only
/// when the haystack is not ASCII.
pub fn contains_ignore_case(haystack: &str, needle_lowercase: &str) -> bool {
    if needle_lowercase.is_empty() {
        return true;
    }
    if haystack.is_ascii() {
        if !needle_lowercase.is_ascii() {
            return false;
        }
        let h = haystack.as_bytes();
        let n = needle_lowercase.as_bytes();
        if n.len() > h.len() {
            return false;
        }
        let first = n[0];
        let last_start = h.len() - n.len();
        let mut from = 0;
        while from <= last_start {
            let window = &h[from..=last_start];
            let Some(i) = memchr::memchr2(first, first.to_ascii_uppercase(), window) else {
                return false;
            };
            let at = from + i;
            if h[at..at + n.len()].eq_ignore_ascii_case(n) {
                return true;
            }
            from = at + 1;
        }
        false
    } else {
        haystack.to_lowercase().contains(needle_lowercase)
    }
}

/// Comparison operator of a numeric term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            CmpOp::Eq => (lhs - rhs).abs() <= 1e-9 * lhs.abs().max(rhs.abs()).max(1e-9),
            CmpOp::Gt => lhs > rhs,
            CmpOp::Ge => lhs >= rhs,
            CmpOp::Lt => lhs < rhs,
            CmpOp::Le => lhs <= rhs,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}

/// A lower-cased text pattern where `*` matches any run of characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    lower: String,
}

impl Pattern {
    /// Builds a pattern; matching ignores case.
    pub fn new(text: &str) -> Pattern {
        Pattern {
            lower: text.to_lowercase(),
        }
    }

    /// Whether `value` matches, ignoring case.
    pub fn matches(&self, value: &str) -> bool {
        if value.is_ascii() {
            glob_bytes(self.lower.as_bytes(), value.as_bytes())
        } else {
            glob_bytes(self.lower.as_bytes(), value.to_lowercase().as_bytes())
        }
    }

    /// The lower-cased pattern text.
    pub fn as_str(&self) -> &str {
        &self.lower
    }
}

/// Glob match with `*` only; `pat` is lower case, `val` is compared ASCII-case-insensitively
/// (non-ASCII values arrive already lower-cased). Linear-time greedy with one backtrack point.
fn glob_bytes(pat: &[u8], val: &[u8]) -> bool {
    let (mut p, mut v) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while v < val.len() {
        if p < pat.len() && pat[p] == b'*' {
            star = Some((p, v));
            p += 1;
        } else if p < pat.len() && pat[p] == val[v].to_ascii_lowercase() {
            p += 1;
            v += 1;
        } else if let Some((sp, sv)) = star {
            p = sp + 1;
            v = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&b| b == b'*')
}

/// One test inside a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// Case-insensitive full-text search for this lower-cased needle.
    Text(String),
    /// A text field has a value matching the pattern.
    Match { field: Field, pattern: Pattern },
    /// A numeric field has a value satisfying the comparison.
    Compare { field: Field, op: CmpOp, value: f64 },
    /// The item has some value for the field.
    Has(Field),
}

/// A parsed query expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Term(Term),
}

impl Expr {
    fn uses(&self, field: &Field) -> bool {
        match self {
            Expr::And(xs) | Expr::Or(xs) => xs.iter().any(|x| x.uses(field)),
            Expr::Not(x) => x.uses(field),
            Expr::Term(Term::Match { field: f, .. } | Term::Compare { field: f, .. })
            | Expr::Term(Term::Has(f)) => f == field,
            Expr::Term(Term::Text(_)) => false,
        }
    }

    fn eval(&self, item: &dyn Filterable) -> bool {
        match self {
            Expr::And(xs) => xs.iter().all(|x| x.eval(item)),
            Expr::Or(xs) => xs.iter().any(|x| x.eval(item)),
            Expr::Not(x) => !x.eval(item),
            Expr::Term(Term::Text(needle)) => item.full_text_contains(needle),
            Expr::Term(Term::Match { field, pattern }) => {
                item.any_text(field, &mut |v| pattern.matches(v))
            }
            Expr::Term(Term::Compare { field, op, value }) => {
                item.any_num(field, &mut |v| op.holds(v, *value))
            }
            Expr::Term(Term::Has(field)) => item.has(field),
        }
    }

    fn collect_needles<'a>(&'a self, negated: bool, out: &mut Vec<&'a str>) {
        match self {
            Expr::And(xs) | Expr::Or(xs) => {
                for x in xs {
                    x.collect_needles(negated, out);
                }
            }
            Expr::Not(x) => x.collect_needles(!negated, out),
            Expr::Term(Term::Text(n)) if !negated => out.push(n),
            Expr::Term(_) => {}
        }
    }
}

/// A parsed filter. The empty query matches everything.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    expr: Option<Expr>,
}

/// Why a query did not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at position {})", .pos + 1)]
pub struct QueryError {
    /// Byte offset in the query text where the problem starts.
    pub pos: usize,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

/// Deepest nesting of parentheses and negations accepted, so hostile input cannot overflow
/// the stack.
const MAX_DEPTH: usize = 64;

impl Query {
    /// Parses the query text; see the module docs for the syntax.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        let mut p = Parser {
            src: text,
            pos: 0,
            depth: 0,
        };
        p.skip_ws();
        if p.at_end() {
            return Ok(Query { expr: None });
        }
        let expr = p.parse_or()?;
        p.skip_ws();
        if !p.at_end() {
            return Err(p.error(p.pos, "unmatched ')'"));
        }
        Ok(Query { expr: Some(expr) })
    }

    /// The query that matches everything.
    pub fn all() -> Query {
        Query { expr: None }
    }

    /// True when the query has no terms (and so matches everything).
    pub fn is_empty(&self) -> bool {
        self.expr.is_none()
    }

    /// Whether `item` satisfies the query.
    pub fn matches(&self, item: &dyn Filterable) -> bool {
        self.expr.as_ref().is_none_or(|e| e.eval(item))
    }

    /// True when some term of the query reads `field` (a caller that must join extra data
    /// for it, such as review labels, knows to load it).
    pub fn uses(&self, field: &Field) -> bool {
        self.expr.as_ref().is_some_and(|e| e.uses(field))
    }

    /// The parsed expression, for callers that want to inspect it (e.g. to push a
    /// `model:` term down into an index).
    pub fn expr(&self) -> Option<&Expr> {
        self.expr.as_ref()
    }

    /// The lower-cased full-text needles of non-negated terms, to highlight hits.
    pub fn text_needles(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if let Some(e) = &self.expr {
            e.collect_needles(false, &mut out);
        }
        out
    }
}

impl std::str::FromStr for Query {
    type Err = QueryError;
    fn from_str(s: &str) -> Result<Query, QueryError> {
        Query::parse(s)
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

fn is_boundary(c: char) -> bool {
    c.is_whitespace() || c == ')'
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn error(&self, pos: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            pos,
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn at_or(&self) -> bool {
        let rest = self.rest();
        rest.starts_with("OR")
            && rest[2..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || c == '(')
    }

    fn enter(&mut self, at: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(at, "query nested too deeply"));
        }
        Ok(())
    }

    fn parse_or(&mut self) -> Result<Expr, QueryError> {
        let mut alts = Vec::new();
        push_flat(&mut alts, self.parse_and()?, true);
        loop {
            self.skip_ws();
            if !self.at_or() {
                break;
            }
            let at = self.pos;
            self.pos += 2;
            self.skip_ws();
            if self.at_end() || self.peek() == Some(')') || self.at_or() {
                return Err(self.error(at, "OR needs a term on both sides"));
            }
            push_flat(&mut alts, self.parse_and()?, true);
        }
        Ok(single_or(alts, Expr::Or))
    }

    fn parse_and(&mut self) -> Result<Expr, QueryError> {
        let mut terms = Vec::new();
        loop {
            self.skip_ws();
            if self.at_end() || self.peek() == Some(')') {
                break;
            }
            if self.at_or() {
                if terms.is_empty() {
                    return Err(self.error(self.pos, "OR needs a term on both sides"));
                }
                break;
            }
            push_flat(&mut terms, self.parse_unary()?, false);
        }
        if terms.is_empty() {
            return Err(self.error(self.pos, "expected a term"));
        }
        Ok(single_or(terms, Expr::And))
    }

    fn parse_unary(&mut self) -> Result<Expr, QueryError> {
        if self.peek() == Some('-') {
            let at = self.pos;
            let next = self.rest()[1..].chars().next();
            if next.is_none_or(|c| c.is_whitespace() || c == ')') {
                return Err(self.error(at, "'-' must be followed by a term to exclude"));
            }
            self.pos += 1;
            self.enter(at)?;
            let inner = self.parse_unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.parse_primary()
    }

    fn parse_primary(&mut self) -> Result<Expr, QueryError> {
        let start = self.pos;
        match self.peek() {
            Some('(') => {
                self.enter(start)?;
                self.pos += 1;
                self.skip_ws();
                if self.peek() == Some(')') {
                    return Err(self.error(start, "empty parentheses"));
                }
                let inner = self.parse_or()?;
                self.skip_ws();
                if self.peek() != Some(')') {
                    return Err(self.error(start, "missing ')' for this '('"));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(inner)
            }
            Some('"') => {
                let phrase = self.read_quoted()?;
                if phrase.is_empty() {
                    return Err(self.error(start, "empty quoted text"));
                }
                Ok(Expr::Term(Term::Text(phrase.to_lowercase())))
            }
            _ => self.parse_word(),
        }
    }

    /// Reads `"..."` at the cursor, handling `\"` and `\\`, and requires a boundary after it.
    fn read_quoted(&mut self) -> Result<String, QueryError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        loop {
            let Some((i, c)) = chars.next() else {
                return Err(self.error(open, "unclosed quote"));
            };
            match c {
                '"' => {
                    self.pos += i + 1;
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    Some((_, e)) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => return Err(self.error(open, "unclosed quote")),
                },
                c => out.push(c),
            }
        }
        if self.peek().is_some_and(|c| !is_boundary(c)) {
            return Err(self.error(self.pos, "expected a space after the closing quote"));
        }
        Ok(out)
    }

    fn parse_word(&mut self) -> Result<Expr, QueryError> {
        let start = self.pos;
        let key_len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(self.rest().len());
        let key = &self.src[start..start + key_len];
        let after = self.rest()[key_len..].chars().next();
        let is_field = key.starts_with(|c: char| c.is_ascii_alphabetic())
            && matches!(after, Some(':' | '<' | '>' | '='));
        if !is_field {
            let len = self
                .rest()
                .find(|c: char| c.is_whitespace() || c == ')')
                .unwrap_or(self.rest().len());
            let word = &self.src[start..start + len];
            self.pos += len;
            return Ok(Expr::Term(Term::Text(word.to_lowercase())));
        }
        self.pos += key_len;
        let op = self.read_op();
        let value_pos = self.pos;
        let value = if self.peek() == Some('"') {
            self.read_quoted()?
        } else {
            let len = self
                .rest()
                .find(|c: char| c.is_whitespace() || c == ')')
                .unwrap_or(self.rest().len());
            let v = self.src[value_pos..value_pos + len].to_string();
            self.pos += len;
            v
        };
        if value.is_empty() {
            return Err(self.error(value_pos, format!("missing value after '{key}'")));
        }
        if key.eq_ignore_ascii_case("has") {
            if op != Op::Colon {
                return Err(self.error(start, "has: takes a field name, e.g. has:feedback"));
            }
            let field = Field::from_name(&value)
                .ok_or_else(|| self.unknown_field(value_pos, &value, "has:"))?;
            return Ok(Expr::Term(Term::Has(field)));
        }
        let field = Field::from_name(key).ok_or_else(|| self.unknown_field(start, key, ""))?;
        self.build_term(field, op, &value, start, value_pos)
    }

    fn read_op(&mut self) -> Op {
        let mut colon = false;
        if self.peek() == Some(':') {
            colon = true;
            self.pos += 1;
        }
        for (s, op) in [
            (">=", CmpOp::Ge),
            ("<=", CmpOp::Le),
            (">", CmpOp::Gt),
            ("<", CmpOp::Lt),
            ("=", CmpOp::Eq),
        ] {
            if self.rest().starts_with(s) {
                self.pos += s.len();
                return Op::Cmp(op);
            }
        }
        if colon {
            Op::Colon
        } else {
            Op::Cmp(CmpOp::Eq)
        }
    }

    fn unknown_field(&self, pos: usize, name: &str, prefix: &str) -> QueryError {
        self.error(
            pos,
            format!(
                "unknown field '{prefix}{name}'; valid fields: {}; quote the term to search for it as text",
                FIELD_NAMES.join(", ")
            ),
        )
    }

    fn build_term(
        &self,
        field: Field,
        op: Op,
        value: &str,
        key_pos: usize,
        value_pos: usize,
    ) -> Result<Expr, QueryError> {
        let name = field.name();
        let cmp = match op {
            Op::Colon => CmpOp::Eq,
            Op::Cmp(c) => c,
        };
        if let Field::Attr(_) = field {
            return self.attr_term(field, op, value, key_pos);
        }
        let term = match field.kind() {
            FieldKind::Presence => {
                return Err(self.error(
                    key_pos,
                    format!("'{name}' only works as has:{name}; compare one score with score.NAME"),
                ))
            }
            FieldKind::Text => {
                if !matches!(op, Op::Colon | Op::Cmp(CmpOp::Eq)) {
                    return Err(self.error(
                        key_pos,
                        format!(
                            "'{name}' is text and cannot be compared with {}; write {name}:VALUE",
                            cmp.as_str()
                        ),
                    ));
                }
                check_enumerated(&field, value).map_err(|m| self.error(value_pos, m))?;
                Term::Match {
                    field,
                    pattern: Pattern::new(value),
                }
            }
            kind => {
                let v = parse_number(value, kind, &name).map_err(|m| self.error(value_pos, m))?;
                Term::Compare {
                    field,
                    op: cmp,
                    value: v,
                }
            }
        };
        Ok(Expr::Term(term))
    }

    /// `attr.NAME`: a plain number compares numerically (`attr.temperature>0.7`,
    /// `attr.seed:7`), anything else matches the text (`attr.service_tier:flex`).
    fn attr_term(
        &self,
        field: Field,
        op: Op,
        value: &str,
        key_pos: usize,
    ) -> Result<Expr, QueryError> {
        let cmp = match op {
            Op::Colon => CmpOp::Eq,
            Op::Cmp(c) => c,
        };
        if let Ok(v) = parse_number(value, FieldKind::Number, &field.name()) {
            return Ok(Expr::Term(Term::Compare {
                field,
                op: cmp,
                value: v,
            }));
        }
        if cmp != CmpOp::Eq {
            return Err(self.error(
                key_pos,
                format!(
                    "'{value}' is not a number, so {} cannot compare it with {}",
                    field.name(),
                    cmp.as_str()
                ),
            ));
        }
        Ok(Expr::Term(Term::Match {
            field,
            pattern: Pattern::new(value),
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Colon,
    Cmp(CmpOp),
}

fn push_flat(out: &mut Vec<Expr>, e: Expr, or: bool) {
    match e {
        Expr::Or(xs) if or => out.extend(xs),
        Expr::And(xs) if !or => out.extend(xs),
        e => out.push(e),
    }
}

fn single_or(mut xs: Vec<Expr>, wrap: fn(Vec<Expr>) -> Expr) -> Expr {
    if xs.len() == 1 {
        if let Some(x) = xs.pop() {
            return x;
        }
    }
    wrap(xs)
}

const OPERATION_NAMES: [&str; 8] = [
    "chat",
    "completion",
    "embeddings",
    "tool",
    "agent",
    "workflow",
    "retrieval",
    "other",
];

/// Rejects values that can never match a field with a closed set of values.
fn check_enumerated(field: &Field, value: &str) -> Result<(), String> {
    if value.contains('*') {
        return Ok(());
    }
    let lower = value.to_lowercase();
    let allowed: &[&str] = match field {
        Field::Status => &["ok", "error"],
        Field::Operation => &OPERATION_NAMES,
        _ => return Ok(()),
    };
    if allowed.contains(&lower.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "'{value}' is not a valid {}; use one of: {}",
            field.name(),
            allowed.join(", ")
        ))
    }
}

/// Parses a number with the units its field kind allows, into the field's base unit.
fn parse_number(value: &str, kind: FieldKind, name: &str) -> Result<f64, String> {
    if kind == FieldKind::Severity {
        let lower = value.to_ascii_lowercase();
        let rank = match lower.as_str() {
            "med" => Some(2),
            "crit" => Some(4),
            other => SEVERITY_NAMES.iter().position(|n| *n == other),
        };
        return rank.map(|r| r as f64).ok_or_else(|| {
            format!(
                "'{value}' is not a severity; use one of: {}",
                SEVERITY_NAMES.join(", ")
            )
        });
    }
    if kind == FieldKind::Duration {
        return crate::model::duration::parse_ms(value).map_err(|e| format!("{name}: {e}"));
    }
    let body = if kind == FieldKind::Money {
        value.strip_prefix('$').unwrap_or(value)
    } else {
        value
    };
    let num_len = body
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && c == '-')))
        .map_or(body.len(), |(i, _)| i);
    let (num, unit) = body.split_at(num_len);
    let example = match kind {
        FieldKind::Money => "0.01 or $0.01",
        FieldKind::Count => "1500, 1k or 2.5k",
        _ => "0.5",
    };
    let n: f64 = num
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && num.bytes().any(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("'{value}' is not a number for {name}; e.g. {example}"))?;
    let unit = unit.to_ascii_lowercase();
    let scale = match (kind, unit.as_str()) {
        (FieldKind::Count, "k") => 1e3,
        (FieldKind::Count, "m") => 1e6,
        (_, "") => 1.0,
        _ => return Err(format!("unknown unit '{unit}' for {name}; e.g. {example}")),
    };
    let v = n * scale;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("'{value}' is out of range for {name}"))
    }
}

// ---- Printing back ---------------------------------------------------------------------

fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.starts_with('-')
        || s.starts_with('(')
        || s == "OR"
        || !s.chars().all(|c| {
            c.is_alphanumeric() || matches!(c, '_' | '.' | '*' | '@' | '/' | '-' | '+' | '#')
        })
}

fn write_text(f: &mut fmt::Formatter<'_>, s: &str, force_quotes: bool) -> fmt::Result {
    if !force_quotes && !needs_quotes(s) {
        return f.write_str(s);
    }
    f.write_str("\"")?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Text(t) => {
                // A bare word that looks like `field:value` must stay text when re-parsed.
                let looks_like_field = t.starts_with(|c: char| c.is_ascii_alphabetic())
                    && t.contains([':', '<', '>', '=']);
                write_text(f, t, looks_like_field || t.contains('"'))
            }
            Term::Match { field, pattern } => {
                write!(f, "{}:", field.name())?;
                write_text(f, pattern.as_str(), false)
            }
            Term::Compare { field, op, value } => {
                write!(f, "{}{}", field.name(), op.as_str())?;
                match field.kind() {
                    FieldKind::Duration => write!(f, "{value}ms"),
                    FieldKind::Severity => {
                        let i = (*value as usize).min(SEVERITY_NAMES.len() - 1);
                        f.write_str(SEVERITY_NAMES[i])
                    }
                    _ => write!(f, "{value}"),
                }
            }
            Term::Has(field) => write!(f, "has:{}", field.name()),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Term(t) => write!(f, "{t}"),
            Expr::Not(x) => match **x {
                Expr::And(_) | Expr::Or(_) => write!(f, "-({x})"),
                _ => write!(f, "-{x}"),
            },
            Expr::And(xs) => {
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    match x {
                        Expr::Or(_) | Expr::And(_) => write!(f, "({x})")?,
                        _ => write!(f, "{x}")?,
                    }
                }
                Ok(())
            }
            Expr::Or(xs) => {
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    match x {
                        Expr::Or(_) => write!(f, "({x})")?,
                        _ => write!(f, "{x}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

/// Prints the normalised query (canonical field names, durations in ms), which parses back
/// to the same query.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.expr {
            Some(e) => write!(f, "{e}"),
            None => Ok(()),
        }
    }
}

// ---- Calls -------------------------------------------------------------------------------

fn offer(v: Option<&str>, pred: &mut dyn FnMut(&str) -> bool) -> bool {
    v.is_some_and(pred)
}

/// A call's fields as the query language sees them. Full text covers the system prompt,
/// messages, output, tool names, arguments and results, and the error message (not the
/// retrieved context documents). A bare call has no feedback: `has:feedback` is false unless
/// the caller joins feedback in its own [`Filterable`].
impl Filterable for Call {
    fn any_text(&self, field: &Field, pred: &mut dyn FnMut(&str) -> bool) -> bool {
        match field {
            Field::Model => {
                offer(self.model.as_deref(), pred) || offer(self.response_model.as_deref(), pred)
            }
            Field::Provider => offer(self.provider.as_deref(), pred),
            Field::User => offer(self.user.as_deref(), pred),
            Field::App => offer(self.app.as_deref(), pred),
            Field::Env => offer(self.env.as_deref(), pred),
            Field::Tag => self.tags.iter().any(|t| pred(t)),
            Field::Operation => pred(self.operation.as_str()),
            Field::Status => pred(match self.status {
                Status::Ok => "ok",
                Status::Error => "error",
            }),
            Field::Error => offer(self.error_type.as_deref(), pred),
            Field::Finish => offer(self.finish_reason.as_deref(), pred),
            Field::Conversation => offer(self.conversation_id.as_deref(), pred),
            Field::Trace => offer(self.trace_id.as_deref(), pred),
            Field::Name => offer(self.name.as_deref(), pred),
            Field::Tool => {
                self.tool_calls.iter().any(|t| pred(&t.name))
                    || (self.operation == crate::model::record::Operation::Tool
                        && offer(self.name.as_deref(), pred))
            }
            Field::Flag => self
                .flags
                .iter()
                .any(|f| pred(&f.detector) || pred(&f.rule)),
            Field::Attr(name) => match self.metadata.get(name) {
                Some(serde_json::Value::String(s)) => pred(s),
                Some(serde_json::Value::Number(n)) => pred(&n.to_string()),
                Some(serde_json::Value::Bool(b)) => pred(if *b { "true" } else { "false" }),
                _ => false,
            },
            _ => false,
        }
    }

    fn any_num(&self, field: &Field, pred: &mut dyn FnMut(f64) -> bool) -> bool {
        let one = |v: Option<f64>, pred: &mut dyn FnMut(f64) -> bool| v.is_some_and(pred);
        match field {
            Field::Latency => one(self.effective_latency_ms(), pred),
            Field::Ttft => one(self.ttft_ms, pred),
            Field::Cost => one(self.cost_usd, pred),
            Field::Tokens => {
                let t = &self.tokens;
                let total = match (t.input, t.output) {
                    (None, None) => None,
                    (i, o) => Some(i.unwrap_or(0).saturating_add(o.unwrap_or(0)) as f64),
                };
                one(total, pred)
            }
            Field::InputTokens => one(self.tokens.input.map(|v| v as f64), pred),
            Field::OutputTokens => one(self.tokens.output.map(|v| v as f64), pred),
            Field::Severity => self.flags.iter().any(|f| pred(severity_rank(f.severity))),
            Field::Score(name) => one(self.scores.get(name).copied(), pred),
            Field::Attr(name) => one(
                self.metadata.get(name).and_then(|v| match v {
                    serde_json::Value::Number(n) => n.as_f64(),
                    serde_json::Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                }),
                pred,
            ),
            _ => false,
        }
    }

    fn has(&self, field: &Field) -> bool {
        match field {
            Field::Error => self.status == Status::Error || self.error_type.is_some(),
            Field::Scores => !self.scores.is_empty(),
            Field::Attr(name) => self.metadata.contains_key(name),
            f => self.any_text(f, &mut |_| true) || self.any_num(f, &mut |_| true),
        }
    }

    fn full_text_contains(&self, needle: &str) -> bool {
        let hit = |s: &str| contains_ignore_case(s, needle);
        self.system_prompt.as_deref().is_some_and(hit)
            || self.messages.iter().any(|m| hit(&m.content))
            || self.output.as_deref().is_some_and(hit)
            || self
                .tool_calls
                .iter()
                .any(|t| hit(&t.name) || hit(&t.arguments) || t.result.as_deref().is_some_and(hit))
            || self.error_message.as_deref().is_some_and(hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::{Flag, Message, Operation, TextField, ToolCall};
    use proptest::prelude::*;

    #[test]
    fn uses_finds_a_field_under_any_operator() {
        let q = |t: &str| Query::parse(t).unwrap();
        assert!(q("label:bad").uses(&Field::Label));
        assert!(q("model:gpt-4o (user:a OR -has:label)").uses(&Field::Label));
        assert!(!q("model:gpt-4o \"label\"").uses(&Field::Label));
        assert!(!q("").uses(&Field::Label));
    }

    fn call() -> Call {
        let mut c = Call {
            id: "c1".into(),
            model: Some("gpt-4o".into()),
            response_model: Some("gpt-4o-2024-08-06".into()),
            provider: Some("openai".into()),
            user: Some("Bob Smith".into()),
            app: Some("support".into()),
            env: Some("prod".into()),
            tags: vec!["beta".into(), "eu".into()],
            status: Status::Error,
            error_type: Some("RateLimitError".into()),
            error_message: Some("Too many requests".into()),
            finish_reason: Some("stop".into()),
            conversation_id: Some("conv-7".into()),
            trace_id: Some("t-1".into()),
            latency_ms: Some(2500.0),
            ttft_ms: Some(300.0),
            cost_usd: Some(0.012),
            system_prompt: Some("You are a helpful assistant".into()),
            messages: vec![Message {
                role: "user".into(),
                content: "Where is my ORDER #123?".into(),
            }],
            output: Some("Your order ships tomorrow. Привет".into()),
            tool_calls: vec![ToolCall {
                name: "lookup_order".into(),
                arguments: "{\"id\":123}".into(),
                ..ToolCall::default()
            }],
            ..Call::default()
        };
        c.tokens.input = Some(1200);
        c.tokens.output = Some(800);
        c.scores.insert("helpfulness".into(), 0.8);
        c.flags.push(Flag {
            detector: "pii".into(),
            rule: "card".into(),
            severity: Severity::High,
            score: 0.9,
            field: TextField::Output,
            start: 0,
            end: 4,
            snippet: "4111".into(),
        });
        c
    }

    fn m(q: &str) -> bool {
        Query::parse(q).unwrap().matches(&call())
    }

    #[test]
    fn empty_query_matches_everything() {
        assert!(Query::parse("").unwrap().is_empty());
        assert!(m("   "));
        assert!(Query::all().matches(&Call::default()));
    }

    #[test]
    fn text_fields_match_ignoring_case() {
        assert!(m("model:gpt-4o"));
        assert!(m("model:GPT-4O"));
        assert!(m("model:gpt-4o-2024-08-06"), "response model counts too");
        assert!(!m("model:gpt-4"));
        assert!(m("provider:openai app:support env:prod tag:eu tag:beta"));
        assert!(m("status:error error:ratelimiterror finish:stop"));
        assert!(m("conversation:conv-7 session:conv-7 trace:t-1"));
        assert!(m("operation:chat op:chat"));
        assert!(m("tool:lookup_order"));
        assert!(!m("status:ok"));
    }

    #[test]
    fn quoted_values_and_wildcards() {
        assert!(m("user:\"bob smith\""));
        assert!(!m("user:bob"));
        assert!(m("user:bob*"));
        assert!(m("model:gpt-4*"));
        assert!(m("model:*08-06"));
        assert!(m("model:*4o*"));
        assert!(!m("model:*mini"));
        assert!(m("user:\"*smith\""));
        assert!(m("error:*limit*"));
    }

    #[test]
    fn glob_backtracks() {
        let p = Pattern::new("a*b*c");
        assert!(p.matches("aXbYbZc"));
        assert!(p.matches("abc"));
        assert!(!p.matches("aXbY"));
        assert!(Pattern::new("*").matches(""));
        assert!(Pattern::new("привет*").matches("ПРИВЕТ мир"));
    }

    #[test]
    fn numeric_comparisons_with_units() {
        assert!(m("latency>2s"));
        assert!(m("latency>=2500ms"));
        assert!(!m("latency>2.5s"));
        assert!(m("latency<0.05m"));
        assert!(m("latency=2.5s"));
        assert!(m("latency:2500ms"));
        assert!(m("latency:>1s"));
        assert!(m("ttft<500ms ttft>250000us"));
        assert!(m("cost>0.01 cost<$0.02 cost>=$0.012"));
        assert!(m(
            "tokens=2k tokens>1.9k input_tokens:1200 output_tokens<1k"
        ));
        assert!(m("score.helpfulness>0.5"));
        assert!(!m("score.helpfulness>0.9"));
        assert!(!m("score.other>0"));
    }

    #[test]
    fn severity_is_ordered() {
        assert!(m("severity>=high"));
        assert!(m("severity:high"));
        assert!(!m("severity>high"));
        assert!(m("sev>=med"));
    }

    #[test]
    fn flags_match_detector_or_rule() {
        assert!(m("flag:pii"));
        assert!(m("flag:card"));
        assert!(m("flags:p*"));
        assert!(!m("flag:injection"));
    }

    #[test]
    fn negation_of_any_term() {
        assert!(m("-model:gpt-4o-mini"));
        assert!(!m("-model:gpt-4o"));
        assert!(m("-latency>10s"));
        assert!(m("-has:feedback"));
        assert!(m("-refund"));
        assert!(!m("-order"));
        assert!(m("-(model:x user:y)"));
        assert!(m("--model:gpt-4o"));
    }

    #[test]
    fn has_fields() {
        assert!(m(
            "has:error has:flags has:tools has:trace has:scores has:ttft"
        ));
        assert!(m("has:score.helpfulness"));
        assert!(!m("has:feedback"));
        let plain = Call::default();
        let q = |s: &str| Query::parse(s).unwrap().matches(&plain);
        assert!(!q("has:error") && !q("has:flags") && !q("has:tools") && !q("has:trace"));
        assert!(!q("has:scores") && !q("has:tokens") && !q("has:cost"));
        assert!(q("has:status"));
    }

    #[test]
    fn failed_status_without_type_still_has_error() {
        let c = Call {
            status: Status::Error,
            ..Call::default()
        };
        assert!(Query::parse("has:error").unwrap().matches(&c));
    }

    #[test]
    fn full_text_is_case_insensitive_over_every_text() {
        assert!(m("order"));
        assert!(m("#123"));
        assert!(m("HELPFUL"));
        assert!(m("tomorrow"));
        assert!(m("привет"));
        assert!(m("ПРИВЕТ"));
        assert!(m("lookup_order"));
        assert!(m("\"too many\""));
        assert!(m("\"ships tomorrow\""));
        assert!(!m("\"ships today\""));
        assert!(!m("refund"));
    }

    #[test]
    fn contains_ignore_case_edges() {
        assert!(contains_ignore_case("abc", ""));
        assert!(!contains_ignore_case("ab", "abc"));
        assert!(contains_ignore_case("xxAbC", "abc"));
        assert!(contains_ignore_case("aaab", "aab"));
        assert!(!contains_ignore_case("abc", "é"));
        assert!(contains_ignore_case("CAFÉ", "café"));
    }

    #[test]
    fn or_and_grouping() {
        assert!(m("model:x OR model:gpt-4o"));
        assert!(!m("model:x OR user:y"));
        assert!(m("model:x user:y OR status:error"), "AND binds tighter");
        assert!(m("(model:x OR model:gpt-4o) status:error"));
        assert!(!m("(model:x OR model:gpt-4o) status:ok"));
        assert!(m("or"), "lower-case or is a word: 'order' contains it");
    }

    #[test]
    fn errors_carry_position_and_clear_message() {
        let e = Query::parse("model:x modle:gpt").unwrap_err();
        assert_eq!(e.pos, 8);
        assert!(e.message.contains("unknown field 'modle'"), "{e}");
        assert!(e.message.contains("model, provider"), "{e}");
        assert!(e.to_string().contains("position 9"));

        let e = Query::parse("latency>2").unwrap_err();
        assert_eq!(e.pos, 8);
        assert!(e.message.contains("needs a unit"), "{e}");

        let e = Query::parse("cost>cheap").unwrap_err();
        assert!(e.message.contains("not a number"), "{e}");
        let e = Query::parse("tokens>2q").unwrap_err();
        assert!(e.message.contains("unknown unit 'q'"), "{e}");
        let e = Query::parse("model>gpt").unwrap_err();
        assert!(e.message.contains("is text"), "{e}");
        let e = Query::parse("status:failed").unwrap_err();
        assert!(e.message.contains("ok, error"), "{e}");
        let e = Query::parse("operation:chatt").unwrap_err();
        assert!(e.message.contains("embeddings"), "{e}");
        let e = Query::parse("severity>=bad").unwrap_err();
        assert!(e.message.contains("critical"), "{e}");
        let e = Query::parse("has:nothing").unwrap_err();
        assert_eq!(e.pos, 4);
        assert!(e.message.contains("unknown field 'has:nothing'"), "{e}");
        let e = Query::parse("has>cost").unwrap_err();
        assert!(e.message.contains("has:"), "{e}");
        let e = Query::parse("scores>1").unwrap_err();
        assert!(e.message.contains("has:scores"), "{e}");
        let e = Query::parse("user:").unwrap_err();
        assert_eq!(
            (e.pos, e.message.as_str()),
            (5, "missing value after 'user'")
        );
        let e = Query::parse("user:\"bob").unwrap_err();
        assert_eq!((e.pos, e.message.as_str()), (5, "unclosed quote"));
        let e = Query::parse("\"a\"b").unwrap_err();
        assert_eq!(e.pos, 3);
        assert_eq!(Query::parse("a - b").unwrap_err().pos, 2);
        assert_eq!(Query::parse("(a b").unwrap_err().pos, 0);
        assert_eq!(Query::parse("a b)").unwrap_err().pos, 3);
        assert_eq!(Query::parse("()").unwrap_err().message, "empty parentheses");
        assert!(Query::parse("OR a").is_err());
        assert!(Query::parse("a OR").is_err());
        assert!(Query::parse("a OR OR b").is_err());
        assert!(Query::parse("\"\"").is_err());
        assert!(Query::parse("score.>1").is_err());
        assert!(Query::parse("latency>infs").is_err());
        assert!(Query::parse("latency>nan").is_err());
        assert!(Query::parse("cost>.").is_err());
    }

    #[test]
    fn hostile_nesting_is_an_error_not_a_crash() {
        let deep = "(".repeat(10_000) + "a" + &")".repeat(10_000);
        assert!(Query::parse(&deep).unwrap_err().message.contains("nested"));
        let negs = "-".repeat(10_000) + "a";
        assert!(Query::parse(&negs).is_err());
    }

    #[test]
    fn non_field_looking_words_are_text() {
        let q = Query::parse("10:30 :x -> https").unwrap();
        assert_eq!(q.to_string(), "\"10:30\" \":x\" -\">\" https");
        assert!(Query::parse("\"https://x\"").is_ok());
        assert!(Query::parse("https://x").is_err(), "unknown field https");
    }

    #[test]
    fn display_normalises_and_reparses() {
        let q = Query::parse(
            "Model:GPT-4* lat>1.5m cost>$0.01 tokens>2.5k user:\"bob smith\" -flag:pii \
             has:feedback Refund (a OR b) severity>=high \"say \\\"hi\\\"\"",
        )
        .unwrap();
        let s = q.to_string();
        assert_eq!(
            s,
            "model:gpt-4* latency>90000ms cost>0.01 tokens>2500 user:\"bob smith\" -flag:pii \
             has:feedback refund (a OR b) severity>=high \"say \\\"hi\\\"\""
        );
        assert_eq!(Query::parse(&s).unwrap(), q);
    }

    #[test]
    fn text_needles_skip_negated_terms() {
        let q = Query::parse("refund -angry (late OR \"very slow\") model:x").unwrap();
        assert_eq!(q.text_needles(), vec!["refund", "late", "very slow"]);
    }

    #[test]
    fn tokens_sum_present_parts_only() {
        let mut c = Call::default();
        assert!(!Query::parse("tokens>=0").unwrap().matches(&c));
        c.tokens.output = Some(5);
        assert!(Query::parse("tokens=5").unwrap().matches(&c));
    }

    #[test]
    fn tool_spans_are_tools() {
        let c = Call {
            operation: Operation::Tool,
            name: Some("search_flights".into()),
            ..Call::default()
        };
        assert!(Query::parse("tool:search_* has:tools name:search_flights")
            .unwrap()
            .matches(&c));
    }

    /// A multi-valued item, as a conversation row would be.
    struct Row {
        models: Vec<&'static str>,
        latencies: Vec<f64>,
    }

    impl Filterable for Row {
        fn any_text(&self, f: &Field, pred: &mut dyn FnMut(&str) -> bool) -> bool {
            *f == Field::Model && self.models.iter().any(|m| pred(m))
        }
        fn any_num(&self, f: &Field, pred: &mut dyn FnMut(f64) -> bool) -> bool {
            *f == Field::Latency && self.latencies.iter().any(|&v| pred(v))
        }
        fn full_text_contains(&self, _: &str) -> bool {
            false
        }
    }

    #[test]
    fn multi_valued_fields_match_any_and_negate_all() {
        let row = Row {
            models: vec!["gpt-4o", "gpt-4o-mini"],
            latencies: vec![100.0, 5000.0],
        };
        let q = |s: &str| Query::parse(s).unwrap().matches(&row);
        assert!(q("model:gpt-4o model:gpt-4o-mini"));
        assert!(!q("-model:gpt-4o-mini"));
        assert!(q("latency>4s latency<1s"));
        assert!(q("has:model") && !q("has:user"));
    }

    #[test]
    fn attributes_compare_as_numbers_or_match_as_text() {
        let mut c = call();
        c.metadata
            .insert("temperature".into(), serde_json::json!(0.9));
        c.metadata.insert("seed".into(), serde_json::json!(7));
        c.metadata
            .insert("service_tier".into(), serde_json::json!("flex"));
        let q = |s: &str| Query::parse(s).unwrap().matches(&c);
        assert!(q("attr.temperature>0.7") && !q("attr.temperature<0.5"));
        assert!(q("attr.seed:7") && q("attr.seed=7") && !q("attr.seed:8"));
        assert!(q("attr.service_tier:flex") && q("service_tier:FL*") && !q("service_tier:auto"));
        assert!(q("has:attr.seed") && !q("has:attr.top_p") && !q("attr.top_p<1"));
        assert!(Query::parse("attr.service_tier>flex").is_err());
        assert!(Query::parse("attr.:x").is_err());
        let printed = Query::parse("service_tier:flex attr.Temperature>=0.5")
            .unwrap()
            .to_string();
        assert_eq!(printed, "attr.service_tier:flex attr.temperature>=0.5");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Query::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_query_like_text(
            s in "[a-z_.:<>=\"\\\\()*$ -]{0,40}|(model|latency|cost|has|score\\.x|OR|-|\\(|\\)|\"| |:|>=|<|2s|1k|\\$0\\.1|\\*)*"
        ) {
            if let Ok(q) = Query::parse(&s) {
                let printed = q.to_string();
                let again = Query::parse(&printed);
                prop_assert_eq!(again.as_ref().ok(), Some(&q), "printed: {}", printed);
                let _ = q.matches(&call());
                let _ = q.matches(&Call::default());
            }
        }

        #[test]
        fn errors_point_inside_the_query(s in "\\PC{0,30}") {
            if let Err(e) = Query::parse(&s) {
                prop_assert!(e.pos <= s.len());
            }
        }
    }
}
