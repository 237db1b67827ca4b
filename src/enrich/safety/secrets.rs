//! Credentials: provider keys with known prefixes (OpenAI, Anthropic, AWS, GitHub, Slack,
//! Google, Stripe), JWTs, PEM private-key blocks, and `key/secret/token/password = value`
//! assignments whose value looks random. Placeholders (`AKIAIOSFODNN7EXAMPLE`, `sk-xxxx`,
//! `YOUR_API_KEY`) are not secrets.

use super::config::SecretsConfig;
use super::prefilter::{Hits, PrefilterBuilder, Target};
use super::Sink;
use crate::model::record::Severity;
use base64::Engine as _;

const OPENAI: u8 = 0;
const AWS: u8 = 1;
const GITHUB: u8 = 2;
const SLACK: u8 = 3;
const GOOGLE: u8 = 4;
const STRIPE: u8 = 5;
const JWT: u8 = 6;
const PEM: u8 = 7;
const ASSIGN: u8 = 8;

const TRIGGERS: &[(&str, u8)] = &[
    ("sk-", OPENAI),
    ("akia", AWS),
    ("asia", AWS),
    ("ghp_", GITHUB),
    ("gho_", GITHUB),
    ("ghu_", GITHUB),
    ("ghs_", GITHUB),
    ("ghr_", GITHUB),
    ("github_pat_", GITHUB),
    ("xoxb-", SLACK),
    ("xoxp-", SLACK),
    ("xoxa-", SLACK),
    ("xoxr-", SLACK),
    ("xoxs-", SLACK),
    ("xoxe-", SLACK),
    ("aiza", GOOGLE),
    ("sk_live_", STRIPE),
    ("rk_live_", STRIPE),
    ("sk_test_", STRIPE),
    ("rk_test_", STRIPE),
    ("eyj", JWT),
    ("-----begin", PEM),
    ("password", ASSIGN),
    ("passwd", ASSIGN),
    ("secret", ASSIGN),
    ("token", ASSIGN),
    ("api_key", ASSIGN),
    ("apikey", ASSIGN),
    ("api-key", ASSIGN),
    ("access_key", ASSIGN),
    ("private_key", ASSIGN),
    ("credential", ASSIGN),
];

/// The compiled secrets detector.
pub(crate) struct Secrets {
    allow: Vec<String>,
    severity: Option<Severity>,
}

impl Secrets {
    pub(crate) fn new(cfg: &SecretsConfig, pb: &mut PrefilterBuilder) -> Self {
        for &(lit, k) in TRIGGERS {
            pb.add(lit, Target::Secret(k));
        }
        Self {
            allow: cfg.allow.clone(),
            severity: cfg.severity,
        }
    }

