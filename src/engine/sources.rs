//! Per-source counters and state as the engine sees them: what `report` prints under
//! `sources` and the TUI header shows.

use crate::model::reject::{Reject, RejectReason};
use crate::model::source::{SourceKind, SourceState};
use std::collections::BTreeMap;

/// Rejections kept verbatim per source, to show "the first few" with line numbers.
pub const SAMPLE_REJECTS: usize = 5;

/// One remembered rejection.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectSample {
    pub line_no: u64,
    pub reject: Reject,
}

/// Counters of one source.
#[derive(Debug, Clone)]
pub struct SourceStats {
    pub id: String,
    pub kind: SourceKind,
    pub state: SourceState,
    pub lines: u64,
    pub bytes: u64,
    pub records: u64,
    pub rejected: BTreeMap<RejectReason, u64>,
    pub samples: Vec<RejectSample>,
    /// Requests a receiver refused with "busy, retry later" (OTLP 503 / UNAVAILABLE):
    /// not lost, the exporter sends them again, but a sign llmmon is falling behind.
    pub throttled: u64,
}

impl SourceStats {
    /// A fresh source named `id` (its path or URL).
    pub fn new(id: impl Into<String>, kind: SourceKind) -> Self {
        SourceStats {
            id: id.into(),
            kind,
            state: SourceState::Connecting,
            lines: 0,
            bytes: 0,
            records: 0,
            rejected: BTreeMap::new(),
            samples: Vec::new(),
            throttled: 0,
        }
    }

    /// Counts a rejection and keeps the first few for display.
    pub fn reject(&mut self, line_no: u64, reject: Reject) {
        *self.rejected.entry(reject.reason).or_default() += 1;
        if self.samples.len() < SAMPLE_REJECTS {
            self.samples.push(RejectSample { line_no, reject });
        }
    }

    /// The state as shown: a connected receiver is "listening".
    pub fn state_label(&self) -> String {
        match (&self.state, self.kind) {
            (SourceState::Connected, SourceKind::Otlp) => "listening".into(),
            (state, _) => state.to_string(),
        }
    }

    /// Total rejected lines.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}
