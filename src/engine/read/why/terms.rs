//! The prompt terms "why" compares: the distinct words of a call's last user message, kept
//! simple and bounded — only the first [`MAX_SCAN`] bytes are read, a word is 3 to 20 ASCII
//! letters (lower-cased), common English words are left out. Words with digits or symbols
//! never count, so a key, a card number or an address cannot surface as a term.

/// Bytes of a message read for terms; the rest of a huge prompt is not looked at.
pub const MAX_SCAN: usize = 1024;
/// Distinct terms taken from one message.
const MAX_PER_MESSAGE: usize = 64;
const MIN_LEN: usize = 3;
const MAX_LEN: usize = 20;

/// Words too common to say anything about a set of calls.
const STOPWORDS: &[&str] = &[
    "about", "after", "again", "all", "also", "and", "any", "are", "because", "been", "before",
    "being", "between", "both", "but", "can", "could", "did", "does", "doing", "down", "each",
    "few", "for", "from", "further", "get", "had", "has", "have", "having", "her", "here", "hers",
    "him", "his", "how", "into", "its", "just", "let", "like", "make", "more", "most", "much",
    "must", "need", "not", "now", "off", "once", "only", "other", "our", "out", "over", "own",
    "please", "same", "she", "should", "some", "such", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "through", "too", "under", "until", "use",
    "very", "want", "was", "way", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "would", "you", "your", "yours",
];

/// The distinct terms of `text`, in order of first appearance (at most 64).
pub fn of(text: &str) -> Vec<String> {
    let mut end = text.len().min(MAX_SCAN);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out: Vec<String> = Vec::new();
    let words = text[..end].split(|c: char| !c.is_ascii_alphanumeric());
    for w in words {
        if out.len() >= MAX_PER_MESSAGE {
            break;
        }
        if !(MIN_LEN..=MAX_LEN).contains(&w.len()) || !w.bytes().all(|b| b.is_ascii_alphabetic()) {
            continue;
        }
        let w = w.to_ascii_lowercase();
        if STOPWORDS.binary_search(&w.as_str()).is_err() && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_are_sorted_for_binary_search() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn terms_are_distinct_lowercase_words_without_digits() {
        assert_eq!(
            of("Refund my ZephyrPay order, the zephyrpay app said sk-abc123 and 4929 1827"),
            ["refund", "zephyrpay", "order", "app", "said"]
        );
        assert!(of("").is_empty());
    }

    #[test]
    fn a_huge_message_is_read_only_to_the_bound() {
        let text = format!("{} tail", "é".repeat(MAX_SCAN));
        assert!(of(&text).is_empty());
    }
}
