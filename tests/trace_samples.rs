//! The trace read model on a real OpenTelemetry sample: every trace keeps its service and
//! root span, and a streamed span that reported no usage has an unknown cost, never $0.
#![allow(clippy::unwrap_used)]

use llmmon::engine::read::trace::{own_tokens, summary, tree, Cost, TraceSummary};
use llmmon::engine::{Engine, EngineConfig};
use llmmon::model::record::{Call, Status};
use llmmon::source::SourceKind;

#[test]
fn a_real_otel_sample_keeps_service_and_root_and_its_stream_without_usage_is_unknown() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/samples/otel_genai_spans.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut dec = llmmon::decode::Decoder::new();
    let mut records = Vec::new();
    for line in text.lines() {
        dec.decode(line.as_bytes(), 1, &mut records).unwrap();
    }
    let table = llmmon::enrich::pricing::PriceTable::builtin().unwrap();
    let mut pricer = llmmon::enrich::pricing::Pricer::new(std::sync::Arc::new(table));
    for r in &mut records {
        if let llmmon::model::record::Record::Call(c) = r {
            pricer.price(c);
        }
    }
    let mut engine = Engine::new(EngineConfig::default());
    let src = engine.add_source("otel_genai_spans.jsonl", SourceKind::File);
    engine.ingest(
        src,
        records
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i as u64 + 1, r))
            .collect(),
    );
    let store = &engine.store;
    let summaries: Vec<TraceSummary> = store
        .traces()
        .keys()
        .map(|id| summary(store, id, None))
        .collect();
    assert!(summaries
        .iter()
        .all(|s| s.service.as_deref() == Some("trip-planner")));
    assert!(
        summaries
            .iter()
            .any(|s| s.root.as_deref() == Some("trip_booking")),
        "{:?}",
        summaries.iter().map(|s| &s.root).collect::<Vec<_>>()
    );
    let streams_without_usage: Vec<&Call> = store
        .calls()
        .map(|sc| &sc.call)
        .filter(|c| c.stream == Some(true) && c.status != Status::Error)
        .filter(|c| own_tokens(c).is_none())
        .collect();
    assert_eq!(streams_without_usage.len(), 1);
    assert_eq!(
        streams_without_usage[0].cost_usd, None,
        "a call with no token counts is unpriced, not $0"
    );
    assert!(Cost::of(streams_without_usage[0]).unknown);
    let tree = tree(
        store,
        streams_without_usage[0].trace_id.as_deref().unwrap(),
        None,
    );
    assert!(tree.rows[0].subtree_cost.unknown, "and so is its trace's");
}
