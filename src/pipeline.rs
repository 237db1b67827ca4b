//! One pipeline between the stages: source tasks on a tokio runtime send lines; a
//! [`Stage`] decodes and enriches them, on a decode thread of its own ([`Mode::Owned`]) or
//! on the engine owner's thread straight into the engine ([`Mode::Facts`]); every consumer
//! (the TUI, `report`, `check`, `scan`) takes work with [`Pipeline::step`] or drains it with
//! [`Pipeline::drain_into`]. Bounded channels everywhere: a slow consumer slows the
//! sources down instead of growing memory.

use crate::decode::{Decoded, Decoder, Reject, RejectReason};
use crate::engine::sources::snippet_of;
use crate::engine::Engine;
use crate::enrich::Enricher;
use crate::gate::RecordGate;
use crate::judge::{JudgeHandle, JudgeSetup};
use crate::model::record::Nanos;
use crate::model::record::Record;
use crate::model::source::SourceKind;
use crate::source::{
    spawn_file, spawn_otlp, spawn_stdin, spawn_websocket, Line, Received, SourceDrop, SourceEvent,
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
        /// Line number, reason and the start of the line.
        rejects: Vec<(u64, Reject, String)>,
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

/// How the pipeline decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every line becomes owned records, decoded on a thread of its own so the engine
    /// owner (the TUI, `check`, `scan`) stays free: what views that keep content need.
    Owned,
    /// Lines are decoded on the caller's thread straight into the engine, and a native
    /// call that needs no detectors is folded from [`crate::model::facts::CallFacts`]
    /// borrowed from its line, never turned into an owned record (`report`). Falls back to
    /// owned records wherever the engine keeps content or enrichment does more than price.
    Facts,
}

/// What one [`Pipeline::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// One unit of work (a batch, a state change, a byte count) reached the engine.
    Applied,
    /// Nothing arrived within the wait; the pipeline is still open.
    Timeout,
    /// Every sender is gone and everything they sent was applied.
    Closed,
}

/// Runs the sources and decodes what they read. Dropping it stops them.
pub struct Pipeline {
    runtime: tokio::runtime::Runtime,
    inbox: Inbox,
    finished: Vec<bool>,
    interrupted: Arc<AtomicBool>,
    /// The sources were told to stop; only what they already sent is still handed out.
    closing: bool,
    /// The running judge, when `[judge]` is on: told when the other sources have ended.
    judge: Option<JudgeRunning>,
}

/// What a pipeline may run beside its sources and decoders.
#[derive(Default)]
pub struct Extras {
    /// Only what this admits reaches the engine (`--since`, `--until`, `--filter`).
    pub gate: Option<Arc<RecordGate>>,
    /// The LLM judge, when `[judge]` is on.
    pub judge: Option<JudgeSetup>,
}

/// A judge running beside the sources.
struct JudgeRunning {
    link: crate::judge::Link,
    stats: Arc<crate::judge::JudgeStats>,
    cfg: Arc<crate::judge::JudgeConfig>,
    told: bool,
}

/// Where work waits for the engine owner.
enum Inbox {
    /// Decoded on the decode thread; `close` tells it to stop taking source events,
    /// decode what they already sent and hang up.
    Threaded {
        rx: Receiver<Update>,
        close: Arc<tokio::sync::Notify>,
    },
    /// Decoded by [`Stage`] on the caller's thread when taken.
    Inline {
        rx: tokio::sync::mpsc::Receiver<SourceEvent>,
        stage: Stage,
        /// Updates taken by [`Pipeline::next`] but not yet handed out.
        pending: std::collections::VecDeque<Update>,
    },
}

/// Something that can start extra sources (the demo generator) on the pipeline's runtime.
pub type ExtraSpawner = Box<
    dyn FnOnce(SourceId, tokio::sync::mpsc::Sender<SourceEvent>) -> tokio::task::JoinHandle<()>,
>;

