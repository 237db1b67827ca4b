//! The OTLP receiver's body decoder on arbitrary bytes, for every signal as protobuf and as
//! JSON: a request is records, counted rejections or one refusal, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmmon::decode::otlp_wire::{decode_body, Encoding, Signal};

fuzz_target!(|data: &[u8]| {
    for signal in [Signal::Traces, Signal::Logs, Signal::Metrics] {
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            if let Ok(export) = decode_body(signal, encoding, data, 0) {
                for r in &export.records {
                    serde_json::to_string(r).expect("a decoded record serialises");
                }
            }
        }
    }
});
