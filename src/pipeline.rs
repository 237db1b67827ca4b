//! Glue between the stages: source tasks on a tokio runtime send lines to a decode thread,
//! which decodes and enriches them and hands [`Update`]s to whoever owns the engine (the
//! `report` loop or the TUI); `report` may instead decode on its own thread with
//! [`InlinePipeline`]. Bounded channels everywhere: a slow consumer slows the
//! sources down instead of growing memory.

use crate::decode::{Decoded, Decoder, Reject, RejectReason};
use crate::engine::Engine;
use crate::enrich::Enricher;
use crate::record::Record;
use crate::source::{
    spawn_file, spawn_otlp, spawn_stdin, spawn_websocket, Received, SourceDrop, SourceEvent,
    SourceId, SourceOptions, SourceSpec, SourceState,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Capacity of the source → decode channel, in batches.
const SOURCE_QUEUE: usize = 8;
/// Capacity of the decode → engine channel, in batches.
const UPDATE_QUEUE: usize = 4;

/// What the engine owner applies, in order.
#[derive(Debug)]
pub enum Update {
    /// Decoded and enriched records of one source batch, with the rejections found.
    Batch {
        source: SourceId,
        lines: u64,
        records: Vec<(u64, Record)>,
        rejects: Vec<(u64, Reject)>,
        metric_points: u64,
        /// Requests a receiver answered "busy, retry later".
        throttled: u64,
    },
    /// A source's state changed.
    State {
        source: SourceId,
        state: SourceState,
    },
    /// Bytes read by a source.
    Bytes { source: SourceId, n: u64 },
}

impl Update {
    /// Applies the update to the engine.
    pub fn apply(self, engine: &mut Engine) {
        match self {
            Update::Batch {
                source,
                lines,
                records,
                rejects,
                metric_points,
                throttled,
            } => {
                engine.note_lines(source, lines, rejects);
                engine.note_metric_points(metric_points);
                engine.note_throttled(source, throttled);
                engine.ingest(source, records);
            }
            Update::State { source, state } => engine.note_state(source, state),
            Update::Bytes { source, n } => engine.note_bytes(source, n),
        }
    }

    /// True when this update says its source has finished for good.
    pub fn is_terminal(&self) -> Option<SourceId> {
        match self {
            Update::State {
                source,
                state: SourceState::Done | SourceState::Error(_),
            } => Some(*source),
            _ => None,
        }
    }
}

/// Runs the sources. Dropping it stops them.
pub struct Pipeline {
    rx: Receiver<Update>,
    runtime: tokio::runtime::Runtime,
    sources: usize,
    finished: Vec<bool>,
    interrupted: Arc<AtomicBool>,
}

/// Something that can start extra sources (the demo generator) on the pipeline's runtime.
pub type ExtraSpawner = Box<
    dyn FnOnce(SourceId, tokio::sync::mpsc::Sender<SourceEvent>) -> tokio::task::JoinHandle<()>,
>;

impl Pipeline {
    /// Registers every source with the engine and starts reading. `demo` starts the
    /// built-in generator for [`SourceSpec::Demo`] entries.
    pub fn start(
        specs: &[SourceSpec],
        opts: &SourceOptions,
        enricher: Enricher,
        engine: &mut Engine,
        demo: impl FnMut() -> ExtraSpawner,
    ) -> std::io::Result<Pipeline> {
        let (runtime, src_rx, finished) = start_sources(specs, opts, engine, demo)?;
        let (tx, rx) = sync_channel::<Update>(UPDATE_QUEUE);
        let n = specs.len();
        std::thread::Builder::new()
            .name("llmmon-decode".into())
            .spawn(move || decode_loop(src_rx, tx, enricher, n))?;
        Ok(Pipeline {
            rx,
            runtime,
            sources: n,
            finished,
            interrupted: Arc::default(),
        })
    }

    /// Waits up to `timeout` for the next update; `None` on timeout or when all sources
    /// have ended and everything was delivered.
    pub fn next(&mut self, timeout: Duration) -> Option<Update> {
        match self.rx.recv_timeout(timeout) {
            Ok(u) => {
                if let Some(id) = u.is_terminal() {
                    if let Some(f) = self.finished.get_mut(usize::from(id)) {
                        *f = true;
                    }
                }
                Some(u)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// An update if one is ready now.
    pub fn try_next(&mut self) -> Option<Update> {
        self.next(Duration::ZERO)
    }

    /// True when every source has ended (done or failed).
    pub fn all_finished(&self) -> bool {
        self.sources == 0 || self.finished.iter().all(|&f| f)
    }

    /// Makes [`Pipeline::drain_into`] return on Ctrl-C or SIGTERM, so a headless command
    /// over a source that never ends still prints what it saw.
    pub fn stop_on_interrupt(&mut self) {
        watch_interrupt(&self.runtime, self.interrupted.clone());
    }

    /// True once Ctrl-C or SIGTERM arrived (after [`Pipeline::stop_on_interrupt`]).
    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    /// Feeds everything into `engine` until every source ends, `deadline` passes or an
    /// interrupt arrives (after [`Pipeline::stop_on_interrupt`]).
    pub fn drain_into(&mut self, engine: &mut Engine, deadline: Option<Instant>) {
        self.drain(engine, deadline);
        engine.end_of_input();
    }

    fn drain(&mut self, engine: &mut Engine, deadline: Option<Instant>) {
        loop {
            if self.interrupted.load(Ordering::Relaxed) || self.all_finished() {
                return self.apply_ready(engine);
            }
            let wait = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) => left.min(Duration::from_millis(100)),
                    None => return self.apply_ready(engine),
                },
                None => Duration::from_millis(100),
            };
            if let Some(u) = self.next(wait) {
                u.apply(engine);
            } else if self.rx_closed() {
                return;
            }
        }
    }

    /// Applies the updates that are ready now, without waiting for more.
    fn apply_ready(&mut self, engine: &mut Engine) {
        while let Some(u) = self.try_next() {
            u.apply(engine);
        }
    }

    fn rx_closed(&self) -> bool {
        matches!(
            self.rx.try_recv(),
            Err(std::sync::mpsc::TryRecvError::Disconnected)
        )
    }

    /// Stops the sources without waiting for them.
    pub fn shutdown(self) {
        self.runtime.shutdown_background();
    }
}

/// The sources with decoding on the caller's thread, straight into the engine, for
/// `report`: when the store keeps no content and enrichment only prices, a native call is
/// never turned into an owned record, only into [`crate::engine::facts::CallFacts`] borrowed
/// from its line.
pub struct InlinePipeline {
    rx: tokio::sync::mpsc::Receiver<SourceEvent>,
    runtime: tokio::runtime::Runtime,
    decoders: Vec<Decoder>,
    enricher: Enricher,
    finished: Vec<bool>,
    interrupted: Arc<AtomicBool>,
}

impl InlinePipeline {
    /// Registers every source with the engine and starts reading (see [`Pipeline::start`]).
    pub fn start(
        specs: &[SourceSpec],
        opts: &SourceOptions,
        enricher: Enricher,
        engine: &mut Engine,
        demo: impl FnMut() -> ExtraSpawner,
    ) -> std::io::Result<InlinePipeline> {
        let (runtime, rx, finished) = start_sources(specs, opts, engine, demo)?;
        Ok(InlinePipeline {
            rx,
            runtime,
            decoders: (0..specs.len()).map(|_| Decoder::new()).collect(),
            enricher,
            finished,
            interrupted: Arc::default(),
        })
    }

    /// See [`Pipeline::stop_on_interrupt`].
    pub fn stop_on_interrupt(&mut self) {
        watch_interrupt(&self.runtime, self.interrupted.clone());
    }

    /// Decodes everything into `engine` until every source ends, `deadline` passes or an
    /// interrupt arrives (after [`InlinePipeline::stop_on_interrupt`]). Sources that go on
    /// are then closed and what they already sent is applied: a receiver refuses what comes
    /// later as busy, so nothing it acknowledged is lost.
    pub fn drain_into(&mut self, engine: &mut Engine, deadline: Option<Instant>) {
        self.drain(engine, deadline);
        engine.end_of_input();
    }

    fn drain(&mut self, engine: &mut Engine, deadline: Option<Instant>) {
        loop {
            if self.interrupted.load(Ordering::Relaxed) || self.finished.iter().all(|&f| f) {
                return self.close_and_apply(engine);
            }
            let wait = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) => left.min(Duration::from_millis(100)),
                    None => return self.close_and_apply(engine),
                },
                None => Duration::from_millis(100),
            };
            let next = match self.rx.try_recv() {
                Ok(ev) => Ok(Some(ev)),
                Err(_) => self
                    .runtime
                    .block_on(async { tokio::time::timeout(wait, self.rx.recv()).await }),
            };
            match next {
                Ok(Some(ev)) => self.apply(ev, engine),
                Ok(None) => return,
                Err(_) => {}
            }
        }
    }

    /// Closes the source channel and applies what was already sent.
    fn close_and_apply(&mut self, engine: &mut Engine) {
        self.rx.close();
        while let Ok(ev) = self.rx.try_recv() {
            self.apply(ev, engine);
        }
    }

    fn apply(&mut self, ev: SourceEvent, engine: &mut Engine) {
        match ev {
            SourceEvent::Lines(lines) => {
                let Some(source) = lines.first().map(|l| l.source) else {
                    return;
                };
                let Some(dec) = self.decoders.get_mut(usize::from(source)) else {
                    return;
                };
                engine.note_lines(source, lines.len() as u64, Vec::new());
                let before = dec.metric_points();
                let facts = !engine.store.retains_calls() && self.enricher.prices_only();
                let enricher = &mut self.enricher;
                let mut scratch = Vec::new();
                for line in &lines {
                    let line_no = line.line_no;
                    let result = if facts {
                        dec.decode_facts(&line.bytes, line.arrival, &mut |d| match d {
                            Decoded::Facts(mut f) => {
                                enricher.enrich_facts(&mut f);
                                engine.ingest_facts(source, line_no, &f);
                            }
                            Decoded::Record(mut r) => {
                                enricher.enrich(&mut r);
                                engine.ingest(source, vec![(line_no, r)]);
                            }
                        })
                    } else {
                        dec.decode(&line.bytes, line.arrival, &mut scratch)
                            .map(|()| {
                                let records = scratch
                                    .drain(..)
                                    .map(|mut r| {
                                        enricher.enrich(&mut r);
                                        (line_no, r)
                                    })
                                    .collect();
                                engine.ingest(source, records);
                            })
                    };
                    if let Err(e) = result {
                        engine.note_reject(source, line_no, e);
                    }
                }
                engine.note_metric_points(dec.metric_points() - before);
            }
            SourceEvent::Dropped {
                source,
                line_no,
                reason: SourceDrop::Oversize,
                len,
            } => {
                engine.note_lines(source, 1, Vec::new());
                engine.note_reject(
                    source,
                    line_no,
                    Reject::new(
                        RejectReason::Oversize,
                        format!("line of {len} bytes is over the configured cap"),
                    ),
                );
            }
            SourceEvent::State { source, state } => {
                if matches!(state, SourceState::Done | SourceState::Error(_)) {
                    if let Some(f) = self.finished.get_mut(usize::from(source)) {
                        *f = true;
                    }
                }
                engine.note_state(source, state);
            }
            SourceEvent::Bytes { source, n } => engine.note_bytes(source, n),
            SourceEvent::Received(r) => {
                let (source, bytes, update) = received_update(*r, &mut self.enricher);
                engine.note_bytes(source, bytes);
                update.apply(engine);
            }
        }
    }

    /// Stops the sources without waiting for them.
    pub fn shutdown(self) {
        self.runtime.shutdown_background();
    }
}

