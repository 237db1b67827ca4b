//! The judge's answer, validated: an OpenAI-compatible Chat Completions response whose
//! message holds a JSON verdict `{"score": 0..1, "reason": "..."}`. Anything else is
//! refused with the reason, never guessed.

use serde::Deserialize;

/// Longest reason kept, in characters.
const MAX_REASON: usize = 400;

/// What one Chat Completions response said.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The assistant message text.
    pub content: String,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
}

/// A validated verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// In 0..=1, higher is better.
    pub score: f64,
    pub reason: String,
}

/// Why a response or a verdict was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("the response is not a Chat Completions answer: {0}")]
    Response(String),
    #[error("the verdict is not a JSON object")]
    NotJson,
    #[error("the verdict has no numeric `score`")]
    NoScore,
    #[error("the verdict's score {0} is outside 0..1")]
    OutOfRange(String),
    #[error("the verdict has no `reason`")]
    NoReason,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

/// Reads the first choice's message and the token usage from a response body.
pub fn parse_answer(body: &[u8]) -> Result<Answer, Malformed> {
    let c: Completion =
        serde_json::from_slice(body).map_err(|e| Malformed::Response(e.to_string()))?;
    let content = c
        .choices
        .into_iter()
        .next()
        .and_then(|ch| ch.message.content)
        .ok_or_else(|| Malformed::Response("no choices[0].message.content".into()))?;
    Ok(Answer {
        content,
        prompt_tokens: c.usage.as_ref().and_then(|u| u.prompt_tokens),
        completion_tokens: c.usage.as_ref().and_then(|u| u.completion_tokens),
    })
}

/// Validates the verdict in a message: one JSON object (a Markdown code fence around it is
/// allowed) with a numeric `score` in 0..=1 and a non-empty string `reason`.
pub fn parse_verdict(content: &str) -> Result<Verdict, Malformed> {
    let text = content.trim();
    let (Some(open), Some(close)) = (text.find('{'), text.rfind('}')) else {
        return Err(Malformed::NotJson);
    };
    if close < open {
        return Err(Malformed::NotJson);
    }
    let v: serde_json::Value =
        serde_json::from_str(&text[open..=close]).map_err(|_| Malformed::NotJson)?;
    let obj = v.as_object().ok_or(Malformed::NotJson)?;
    let score = match obj.get("score") {
        Some(serde_json::Value::Number(n)) => n.as_f64().ok_or(Malformed::NoScore)?,
        _ => return Err(Malformed::NoScore),
    };
    if !(0.0..=1.0).contains(&score) {
        return Err(Malformed::OutOfRange(score.to_string()));
    }
    let reason = obj
        .get("reason")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or(Malformed::NoReason)?;
    Ok(Verdict {
        score,
        reason: reason.chars().take(MAX_REASON).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_or_fenced_verdict_is_read() {
        let v = parse_verdict(r#"{"score": 0.25, "reason": "cites a date the context lacks"}"#)
            .unwrap();
        assert_eq!(v.score, 0.25);
        assert_eq!(v.reason, "cites a date the context lacks");
        let v = parse_verdict("```json\n{\"score\": 1, \"reason\": \"ok\"}\n```").unwrap();
        assert_eq!(v.score, 1.0);
    }

    #[test]
    fn bad_verdicts_are_refused_not_guessed() {
        assert_eq!(parse_verdict("looks fine to me"), Err(Malformed::NotJson));
        assert_eq!(
            parse_verdict(r#"{"score": "0.9", "reason": "x"}"#),
            Err(Malformed::NoScore)
        );
        assert_eq!(
            parse_verdict(r#"{"score": 7, "reason": "x"}"#),
            Err(Malformed::OutOfRange("7".into()))
        );
        assert_eq!(
            parse_verdict(r#"{"score": -0.1, "reason": "x"}"#),
            Err(Malformed::OutOfRange("-0.1".into()))
        );
        assert_eq!(parse_verdict(r#"{"score": 0.5}"#), Err(Malformed::NoReason));
        assert_eq!(parse_verdict("} {"), Err(Malformed::NotJson));
    }

    #[test]
    fn answers_carry_content_and_usage() {
        let a = parse_answer(
            br#"{"choices":[{"message":{"role":"assistant","content":"{}"}}],"usage":{"prompt_tokens":12,"completion_tokens":3}}"#,
        )
        .unwrap();
        assert_eq!(
            (a.content.as_str(), a.prompt_tokens, a.completion_tokens),
            ("{}", Some(12), Some(3))
        );
        assert!(parse_answer(b"{\"choices\":[]}").is_err());
        assert!(parse_answer(b"<html>").is_err());
    }
}
