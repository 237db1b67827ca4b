//! `Detectors::scan_text` in every channel on arbitrary bytes (lossily decoded, as
//! `scan --text` does): never panics, flags lie on char boundaries of the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmmon::enrich::safety::{Detectors, SafetyConfig};
use llmmon::model::record::TextField;
use std::sync::OnceLock;

static DET: OnceLock<Detectors> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let det = DET.get_or_init(|| Detectors::new(&SafetyConfig::default()).expect("detectors"));
    let text = String::from_utf8_lossy(data);
    for field in [TextField::Input(0), TextField::Output, TextField::ToolResult(0), TextField::System] {
        let mut flags = Vec::new();
        det.scan_text(&text, field, &mut flags);
        for f in &flags {
            assert!(f.start <= f.end && f.end <= text.len());
            assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        }
    }
});
