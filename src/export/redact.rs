//! Redaction for exports: the byte spans the safety detectors flagged (typed labels from the
//! safety module), then patterns as a second net for the PII and secrets that must never
//! leave in a dataset (emails, Luhn-valid card numbers, phone numbers, API keys, tokens,
//! private keys) even when a detector is turned off.

use crate::record::{Call, Flag, TextField};
use regex::Regex;
use std::sync::OnceLock;

/// Replaces sensitive text with placeholders such as `[EMAIL]`.
pub trait Redactor {
    /// The text with every sensitive part replaced.
    fn redact(&self, text: &str) -> String;
}

/// The built-in pattern redactor.
#[derive(Debug, Clone, Copy, Default)]
pub struct PatternRedactor;

fn patterns() -> &'static [(Regex, &'static str)] {
    static P: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        [
            (r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|\z)", "[PRIVATE_KEY]"),
            (r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", "[TOKEN]"),
            (r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}", "[SECRET]"),
            (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", "[SECRET]"),
            (r"\bgh[pousr]_[A-Za-z0-9]{20,}", "[SECRET]"),
            (r"\bxox[abprs]-[A-Za-z0-9-]{10,}", "[SECRET]"),
            (r"\bAIza[0-9A-Za-z_-]{30,}", "[SECRET]"),
            (r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{12,}=*", "Bearer [SECRET]"),
            (
                r#"(?i)\b((?:api[_-]?key|secret|password|passwd|token|access[_-]?key)["']?\s*[:=]\s*["']?)[^\s"',;]{6,}"#,
                "${1}[SECRET]",
            ),
            (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", "[EMAIL]"),
            (r"\+\d{1,3}[\s.-]?\(?\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b", "[PHONE]"),
            (r"\b\d{3}-\d{2}-\d{4}\b", "[SSN]"),
        ]
        .into_iter()
        .filter_map(|(re, with)| Regex::new(re).ok().map(|r| (r, with)))
        .collect()
    })
}

fn card_re() -> Option<&'static Regex> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"\b\d(?:[ -]?\d){12,18}\b").ok())
        .as_ref()
}

/// True when the digits of `s` pass the Luhn check.
fn luhn(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

impl Redactor for PatternRedactor {
    fn redact(&self, text: &str) -> String {
        let mut out = match card_re() {
            Some(re) => re
                .replace_all(text, |c: &regex::Captures| {
                    if luhn(&c[0]) {
                        "[CARD]".to_string()
                    } else {
                        c[0].to_string()
                    }
                })
                .into_owned(),
            None => text.to_string(),
        };
        for (re, with) in patterns() {
            if re.is_match(&out) {
                out = re.replace_all(&out, *with).into_owned();
            }
        }
        out
    }
}

/// Masks the PII and secret spans the detectors flagged in `field`'s text with their type
/// (the safety module's [`crate::enrich::safety::redact`]), then applies `r` for anything
/// the detectors did not flag.
fn redact_field(c: &Call, field: TextField, text: &str, r: &dyn Redactor) -> String {
    let flags: Vec<Flag> = c
        .flags
        .iter()
        .filter(|f| f.field == field)
        .cloned()
        .collect();
    r.redact(&crate::enrich::safety::redact(text, &flags))
}

/// A copy of the call with every text field redacted and metadata dropped (it is free-form
/// and may hold anything).
pub fn redact_call(c: &Call, r: &dyn Redactor) -> Call {
    let mut out = c.clone();
    if let Some(s) = &c.system_prompt {
        out.system_prompt = Some(redact_field(c, TextField::System, s, r));
    }
    for (i, m) in out.messages.iter_mut().enumerate() {
        m.content = redact_field(c, TextField::Input(i), &c.messages[i].content, r);
    }
    if let Some(s) = &c.output {
        out.output = Some(redact_field(c, TextField::Output, s, r));
    }
    for (i, t) in out.tool_calls.iter_mut().enumerate() {
        let orig = &c.tool_calls[i];
        t.arguments = redact_field(c, TextField::ToolArguments(i), &orig.arguments, r);
        t.result = orig
            .result
            .as_deref()
            .map(|s| redact_field(c, TextField::ToolResult(i), s, r));
    }
    for (i, d) in out.context.iter_mut().enumerate() {
        *d = redact_field(c, TextField::Context(i), &c.context[i], r);
    }
    out.error_message = c.error_message.as_deref().map(|s| r.redact(s));
    for f in &mut out.flags {
        f.snippet = format!("[{}]", f.detector.to_ascii_uppercase());
    }
    out.metadata.clear();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_catch_pii_and_secrets_but_keep_plain_numbers() {
        let r = PatternRedactor;
        let s = r.redact(
            "mail bob.smith@example.co.uk, card 4111 1111 1111 1111, order 1234567890123, \
             key sk-proj-abcdefghijklmnop1234, AKIAIOSFODNN7EXAMPLE, api_key=\"hunter2hunter2\" \
             call +1 415-555-0100",
        );
        for leaked in [
            "bob.smith",
            "4111",
            "sk-proj",
            "AKIA",
            "hunter2",
            "555-0100",
        ] {
            assert!(!s.contains(leaked), "{leaked} in {s}");
        }
        assert!(s.contains("order 1234567890123"), "{s}");
        assert!(s.contains("api_key=\"[SECRET]"), "{s}");
    }
}