/// A receiver's request as an enriched [`Update::Batch`], with its source and body size.
fn received_update(r: Received, enricher: &mut Enricher) -> (SourceId, u64, Update) {
    let Received {
        source,
        seq,
        items,
        bytes,
        records,
        rejects,
        metric_points,
        throttled,
    } = r;
    let update = Update::Batch {
        source,
        lines: items,
        records: records
            .into_iter()
            .map(|mut rec| {
                enricher.enrich(&mut rec);
                (seq, rec)
            })
            .collect(),
        rejects: rejects.into_iter().map(|e| (seq, e)).collect(),
        metric_points,
        throttled,
    };
    (source, bytes, update)
}

/// Sets `flag` on Ctrl-C or SIGTERM.
fn watch_interrupt(runtime: &tokio::runtime::Runtime, flag: Arc<AtomicBool>) {
    runtime.spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        flag.store(true, Ordering::Relaxed);
    });
}

/// Source tasks on their own runtime, registered with the engine; also says which sources
/// failed before starting.
type Started = (
    tokio::runtime::Runtime,
    tokio::sync::mpsc::Receiver<SourceEvent>,
    Vec<bool>,
);

fn start_sources(
    specs: &[SourceSpec],
    opts: &SourceOptions,
    engine: &mut Engine,
    mut demo: impl FnMut() -> ExtraSpawner,
) -> std::io::Result<Started> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("llmmon-source")
        .enable_all()
        .build()?;
    let (src_tx, src_rx) = tokio::sync::mpsc::channel::<SourceEvent>(SOURCE_QUEUE);
    {
        let _guard = runtime.enter();
        for spec in specs {
            let id = engine.add_source(spec.to_string(), spec.kind());
            let t = src_tx.clone();
            let o = opts.clone();
            match spec {
                SourceSpec::File(p) => drop(spawn_file(id, p.clone(), o, t)),
                SourceSpec::Stdin => drop(spawn_stdin(id, o, t)),
                SourceSpec::WebSocket(url) => drop(spawn_websocket(id, url.clone(), o, t)),
                SourceSpec::Demo => drop(demo()(id, t)),
                SourceSpec::Otlp { http, grpc } => {
                    match spawn_otlp(id, http.clone(), grpc.clone(), o.otlp.clone(), t) {
                        Ok(task) => drop(task),
                        Err(e) => engine.note_state(id, SourceState::Error(e)),
                    }
                }
            }
        }
    }
    drop(src_tx);
    let finished = engine
        .sources
        .iter()
        .map(|s| matches!(s.state, SourceState::Error(_)))
        .collect();
    Ok((runtime, src_rx, finished))
}

