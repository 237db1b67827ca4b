//! Redaction for exports: the byte spans the safety detectors flagged (typed labels from the
//! safety module), then patterns as a second net for the PII and secrets that must never
//! leave in a dataset (emails, Luhn-valid card numbers, phone numbers, API keys, tokens,
//! private keys) even when a detector is turned off.

use crate::enrich::safety::redact::{flag_masks, mask, Mask};
use crate::model::record::{Call, TextField};
use regex::Regex;
use std::sync::OnceLock;

/// Replaces sensitive text with placeholders such as `[EMAIL]`.
pub trait Redactor {
    /// The spans of `text` to hide, each with its placeholder, found on the text as given.
    fn masks(&self, text: &str) -> Vec<Mask>;

    /// The text with every sensitive part replaced (spans merged, see [`mask`]).
    fn redact(&self, text: &str) -> String {
        mask(text, self.masks(text))
    }
}

/// The built-in pattern redactor.
#[derive(Debug, Clone, Copy, Default)]
pub struct PatternRedactor;

/// The patterns: each masks its capture group `group` (0 for the whole match).
fn patterns() -> &'static [(Regex, usize, &'static str)] {
    static P: OnceLock<Vec<(Regex, usize, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        [
            (r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|\z)", 0, "[PRIVATE_KEY]"),
            (r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", 0, "[TOKEN]"),
            (r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}", 0, "[SECRET]"),
            (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", 0, "[SECRET]"),
            (r"\bgh[pousr]_[A-Za-z0-9]{20,}", 0, "[SECRET]"),
            (r"\bxox[abprs]-[A-Za-z0-9-]{10,}", 0, "[SECRET]"),
            (r"\bAIza[0-9A-Za-z_-]{30,}", 0, "[SECRET]"),
            (r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]{12,}=*)", 1, "[SECRET]"),
            (
                r#"(?i)\b(?:api[_-]?key|secret|password|passwd|token|access[_-]?key)["']?\s*[:=]\s*["']?([^\s"'`,;)\]}>]{6,})"#,
                1,
                "[SECRET]",
            ),
            (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", 0, "[EMAIL]"),
            (r"\+\d{1,3}[\s.-]?\(?\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b", 0, "[PHONE]"),
            (r"\b\d{3}-\d{2}-\d{4}\b", 0, "[SSN]"),
        ]
        .into_iter()
        .filter_map(|(re, group, with)| Regex::new(re).ok().map(|r| (r, group, with)))
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
    fn masks(&self, text: &str) -> Vec<Mask> {
        let mut out = Vec::new();
        if let Some(re) = card_re() {
            out.extend(
                re.find_iter(text)
                    .filter(|m| luhn(m.as_str()))
                    .map(|m| Mask {
                        start: m.start(),
                        end: m.end(),
                        label: "[CARD]".into(),
                    }),
            );
        }
        for (re, group, with) in patterns() {
            out.extend(
                re.captures_iter(text)
                    .filter_map(|c| c.get(*group))
                    .map(|m| Mask {
                        start: m.start(),
                        end: m.end(),
                        label: (*with).into(),
                    }),
            );
        }
        out
    }
}

/// Masks the PII and secret spans the detectors flagged in `field`'s text with their type
/// (the safety module's [`crate::enrich::safety::redact`]) and whatever `r` finds that the
/// detectors did not flag, all spans taken on the original text and merged, so no mask
/// lands inside another's label.
fn redact_field(c: &Call, field: TextField, text: &str, r: &dyn Redactor) -> String {
    let flags: Vec<_> = c
        .flags
        .iter()
        .filter(|f| f.field == field)
        .cloned()
        .collect();
    let mut masks = flag_masks(&flags);
    masks.extend(r.masks(text));
    mask(text, masks)
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
    use crate::model::record::Flag;

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

    #[test]
    fn a_flagged_secret_next_to_a_pattern_is_masked_once_and_exactly() {
        let text = "`OPENAI_API_KEY=sk-proj-abcdefghijklmnop1234` and then exits.";
        let start = text.find("sk-").unwrap();
        let end = text.rfind('`').unwrap();
        let c = Call {
            output: Some(text.into()),
            flags: vec![Flag {
                detector: "secret".into(),
                rule: "secret.openai".into(),
                field: TextField::Output,
                severity: crate::model::record::Severity::High,
                score: 1.0,
                start,
                end,
                snippet: String::new(),
            }],
            ..Call::default()
        };
        let out = redact_call(&c, &PatternRedactor).output.unwrap();
        assert_eq!(out, "`OPENAI_API_KEY=[SECRET:openai]` and then exits.");
        assert_eq!(
            PatternRedactor.redact("password: hunter2hunter2) ok"),
            "password: [SECRET]) ok"
        );
        assert_eq!(
            PatternRedactor.redact("Authorization: Bearer abcdefghijklmnop"),
            "Authorization: Bearer [SECRET]"
        );
    }
}
