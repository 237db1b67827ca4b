//! The judge's answer reader on arbitrary bytes: a Chat Completions body and the verdict in
//! its message are accepted only when valid, and an accepted score is always in 0..=1.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmmon::judge::verdict::{parse_answer, parse_verdict};

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = parse_answer(data) {
        if let Ok(v) = parse_verdict(&a.content) {
            assert!((0.0..=1.0).contains(&v.score));
            assert!(!v.reason.is_empty());
        }
    }
    if let Ok(v) = parse_verdict(&String::from_utf8_lossy(data)) {
        assert!((0.0..=1.0).contains(&v.score));
    }
});
