//! `Decoder::decode` and `Decoder::decode_facts` on one arbitrary line (native JSONL, OTel
//! JSON spans, LiteLLM, OpenAI-style logs): every line is records or a rejection, never a
//! panic, and both paths agree on whether the line is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmmon::decode::Decoder;

fuzz_target!(|data: &[u8]| {
    let mut owned = Decoder::new();
    let mut out = Vec::new();
    let a = owned.decode(data, 0, &mut out);
    let mut facts = Decoder::new();
    let b = facts.decode_facts(data, 0, &mut |_| {});
    assert_eq!(a.is_err(), b.is_err(), "owned and borrowed paths disagree");
    if a.is_ok() {
        for r in &out {
            serde_json::to_string(r).expect("a decoded record serialises");
        }
    }
});