impl Pipeline {
    /// Registers every source with the engine and starts reading. `demo` starts the
    /// built-in generator for [`SourceSpec::Demo`] entries; `judge` runs the LLM judge on
    /// what they send, as one more source whose records are its verdicts.
    pub fn start(
        specs: &[SourceSpec],
        opts: &SourceOptions,
        enricher: Enricher,
        engine: &mut Engine,
        mode: Mode,
        demo: impl FnMut() -> ExtraSpawner,
        judge: Option<JudgeSetup>,
    ) -> std::io::Result<Pipeline> {
        let extras = Extras { gate: None, judge };
        Pipeline::start_gated(specs, opts, enricher, engine, mode, demo, extras)
    }

    /// [`Pipeline::start`], letting only what the gate admits (a time range, a filter)
    /// reach the engine; what it keeps out is counted by the gate as skipped.
    pub fn start_gated(
        specs: &[SourceSpec],
        opts: &SourceOptions,
        enricher: Enricher,
        engine: &mut Engine,
        mode: Mode,
        demo: impl FnMut() -> ExtraSpawner,
        extras: Extras,
    ) -> std::io::Result<Pipeline> {
        let Extras { gate, judge } = extras;
        let (runtime, src_rx, finished, judged) = start_sources(specs, opts, engine, demo, judge)?;
        let replay = !opts.follow || opts.from_start;
        let mut stage = Stage::new(specs.len(), enricher, gate, &opts.formats, replay);
        stage.judge = judged.as_ref().map(|(h, _)| h.clone());
        let judge = judged.map(|(h, link)| JudgeRunning {
            link,
            stats: h.stats.clone(),
            cfg: h.cfg.clone(),
            told: false,
        });
        let inbox = match mode {
            Mode::Facts => Inbox::Inline {
                rx: src_rx,
                stage,
                pending: std::collections::VecDeque::new(),
            },
            Mode::Owned => {
                let (tx, rx) = sync_channel::<Update>(UPDATE_QUEUE);
                let close = Arc::new(tokio::sync::Notify::new());
                let handle = runtime.handle().clone();
                let closing = close.clone();
                std::thread::Builder::new()
                    .name("llmmon-decode".into())
                    .spawn(move || decode_loop(&handle, src_rx, &tx, stage, &closing))?;
                Inbox::Threaded { rx, close }
            }
        };
        Ok(Pipeline {
            runtime,
            inbox,
            finished,
            interrupted: Arc::default(),
            closing: false,
            judge,
        })
    }

    /// The judge's counters and configuration, when one runs.
    pub fn judge(
        &self,
    ) -> Option<(
        Arc<crate::judge::JudgeStats>,
        Arc<crate::judge::JudgeConfig>,
    )> {
        self.judge
            .as_ref()
            .map(|j| (j.stats.clone(), j.cfg.clone()))
    }

    /// The next update, decoded into owned records, until every source ends, `deadline`
    /// passes or an interrupt arrives (after [`Pipeline::stop_on_interrupt`]); then the
    /// sources are closed and what they already sent is still handed out, so a request a
    /// receiver acknowledged is never lost. `None` once everything was delivered.
    pub fn next_until(&mut self, deadline: Option<Instant>) -> Option<Update> {
        loop {
            let wait = self.next_wait(deadline);
            match self.take(wait) {
                Taken::Update(u) => {
                    mark(&mut self.finished, &u);
                    return Some(u);
                }
                Taken::Closed => return None,
                Taken::Timeout if self.closing => return None,
                Taken::Timeout => {}
            }
        }
    }

    /// Closes the sources once every one has ended, `deadline` has passed or an interrupt
    /// arrived, and says how long the next wait for work may be: short while open, so the
    /// deadline and the interrupt flag are looked at again soon; [`CLOSE_WAIT`] once closing.
    fn next_wait(&mut self, deadline: Option<Instant>) -> Duration {
        let due = deadline.is_some_and(|d| Instant::now() >= d);
        self.tell_judge();
        if !self.closing && (self.interrupted() || self.all_finished() || due) {
            self.close();
        }
        match deadline {
            _ if self.closing => CLOSE_WAIT,
            Some(d) => d.saturating_duration_since(Instant::now()).min(DRAIN_WAIT),
            None => DRAIN_WAIT,
        }
    }

