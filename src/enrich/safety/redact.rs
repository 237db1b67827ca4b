//! Redaction: masks every PII and secret span with its type (`[EMAIL]`, `[CARD]`,
//! `[SECRET:aws]`), for the TUI's `r` toggle and for exports.

use crate::model::record::Flag;

/// One span of a text to hide and the label shown in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask {
    pub start: usize,
    pub end: usize,
    pub label: String,
}

/// Returns `text` with the spans of its `pii` and `secret` flags replaced by type labels.
/// Flags must belong to this text (one field); overlapping spans are merged.
pub fn redact(text: &str, flags: &[Flag]) -> String {
    mask(text, flag_masks(flags))
}

/// The masks of a text's `pii` and `secret` flags.
pub fn flag_masks(flags: &[Flag]) -> Vec<Mask> {
    flags
        .iter()
        .filter_map(|f| {
            label(f).map(|label| Mask {
                start: f.start,
                end: f.end,
                label,
            })
        })
        .collect()
}

/// Replaces every masked span of `text` with its label, all spans taken on the original
/// text: overlapping or touching spans become one span under the label of the one that
/// starts first (the longest, on a tie), so labels never nest and nothing outside a span
/// changes. Spans that are empty, out of the text or not on character boundaries are
/// ignored. The TUI's redaction and `export --redact` both end here.
pub fn mask(text: &str, mut masks: Vec<Mask>) -> String {
    masks.retain(|m| {
        m.start < m.end
            && m.end <= text.len()
            && text.is_char_boundary(m.start)
            && text.is_char_boundary(m.end)
    });
    masks.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    let mut merged: Vec<Mask> = Vec::with_capacity(masks.len());
    for m in masks {
        match merged.last_mut() {
            Some(last) if m.start <= last.end => last.end = last.end.max(m.end),
            _ => merged.push(m),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for m in merged {
        out.push_str(&text[pos..m.start]);
        out.push_str(&m.label);
        pos = m.end;
    }
    out.push_str(&text[pos..]);
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
    use super::{mask, Mask};
    use crate::model::record::TextField;
    use proptest::prelude::*;

    proptest! {
        /// Nothing outside the masked spans changes, and each run of masked bytes becomes
        /// exactly one label (labels never nest).
        #[test]
        fn masks_are_span_exact(
            text in "[a-z `=.]{0,60}",
            spans in proptest::collection::vec((0usize..70, 0usize..20), 0..6),
        ) {
            let masks: Vec<Mask> = spans
                .iter()
                .map(|&(s, n)| Mask { start: s, end: s + n, label: "[X]".into() })
                .collect();
            let mut hidden = vec![false; text.len()];
            for m in &masks {
                if m.start < m.end && m.end <= text.len() {
                    hidden[m.start..m.end].iter_mut().for_each(|h| *h = true);
                }
            }
            let kept: String = text
                .char_indices()
                .filter(|(i, _)| !hidden[*i])
                .map(|(_, c)| c)
                .collect();
            let runs = (0..hidden.len())
                .filter(|&i| hidden[i] && (i == 0 || !hidden[i - 1]))
                .count();
            let out = mask(&text, masks);
            prop_assert_eq!(out.matches("[X]").count(), runs);
            prop_assert_eq!(out.replace("[X]", ""), kept);
        }
    }

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
