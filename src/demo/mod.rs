//! The built-in demo: realistic, seeded LLM traffic for `llmmon demo` (live, paced in real
//! time), `llmmon gen` (native JSONL on stdout) and tests.
//!
//! What is in the traffic: three apps (`support-bot`, `travel-assistant`, `code-helper`) with
//! their own system prompts, ten models over six providers (one self-hosted model,
//! `acme-support-ft-v2`, is in no price table and shows up as unpriced), 40 users with
//! Zipf-skewed activity, multi-turn conversations whose input tokens grow with history,
//! streaming calls with TTFT, agent traces (workflow > agent > chat with a tool call, tool,
//! final chat), errors (429, 5xx, timeouts), finish reasons, judge scores and user feedback.
//!
//! Conventions worth knowing:
//! - Records come out in nondecreasing event time (a call's event time is its end, so the
//!   spans of a trace come out children first).
//! - `messages` hold only the current turn's user message (and the tool result for the final
//!   call of an agent trace); earlier turns are counted in `tokens.input`, not repeated, to
//!   keep records near 900 bytes.
//! - `cost_usd` is never set: cost is computed downstream from the price table.
//! - About 1.5 records per LLM call: agent traces add tool/agent/workflow spans and ~8 % of
//!   answers get a feedback record.

mod catalog;
mod corpus;
mod generator;
mod live;
mod scenario;
pub mod shift;
mod slots;

pub use generator::Generator;
pub use live::{spawn_demo, DemoOptions};
pub use scenario::{
    incident_timeline, IncidentEvent, Scenario, UnknownScenario, ATTACKER, COST_RUNAWAY,
    INJECTION_BURST, LATENCY_SPIKE, LEAKED_CARD, LEAKED_EMAIL, LEAKED_PHONE, LEAK_CARD_AT,
    LEAK_CONTACT_AT, LEAK_SECRET_AT, RATE_LIMITED_PROVIDER, RATE_LIMIT_BURST, RUNAWAY_MODEL,
    RUNAWAY_USER, SPIKE_MODEL, TOPIC_SHIFT_AT, TOPIC_WORD,
};

use crate::model::record::Nanos;
use std::io::{self, Write};

/// Mean LLM calls per second of event time when nothing else is asked for.
pub const DEFAULT_RATE_PER_SEC: f64 = 20.0;

/// 2026-11-26T10:00:00Z: the default start, so `llmmon gen` output is reproducible.
pub const DEFAULT_START: Nanos = 1_795_687_200_000_000_000;

/// What the generator plays: the same config always gives the same records.
#[derive(Debug, Clone, PartialEq)]
pub struct GenConfig {
    /// Seed of the PCG generator: same seed, same bytes.
    pub seed: u64,
    /// Steady traffic, or steady plus the scripted incident.
    pub scenario: Scenario,
    /// Event time of the start of traffic (rounded down to the millisecond).
    pub start: Nanos,
    /// Mean LLM calls per second of event time (agent traces count two).
    pub rate_per_sec: f64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            seed: 0,
            scenario: Scenario::default(),
            start: DEFAULT_START,
            rate_per_sec: DEFAULT_RATE_PER_SEC,
        }
    }
}

/// Writes the first `n_records` generated records as native JSONL: exactly `n_records`
/// lines, each `serde_json` of a [`crate::model::record::Record`] and a newline. This is what
/// `llmmon gen` prints.
pub fn write_jsonl<W: Write>(w: W, n_records: u64, cfg: &GenConfig) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, w);
    let mut records = Generator::new(cfg.clone());
    for _ in 0..n_records {
        let Some(record) = records.next() else { break };
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