    /// Waits up to `wait` for the next decoded update.
    fn take(&mut self, wait: Duration) -> Taken {
        match &mut self.inbox {
            Inbox::Threaded { rx, .. } => match rx.recv_timeout(wait) {
                Ok(u) => Taken::Update(u),
                Err(RecvTimeoutError::Timeout) => Taken::Timeout,
                Err(RecvTimeoutError::Disconnected) => Taken::Closed,
            },
            Inbox::Inline { rx, stage, pending } => {
                if pending.is_empty() {
                    match recv_event(&self.runtime, rx, wait) {
                        Ok(Some(ev)) => pending.extend(stage.updates(ev)),
                        Ok(None) => return Taken::Closed,
                        Err(Elapsed) => return Taken::Timeout,
                    }
                }
                pending.pop_front().map_or(Taken::Timeout, Taken::Update)
            }
        }
    }

    /// Applies at most one unit of work to `engine`, waiting up to `wait` for it: the one
    /// primitive every consumer's loop is made of. A unit that arrives after a wait timed
    /// out is applied by the next step, never dropped.
    pub fn step(&mut self, engine: &mut Engine, wait: Duration) -> Step {
        match &mut self.inbox {
            Inbox::Threaded { rx, .. } => match rx.recv_timeout(wait) {
                Ok(u) => {
                    mark(&mut self.finished, &u);
                    u.apply(engine);
                    Step::Applied
                }
                Err(RecvTimeoutError::Timeout) => Step::Timeout,
                Err(RecvTimeoutError::Disconnected) => Step::Closed,
            },
            Inbox::Inline { pending, .. } if !pending.is_empty() => {
                if let Some(u) = pending.pop_front() {
                    mark(&mut self.finished, &u);
                    u.apply(engine);
                }
                Step::Applied
            }
            Inbox::Inline { rx, stage, .. } => match recv_event(&self.runtime, rx, wait) {
                Ok(Some(ev)) => {
                    if let Some(id) = ended(&ev) {
                        set_finished(&mut self.finished, id);
                    }
                    stage.apply(ev, engine);
                    Step::Applied
                }
                Ok(None) => Step::Closed,
                Err(Elapsed) => Step::Timeout,
            },
        }
    }

    /// True when every source has ended (done or failed), the judge included: it ends once
    /// the others have and its queue is judged (or its wait ran out).
    pub fn all_finished(&self) -> bool {
        self.finished.iter().all(|&f| f)
    }

