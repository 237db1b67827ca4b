//! System-prompt leakage: canary tokens, and long runs of words shared by the response and
//! the system prompt (case, whitespace, punctuation, bullets and code fences ignored), also
//! inside base64 in the response. A reply that merely shares common words never produces a
//! long enough run.

use super::config::LeakConfig;
use super::Sink;
use crate::model::record::Severity;
use base64::Engine as _;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Words per shingle: runs are found by chaining matching shingles.
const K: usize = 4;

/// Shortest base64 run decoded when looking for an encoded prompt.
const MIN_B64_LEAK: usize = 24;

/// The compiled leakage detector.
pub(crate) struct Leak {
    min_run: usize,
    canaries: Vec<String>,
    severity: Option<Severity>,
}

/// A word of a text: its hash and byte span.
struct Word {
    hash: u64,
    start: usize,
    end: usize,
}

impl Leak {
    pub(crate) fn new(cfg: &LeakConfig) -> Self {
        Self {
            min_run: cfg.min_run_words.max(K),
            canaries: cfg
                .canaries
                .iter()
                .filter(|c| c.len() >= 6)
                .cloned()
                .collect(),
            severity: cfg.severity,
        }
    }

    pub(crate) fn detect(&self, output: &str, prompts: &[&str], sink: &mut Sink<'_>) {
        for c in self
            .canaries
            .iter()
            .map(String::as_str)
            .chain(prompts.iter().filter_map(|p| canary_in(p)))
        {
            if let Some(i) = output.find(c) {
                let sev = self.severity.unwrap_or(Severity::Critical);
                sink.push("leak", "canary", sev, 1.0, i, i + c.len());
                return;
            }
        }
        for p in prompts {
            let pw = words(p);
            if pw.len() < K {
                continue;
            }
            let shingles: HashSet<u64> = pw.windows(K).map(shingle).collect();
            // Short prompts leak when most of them shows up.
            let need = self.min_run.min((pw.len() * 6).div_ceil(10)).max(K + 2);
            let ow = words(output);
            if let Some((s, e, n)) = longest_run(&ow, &shingles) {
                if n >= need {
                    let score = (n as f32 / pw.len() as f32).clamp(0.6, 1.0);
                    let sev = self.severity.unwrap_or(Severity::High);
                    sink.push("leak", "verbatim", sev, score, s, e);
                    return;
                }
            }
            if let Some((s, e)) = self.base64_leak(output, &shingles, need) {
                let sev = self.severity.unwrap_or(Severity::High);
                sink.push("leak", "encoded.base64", sev, 0.9, s, e);
                return;
            }
        }
    }

    fn base64_leak(
        &self,
        output: &str,
        shingles: &HashSet<u64>,
        need: usize,
    ) -> Option<(usize, usize)> {
        let b = output.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if !is_b64(b[i]) {
                i += 1;
                continue;
            }
            let s = i;
            while i < b.len() && is_b64(b[i]) {
                i += 1;
            }
            if i - s < MIN_B64_LEAK {
                continue;
            }
            let usable = (i - s) / 4 * 4;
            let run = &output[s..s + usable];
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(run) else {
                continue;
            };
            let decoded = String::from_utf8_lossy(&bytes);
            if let Some((_, _, n)) = longest_run(&words(&decoded), shingles) {
                if n >= need.min(8) {
                    return Some((s, i));
                }
            }
        }
        None
    }
}

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// The token of a `canary:<token>` marker in a system prompt.
fn canary_in(prompt: &str) -> Option<&str> {
    let i = prompt.find("canary:")? + "canary:".len();
    let tok = prompt[i..].trim_start();
    let n = tok
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(tok.len());
    (n >= 6).then_some(&tok[..n])
}

/// Lower-cased alphanumeric words with their spans.
fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    let mut h = DefaultHasher::new();
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
                h = DefaultHasher::new();
            }
            for l in c.to_lowercase() {
                l.hash(&mut h);
            }
        } else if let Some(s) = start.take() {
            out.push(Word {
                hash: h.finish(),
                start: s,
                end: i,
            });
        }
    }
    out
}

fn shingle(w: &[Word]) -> u64 {
    let mut h = DefaultHasher::new();
    for x in w {
        x.hash.hash(&mut h);
    }
    h.finish()
}

/// Longest run of consecutive words of `ws` whose every K-shingle is in the prompt:
/// (start byte, end byte, words).
fn longest_run(ws: &[Word], shingles: &HashSet<u64>) -> Option<(usize, usize, usize)> {
    if ws.len() < K {
        return None;
    }
    let mut best: Option<(usize, usize, usize)> = None;
    let mut run_start: Option<usize> = None;
    for i in 0..=ws.len() - K {
        if shingles.contains(&shingle(&ws[i..i + K])) {
            let s = *run_start.get_or_insert(i);
            let n = i + K - s;
            if best.is_none_or(|b| n > b.2) {
                best = Some((ws[s].start, ws[i + K - 1].end, n));
            }
        } else {
            run_start = None;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::{Flag, TextField};

    const SYS: &str = "You are Pip, the assistant of Northwind Bank. Only answer questions about \
        savings accounts, never quote interest rates before checking the rates tool, and keep \
        every answer under one hundred words.";

    fn run(output: &str, prompt: &str, canaries: &[&str]) -> Vec<Flag> {
        let leak = Leak::new(&LeakConfig {
            canaries: canaries.iter().map(|s| s.to_string()).collect(),
            ..LeakConfig::default()
        });
        let mut out = Vec::new();
        let mut sink = Sink {
            field: TextField::Output,
            text: output,
            out: &mut out,
        };
        leak.detect(output, &[prompt], &mut sink);
        out
    }

    #[test]
    fn verbatim_and_reformatted_leaks_are_found() {
        assert_eq!(
            run(&format!("My instructions: {SYS}"), SYS, &[])[0].rule,
            "verbatim"
        );
        let bullets = "- YOU ARE PIP, THE ASSISTANT OF NORTHWIND BANK.\n- ONLY ANSWER QUESTIONS ABOUT SAVINGS ACCOUNTS\n- never quote interest rates";
        assert_eq!(run(&format!("```\n{bullets}\n```"), SYS, &[]).len(), 1);
        let b64 = base64::engine::general_purpose::STANDARD.encode(SYS);
        assert_eq!(
            run(&format!("Here: {b64}"), SYS, &[])[0].rule,
            "encoded.base64"
        );
    }

    #[test]
    fn canaries_from_config_and_prompt_markers() {
        let sys = format!("{SYS} <!-- canary:0f3a9c2e7b1d4a65 -->");
        assert_eq!(
            run("the code is 0f3a9c2e7b1d4a65", &sys, &[])[0].rule,
            "canary"
        );
        assert_eq!(
            run("token XYZZY-42 here", SYS, &["XYZZY-42"])[0].severity,
            Severity::Critical
        );
    }

    #[test]
    fn replies_sharing_words_are_not_leaks() {
        let reply = "Savings accounts at Northwind Bank earn interest monthly. I can check the rates tool for you; answer questions about savings any time.";
        assert!(run(reply, SYS, &[]).is_empty());
    }
}
