//! The demo as a live source: generated records become JSON lines, paced so that event
//! time runs `speed` times faster than the wall clock from "now", and go down the same
//! channel as any file or WebSocket source.

use super::{GenConfig, Generator, Scenario, DEFAULT_RATE_PER_SEC};
use crate::model::record::{Nanos, Record};
use crate::source::{Line, SourceEvent, SourceId, SourceState};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;

/// How often paced batches are sent.
const TICK: Duration = Duration::from_millis(50);
/// Lines per batch when running flat out, and the most one paced tick sends.
const FLAT_OUT_BATCH: usize = 1_024;
const MAX_TICK_BATCH: usize = 65_536;

/// Options of `llmmon demo`.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Event seconds per wall-clock second. `f64::INFINITY` sends as fast as the channel
    /// takes lines (load tests); zero, negative or NaN means 1.
    pub speed: f64,
    /// Seed of the generator.
    pub seed: u64,
    /// Steady traffic, or steady plus the scripted incident.
    pub scenario: Scenario,
    /// Mean LLM calls per second of event time.
    pub rate_per_sec: f64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            speed: 1.0,
            seed: 0,
            scenario: Scenario::Incident,
            rate_per_sec: DEFAULT_RATE_PER_SEC,
        }
    }
}

/// Starts the demo source: reports `Connected`, then sends batches of JSON lines until the
/// receiver is dropped. Event times start at the wall clock of the call.
pub fn spawn_demo(id: SourceId, opts: DemoOptions, tx: Sender<SourceEvent>) -> JoinHandle<()> {
    tokio::spawn(run(id, opts, tx))
}

async fn run(id: SourceId, opts: DemoOptions, tx: Sender<SourceEvent>) {
    let start = now_nanos();
    let mut records = Generator::new(GenConfig {
        seed: opts.seed,
        scenario: opts.scenario,
        start,
        rate_per_sec: opts.rate_per_sec,
    })
    .peekable();
    let connected = SourceEvent::State {
        source: id,
        state: SourceState::Connected,
    };
    if tx.send(connected).await.is_err() {
        return;
    }
    let mut batcher = Batcher {
        source: id,
        line_no: 0,
    };
    if opts.speed == f64::INFINITY {
        loop {
            let batch = batcher.take(&mut records, FLAT_OUT_BATCH, Nanos::MAX);
            if !send(&tx, id, batch).await {
                return;
            }
            tokio::task::yield_now().await;
        }
    }
    let speed = if opts.speed > 0.0 && opts.speed.is_finite() {
        opts.speed
    } else {
        1.0
    };
    let wall_start = Instant::now();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let elapsed = wall_start.elapsed().as_nanos() as f64 * speed;
        let horizon = start.saturating_add(elapsed.min(i64::MAX as f64) as Nanos);
        let batch = batcher.take(&mut records, MAX_TICK_BATCH, horizon);
        if batch.0.is_empty() {
            if tx.is_closed() {
                return;
            }
        } else if !send(&tx, id, batch).await {
            return;
        }
    }
}

/// Turns records into numbered lines.
struct Batcher {
    source: SourceId,
    line_no: u64,
}

impl Batcher {
    /// Up to `max` lines of the records whose event time is at or before `horizon`, and
    /// their byte count (newlines included).
    fn take<I: Iterator<Item = Record>>(
        &mut self,
        records: &mut std::iter::Peekable<I>,
        max: usize,
        horizon: Nanos,
    ) -> (Vec<Line>, u64) {
        let arrival = now_nanos();
        let mut lines = Vec::new();
        let mut n_bytes = 0;
        while lines.len() < max {
            let Some(record) = records.next_if(|r| r.time().is_none_or(|t| t <= horizon)) else {
                break;
            };
            // Serialising a Record cannot fail (string keys only); skip it if it ever did.
            let Ok(bytes) = serde_json::to_vec(&record) else {
                continue;
            };
            self.line_no += 1;
            n_bytes += bytes.len() as u64 + 1;
            lines.push(Line {
                source: self.source,
                line_no: self.line_no,
                arrival,
                bytes,
            });
        }
        (lines, n_bytes)
    }
}

/// Sends a batch and its byte count; false once the receiver is gone.
async fn send(tx: &Sender<SourceEvent>, id: SourceId, (lines, n): (Vec<Line>, u64)) -> bool {
    tx.send(SourceEvent::Bytes { source: id, n }).await.is_ok()
        && tx.send(SourceEvent::Lines(lines)).await.is_ok()
}

fn now_nanos() -> Nanos {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| Nanos::try_from(d.as_nanos()).unwrap_or(Nanos::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::Record;
    use tokio::sync::mpsc;

    #[tokio::test]
    async fn paced_demo_connects_then_sends_parseable_numbered_lines() {
        let (tx, mut rx) = mpsc::channel(64);
        let opts = DemoOptions {
            speed: 50.0,
            ..DemoOptions::default()
        };
        let handle = spawn_demo(3, opts, tx);
        let first = rx.recv().await.unwrap();
        assert_eq!(
            first,
            SourceEvent::State {
                source: 3,
                state: SourceState::Connected
            }
        );
        let mut next_no = 1;
        while next_no < 200 {
            match rx.recv().await.unwrap() {
                SourceEvent::Lines(lines) => {
                    for l in lines {
                        assert_eq!((l.source, l.line_no), (3, next_no));
                        serde_json::from_slice::<Record>(&l.bytes).unwrap();
                        next_no += 1;
                    }
                }
                SourceEvent::Bytes { n, .. } => assert!(n > 0),
                other => panic!("unexpected {other:?}"),
            }
        }
        drop(rx);
        handle.await.unwrap();
    }

    #[tokio::test]
    async fn flat_out_demo_stops_when_the_receiver_goes() {
        let (tx, mut rx) = mpsc::channel(4);
        let opts = DemoOptions {
            speed: f64::INFINITY,
            ..DemoOptions::default()
        };
        let handle = spawn_demo(0, opts, tx);
        let mut lines = 0;
        while lines < 5_000 {
            if let Some(SourceEvent::Lines(l)) = rx.recv().await {
                lines += l.len();
            }
        }
        drop(rx);
        handle.await.unwrap();
    }
}
