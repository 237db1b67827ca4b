//! Redaction: masks every PII and secret span with its type (`[EMAIL]`, `[CARD]`,
//! `[SECRET:aws]`), for the TUI's `r` toggle and for exports.

use crate::record::Flag;

/// Returns `text` with the spans of its `pii` and `secret` flags replaced by type labels.
/// Flags must belong to this text (one field); overlapping spans are merged.
pub fn redact(text: &str, flags: &[Flag]) -> String {
    let mut spans: Vec<(usize, usize, String)> = flags
        .iter()
        .filter(|f| f.start < f.end && f.end <= text.len())
        .filter(|f| text.is_char_boundary(f.start) && text.is_char_boundary(f.end))
        .filter_map(|f| label(f).map(|l| (f.start, f.end, l)))
        .collect();
    spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (s, e, l) in spans {
        if s < pos {
            pos = pos.max(e);
            continue;
        }
        out.push_str(&text[pos..s]);
        out.push_str(&l);
        pos = e;
    }
    out.push_str(&text[pos.min(text.len())..]);
    out
}

fn label(f: &Flag) -> Option<String> {
    match f.detector.as_str() {
        "pii" => Some(format!("[{}]", f.rule.to_ascii_uppercase())),
        "secret" => Some(format!(
            "[SECRET:{}]",
            f.rule.strip_prefix("secret.").unwrap_or(&f.rule)
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Detectors, SafetyConfig};
    use crate::record::TextField;

    #[test]
    fn masks_pii_and_secrets_with_their_type() {
        let d = Detectors::new(&SafetyConfig::default()).unwrap();
        let t = "mail bo@example.org, card 4111-1111-1111-1111, key AKIAZ7QX3VBN5KLP2WRT, ünïcode";
        assert_eq!(
            d.redact_text(t, TextField::Input(0)),
            "mail [EMAIL], card [CARD], key [SECRET:aws], ünïcode"
        );
    }
}