    /// Tells the judge, once, that every other source has ended: everything they sent was
    /// decoded and offered to it before their end reached this thread.
    fn tell_judge(&mut self) {
        let Some(j) = self.judge.as_mut() else { return };
        let id = usize::from(j.link.id);
        let others = self.finished.iter().enumerate().all(|(i, &f)| f || i == id);
        if others && !j.told {
            j.told = true;
            j.link.input_ended.notify_one();
        }
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
    /// interrupt arrives (after [`Pipeline::stop_on_interrupt`]). Sources that go on are
    /// then closed and what they already sent is applied: a receiver refuses what comes
    /// later as busy, so nothing it acknowledged is lost.
    pub fn drain_into(&mut self, engine: &mut Engine, deadline: Option<Instant>) {
        self.drain(engine, deadline);
        engine.end_of_input();
    }

    fn drain(&mut self, engine: &mut Engine, deadline: Option<Instant>) {
        loop {
            let wait = self.next_wait(deadline);
            match self.step(engine, wait) {
                Step::Applied => {}
                Step::Timeout if !self.closing => {}
                Step::Timeout | Step::Closed => return,
            }
        }
    }

    /// Tells the sources to stop; what they already sent still arrives.
    fn close(&mut self) {
        match &mut self.inbox {
            Inbox::Threaded { close, .. } => close.notify_one(),
            Inbox::Inline { rx, .. } => rx.close(),
        }
        self.closing = true;
    }

    /// Stops the sources without waiting for them.
    pub fn shutdown(self) {
        self.runtime.shutdown_background();
    }
}

/// How long one drain step waits before checking the deadline and the interrupt flag.
const DRAIN_WAIT: Duration = Duration::from_millis(100);
/// How long closing waits for the decode stage to hand over what it still holds.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// A wait for a source event that ran out.
struct Elapsed;

/// What one wait for a decoded update brought.
enum Taken {
    Update(Update),
    Timeout,
    /// Every sender is gone and everything was handed out.
    Closed,
}

/// The next source event, waiting up to `wait`: `Ok(None)` once every sender is gone.
fn recv_event(
    runtime: &tokio::runtime::Runtime,
    rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>,
    wait: Duration,
) -> Result<Option<SourceEvent>, Elapsed> {
    match rx.try_recv() {
        Ok(ev) => Ok(Some(ev)),
        Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => Ok(None),
        Err(tokio::sync::mpsc::error::TryRecvError::Empty) if wait.is_zero() => Err(Elapsed),
        Err(tokio::sync::mpsc::error::TryRecvError::Empty) => runtime
            .block_on(async { tokio::time::timeout(wait, rx.recv()).await })
            .map_err(|_| Elapsed),
    }
}

/// The source a state event says has ended for good.
fn ended(ev: &SourceEvent) -> Option<SourceId> {
    match ev {
        SourceEvent::State {
            source,
            state: SourceState::Done | SourceState::Error(_),
        } => Some(*source),
        _ => None,
    }
}

fn set_finished(finished: &mut [bool], id: SourceId) {
    if let Some(f) = finished.get_mut(usize::from(id)) {
        *f = true;
    }
}

fn mark(finished: &mut [bool], u: &Update) {
    if let Some(id) = u.is_terminal() {
        set_finished(finished, id);
    }
}

/// Decoding and enrichment of source events, one [`Decoder`] per source: the same code on
/// the decode thread ([`Mode::Owned`]) and on the caller's thread ([`Mode::Facts`]).
struct Stage {
    decoders: Vec<Decoder>,
    enricher: Enricher,
    /// What may reach the engine (`--since`/`--until`/`--filter`), if anything is held back.
    gate: Option<Arc<RecordGate>>,
    /// Per source, the event time of the last record that carried its own time, when the
    /// input is a replay (read from the start): a record without a time takes that time
    /// instead of its arrival, which would be far ahead of the replayed timeline and be
    /// rejected as `future` (or, live, move the clock past every later record).
    replay_time: Option<Vec<Option<Nanos>>>,
    /// The judge every admitted call is offered to, when `[judge]` is on.
    judge: Option<JudgeHandle>,
}

/// The time a time-less record on `source` takes: the last own time in a replay, else the
/// line's arrival.
fn inferred_arrival(
    replay_time: &Option<Vec<Option<Nanos>>>,
    source: SourceId,
    arrival: Nanos,
) -> Nanos {
    replay_time
        .as_ref()
        .and_then(|t| t.get(usize::from(source)).copied().flatten())
        .unwrap_or(arrival)
}

/// Remembers `time` as the last own time on `source`, unless it is the inferred one (the
/// record had no time of its own).
fn note_time(
    replay_time: &mut Option<Vec<Option<Nanos>>>,
    source: SourceId,
    time: Option<Nanos>,
    inferred: Nanos,
) {
    if let (Some(times), Some(t)) = (replay_time.as_mut(), time) {
        if t != inferred {
            if let Some(slot) = times.get_mut(usize::from(source)) {
                *slot = Some(t);
            }
        }
    }
}

impl Stage {
    fn new(
        n_sources: usize,
        enricher: Enricher,
        gate: Option<Arc<RecordGate>>,
        formats: &Arc<crate::decode::Formats>,
        replay: bool,
    ) -> Stage {
        Stage {
            decoders: (0..n_sources)
                .map(|_| Decoder::with_formats(formats.clone()))
                .collect(),
            enricher,
            gate,
            replay_time: replay.then(|| vec![None; n_sources]),
            judge: None,
        }
    }

