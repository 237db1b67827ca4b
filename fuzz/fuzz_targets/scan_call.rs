//! `Detectors::scan_call` on a call whose system prompt, messages, output and tool result
//! are cut from arbitrary bytes (the leak detector and indirect injection see them all).
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmmon::enrich::safety::{Detectors, SafetyConfig};
use llmmon::model::record::{Call, Message, ToolCall};
use std::sync::OnceLock;

static DET: OnceLock<Detectors> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let det = DET.get_or_init(|| Detectors::new(&SafetyConfig::default()).expect("detectors"));
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.splitn(4, '\u{1}').collect();
    let part = |i: usize| parts.get(i).map(|s| s.to_string()).unwrap_or_default();
    let mut call = Call {
        system_prompt: Some(part(0)),
        messages: vec![Message { role: "user".into(), content: part(1) }],
        output: Some(part(2)),
        tool_calls: vec![ToolCall { name: "t".into(), result: Some(part(3)), ..ToolCall::default() }],
        ..Call::default()
    };
    det.scan_call(&mut call);
    for f in &call.flags {
        let t = call.text(f.field).expect("flagged field exists");
        assert!(t.is_char_boundary(f.start) && t.is_char_boundary(f.end));
    }
});
