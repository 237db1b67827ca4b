//! What drift looks at in one call: numeric features (latency, tokens, lengths, judge
//! scores), categorical ones (model, provider, finish reason, script or language) and
//! yes/no ones (refusal, answer style, each flag family). One pass over the texts.

use crate::model::record::{Call, Status};

/// Numeric features, in the order of [`Features::numeric`].
pub const NUMERIC: [&str; 11] = [
    "latency_ms",
    "ttft_ms",
    "tpot_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "prompt_chars",
    "prompt_words",
    "response_chars",
    "response_words",
    "sentence_words",
];

/// Categorical features, in the order of [`Features::categorical`].
pub const CATEGORICAL: [&str; 7] = [
    "model",
    "provider",
    "finish_reason",
    "error_type",
    "tool",
    "prompt_language",
    "status",
];

/// Yes/no features (compared as two-category features, profiled as rates).
pub const BINARY: [&str; 9] = [
    "refusal",
    "markdown",
    "code_block",
    "list",
    "flag.injection",
    "flag.leak",
    "flag.pii",
    "flag.secret",
    "flag.toxicity",
];

/// Flag families with a yes/no feature each (the `flag.` features above, in order).
const FLAG_FAMILIES: [&str; 5] = ["injection", "leak", "pii", "secret", "toxicity"];

/// Prefix of the numeric feature made of each judge score (`judge.helpfulness`).
pub const JUDGE_PREFIX: &str = "judge.";

/// Category used when a call has no value.
pub const NONE: &str = "(none)";

/// The features of one LLM call, borrowing its strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Features<'a> {
    pub numeric: [Option<f64>; NUMERIC.len()],
    pub categorical: [&'a str; CATEGORICAL.len()],
    pub binary: [bool; BINARY.len()],
    /// Named scores carried by the call (`helpfulness`, ...), without the prefix.
    pub judges: Vec<(&'a str, f64)>,
    /// The last user message (the prompt whose terms text drift counts).
    pub prompt: Option<&'a str>,
    /// The answer text.
    pub response: Option<&'a str>,
}

/// Extracts the drift features of a call.
pub fn extract(c: &Call) -> Features<'_> {
    let prompt = c.last_user_message();
    let response = c.output.as_deref();
    let p = prompt.map(text_stats);
    let r = response.map(text_stats);
    let numeric = [
        c.effective_latency_ms(),
        c.ttft_ms,
        c.tpot_ms(),
        c.tokens.input.map(|v| v as f64),
        c.tokens.output.map(|v| v as f64),
        c.cost_usd,
        p.map(|s| s.chars as f64),
        p.map(|s| s.words as f64),
        r.map(|s| s.chars as f64),
        r.map(|s| s.words as f64),
        r.filter(|s| s.sentences > 0)
            .map(|s| s.words as f64 / s.sentences as f64),
    ];
    let categorical = [
        c.model_name().unwrap_or(NONE),
        c.provider.as_deref().unwrap_or(NONE),
        c.finish_reason.as_deref().unwrap_or(NONE),
        c.error_type.as_deref().unwrap_or(NONE),
        c.tool_calls.first().map_or(NONE, |t| t.name.as_str()),
        prompt.map_or(NONE, language),
        match c.status {
            Status::Ok => "ok",
            Status::Error => "error",
        },
    ];
    let has_flag = |family: &str| c.flags.iter().any(|f| f.detector == family);
    let mut binary = [false; BINARY.len()];
    binary[0] = has_flag("refusal") || response.is_some_and(is_refusal);
    if let Some(s) = r {
        binary[1] = s.markdown;
        binary[2] = s.code_block;
        binary[3] = s.list;
    }
    for (i, fam) in FLAG_FAMILIES.iter().enumerate() {
        binary[4 + i] = has_flag(fam);
    }
    Features {
        numeric,
        categorical,
        binary,
        judges: c
            .scores
            .iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, v)| (k.as_str(), *v))
            .collect(),
        prompt,
        response,
    }
}

/// Length and style of a text, measured in one pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextStats {
    pub chars: usize,
    pub words: usize,
    pub sentences: usize,
    pub markdown: bool,
    pub code_block: bool,
    pub list: bool,
}

