//! One read model: the numbers `report --json` prints are the numbers the TUI's snapshot
//! holds, and the facts-only path (`--no-detectors`) and the owned-record path agree, on
//! generated traffic over several seeds.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use llmmon::decode::Decoder;
use llmmon::engine::{Engine, EngineConfig};
use llmmon::enrich::pricing::{PriceTable, Pricer};
use llmmon::enrich::Enricher;
use llmmon::source::SourceKind;
use llmmon::tui::app::App;
use llmmon::tui::keymap::Keymap;
use llmmon::tui::theme::Theme;
use proptest::prelude::*;
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

fn generated(seed: u64, records: u64) -> tempfile::NamedTempFile {
    let out = Command::cargo_bin("llmmon")
        .unwrap()
        .args([
            "gen",
            "--records",
            &records.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .args(["--scenario", "incident"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), out.stdout).unwrap();
    f
}

fn report(path: &std::path::Path, extra: &[&str]) -> Value {
    let out = Command::cargo_bin("llmmon")
        .unwrap()
        .args(["report", "--json"])
        .args(extra)
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The summary as the TUI sees it: every line decoded into owned records, priced, fed to
/// an engine, and read through the app's snapshot.
fn tui_summary(path: &std::path::Path) -> Value {
    let mut engine = Engine::new(EngineConfig {
        windows: Vec::new(),
        ..EngineConfig::default()
    });
    let src = engine.add_source(path.display().to_string(), SourceKind::File);
    let table = Arc::new(PriceTable::builtin().unwrap());
    let mut enricher = Enricher::new(Pricer::new(table), None);
    let mut dec = Decoder::new();
    let text = std::fs::read(path).unwrap();
    let mut batch = Vec::new();
    let mut lines = 0;
    for (i, line) in text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        lines += 1;
        let mut out = Vec::new();
        dec.decode(line, 0, &mut out).unwrap();
        for mut r in out {
            enricher.enrich(&mut r);
            batch.push((i as u64 + 1, r));
        }
    }
    engine.note_lines(src, lines, Vec::new());
    engine.ingest(src, batch);
    let mut app = App::new(Keymap::defaults(), Theme::dark(), Vec::new());
    app.refresh(&engine, Instant::now(), true);
    serde_json::to_value(&app.snap.summary).unwrap()
}

/// The fields every path must agree on: all but sources (kind and state differ), flags
/// (they need the detectors) and evicted (`report` keeps no call content, so it counts every
/// call as not retained, while the TUI's store keeps them).
fn numbers(mut v: Value) -> Value {
    let m = v.as_object_mut().unwrap();
    for k in ["sources", "flags", "evicted"] {
        m.remove(k);
    }
    v
}

/// The paths where `a` and `b` differ, with both values (short, for the failure message).
fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                diff(va, vb, &format!("{path}.{k}"), out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} vs {b}")),
        _ => {}
    }
}

fn differences(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(a, b, "", &mut out);
    out.truncate(12);
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn report_equals_the_tui_snapshot_and_both_paths_agree(seed in 0u64..1_000_000) {
        let f = generated(seed, 1500);
        let facts = numbers(report(f.path(), &["--no-detectors"]));
        let owned = numbers(report(f.path(), &[]));
        let d = differences(&facts, &owned);
        prop_assert!(d.is_empty(), "facts-only and owned paths differ: {:#?}", d);
        let tui = numbers(tui_summary(f.path()));
        let d = differences(&facts, &tui);
        prop_assert!(d.is_empty(), "report and the TUI snapshot differ: {:#?}", d);
        prop_assert!(facts["calls"].as_u64().unwrap() > 500, "{}", facts["calls"]);
    }
}
