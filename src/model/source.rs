//! Sources as every stage names them: an id, a kind and a live state (shown in the TUI
//! header and `report`), with no I/O attached.

use std::fmt;

/// Index of a source in the order given on the command line.
pub type SourceId = u16;

/// What kind of thing a source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    File,
    Stdin,
    WebSocket,
    Demo,
    Otlp,
    /// The LLM judge's verdicts (`[judge]`).
    Judge,
}

impl SourceKind {
    /// Lower-case name used in `report --json` (`sources[].kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::File => "file",
            SourceKind::Stdin => "stdin",
            SourceKind::WebSocket => "websocket",
            SourceKind::Demo => "demo",
            SourceKind::Otlp => "otlp",
            SourceKind::Judge => "judge",
        }
    }
}

/// Live state of a source, shown in the TUI header and in `report`.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceState {
    /// Opening a file or dialling a WebSocket.
    Connecting,
    /// Reading (a file not yet at its end, an open WebSocket, stdin).
    Connected,
    /// Waiting before the next reconnect attempt.
    Retrying {
        in_ms: u64,
        attempt: u32,
        last_error: String,
    },
    /// A followed file is at its end and waiting for more.
    AtEnd,
    /// The source is finished (a file read to the end without follow, a closed stream).
    Done,
    /// The source failed for good.
    Error(String),
}

impl fmt::Display for SourceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceState::Connecting => f.write_str("connecting"),
            SourceState::Connected => f.write_str("connected"),
            SourceState::Retrying { in_ms, .. } => {
                write!(f, "retrying in {:.0}s", (*in_ms as f64 / 1000.0).ceil())
            }
            SourceState::AtEnd => f.write_str("at end"),
            SourceState::Done => f.write_str("done"),
            SourceState::Error(e) => write!(f, "error: {e}"),
        }
    }
}