/// Counts characters, words and sentences and spots markdown, code blocks and lists.
pub fn text_stats(text: &str) -> TextStats {
    let mut s = TextStats {
        code_block: memchr::memmem::find(text.as_bytes(), b"```").is_some(),
        markdown: memchr::memmem::find(text.as_bytes(), b"**").is_some()
            || memchr::memmem::find(text.as_bytes(), b"](").is_some()
            || memchr::memmem::find(text.as_bytes(), b"\n|").is_some(),
        ..TextStats::default()
    };
    // One pass over bytes: non-ASCII bytes count as letters (UTF-8 lead bytes as one
    // character each), which is what matters for lengths and sentence ends.
    let mut in_word = false;
    let mut in_sentence = false;
    for &b in text.as_bytes() {
        if b & 0xC0 != 0x80 {
            s.chars += 1;
        }
        if b.is_ascii_whitespace() {
            in_word = false;
            continue;
        }
        if !in_word {
            s.words += 1;
        }
        in_word = true;
        if matches!(b, b'.' | b'!' | b'?') {
            if in_sentence {
                s.sentences += 1;
            }
            in_sentence = false;
        } else if b.is_ascii_alphanumeric() || b >= 0x80 {
            in_sentence = true;
        }
    }
    if in_sentence {
        s.sentences += 1;
    }
    for line in text.lines() {
        let l = line.trim_start();
        if l.starts_with('#') {
            s.markdown = true;
        }
        let digits = l.bytes().take_while(u8::is_ascii_digit).count();
        if l.starts_with("- ")
            || l.starts_with("* ")
            || l.starts_with("• ")
            || (digits > 0 && digits < 4 && l[digits..].starts_with(". "))
        {
            s.list = true;
        }
    }
    s
}

/// Openings of answers that decline the request (English and the most common others).
const REFUSAL_OPENINGS: [&str; 12] = [
    "i'm sorry, but i can",
    "i’m sorry, but i can",
    "i am sorry, but i can",
    "i can't help with",
    "i can’t help with",
    "i cannot help with",
    "i can't assist with",
    "i cannot assist with",
    "i won't be able to",
    "i'm not able to help",
    "lo siento, pero no puedo",
    "je suis désolé, mais je ne peux",
];

/// True when an answer reads as a refusal (looked for in its first 96 bytes).
pub fn is_refusal(text: &str) -> bool {
    static MATCHER: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(REFUSAL_OPENINGS)
                .ok()
        });
    let bytes = text.trim_start().as_bytes();
    let head = &bytes[..bytes.len().min(96)];
    MATCHER.as_ref().is_some_and(|m| m.is_match(head))
}

/// Function words that identify a language written in Latin script.
const LANG_WORDS: [(&str, &[&str]); 6] = [
    (
        "en",
        &[
            "the", "and", "is", "to", "my", "you", "what", "how", "for", "can", "with", "this",
            "of", "it", "i",
        ],
    ),
    (
        "es",
        &[
            "el", "la", "de", "que", "y", "en", "los", "mi", "por", "para", "es", "las", "con",
            "una", "del",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "de", "et", "est", "je", "pour", "une", "vous", "des", "du", "mon",
            "pas", "que",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "und", "ist", "ich", "nicht", "das", "mit", "ein", "eine", "zu", "mein",
            "für", "den", "wie",
        ],
    ),
    (
        "pt",
        &[
            "o", "os", "não", "que", "de", "meu", "para", "com", "uma", "é", "do", "da", "em",
            "minha", "um",
        ],
    ),
    (
        "it",
        &[
            "il", "che", "di", "per", "non", "sono", "una", "della", "mio", "con", "è", "gli",
            "come", "un", "del",
        ],
    ),
];

