//! The sending side of a source: batches lines into [`SourceEvent::Lines`], keeps dropped
//! lines in order with them, counts bytes and reports state changes, all down one bounded
//! channel whose back-pressure slows the reader instead of losing lines.

use super::lines::LineSink;
use super::{now_nanos, Line, SourceDrop, SourceEvent, SourceId, SourceState};
use crate::model::record::Nanos;
use tokio::sync::mpsc::Sender;

/// The receiver is gone: the source has nobody to talk to and stops.
#[derive(Debug)]
pub(crate) struct Closed;

/// Collects one source's output and sends it in batches.
#[derive(Debug)]
pub(crate) struct Outbox {
    source: SourceId,
    tx: Sender<SourceEvent>,
    max_lines: usize,
    max_bytes: usize,
    /// Arrival time stamped on lines pushed from now on.
    arrival: Nanos,
    lines: Vec<Line>,
    line_bytes: usize,
    /// Complete events waiting to be sent, in order.
    queue: Vec<SourceEvent>,
    bytes_read: u64,
    state: Option<SourceState>,
}

impl Outbox {
    /// An outbox for `source` whose line batches hold at most `max_lines` lines or
    /// `max_bytes` bytes.
    pub(crate) fn new(
        source: SourceId,
        tx: Sender<SourceEvent>,
        max_lines: usize,
        max_bytes: usize,
    ) -> Self {
        Outbox {
            source,
            tx,
            max_lines: max_lines.max(1),
            max_bytes: max_bytes.max(1),
            arrival: now_nanos(),
            lines: Vec::new(),
            line_bytes: 0,
            queue: Vec::new(),
            bytes_read: 0,
            state: None,
        }
    }

    /// Records that `n` bytes were just read: they arrived now.
    pub(crate) fn read(&mut self, n: usize) {
        self.arrival = now_nanos();
        self.bytes_read += n as u64;
    }

    /// True when the receiver has gone away.
    pub(crate) fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Sends everything collected so far: line batches, drops and the byte count.
    pub(crate) async fn flush(&mut self) -> Result<(), Closed> {
        self.seal_batch();
        for event in self.queue.drain(..) {
            self.tx.send(event).await.map_err(|_| Closed)?;
        }
        if self.bytes_read > 0 {
            let n = std::mem::take(&mut self.bytes_read);
            let event = SourceEvent::Bytes {
                source: self.source,
                n,
            };
            self.tx.send(event).await.map_err(|_| Closed)?;
        }
        Ok(())
    }

    /// Flushes pending output, then reports `state` if it differs from the last one sent.
    pub(crate) async fn set_state(&mut self, state: SourceState) -> Result<(), Closed> {
        self.flush().await?;
        if self.state.as_ref() == Some(&state) {
            return Ok(());
        }
        self.state = Some(state.clone());
        let event = SourceEvent::State {
            source: self.source,
            state,
        };
        self.tx.send(event).await.map_err(|_| Closed)
    }

    /// The state last reported.
    pub(crate) fn state(&self) -> Option<&SourceState> {
        self.state.as_ref()
    }

    /// Moves the current batch, if any, to the send queue.
    fn seal_batch(&mut self) {
        if !self.lines.is_empty() {
            let lines = std::mem::replace(&mut self.lines, Vec::with_capacity(self.max_lines));
            self.line_bytes = 0;
            self.queue.push(SourceEvent::Lines(lines));
        }
    }
}

impl LineSink for Outbox {
    fn line(&mut self, line_no: u64, bytes: &[u8]) {
        if self.lines.capacity() == 0 {
            self.lines.reserve(self.max_lines);
        }
        self.lines.push(Line {
            source: self.source,
            line_no,
            arrival: self.arrival,
            bytes: bytes.to_vec(),
        });
        self.line_bytes += bytes.len();
        if self.lines.len() >= self.max_lines || self.line_bytes >= self.max_bytes {
            self.seal_batch();
        }
    }

    fn oversize(&mut self, line_no: u64, len: u64) {
        self.seal_batch();
        self.queue.push(SourceEvent::Dropped {
            source: self.source,
            line_no,
            reason: SourceDrop::Oversize,
            len,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    #[tokio::test]
    async fn batches_are_capped_and_drops_stay_in_order() {
        let (tx, mut rx) = mpsc::channel(16);
        let mut out = Outbox::new(3, tx, 2, 1 << 20);
        out.read(10);
        out.line(1, b"a");
        out.line(2, b"b");
        out.line(3, b"c");
        out.oversize(4, 99);
        out.line(5, b"d");
        out.flush().await.unwrap();
        out.set_state(SourceState::AtEnd).await.unwrap();
        out.set_state(SourceState::AtEnd).await.unwrap();
        drop(out);
        let mut shapes = Vec::new();
        while let Some(ev) = rx.recv().await {
            shapes.push(match ev {
                SourceEvent::Lines(l) => format!("L{}", l.len()),
                SourceEvent::Dropped { line_no, .. } => format!("D{line_no}"),
                SourceEvent::Bytes { n, .. } => format!("B{n}"),
                SourceEvent::State { state, .. } => format!("S:{state}"),
                SourceEvent::Received(r) => format!("R{}", r.seq),
            });
        }
        assert_eq!(shapes, ["L2", "L1", "D4", "L1", "B10", "S:at end"]);
    }
}
