//! LiteLLM's own `model_prices_and_context_window.json` (from the litellm 1.110.2 wheel on
//! PyPI, committed gzipped) loads as it is, and its prices reproduce the `response_cost`
//! LiteLLM 1.110.2 wrote into shared/samples/litellm.jsonl: per record through the library,
//! and in total through `llmmon report` with `[pricing] table` pointing at the file.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use llmmon::decode::Decoder;
use llmmon::enrich::pricing::{PriceTable, TableFormat};
use llmmon::model::record::Record;
use serde_json::Value;
use std::io::Read;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/litellm_model_prices_1.110.2.json.gz"
);
const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/samples/litellm.jsonl"
);

fn litellm_json() -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(FIXTURE).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn litellm_table_loads_with_prefixes_tiers_and_cache_prices() {
    let t = PriceTable::from_json(&litellm_json()).unwrap();
    assert_eq!(t.format, TableFormat::Litellm);
    assert!(t.len() > 3000, "{} priced entries", t.len());
    assert!(
        t.skipped > 100,
        "entries without token prices are skipped, not fatal"
    );
    let price = |m: &str| t.price(t.lookup(m).unwrap()).unwrap().clone();
    let gemini = price("gemini-2.5-pro");
    assert_eq!(gemini.tiers[0].above_input_tokens, 200_000);
    assert_eq!(gemini.tiers[0].input_cost_per_token, 2.5e-6);
    assert_eq!(gemini.tiers[0].output_cost_per_token, 1.5e-5);
    assert_eq!(gemini.tiers[0].cache_read_input_token_cost, Some(2.5e-7));
    let claude = price("claude-opus-4-5");
    assert_eq!(claude.cache_creation_input_token_cost, Some(6.25e-6));
    assert_eq!(claude.cache_read_input_token_cost, Some(5e-7));
    // A provider-prefixed key answers to its bare name, the model maker's key first.
    let m = t.explain("mistral-large-latest").unwrap();
    assert_eq!(m.entry, "mistral/mistral-large-latest");
    assert_eq!(price("mistral-large-latest").input_cost_per_token, 5e-7);
    assert_eq!(t.explain("azure/gpt-4o").unwrap().entry, "azure/gpt-4o");
    assert!(t.lookup("sample_spec").is_none());
    assert!(t.lookup("acme-support-ft-v2").is_none());
}

#[test]
fn litellm_prices_reproduce_litellm_response_cost_per_record() {
    let t = PriceTable::from_json(&litellm_json()).unwrap();
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let mut checked = 0;
    for line in text.lines() {
        let raw: Value = serde_json::from_str(line).unwrap();
        let reported = raw["response_cost"].as_f64().unwrap();
        let mut out = Vec::new();
        Decoder::new().decode(line.as_bytes(), 0, &mut out).unwrap();
        let Some(Record::Call(c)) = out.pop() else {
            panic!("not a call")
        };
        let p = t
            .price(t.lookup(c.model.as_deref().unwrap()).unwrap())
            .unwrap();
        let ours = p.cost(&c);
        assert!(
            (ours - reported).abs() <= 1e-12 + 1e-9 * reported,
            "{}: llmmon {ours} vs LiteLLM {reported} ({:?})",
            c.model.as_deref().unwrap(),
            c.tokens
        );
        checked += 1;
    }
    assert_eq!(checked, 30);
}

#[test]
fn report_with_litellm_table_reproduces_litellm_total() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("model_prices_and_context_window.json");
    std::fs::write(&table, litellm_json()).unwrap();
    let cfg = dir.path().join("llmmon.toml");
    std::fs::write(
        &cfg,
        format!("[pricing]\ntable = {:?}\n", table.to_str().unwrap()),
    )
    .unwrap();
    // The sample without LiteLLM's costs, so llmmon computes every one.
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let mut want = 0.0;
    let mut stripped = String::new();
    for line in text.lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        want += v["response_cost"].as_f64().unwrap();
        v.as_object_mut().unwrap().remove("response_cost");
        stripped.push_str(&v.to_string());
        stripped.push('\n');
    }
    let log = dir.path().join("litellm.jsonl");
    std::fs::write(&log, stripped).unwrap();
    let out = Command::cargo_bin("llmmon")
        .unwrap()
        .env_remove("LLMMON_CONFIG")
        .args(["--config", cfg.to_str().unwrap(), "report", "--json"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["unpriced_calls"], 0, "{r}");
    let got = r["cost_usd"].as_f64().unwrap();
    assert!((got - want).abs() < 1e-9, "llmmon {got} vs LiteLLM {want}");
}

#[test]
fn prices_command_explains_matches_and_unpriced_models() {
    let out = Command::cargo_bin("llmmon")
        .unwrap()
        .env_remove("LLMMON_CONFIG")
        .args([
            "prices",
            "openai/gpt-4o-2024-08-06",
            "gpt-5-pro",
            "acme-ft\u{1b}[2J",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "one model is unpriced");
    assert!(!out.stdout.contains(&0x1b), "raw ESC reached the terminal");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("built-in table, dated "), "{text}");
    assert!(
        text.contains("openai/gpt-4o-2024-08-06: gpt-4o (provider prefix `openai/` dropped; suffix `-2024-08-06` dropped)"),
        "{text}"
    );
    assert!(
        text.contains("input $2.5/M, output $10/M, cache read $1.25/M"),
        "{text}"
    );
    assert!(
        text.contains("gpt-5-pro: gpt-5-pro (exact entry)"),
        "{text}"
    );
    assert!(text.contains("acme-ft\\x1b[2J: unpriced"), "{text}");
}