/// A coarse guess of a prompt's language (Latin script) or script (others), from its first
/// 16 words. `latin` when no language stands out; `(none)` without letters.
pub fn language(text: &str) -> &'static str {
    let mut scripts = [0u32; 9];
    let mut votes = [0u32; LANG_WORDS.len()];
    let mut word = String::new();
    let mut words = 0;
    for ch in text.chars().chain(std::iter::once(' ')) {
        if ch.is_alphabetic() {
            scripts[script_of(ch)] += 1;
            word.extend(ch.to_lowercase());
        } else if !word.is_empty() {
            words += 1;
            for (i, (_, list)) in LANG_WORDS.iter().enumerate() {
                if list.contains(&word.as_str()) {
                    votes[i] += 1;
                }
            }
            word.clear();
            if words >= 16 {
                break;
            }
        }
    }
    let (best, n) = scripts
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .map_or((0, 0), |(i, n)| (i, *n));
    if n == 0 {
        return NONE;
    }
    if best != 0 {
        return SCRIPTS[best];
    }
    let (lang, v) = votes
        .iter()
        .enumerate()
        .max_by_key(|(i, v)| (**v, usize::MAX - i))
        .map_or((0, 0), |(i, v)| (i, *v));
    if v == 0 {
        "latin"
    } else {
        LANG_WORDS[lang].0
    }
}

const SCRIPTS: [&str; 9] = [
    "latin",
    "cyrillic",
    "greek",
    "arabic",
    "hebrew",
    "devanagari",
    "han",
    "kana",
    "hangul",
];

fn script_of(ch: char) -> usize {
    match ch as u32 {
        0x0370..=0x03FF => 2,
        0x0400..=0x04FF => 1,
        0x0590..=0x05FF => 4,
        0x0600..=0x06FF | 0x0750..=0x077F => 3,
        0x0900..=0x097F => 5,
        0x3040..=0x30FF => 7,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF => 6,
        0xAC00..=0xD7AF => 8,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::{Flag, Message, Severity, TextField};

    #[test]
    fn features_of_a_call() {
        let mut c = Call {
            model: Some("gpt-4o".into()),
            latency_ms: Some(1000.0),
            ttft_ms: Some(100.0),
            messages: vec![Message {
                role: "user".into(),
                content: "How do I reset my password?".into(),
            }],
            output: Some("## Steps\n1. Open settings. 2. Click reset!\n```sh\nx\n```".into()),
            ..Call::default()
        };
        c.tokens.output = Some(10);
        c.scores.insert("helpfulness".into(), 0.8);
        c.flags.push(Flag {
            detector: "pii".into(),
            rule: "email".into(),
            severity: Severity::Medium,
            score: 1.0,
            field: TextField::Output,
            start: 0,
            end: 1,
            snippet: String::new(),
        });
        let f = extract(&c);
        assert_eq!(f.numeric[0], Some(1000.0));
        assert_eq!(f.numeric[2], Some(100.0));
        assert_eq!(f.numeric[6], Some(27.0));
        assert_eq!(f.numeric[7], Some(6.0));
        assert_eq!(f.categorical[0], "gpt-4o");
        assert_eq!(f.categorical[2], NONE);
        assert_eq!(f.categorical[5], "en");
        assert_eq!(f.categorical[6], "ok");
        assert_eq!(
            f.binary,
            [false, true, true, true, false, false, true, false, false]
        );
        assert_eq!(f.judges, vec![("helpfulness", 0.8)]);
    }

    #[test]
    fn sentences_words_and_refusals() {
        let s = text_stats("One two. Three four five! Six");
        assert_eq!((s.words, s.sentences), (6, 3));
        assert!(!s.list && !s.markdown && !s.code_block);
        assert!(is_refusal("I'm sorry, but I can't help with that."));
        assert!(is_refusal("Lo siento, pero no puedo ayudar con eso."));
        assert!(!is_refusal("Sure, here is the refund status."));
        assert!(!is_refusal(&"é".repeat(200)));
    }

    #[test]
    fn languages_and_scripts() {
        assert_eq!(language("Where is my order and what is the status?"), "en");
        assert_eq!(language("¿Dónde está mi pedido? Es para el lunes."), "es");
        assert_eq!(
            language("Wo ist meine Bestellung? Ich warte und das nervt."),
            "de"
        );
        assert_eq!(language("Где мой заказ?"), "cyrillic");
        assert_eq!(language("我的订单在哪里"), "han");
        assert_eq!(language("12345 !!"), NONE);
        assert_eq!(language("Zephyrpay xyzzy"), "latin");
    }
}
