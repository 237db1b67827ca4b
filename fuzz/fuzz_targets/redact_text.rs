//! `Detectors::redact_text` on arbitrary bytes: never panics and never grows without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmmon::enrich::safety::{Detectors, SafetyConfig};
use llmmon::model::record::TextField;
use std::sync::OnceLock;

static DET: OnceLock<Detectors> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let det = DET.get_or_init(|| Detectors::new(&SafetyConfig::default()).expect("detectors"));
    let text = String::from_utf8_lossy(data);
    let out = det.redact_text(&text, TextField::Input(0));
    assert!(out.len() <= text.len() * 8 + 64);
});
