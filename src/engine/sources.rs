//! Per-source counters and state as the engine sees them: what `report` prints under
//! `sources` and the TUI header shows.

use crate::model::reject::{Reject, RejectReason};
use crate::model::source::{SourceKind, SourceState};
use std::collections::{BTreeMap, VecDeque};

/// Rejections kept verbatim per source, to show "the first few" with line numbers.
pub const SAMPLE_REJECTS: usize = 5;
/// The latest rejections kept per source, for the sources inspector.
pub const RECENT_REJECTS: usize = 20;
/// Bytes of a rejected line kept to show what it looked like.
pub const SNIPPET_BYTES: usize = 160;

/// One remembered rejection.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectSample {
    pub line_no: u64,
    pub reject: Reject,
    /// The start of the rejected line as received (lossy UTF-8, unsanitised: views
    /// sanitise it), empty when the source gave no line (a late record, a dropped frame).
    pub snippet: String,
}

/// The first [`SNIPPET_BYTES`] of a line, cut at a character boundary.
pub fn snippet_of(line: &[u8]) -> String {
    let cut = line.len().min(SNIPPET_BYTES);
    let text = String::from_utf8_lossy(&line[..cut]);
    let mut s = text.trim_end_matches(['\r', '\n']).to_string();
    if line.len() > cut {
        s.push('…');
    }
    s
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
    /// The latest rejections, oldest first (at most [`RECENT_REJECTS`]).
    pub recent: VecDeque<RejectSample>,
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
            recent: VecDeque::new(),
            throttled: 0,
        }
    }

    /// Counts a rejection with no line to show.
    pub fn reject(&mut self, line_no: u64, reject: Reject) {
        self.reject_line(line_no, reject, String::new());
    }

    /// Counts a rejection and keeps the first few and the latest for display, each with
    /// the start of its line.
    pub fn reject_line(&mut self, line_no: u64, reject: Reject, snippet: String) {
        *self.rejected.entry(reject.reason).or_default() += 1;
        let sample = RejectSample {
            line_no,
            reject,
            snippet,
        };
        if self.samples.len() < SAMPLE_REJECTS {
            self.samples.push(sample.clone());
        }
        if self.recent.len() == RECENT_REJECTS {
            self.recent.pop_front();
        }
        self.recent.push_back(sample);
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