    pub(crate) fn detect(&self, text: &str, hits: &Hits, sink: &mut Sink<'_>) {
        let b = text.as_bytes();
        let mut found: Vec<(&'static str, usize, usize)> = Vec::new();
        for &(kind, s, e) in &hits.secrets {
            if found.iter().any(|&(_, fs, fe)| s >= fs && s < fe) {
                continue;
            }
            let starts_word = s == 0 || !is_tok(b[s - 1]);
            let hit = match kind {
                OPENAI if starts_word => openai(b, s),
                AWS if starts_word => aws(b, s),
                GITHUB if starts_word => token_after(b, s, e, 30).map(|end| ("github", end)),
                SLACK if starts_word => token_after(b, s, e, 20).map(|end| ("slack", end)),
                GOOGLE if starts_word && &b[s..e] == b"AIza" => {
                    let end = run_end(b, e, |c| {
                        c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
                    });
                    (end - s == 39).then_some(("google", end))
                }
                STRIPE if starts_word => token_after(b, s, e, 16).map(|end| {
                    (
                        if b[s..e].eq_ignore_ascii_case(b"sk_test_")
                            || b[s..e].eq_ignore_ascii_case(b"rk_test_")
                        {
                            "stripe_test"
                        } else {
                            "stripe"
                        },
                        end,
                    )
                }),
                JWT if starts_word && &b[s..e] == b"eyJ" => jwt(text, s).map(|end| ("jwt", end)),
                PEM => pem(text, s).map(|end| ("private_key", end)),
                ASSIGN => assignment(text, e).map(|(vs, ve)| {
                    found.push(("generic", vs, ve));
                    ("", 0)
                }),
                _ => None,
            };
            if let Some((rule, end)) = hit {
                if !rule.is_empty() {
                    found.push((rule, s, end));
                }
            }
        }
        found.sort_by_key(|&(_, s, _)| s);
        found.dedup_by(|a, b| a.1 < b.2 && a.1 >= b.1);
        for (rule, s, e) in found {
            let value = &text[s..e];
            if self.allow.iter().any(|a| a == value) || is_placeholder(value) {
                continue;
            }
            let sev = self.severity.unwrap_or(match rule {
                "stripe_test" => Severity::Low,
                "generic" | "jwt" => Severity::High,
                _ => Severity::Critical,
            });
            sink.push("secret", &format!("secret.{rule}"), sev, 0.95, s, e);
        }
    }
}

fn is_tok(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn run_end(b: &[u8], mut i: usize, ok: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && ok(b[i]) {
        i += 1;
    }
    i
}

/// Token body after a prefix: `[A-Za-z0-9_-]` of at least `min` bytes.
fn token_after(b: &[u8], s: usize, e: usize, min: usize) -> Option<usize> {
    let end = run_end(b, e, is_tok);
    (end - e >= min && end - s <= 300).then_some(end)
}

fn openai(b: &[u8], s: usize) -> Option<(&'static str, usize)> {
    let rest = &b[s + 3..];
    let rule = if rest.starts_with(b"ant-") {
        "anthropic"
    } else {
        "openai"
    };
    let end = run_end(b, s + 3, is_tok);
    (end - s >= 32).then_some((rule, end))
}

fn aws(b: &[u8], s: usize) -> Option<(&'static str, usize)> {
    let end = run_end(b, s, |c| c.is_ascii_uppercase() || c.is_ascii_digit());
    (end - s == 20 && (b[s..s + 4] == *b"AKIA" || b[s..s + 4] == *b"ASIA")).then_some(("aws", end))
}

/// A JWT: three base64url segments, the first decoding to a JSON header with `alg`.
fn jwt(text: &str, s: usize) -> Option<usize> {
    let b = text.as_bytes();
    let seg = |i: usize| {
        run_end(b, i, |c| {
            c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
        })
    };
    let h_end = seg(s);
    if b.get(h_end) != Some(&b'.') {
        return None;
    }
    let p_end = seg(h_end + 1);
    if p_end - h_end < 10 || b.get(p_end) != Some(&b'.') {
        return None;
    }
    let sig_end = seg(p_end + 1);
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text[s..h_end].trim_end_matches('='))
        .ok()?;
    let header = String::from_utf8(header).ok()?;
    (header.contains("\"alg\"") && sig_end - p_end > 8).then_some(sig_end)
}

/// A PEM private-key block, up to its END line (or the end of the text).
fn pem(text: &str, s: usize) -> Option<usize> {
    let head = text.get(s..)?;
    let line_end = head.find('\n').unwrap_or(head.len()).min(80);
    let first = head.get(..line_end)?;
    if !first.contains("PRIVATE KEY") {
        return None;
    }
    match head.find("-----END") {
        Some(i) => {
            let after = &head[i + 8..];
            let close = after
                .find("-----")
                .map(|j| i + 8 + j + 5)
                .unwrap_or(head.len());
            Some(s + close)
        }
        None => Some(text.len()),
    }
}

/// `name = value` after a key-like word: the value span if it looks random.
fn assignment(text: &str, kw_end: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut i = run_end(b, kw_end, |c| {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.'
    });
    i = run_end(b, i, |c| c == b'"' || c == b'\'');
    i = run_end(b, i, |c| c == b' ' || c == b'\t');
    if !matches!(b.get(i), Some(b'=') | Some(b':')) {
        return None;
    }
    i = run_end(b, i, |c| c == b'=' || c == b':' || c == b'>');
    i = run_end(b, i, |c| c == b' ' || c == b'\t');
    i = run_end(b, i, |c| c == b'"' || c == b'\'');
    if text[i..].starts_with("Bearer ") {
        i += 7;
    }
    let vs = i;
    let ve = run_end(b, vs, |c| {
        c.is_ascii_graphic() && !matches!(c, b'"' | b'\'' | b',' | b';' | b'}' | b')' | b'`')
    });
    let v = &text[vs..ve];
    high_entropy(v).then_some((vs, ve))
}

/// Random-looking: long enough, several character classes, high Shannon entropy.
fn high_entropy(v: &str) -> bool {
    if v.len() < 12 || v.len() > 512 || v.contains("://") || v.starts_with("sha") {
        return false;
    }
    let b = v.as_bytes();
    let classes = [
        b.iter().any(u8::is_ascii_lowercase),
        b.iter().any(u8::is_ascii_uppercase),
        b.iter().any(u8::is_ascii_digit),
    ]
    .iter()
    .filter(|&&x| x)
    .count();
    if classes < 2 || b.iter().all(|c| c.is_ascii_hexdigit() || *c == b'-') {
        // Hex digests, git SHAs and UUIDs are identifiers, not credentials.
        return false;
    }
    let mut counts = [0u32; 256];
    for &c in b {
        counts[usize::from(c)] += 1;
    }
    let n = b.len() as f64;
    let h: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum();
    h >= 3.5
}

/// Documentation examples and templates, not live credentials.
fn is_placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    if [
        "example",
        "xxxx",
        "your_",
        "your-",
        "<",
        "{",
        "$",
        "placeholder",
        "redacted",
        "****",
        "dummy",
        "changeme",
        "...",
        "0000000000",
    ]
    .iter()
    .any(|p| l.contains(p))
    {
        return true;
    }
    let body = l.rsplit(['_', '-']).next().unwrap_or(&l);
    let mut distinct: Vec<u8> = body.bytes().collect();
    distinct.sort_unstable();
    distinct.dedup();
    body.len() >= 12 && distinct.len() < 6
}