    /// The owned updates one source event stands for, in order.
    fn updates(&mut self, ev: SourceEvent) -> Vec<Update> {
        match ev {
            SourceEvent::Lines(lines) => {
                let Some(source) = lines.first().map(|l| l.source) else {
                    return Vec::new();
                };
                let Some(dec) = self.decoders.get_mut(usize::from(source)) else {
                    return Vec::new();
                };
                let before = dec.metric_points();
                let gate = self.gate.as_deref();
                let mut records = Vec::with_capacity(lines.len());
                let mut rejects = Vec::new();
                let mut scratch = Vec::new();
                let n = lines.len() as u64;
                for line in lines {
                    scratch.clear();
                    let arrival = inferred_arrival(&self.replay_time, source, line.arrival);
                    match dec.decode(&line.bytes, arrival, &mut scratch) {
                        Ok(()) => {
                            for mut r in scratch.drain(..) {
                                note_time(&mut self.replay_time, source, r.time(), arrival);
                                self.enricher.enrich(&mut r);
                                if gate.is_none_or(|g| g.admit(&r)) {
                                    offer(self.judge.as_ref(), &r);
                                    records.push((line.line_no, r));
                                }
                            }
                        }
                        Err(e) => rejects.push((line.line_no, e, snippet_of(&line.bytes))),
                    }
                }
                vec![Update::Batch {
                    source,
                    lines: n,
                    records,
                    rejects,
                    metric_points: dec.metric_points() - before,
                    throttled: 0,
                }]
            }
            SourceEvent::Dropped {
                source,
                line_no,
                reason: SourceDrop::Oversize,
                len,
            } => vec![Update::Batch {
                source,
                lines: 1,
                records: Vec::new(),
                rejects: vec![(line_no, oversize(len), String::new())],
                metric_points: 0,
                throttled: 0,
            }],
            SourceEvent::Received(r) => {
                let (source, bytes, update) = received_update(
                    *r,
                    &mut self.enricher,
                    self.gate.as_deref(),
                    self.judge.as_ref(),
                );
                vec![Update::Bytes { source, n: bytes }, update]
            }
            SourceEvent::State { source, state } => vec![Update::State { source, state }],
            SourceEvent::Bytes { source, n } => {
                if let Some(g) = &self.gate {
                    g.note_bytes(n);
                }
                vec![Update::Bytes { source, n }]
            }
        }
    }

    /// Applies one source event to `engine`, folding native calls from borrowed facts when
    /// the engine keeps no content, enrichment only prices and the gate needs no more than
    /// event times.
    fn apply(&mut self, ev: SourceEvent, engine: &mut Engine) {
        let facts = !engine.store.retains_calls()
            && self.judge.is_none()
            && self.enricher.prices_only()
            && !self.gate.as_deref().is_some_and(RecordGate::needs_records);
        match ev {
            SourceEvent::Lines(lines) if facts => self.apply_facts(&lines, engine),
            ev => {
                for u in self.updates(ev) {
                    u.apply(engine);
                }
            }
        }
    }