/// The decode thread: one [`Decoder`] per source, enrichment, batching to the engine.
fn decode_loop(
    mut rx: tokio::sync::mpsc::Receiver<SourceEvent>,
    tx: SyncSender<Update>,
    mut enricher: Enricher,
    n_sources: usize,
) {
    let mut decoders: Vec<Decoder> = (0..n_sources).map(|_| Decoder::new()).collect();
    while let Some(ev) = rx.blocking_recv() {
        let update = match ev {
            SourceEvent::Lines(lines) => {
                let Some(first) = lines.first() else { continue };
                let source = first.source;
                let Some(dec) = decoders.get_mut(usize::from(source)) else {
                    continue;
                };
                let before = dec.metric_points();
                let mut records = Vec::with_capacity(lines.len());
                let mut rejects = Vec::new();
                let mut scratch = Vec::new();
                let n = lines.len() as u64;
                for line in lines {
                    scratch.clear();
                    match dec.decode(&line.bytes, line.arrival, &mut scratch) {
                        Ok(()) => {
                            for mut r in scratch.drain(..) {
                                enricher.enrich(&mut r);
                                records.push((line.line_no, r));
                            }
                        }
                        Err(e) => rejects.push((line.line_no, e)),
                    }
                }
                Update::Batch {
                    source,
                    lines: n,
                    records,
                    rejects,
                    metric_points: dec.metric_points() - before,
                    throttled: 0,
                }
            }
            SourceEvent::Dropped {
                source,
                line_no,
                reason: SourceDrop::Oversize,
                len,
            } => Update::Batch {
                source,
                lines: 1,
                records: Vec::new(),
                rejects: vec![(
                    line_no,
                    Reject::new(
                        RejectReason::Oversize,
                        format!("line of {len} bytes is over the configured cap"),
                    ),
                )],
                metric_points: 0,
                throttled: 0,
            },
            SourceEvent::Received(r) => {
                let (source, bytes, update) = received_update(*r, &mut enricher);
                if tx.send(Update::Bytes { source, n: bytes }).is_err() {
                    return;
                }
                update
            }
            SourceEvent::State { source, state } => Update::State { source, state },
            SourceEvent::Bytes { source, n } => Update::Bytes { source, n },
        };
        if tx.send(update).is_err() {
            return;
        }
    }
}
