//! Sources: bytes in, lines out. Each source is a tokio task that tags every line with its
//! source id, line number and arrival time and sends batches down one channel. Nothing here
//! knows JSON. The one exception is the OTLP receiver, whose reply depends on whether a
//! request decodes: it calls `decode`'s OTLP entry points and sends records, not lines. Sources report their own state (connected, retrying, at end, error) as
//! [`SourceEvent::State`] data, never as log lines.

mod file;
mod lines;
mod otlp;
mod outbox;
mod spec;
mod stdin;
mod websocket;

pub use file::spawn_file;
pub use otlp::{spawn_otlp, OtlpOptions};
pub use spec::{listen_addr, SourceOptions, SourceSpec, SpecError};
pub use stdin::{spawn_reader, spawn_stdin};
pub use websocket::spawn_websocket;

use crate::model::record::Nanos;
pub use crate::model::source::{SourceId, SourceKind, SourceState};

/// One line (or one WebSocket text message) read by a source.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub source: SourceId,
    /// 1-based line (or message) number within the source, for error messages.
    pub line_no: u64,
    /// Wall-clock arrival time: the event time of records that carry none.
    pub arrival: Nanos,
    /// The raw bytes, without the trailing newline. Not yet checked for UTF-8.
    pub bytes: Vec<u8>,
}

/// Why a source itself dropped a line before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceDrop {
    /// Longer than the configured cap (default 1 MiB); skipped to the next newline.
    Oversize,
}

/// What a source sends down the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    /// A batch of complete lines, in order.
    Lines(Vec<Line>),
    /// A line the source skipped, with its number and length in bytes.
    Dropped {
        source: SourceId,
        line_no: u64,
        reason: SourceDrop,
        len: u64,
    },
    /// The source's state changed.
    State {
        source: SourceId,
        state: SourceState,
    },
    /// Bytes read since the last report (for the bytes counter).
    Bytes { source: SourceId, n: u64 },
    /// One request a receiver already decoded (OTLP).
    Received(Box<Received>),
}

/// What a receiver sends for one request: its records, the items it refused, and counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub source: SourceId,
    /// 1-based request number within the source (the "line number" of its rejections).
    pub seq: u64,
    /// Items the request held (spans, log records, metric points); 1 for a request refused
    /// as a whole.
    pub items: u64,
    /// Request body bytes as received (compressed size).
    pub bytes: u64,
    pub records: Vec<crate::model::record::Record>,
    pub rejects: Vec<crate::decode::Reject>,
    pub metric_points: u64,
    /// Requests answered "busy, retry later" since the previous event.
    pub throttled: u64,
}

/// Wall-clock now as unix nanoseconds: the arrival time stamped on lines.
pub(crate) fn now_nanos() -> Nanos {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