    fn apply_facts(&mut self, lines: &[Line], engine: &mut Engine) {
        let Some(source) = lines.first().map(|l| l.source) else {
            return;
        };
        let Some(dec) = self.decoders.get_mut(usize::from(source)) else {
            return;
        };
        engine.note_lines(source, lines.len() as u64, Vec::new());
        let before = dec.metric_points();
        let enricher = &mut self.enricher;
        let gate = self.gate.as_deref();
        let replay_time = &mut self.replay_time;
        for line in lines {
            let line_no = line.line_no;
            let arrival = inferred_arrival(replay_time, source, line.arrival);
            let result = dec.decode_facts(&line.bytes, arrival, &mut |d| match d {
                Decoded::Facts(mut f) => {
                    note_time(replay_time, source, f.event_time(), arrival);
                    if gate.is_none_or(|g| g.admit_time(f.event_time())) {
                        enricher.enrich_facts(&mut f);
                        engine.ingest_facts(source, line_no, &f);
                    }
                }
                Decoded::Record(mut r) => {
                    note_time(replay_time, source, r.time(), arrival);
                    enricher.enrich(&mut r);
                    if gate.is_none_or(|g| g.admit(&r)) {
                        engine.ingest(source, vec![(line_no, r)]);
                    }
                }
            });
            if let Err(e) = result {
                engine.note_reject(source, line_no, e, &line.bytes);
            }
        }
        engine.note_metric_points(dec.metric_points() - before);
    }
}

/// Offers an admitted call to the judge, if one runs.
fn offer(judge: Option<&JudgeHandle>, r: &Record) {
    if let (Some(j), Record::Call(c)) = (judge, r) {
        j.offer(c);
    }
}

/// The rejection of a line a source skipped for its length.
fn oversize(len: u64) -> Reject {
    Reject::new(
        RejectReason::Oversize,
        format!("line of {len} bytes is over the configured cap"),
    )
}

/// A receiver's request as an enriched [`Update::Batch`], with its source and body size.
fn received_update(
    r: Received,
    enricher: &mut Enricher,
    gate: Option<&RecordGate>,
    judge: Option<&JudgeHandle>,
) -> (SourceId, u64, Update) {
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
            .filter_map(|mut rec| {
                enricher.enrich(&mut rec);
                let admitted = gate.is_none_or(|g| g.admit(&rec));
                if admitted {
                    offer(judge, &rec);
                }
                admitted.then_some((seq, rec))
            })
            .collect(),
        rejects: rejects
            .into_iter()
            .map(|e| (seq, e, String::new()))
            .collect(),
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
    Option<(JudgeHandle, crate::judge::Link)>,
);

fn start_sources(
    specs: &[SourceSpec],
    opts: &SourceOptions,
    engine: &mut Engine,
    mut demo: impl FnMut() -> ExtraSpawner,
    judge: Option<JudgeSetup>,
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
    // Only inputs that end may hold their reader back for the judge.
    let ends = !opts.follow
        && specs
            .iter()
            .all(|s| matches!(s, SourceSpec::File(_) | SourceSpec::Stdin));
    let judged = judge.map(|j| {
        let id = engine.add_source(format!("judge {}", j.cfg.model), SourceKind::Judge);
        let _guard = runtime.enter();
        crate::judge::spawn(j.cfg, id, src_tx.clone(), j.tee, j.wait && ends)
    });
    drop(src_tx);
    let finished = engine
        .sources
        .iter()
        .map(|s| matches!(s.state, SourceState::Error(_)))
        .collect();
    Ok((runtime, src_rx, finished, judged))
}

/// The decode thread: takes source events until they end or `close` is signalled, then
/// decodes what the sources already sent and hangs up, so the engine owner sees
/// `Disconnected` only after the last update.
fn decode_loop(
    handle: &tokio::runtime::Handle,
    mut rx: tokio::sync::mpsc::Receiver<SourceEvent>,
    tx: &SyncSender<Update>,
    mut stage: Stage,
    close: &tokio::sync::Notify,
) {
    let send_all =
        |stage: &mut Stage, ev| stage.updates(ev).into_iter().all(|u| tx.send(u).is_ok());
    loop {
        let next = handle.block_on(async {
            tokio::select! {
                ev = rx.recv() => Some(ev),
                () = close.notified() => None,
            }
        });
        match next {
            Some(Some(ev)) => {
                if !send_all(&mut stage, ev) {
                    return;
                }
            }
            Some(None) => return,
            None => break,
        }
    }
    rx.close();
    while let Ok(ev) = rx.try_recv() {
        if !send_all(&mut stage, ev) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::pricing::{PriceTable, Pricer};
    use crate::source::SourceKind;

    fn enricher() -> Enricher {
        let table = PriceTable::builtin().expect("built-in price table");
        Enricher::new(Pricer::new(Arc::new(table)), None)
    }

    fn line(n: u64) -> Line {
        Line {
            source: 0,
            line_no: n,
            arrival: 1_700_000_000_000_000_000,
            bytes: format!(
                r#"{{"ts":{},"model":"m","latency_ms":5}}"#,
                1_700_000_000 + n
            )
            .into_bytes(),
        }
    }

    /// A pipeline over hand-fed source events, decoded by the real decode thread.
    fn threaded(engine: &mut Engine) -> (Pipeline, tokio::sync::mpsc::Sender<SourceEvent>) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        engine.add_source("test", SourceKind::File);
        let (src_tx, src_rx) = tokio::sync::mpsc::channel(SOURCE_QUEUE);
        let (tx, rx) = sync_channel(UPDATE_QUEUE);
        let close = Arc::new(tokio::sync::Notify::new());
        let (handle, closing) = (runtime.handle().clone(), close.clone());
        let stage = Stage::new(1, enricher(), None, &Arc::default(), false);
        std::thread::spawn(move || decode_loop(&handle, src_rx, &tx, stage, &closing));
        let p = Pipeline {
            runtime,
            inbox: Inbox::Threaded { rx, close },
            finished: vec![false],
            interrupted: Arc::default(),
            closing: false,
            judge: None,
        };
        (p, src_tx)
    }

    #[test]
    fn a_batch_arriving_right_after_a_timeout_is_applied() {
        let mut engine = Engine::new(crate::engine::EngineConfig::default());
        let (mut p, tx) = threaded(&mut engine);
        assert_eq!(
            p.step(&mut engine, Duration::from_millis(20)),
            Step::Timeout
        );
        tx.blocking_send(SourceEvent::Lines(vec![line(1), line(2)]))
            .expect("send");
        let mut applied = 0;
        while p.step(&mut engine, Duration::from_secs(5)) == Step::Applied {
            applied += 1;
            if engine.records == 2 {
                break;
            }
        }
        assert_eq!((applied, engine.records), (1, 2));
        drop(tx);
        assert_eq!(p.step(&mut engine, Duration::from_secs(5)), Step::Closed);
    }

    #[test]
    fn a_deadline_closes_the_sources_and_applies_everything_they_sent() {
        let mut engine = Engine::new(crate::engine::EngineConfig::default());
        let (mut p, tx) = threaded(&mut engine);
        for n in 0..6 {
            tx.blocking_send(SourceEvent::Lines(vec![line(2 * n + 1), line(2 * n + 2)]))
                .expect("send");
        }
        p.drain_into(&mut engine, Some(Instant::now()));
        assert_eq!(engine.records, 12);
        assert!(tx.is_closed(), "closing stops the sources");
    }

    #[test]
    fn an_interrupt_still_hands_out_everything_sent_before_it() {
        let mut engine = Engine::new(crate::engine::EngineConfig::default());
        let (mut p, tx) = threaded(&mut engine);
        for n in 0..6 {
            tx.blocking_send(SourceEvent::Lines(vec![line(n + 1)]))
                .expect("send");
        }
        p.interrupted.store(true, Ordering::Relaxed);
        let mut records = 0;
        while let Some(u) = p.next_until(None) {
            if let Update::Batch { records: r, .. } = u {
                records += r.len();
            }
        }
        assert_eq!(records, 6);
        assert!(tx.is_closed(), "an interrupt stops the sources");
    }
}