#[cfg(test)]
mod tests {
    use super::super::{Detectors, SafetyConfig};
    use crate::model::record::TextField;

    fn rules(text: &str) -> Vec<String> {
        let d = Detectors::new(&SafetyConfig::default()).unwrap();
        let mut out = Vec::new();
        d.scan_text(text, TextField::Input(0), &mut out);
        out.into_iter()
            .filter(|f| f.detector == "secret")
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn provider_keys_are_found() {
        assert_eq!(
            rules("key sk-proj-Q3vX9kLm2PzR8tYw4NcB7dHf1JsA6eGu0iKo5Tq"),
            ["secret.openai"]
        );
        assert_eq!(
            rules("sk-ant-api03-Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jh0GfEdCbA9z8y7"),
            ["secret.anthropic"]
        );
        assert_eq!(rules("AKIAZ7QX3VBN5KLP2WRT"), ["secret.aws"]);
        assert_eq!(
            rules("ghp_R4nd0mT0k3nV4lu3Qw3rTyU1oP9aSdFgHjK2"),
            ["secret.github"]
        );
        assert_eq!(
            rules("xoxb-19283746501-918273645012-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7"),
            ["secret.slack"]
        );
        assert_eq!(
            rules("AIzaSyB3x_9Kq2LmN7pR4tV6wX8yZ0aB1cD2eF3"),
            ["secret.google"]
        );
        assert_eq!(rules("sk_live_9aZ8bY7cX6dW5eV4fU3gT2hS"), ["secret.stripe"]);
        assert_eq!(
            rules("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
            ["secret.jwt"]
        );
        assert_eq!(
            rules("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"),
            ["secret.private_key"]
        );
        assert_eq!(
            rules("DB_PASSWORD=\"p7Gx!2qLm9Vz#4Rt\""),
            ["secret.generic"]
        );
    }

    #[test]
    fn placeholders_and_identifiers_are_not_secrets() {
        for t in [
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "api_key: YOUR_API_KEY",
            "token = <api-key>",
            "commit_token = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
            "\"integrity\": \"sha512-Q3vX9kLm2PzR8tYw4NcB7dHf1JsA6eGu0iKo5Tq==\"",
            "tokens: 1024, secret sauce: love",
            "the task-force met",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        ] {
            assert!(rules(t).is_empty(), "{t}: {:?}", rules(t));
        }
    }
}
