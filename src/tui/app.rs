//! The UI state machine: which pane is focused, the selection of each list (kept by key, so
//! rows can move under it and Esc comes back to the same row), follow and pause, the filter,
//! the metrics window, the drill-down stack, the help overlay and mouse capture. It turns key
//! and mouse events into state changes; it reads the engine but never computes statistics.

use super::keymap::{Action, Context, Keymap};
use super::rows::{self, ConvColumn, ConvRow, Index, ReviewRow, TraceColumn, TraceRow};
use super::theme::Theme;
use super::views::detail;
use crate::annotations::{AnnotationError, Annotations};
use crate::engine::read::agreement::Agreement;
use crate::engine::read::alerts::DrillSort;
use crate::engine::read::{Rank, ReadSpec, Snapshot};
use crate::engine::store::Seq;
use crate::engine::{format_duration, Engine, Scope};
use crate::export;
use crate::model::query::Query;
use crate::model::record::Nanos;
use crate::present::sanitize;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use std::cell::Cell;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Smallest terminal the panes are laid out for.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Rebuilding the row indexes happens at most this often while data flows...
const REBUILD_EVERY: Duration = Duration::from_millis(250);
/// ...and at most this share of the UI thread's time (large stores rebuild less often).
const REBUILD_SHARE: u32 = 10;

/// The eight panes, in number-key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Overview,
    Conversations,
    Traces,
    Flagged,
    Drift,
    Alerts,
    Calls,
    Review,
}

impl Pane {
    /// Every pane, in order.
    pub const ALL: [Pane; 8] = [
        Pane::Overview,
        Pane::Conversations,
        Pane::Traces,
        Pane::Flagged,
        Pane::Drift,
        Pane::Alerts,
        Pane::Calls,
        Pane::Review,
    ];

    /// Title in the tab bar.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Overview => "Overview",
            Pane::Conversations => "Conversations",
            Pane::Traces => "Traces",
            Pane::Flagged => "Flagged",
            Pane::Drift => "Drift",
            Pane::Alerts => "Alerts",
            Pane::Calls => "Calls",
            Pane::Review => "Review",
        }
    }

    fn context(self) -> Context {
        match self {
            Pane::Overview => Context::Overview,
            Pane::Conversations => Context::Conversations,
            Pane::Traces => Context::Traces,
            Pane::Flagged => Context::Flagged,
            Pane::Drift => Context::Drift,
            Pane::Alerts => Context::Alerts,
            Pane::Calls => Context::Calls,
            Pane::Review => Context::Review,
        }
    }

    fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// What a drill-down shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A conversation, turn by turn.
    Conversation(Box<str>),
    /// One call or span.
    Call(Seq),
    /// A trace as a full-height waterfall with a span cursor.
    Trace(Box<str>),
}

/// One entry of the drill-down stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub target: Target,
    /// Raw JSON instead of the formatted view.
    pub json: bool,
    /// First line shown.
    pub scroll: usize,
    /// Selected span (trace waterfall only).
    pub cursor: usize,
}

/// Which number colours the waterfall bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorBy {
    Latency,
    Cost,
}

/// Selection and scroll of one list pane.
#[derive(Debug, Default)]
pub struct ListState<K> {
    /// Key of the selected row; kept across rebuilds.
    pub key: Option<K>,
    /// Row position of `key` in the current index.
    pub pos: usize,
    /// First visible row, adjusted by the view to keep the selection visible.
    pub offset: Cell<usize>,
    /// Screen rows of the list's body at the last draw (for mouse clicks and paging).
    pub area: Cell<Rect>,
}

/// The filter: the applied query and the line being edited.
#[derive(Debug)]
pub struct Filter {
    pub text: String,
    pub query: Query,
    /// `Some` while the `/` prompt is open.
    pub editing: Option<String>,
    /// The query in effect when the prompt opened; Esc goes back to it.
    pub saved: String,
    pub error: Option<String>,
    /// Event-time bounds (inclusive) set by an alert's drill-down; cleared with the filter.
    pub range: Option<(Nanos, Nanos)>,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            text: String::new(),
            query: Query::all(),
            editing: None,
            saved: String::new(),
            error: None,
            range: None,
        }
    }
}

/// Which field of the `a` editor has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelField {
    /// The label, one word (`good`, `bad`, `hallucination`, `unsafe` or any word).
    Label,
    /// The free-text note saved with it.
    Note,
}

/// The `a` editor: what is being labelled (fixed when it opens, so rows moving under a
/// following view do not change it), the label and the note. Every key goes to its text
/// fields until Enter saves or Esc cancels, so typed text never runs as a command.
#[derive(Debug, Clone)]
pub struct LabelPrompt {
    pub label: tui_input::Input,
    pub note: tui_input::Input,
    pub field: LabelField,
    pub conversation: Box<str>,
    pub call: Option<String>,
}

/// `e` found its file already there: what it would write, waiting for `y` (overwrite) or
/// `n`/Esc (keep the file, write nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPrompt {
    pub path: PathBuf,
    /// The calls the pane showed when `e` was pressed, in store order.
    pub calls: Vec<Seq>,
}

/// Where Esc on the Calls pane goes back to after an alert opened it: the pane and the
/// filter in effect before Enter, so the walk back is one step at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Return {
    pub pane: Pane,
    pub filter: String,
    /// The Calls pane's own order, which the alert's worst-first order replaced.
    pub sort: DrillSort,
}

/// The view frozen by Space: the counters at pause time and the newest call shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paused {
    pub records: u64,
    pub max_seq: Option<Seq>,
}

/// Records per second per source, measured on the wall clock for the header.
#[derive(Debug, Default)]
pub struct Rates {
    at: Option<Instant>,
    counts: Vec<u64>,
    /// Per source, in source order.
    pub per_source: Vec<f64>,
}

impl Rates {
    /// Updates the rates when a second has passed; true when they changed.
    pub fn tick(&mut self, engine: &Engine, now: Instant) -> bool {
        let counts: Vec<u64> = engine.sources.iter().map(|s| s.records).collect();
        let Some(at) = self.at else {
            self.at = Some(now);
            self.per_source = vec![0.0; counts.len()];
            self.counts = counts;
            return false;
        };
        let dt = now.saturating_duration_since(at).as_secs_f64();
        if dt < 1.0 {
            return false;
        }
        let rates: Vec<f64> = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| c.saturating_sub(self.counts.get(i).copied().unwrap_or(0)) as f64 / dt)
            .collect();
        let changed = rates != self.per_source;
        self.per_source = rates;
        self.counts = counts;
        self.at = Some(now);
        changed
    }
}

/// The whole UI state.
#[derive(Debug)]
pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    pub pane: Pane,
    pub stack: Vec<Detail>,
    /// Scroll of the help overlay when it is open.
    pub help: Option<usize>,
    pub filter: Filter,
    /// Window lengths offered by +/-; one past the end means "since start".
    pub windows: Vec<i64>,
    pub window_idx: usize,
    pub paused: Option<Paused>,
    pub follow: bool,
    pub mouse: bool,
    pub quit: bool,
    /// One-line message in the footer (copy result, unknown query field, ...).
    pub status: Option<String>,
    /// Text waiting to be sent to the clipboard by the event loop.
    pub clipboard: Option<String>,
    pub color_by: ColorBy,
    pub rank: Rank,
    /// Selected row of the overview's model table.
    pub model_pos: usize,
    pub conv_sort: (ConvColumn, bool),
    pub trace_sort: (TraceColumn, bool),
    pub conv: ListState<Box<str>>,
    pub traces: ListState<Box<str>>,
    pub flagged: ListState<Seq>,
    pub calls: ListState<Seq>,
    pub conv_index: Index<ConvRow>,
    pub trace_index: Index<TraceRow>,
    pub flagged_index: Index<Seq>,
    /// The Calls pane's rows; built only while that pane is shown (it sorts every call).
    pub calls_index: Index<Seq>,
    /// Order of the Calls pane (`s` cycles; an alert sets its own worst-first order).
    pub calls_sort: DrillSort,
    /// Set when an alert opened the Calls pane: where Esc goes back to.
    pub calls_return: Option<Return>,
    pub review: ListState<Seq>,
    /// The Review pane's rows: the snapshot's queue with the filter and labels joined;
    /// built only while that pane is shown.
    pub review_index: Index<ReviewRow>,
    /// Rows of `review_index` that carry a label.
    pub review_reviewed: usize,
    /// Judge/human agreement per criterion over every labelled call the store holds.
    pub review_agreement: Vec<Agreement>,
    /// What every pane draws: the engine as of the last rebuild, kept while paused.
    pub snap: std::sync::Arc<Snapshot>,
    /// Selected row of the Alerts pane (rules, then recent transitions).
    pub alert_pos: usize,
    /// First visible row of the Alerts pane.
    pub alert_offset: Cell<usize>,
    /// Selected feature row of the Drift pane.
    pub drift_pos: usize,
    /// First visible feature row of the Drift pane.
    pub drift_offset: Cell<usize>,
    /// The feature whose histograms are open (Enter on the Drift pane; Esc closes).
    pub drift_open: Option<String>,
    /// `b` was pressed: the event loop, which may change the engine, pins the reference.
    pub rebaseline_requested: bool,
    /// The sources inspector is open over the pane (`i`; Esc closes it).
    pub sources_open: bool,
    /// Files were opened at their start (`--from-start`), for the inspector's at-end hint.
    pub from_start: bool,
    /// Size at start of each file source replayed from its start, by source index, so the
    /// header can show how far loading has come.
    pub load_sizes: Vec<Option<u64>>,
    /// PII and secret spans are masked on screen (`r`).
    pub redact: bool,
    /// Labels and marks, appended to the annotations file when one is configured.
    pub annotations: Annotations,
    /// `Some` while the `a` label prompt is open.
    pub label_prompt: Option<LabelPrompt>,
    /// `Some` while `e` asks whether to overwrite an existing file.
    pub export_prompt: Option<ExportPrompt>,
    /// Directory `e` writes exports to (the current directory).
    pub export_dir: PathBuf,
    pub rates: Rates,
    /// Date of the price table, shown with computed costs.
    pub price_date: Option<String>,
    /// Notification counters (sent, failed, dropped) for the Alerts pane title, when a
    /// webhook or command is configured.
    pub notify: Option<std::sync::Arc<crate::notify::NotifyStats>>,
    /// The running judge's counters and configuration, for its progress line in Review and
    /// the quality panel, when `[judge]` is on.
    pub judge: Option<(
        std::sync::Arc<crate::judge::JudgeStats>,
        std::sync::Arc<crate::judge::JudgeConfig>,
    )>,
    built_gen: Option<u64>,
    built_at: Option<Instant>,
    /// How long the last rebuild took, to space rebuilds of large stores.
    rebuild_cost: Duration,
    /// Something changed that needs a redraw.
    pub dirty: bool,
}

impl App {
    /// The judge's counters now, when one runs.
    pub fn judge_run(&self) -> Option<crate::judge::JudgeRun> {
        self.judge.as_ref().map(|(stats, cfg)| stats.snapshot(cfg))
    }

    /// A fresh UI on the Overview pane, following, with the engine's window lengths.
    pub fn new(keymap: Keymap, theme: Theme, windows: Vec<i64>) -> App {
        let window_idx = windows
            .iter()
            .position(|&w| w == 300 * crate::engine::SECOND)
            .unwrap_or(0);
        App {
            keymap,
            theme,
            pane: Pane::Overview,
            stack: Vec::new(),
            help: None,
            filter: Filter::default(),
            window_idx,
            windows,
            paused: None,
            follow: true,
            mouse: false,
            quit: false,
            status: None,
            clipboard: None,
            color_by: ColorBy::Latency,
            rank: Rank::Cost,
            model_pos: 0,
            conv_sort: (ConvColumn::Last, false),
            trace_sort: (TraceColumn::Last, false),
            conv: ListState::default(),
            traces: ListState::default(),
            flagged: ListState::default(),
            calls: ListState::default(),
            conv_index: Index::default(),
            trace_index: Index::default(),
            flagged_index: Index::default(),
            calls_index: Index::default(),
            calls_sort: DrillSort::Newest,
            calls_return: None,
            review: ListState::default(),
            review_index: Index::default(),
            review_reviewed: 0,
            review_agreement: Vec::new(),
            snap: std::sync::Arc::default(),
            alert_pos: 0,
            alert_offset: Cell::new(0),
            drift_pos: 0,
            drift_offset: Cell::new(0),
            drift_open: None,
            rebaseline_requested: false,
            sources_open: false,
            from_start: false,
            load_sizes: Vec::new(),
            redact: false,
            annotations: Annotations::in_memory(),
            label_prompt: None,
            export_prompt: None,
            export_dir: PathBuf::from("."),
            rates: Rates::default(),
            price_date: None,
            notify: None,
            judge: None,
            built_gen: None,
            built_at: None,
            rebuild_cost: Duration::ZERO,
            dirty: true,
        }
    }

    /// The scope the metrics are shown for.
    pub fn scope(&self) -> Scope {
        self.windows
            .get(self.window_idx)
            .map_or(Scope::SinceStart, |&w| Scope::Window(w))
    }

    /// The window as the header shows it.
    pub fn window_label(&self) -> String {
        match self.scope() {
            Scope::SinceStart => "since start".into(),
            Scope::Window(w) => format_duration(w),
        }
    }

    /// The keymap context of what has focus.
    pub fn context(&self) -> Context {
        match self.stack.last() {
            Some(d) if d.json => Context::Json,
            Some(_) => Context::Detail,
            None => self.pane.context(),
        }
    }

    /// Records that arrived since the view was paused.
    pub fn paused_behind(&self, engine: &Engine) -> Option<u64> {
        self.paused
            .map(|p| engine.records.saturating_sub(p.records))
    }

    /// The newest call a view may show (everything while live; frozen while paused).
    pub fn max_seq(&self) -> Option<Seq> {
        self.paused.and_then(|p| p.max_seq)
    }

    /// Brings the cached indexes and overview numbers up to date with the engine, unless
    /// paused; rebuilds at most every 250 ms unless `force` (the UI state changed).
    pub fn refresh(&mut self, engine: &Engine, now: Instant, force: bool) {
        if self.paused.is_some() {
            return;
        }
        let gen = engine.generation ^ engine.store.generation.rotate_left(32);
        let stale = self.built_gen != Some(gen);
        let every = REBUILD_EVERY.max(self.rebuild_cost * REBUILD_SHARE);
        let due = self
            .built_at
            .is_none_or(|t| now.saturating_duration_since(t) >= every);
        if !(force || (stale && due)) {
            return;
        }
        let started = Instant::now();
        self.rebuild(engine);
        self.rebuild_cost = started.elapsed();
        self.built_gen = Some(gen);
        self.built_at = Some(now);
    }

    /// True when the engine changed since the last rebuild.
    pub fn stale(&self, engine: &Engine) -> bool {
        self.paused.is_none()
            && self.built_gen != Some(engine.generation ^ engine.store.generation.rotate_left(32))
    }

    fn rebuild(&mut self, engine: &Engine) {
        let store = &engine.store;
        let q = &self.filter.query;
        let ann = &self.annotations;
        self.conv_index = rows::conversations(
            store,
            ann,
            q,
            self.filter.range,
            self.conv_sort.0,
            self.conv_sort.1,
        );
        self.trace_index = rows::traces(store, ann, q, self.trace_sort.0, self.trace_sort.1);
        self.flagged_index = rows::flagged(store, ann, q);
        if self.pane == Pane::Calls {
            self.calls_index = rows::calls(store, ann, q, self.filter.range, self.calls_sort);
        }
        if self.paused.is_none() {
            self.take_snapshot(engine, false);
        }
        if self.pane == Pane::Review {
            self.rebuild_review(engine);
        }
        let follow = self.follow;
        reselect(&mut self.conv, &self.conv_index, follow, |r| &r.key);
        reselect(&mut self.traces, &self.trace_index, follow, |r| &r.id);
        reselect(&mut self.flagged, &self.flagged_index, follow, |s| s);
        reselect(&mut self.calls, &self.calls_index, follow, |s| s);
    }

    /// Takes what every pane draws from the engine. The drift verdict and the review queue
    /// are taken only for their pane, or when `full` (the view is being paused): comparing
    /// the current window and reading every stored call cost more than the rest.
    fn take_snapshot(&mut self, engine: &Engine, full: bool) {
        let drift = full || self.pane == Pane::Drift;
        let spec = ReadSpec {
            scope: Some(self.scope()),
            rank: self.rank,
            model_pos: self.model_pos,
            drift,
            why_of: (self.pane == Pane::Alerts).then_some(self.alert_pos),
            over_time: self.pane == Pane::Overview || drift,
            review: full || self.pane == Pane::Review,
        };
        self.snap = std::sync::Arc::new(engine.snapshot(&spec));
        let snap = &self.snap;
        self.model_pos = self
            .model_pos
            .min(snap.overview.models.len().saturating_sub(1));
        self.alert_pos = self.alert_pos.min(snap.alerts.len().saturating_sub(1));
        let drift_rows = snap.drift.as_ref().map_or(0, |d| d.rows.len());
        self.drift_pos = self.drift_pos.min(drift_rows.saturating_sub(1));
    }

    fn rebuild_now(&mut self, engine: &Engine) {
        let paused = self.paused.take();
        self.rebuild(engine);
        self.paused = paused;
    }

    /// Handles one key press.
    pub fn on_key(&mut self, ev: &KeyEvent, engine: &Engine) {
        if ev.kind == KeyEventKind::Release {
            return;
        }
        self.dirty = true;
        if self.filter.editing.is_some() {
            self.edit_filter(ev, engine);
            return;
        }
        if self.label_prompt.is_some() {
            self.edit_label(ev, engine);
            return;
        }
        if self.export_prompt.is_some() {
            self.confirm_export(ev, engine);
            return;
        }
        let Some(action) = self.keymap.action(self.context(), ev) else {
            return;
        };
        if let Some(scroll) = self.help {
            match action {
                Action::Quit => self.quit = true,
                Action::Down => self.help = Some(scroll + 1),
                Action::Up => self.help = Some(scroll.saturating_sub(1)),
                Action::PageDown | Action::HalfPageDown => self.help = Some(scroll + 10),
                Action::PageUp | Action::HalfPageUp => self.help = Some(scroll.saturating_sub(10)),
                _ => self.help = None,
            }
            return;
        }
        self.status = None;
        self.act(action, engine);
    }

    /// Carries out what a key asked of the engine (`b` pins the drift reference); the
    /// event loop calls it after handling input, since keys only read the engine.
    pub fn apply_requests(&mut self, engine: &mut Engine) {
        if !std::mem::take(&mut self.rebaseline_requested) {
            return;
        }
        self.dirty = true;
        self.status = Some(if engine.pin_drift_reference() {
            "drift reference pinned to the current window".into()
        } else {
            let min = engine.drift.config().compare.min_samples;
            format!("✗ not pinned: the current and last windows have fewer than {min} calls")
        });
        self.rebuild_now(engine);
    }

    /// Handles a mouse event (only delivered while capture is on).
    pub fn on_mouse(&mut self, ev: &MouseEvent, engine: &Engine) {
        let action = match ev.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            MouseEventKind::Down(_) => {
                self.click(ev.column, ev.row);
                None
            }
            _ => None,
        };
        if let Some(a) = action {
            self.dirty = true;
            self.act(a, engine);
        }
    }

    fn click(&mut self, x: u16, y: u16) {
        if !self.stack.is_empty() {
            return;
        }
        let pos = ratatui::layout::Position::new(x, y);
        let (area, offset, len) = match self.pane {
            Pane::Conversations => (
                self.conv.area.get(),
                self.conv.offset.get(),
                self.conv_index.rows.len(),
            ),
            Pane::Traces => (
                self.traces.area.get(),
                self.traces.offset.get(),
                self.trace_index.rows.len(),
            ),
            Pane::Flagged => (
                self.flagged.area.get(),
                self.flagged.offset.get(),
                self.flagged_index.rows.len(),
            ),
            Pane::Calls => (
                self.calls.area.get(),
                self.calls.offset.get(),
                self.calls_index.rows.len(),
            ),
            Pane::Review => (
                self.review.area.get(),
                self.review.offset.get(),
                self.review_index.rows.len(),
            ),
            _ => return,
        };
        if !area.contains(pos) {
            return;
        }
        let row = offset + usize::from(y - area.y);
        if row < len {
            self.dirty = true;
            self.select(row);
        }
    }

    fn edit_filter(&mut self, ev: &KeyEvent, engine: &Engine) {
        let Some(line) = self.filter.editing.as_mut() else {
            return;
        };
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Char('u') if ctrl => line.clear(),
            KeyCode::Char(c) if !ctrl => line.push(c),
            KeyCode::Backspace => {
                line.pop();
            }
            KeyCode::Esc => {
                self.filter.editing = None;
                let saved = std::mem::take(&mut self.filter.saved);
                self.apply_filter(&saved, engine);
                return;
            }
            KeyCode::Enter => {
                let text = line.clone();
                if self.apply_filter(&text, engine) {
                    self.filter.editing = None;
                }
                return;
            }
            _ => return,
        }
        // Live preview while typing; errors wait for Enter to be shown loudly.
        let text = line.clone();
        match Query::parse(&text) {
            Ok(_) => {
                self.filter.error = None;
                self.apply_filter(&text, engine);
            }
            Err(e) => self.filter.error = Some(e.to_string()),
        }
    }

    /// Applies a query; false (with the error shown) when it does not parse.
    pub fn apply_filter(&mut self, text: &str, engine: &Engine) -> bool {
        match Query::parse(text) {
            Ok(q) => {
                self.filter.query = q;
                self.filter.range = None;
                self.filter.text = text.trim().to_string();
                self.filter.error = None;
                self.rebuild_now(engine);
                true
            }
            Err(e) => {
                self.filter.error = Some(e.to_string());
                false
            }
        }
    }

    fn page(&self) -> usize {
        let h = match self.pane {
            Pane::Conversations => self.conv.area.get().height,
            Pane::Traces => self.traces.area.get().height,
            Pane::Flagged => self.flagged.area.get().height,
            Pane::Calls => self.calls.area.get().height,
            Pane::Review => self.review.area.get().height,
            _ => 10,
        };
        usize::from(h.max(2)) - 1
    }

    /// Runs one action.
    pub fn act(&mut self, action: Action, engine: &Engine) {
        if !self.stack.is_empty() && self.act_detail(action, engine) {
            return;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = Some(0),
            Action::Filter => {
                self.filter.saved.clone_from(&self.filter.text);
                self.filter.editing = Some(self.filter.text.clone());
            }
            Action::Up => {
                self.move_by(-1);
                self.follow_selection(engine);
            }
            Action::Down => {
                self.move_by(1);
                self.follow_selection(engine);
            }
            Action::PageUp => self.move_by(-(self.page() as i64)),
            Action::PageDown => self.move_by(self.page() as i64),
            Action::HalfPageUp => self.move_by(-(self.page() as i64 / 2).max(1)),
            Action::HalfPageDown => self.move_by((self.page() as i64 / 2).max(1)),
            Action::NextHit => self.move_hit(1),
            Action::PrevHit => self.move_hit(-1),
            Action::Top => {
                self.follow = false;
                self.select(0);
            }
            Action::Bottom => {
                self.follow = true;
                self.select_newest();
            }
            Action::Follow => {
                self.follow = !self.follow;
                if self.follow {
                    self.select_newest();
                }
            }
            Action::NextPane => self.switch((self.pane.index() + 1) % Pane::ALL.len(), engine),
            Action::PrevPane => self.switch(
                (self.pane.index() + Pane::ALL.len() - 1) % Pane::ALL.len(),
                engine,
            ),
            Action::Pane(n) => self.switch(usize::from(n.saturating_sub(1)), engine),
            Action::Enter if self.pane == Pane::Alerts => self.open_alert(engine),
            Action::Enter if self.pane == Pane::Drift => {
                self.drift_open = self
                    .snap
                    .drift
                    .as_ref()
                    .and_then(|d| d.rows.get(self.drift_pos))
                    .map(|r| r.feature.name.clone());
            }
            Action::Back if self.drift_open.is_some() => self.drift_open = None,
            Action::Back if self.sources_open => self.sources_open = false,
            Action::Enter => match self.selected_target(engine) {
                Some(Target::Call(seq)) => self.open_call(seq, engine),
                Some(t) => self.push(t, false),
                None => {}
            },
            Action::RawJson => {
                if let Some(t) = self.selected_target(engine) {
                    self.push(t, true);
                }
            }
            Action::Back if self.pane == Pane::Calls && self.calls_return.is_some() => {
                self.back_from_calls(engine)
            }
            Action::Back => {
                if !self.filter.text.is_empty() || self.filter.range.is_some() {
                    self.apply_filter("", engine);
                }
            }
            Action::Pause => self.toggle_pause(engine),
            Action::Copy => {
                let t = self.selected_target(engine);
                self.copy(t, engine);
            }
            Action::WindowLonger => self.change_window(1, engine),
            Action::WindowShorter => self.change_window(-1, engine),
            Action::ToggleMouse => {
                self.mouse = !self.mouse;
                self.status = Some(if self.mouse {
                    "mouse capture on (m turns it off for native selection)".into()
                } else {
                    "mouse capture off".into()
                });
            }
            Action::JumpTrace => {
                let t = self.selected_target(engine);
                self.jump_trace(t.as_ref(), engine);
            }
            Action::ToggleColorBy => {
                self.color_by = match self.color_by {
                    ColorBy::Latency => ColorBy::Cost,
                    ColorBy::Cost => ColorBy::Latency,
                }
            }
            Action::SortNext | Action::SortReverse => {
                self.sort(action == Action::SortReverse, engine)
            }
            Action::Redact => self.toggle_redact(),
            Action::Export => self.export(engine),
            Action::Annotate => self.start_label(engine),
            Action::Mark => self.mark(engine),
            Action::Undo => self.undo(engine),
            Action::Rebaseline => self.rebaseline_requested = true,
            Action::Sources => self.sources_open = !self.sources_open,
            Action::LabelGood => self.review_label("good", engine),
            Action::LabelBad => self.review_label("bad", engine),
            Action::LabelHallucination => self.review_label("hallucination", engine),
            Action::LabelUnsafe => self.review_label("unsafe", engine),
            Action::Note => self.start_note(engine),
            Action::Skip => self.skip(),
        }
    }

    /// Actions inside the drill-down; false when the action is not a detail action.
    fn act_detail(&mut self, action: Action, engine: &Engine) -> bool {
        let lines = self.detail_len(engine);
        let Some(d) = self.stack.last_mut() else {
            return false;
        };
        let is_trace = matches!(d.target, Target::Trace(_)) && !d.json;
        let step = |d: &mut Detail, by: i64| {
            if is_trace {
                d.cursor = (d.cursor as i64 + by).clamp(0, lines.saturating_sub(1) as i64) as usize;
            } else {
                d.scroll = (d.scroll as i64 + by).clamp(0, lines.saturating_sub(1) as i64) as usize;
            }
        };
        match action {
            Action::Back => {
                self.stack.pop();
            }
            Action::Up => step(d, -1),
            Action::Down => step(d, 1),
            Action::PageUp => step(d, -20),
            Action::PageDown => step(d, 20),
            Action::HalfPageUp => step(d, -10),
            Action::HalfPageDown => step(d, 10),
            Action::Top => step(d, -(lines as i64)),
            Action::Bottom => step(d, lines as i64),
            Action::NextHit | Action::PrevHit => {
                let needles: Vec<String> = self
                    .filter
                    .query
                    .text_needles()
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                let forward = action == Action::NextHit;
                self.find_in_detail(&needles, forward, engine);
            }
            Action::Enter => match (&d.target, d.json) {
                (Target::Trace(_), false) => {
                    if let Some(seq) = self.trace_cursor_seq(engine) {
                        self.push(Target::Call(seq), false);
                    }
                }
                // From a call on its own, Enter opens its conversation at that turn.
                (&Target::Call(seq), false) => self.open_call(seq, engine),
                _ => {}
            },
            Action::RawJson => {
                let target = match (&d.target, is_trace) {
                    (Target::Trace(_), true) => self.trace_cursor_seq(engine).map(Target::Call),
                    (t, _) => Some(t.clone()),
                };
                if let Some(t) = target {
                    if self.stack.last().is_some_and(|d| d.json) {
                        return true;
                    }
                    self.push(t, true);
                }
            }
            Action::Copy => {
                let t = Some(d.target.clone());
                self.copy(t, engine);
            }
            Action::JumpTrace => {
                let t = Some(d.target.clone());
                self.jump_trace(t.as_ref(), engine);
            }
            _ => return false,
        }
        true
    }

    fn detail_len(&self, engine: &Engine) -> usize {
        let Some(d) = self.stack.last() else { return 0 };
        match (&d.target, d.json) {
            (Target::Trace(id), false) => {
                crate::engine::read::trace::tree(&engine.store, id, self.max_seq())
                    .rows
                    .len()
            }
            _ => detail::text(self, engine, d).len(),
        }
    }

    fn trace_cursor_seq(&self, engine: &Engine) -> Option<Seq> {
        let d = self.stack.last()?;
        let Target::Trace(id) = &d.target else {
            return None;
        };
        let tree = crate::engine::read::trace::tree(&engine.store, id, self.max_seq());
        tree.rows.get(d.cursor).map(|r| r.seq)
    }

    fn find_in_detail(&mut self, needles: &[String], forward: bool, engine: &Engine) {
        if needles.is_empty() {
            self.status = Some("no search words in the filter (/ then a bare word)".into());
            return;
        }
        let Some(d) = self.stack.last() else { return };
        let lines = detail::text(self, engine, d);
        let n = lines.len();
        let from = d.scroll;
        let hit = (1..=n)
            .map(|i| {
                if forward {
                    (from + i) % n
                } else {
                    (from + n - i % n) % n
                }
            })
            .find(|&i| {
                let l = lines[i].to_lowercase();
                needles.iter().any(|w| l.contains(w.as_str()))
            });
        match (hit, self.stack.last_mut()) {
            (Some(i), Some(d)) => d.scroll = i,
            _ => self.status = Some("no match in this record".into()),
        }
    }

    fn push(&mut self, target: Target, json: bool) {
        self.stack.push(Detail {
            target,
            json,
            scroll: 0,
            cursor: 0,
        });
    }

    fn switch(&mut self, i: usize, engine: &Engine) {
        self.stack.clear();
        self.drift_open = None;
        self.sources_open = false;
        if let Some(back) = self.calls_return.take() {
            self.calls_sort = back.sort;
        }
        self.pane = Pane::ALL[i.min(Pane::ALL.len() - 1)];
        if self.paused.is_none()
            && matches!(
                self.pane,
                Pane::Overview | Pane::Drift | Pane::Alerts | Pane::Review
            )
        {
            self.take_snapshot(engine, false);
        }
        if self.pane == Pane::Calls {
            self.rebuild_calls(engine);
        }
        if self.pane == Pane::Review {
            let first = self.review.key.is_none();
            self.rebuild_review(engine);
            if first {
                self.select(self.next_unreviewed(0).unwrap_or(0));
            }
        }
    }

    fn toggle_pause(&mut self, engine: &Engine) {
        if self.paused.is_some() {
            self.paused = None;
            self.rebuild(engine);
        } else {
            // Everything on screen freezes at this snapshot, drift included, so any pane
            // can be visited while paused.
            self.take_snapshot(engine, true);
            self.paused = Some(Paused {
                records: self.snap.records,
                max_seq: self.snap.max_seq,
            });
        }
    }

    fn change_window(&mut self, by: i64, engine: &Engine) {
        let n = self.windows.len() as i64 + 1;
        if self.paused.is_some() {
            self.status = Some("paused: Space resumes, then +/- changes the window".into());
            return;
        }
        let i = (self.window_idx as i64 + by).clamp(0, n - 1);
        self.window_idx = i as usize;
        self.take_snapshot(engine, false);
    }

    fn sort(&mut self, reverse: bool, engine: &Engine) {
        match self.pane {
            Pane::Conversations => {
                self.conv_sort = if reverse {
                    (self.conv_sort.0, !self.conv_sort.1)
                } else {
                    (self.conv_sort.0.next(), false)
                }
            }
            Pane::Traces => {
                self.trace_sort = if reverse {
                    (self.trace_sort.0, !self.trace_sort.1)
                } else {
                    (self.trace_sort.0.next(), false)
                }
            }
            Pane::Calls => {
                self.calls_sort = match self.calls_sort {
                    DrillSort::Newest => DrillSort::Latency,
                    DrillSort::Latency => DrillSort::Ttft,
                    DrillSort::Ttft => DrillSort::Cost,
                    DrillSort::Cost => DrillSort::Severity,
                    DrillSort::Severity => DrillSort::Newest,
                };
            }
            Pane::Overview => {
                self.rank = match self.rank {
                    Rank::Cost => Rank::P95,
                    Rank::P95 => Rank::Cost,
                }
            }
            _ => return,
        }
        self.rebuild_now(engine);
    }

    fn list_len(&self) -> Option<usize> {
        match self.pane {
            Pane::Conversations => Some(self.conv_index.rows.len()),
            Pane::Traces => Some(self.trace_index.rows.len()),
            Pane::Flagged => Some(self.flagged_index.rows.len()),
            Pane::Calls => Some(self.calls_index.rows.len()),
            Pane::Review => Some(self.review_index.rows.len()),
            Pane::Overview => Some(self.snap.overview.models.len()),
            Pane::Alerts => Some(self.snap.alerts.len()),
            Pane::Drift => Some(self.snap.drift.as_ref().map_or(0, |d| d.rows.len())),
        }
    }

    fn move_by(&mut self, by: i64) {
        let Some(len) = self.list_len() else { return };
        if len == 0 {
            return;
        }
        let pos = match self.pane {
            Pane::Conversations => self.conv.pos,
            Pane::Traces => self.traces.pos,
            Pane::Flagged => self.flagged.pos,
            Pane::Calls => self.calls.pos,
            Pane::Review => self.review.pos,
            Pane::Alerts => self.alert_pos,
            Pane::Drift => self.drift_pos,
            _ => self.model_pos,
        };
        let to = (pos as i64 + by).clamp(0, len as i64 - 1) as usize;
        if !matches!(
            self.pane,
            Pane::Overview | Pane::Alerts | Pane::Drift | Pane::Review
        ) {
            // Moving off the newest row detaches follow.
            let newest = self.newest_pos();
            if Some(to) != newest {
                self.follow = false;
            }
        }
        self.select(to);
    }

    fn move_hit(&mut self, by: i64) {
        let Some(len) = self.list_len().filter(|&l| l > 0) else {
            return;
        };
        let pos = match self.pane {
            Pane::Conversations => self.conv.pos,
            Pane::Traces => self.traces.pos,
            Pane::Flagged => self.flagged.pos,
            Pane::Calls => self.calls.pos,
            Pane::Review => self.review.pos,
            Pane::Alerts => self.alert_pos,
            Pane::Drift => self.drift_pos,
            _ => self.model_pos,
        };
        self.follow = false;
        self.select(((pos as i64 + by).rem_euclid(len as i64)) as usize);
    }

    fn newest_pos(&self) -> Option<usize> {
        match self.pane {
            Pane::Conversations => self.conv_index.newest,
            Pane::Traces => self.trace_index.newest,
            Pane::Flagged => self.flagged_index.newest,
            Pane::Calls => self.calls_index.newest,
            _ => None,
        }
    }

    fn select_newest(&mut self) {
        if let Some(p) = self.newest_pos() {
            self.select(p);
        }
    }

    fn select(&mut self, pos: usize) {
        match self.pane {
            Pane::Conversations => set_pos(&mut self.conv, &self.conv_index, pos, |r| &r.key),
            Pane::Traces => set_pos(&mut self.traces, &self.trace_index, pos, |r| &r.id),
            Pane::Flagged => set_pos(&mut self.flagged, &self.flagged_index, pos, |s| s),
            Pane::Calls => set_pos(&mut self.calls, &self.calls_index, pos, |s| s),
            Pane::Review => set_pos(&mut self.review, &self.review_index, pos, |r| &r.seq),
            Pane::Overview => self.model_pos = pos,
            Pane::Alerts => self.alert_pos = pos,
            Pane::Drift => self.drift_pos = pos,
        }
    }

    /// Rebuilds the snapshot after the selection moved where it follows the selection: the
    /// overview's histogram follows the model, the Alerts pane's "why" the alert.
    fn follow_selection(&mut self, engine: &Engine) {
        if !matches!(self.pane, Pane::Overview | Pane::Alerts) {
            return;
        }
        if self.paused.is_none() {
            self.take_snapshot(engine, false);
        } else if self.pane == Pane::Alerts {
            // Paused: the rows stay frozen; only the selected row's "why" is ranked, over
            // the frozen drill's window, so it describes what is on screen.
            let pos = self.alert_pos;
            let why = self.snap.alerts.why_at(pos, |d| engine.why(d));
            std::sync::Arc::make_mut(&mut self.snap).why = why.map(|w| (pos, w));
        }
    }

    /// What Enter, J, y and t act on in the focused pane.
    pub fn selected_target(&self, engine: &Engine) -> Option<Target> {
        match self.pane {
            Pane::Conversations => self.conv.key.clone().map(Target::Conversation),
            Pane::Traces => self.traces.key.clone().map(Target::Trace),
            Pane::Flagged => self
                .flagged
                .key
                .filter(|&s| engine.store.get(s).is_some())
                .map(Target::Call),
            Pane::Calls => self
                .calls
                .key
                .filter(|&s| engine.store.get(s).is_some())
                .map(Target::Call),
            Pane::Review => self
                .review
                .key
                .filter(|&s| engine.store.get(s).is_some())
                .map(Target::Call),
            _ => None,
        }
    }

    fn toggle_redact(&mut self) {
        self.redact = !self.redact;
        self.status = Some(if self.redact {
            "redaction on: PII and secrets are masked on screen (r shows them)".into()
        } else {
            "redaction off: texts are shown as received".into()
        });
    }

    /// The conversation and call that `a` and `x` act on: the open detail, else the
    /// selected row.
    pub fn annotation_target(&self, engine: &Engine) -> Option<(Box<str>, Option<String>)> {
        let target = match self.stack.last() {
            Some(d) => Some(d.target.clone()),
            None => self.selected_target(engine),
        }?;
        let store = &engine.store;
        match target {
            Target::Conversation(key) => {
                let last = store
                    .conversations()
                    .get(&key)
                    .and_then(|c| c.turns.iter().rev().find_map(|&s| store.get(s)))
                    .map(|sc| sc.call.id.clone());
                Some((key, last))
            }
            Target::Call(seq) => {
                let sc = store.get(seq)?;
                let key = sc
                    .conversation
                    .clone()
                    .unwrap_or_else(|| sc.call.id.as_str().into());
                Some((key, Some(sc.call.id.clone())))
            }
            Target::Trace(_) => None,
        }
    }

    /// Whether a conversation is marked (by its key or by any of its retained turns).
    pub fn is_marked(&self, engine: &Engine, key: &str) -> bool {
        self.annotations.is_marked(key, None) || self.marked_turn(engine, key).is_some()
    }

    /// The first retained turn for which the conversation counts as marked, if any.
    fn marked_turn(&self, engine: &Engine, key: &str) -> Option<String> {
        let store = &engine.store;
        let c = store.conversations().get(key)?;
        c.turns
            .iter()
            .filter_map(|&s| store.get(s))
            .find(|sc| self.annotations.is_marked(key, Some(&sc.call.id)))
            .map(|sc| sc.call.id.clone())
    }

    fn mark(&mut self, engine: &Engine) {
        let Some((key, call)) = self.annotation_target(engine) else {
            self.status = Some("x marks a conversation or call: select one first".into());
            return;
        };
        let result = if self.is_marked(engine, &key) {
            self.unmark(engine, &key, call.as_deref())
        } else {
            self.annotations.toggle_mark(&key, call.as_deref())
        };
        self.status = Some(match result {
            Ok(true) => format!("★ marked {} for export", sanitize::line(&key)),
            Ok(false) => format!("unmarked {}", sanitize::line(&key)),
            Err(e) => format!("✗ mark not saved: {e}"),
        });
    }

    /// Takes back the mark on the conversation key and on every retained turn marked.
    fn unmark(
        &mut self,
        engine: &Engine,
        key: &str,
        call: Option<&str>,
    ) -> Result<bool, AnnotationError> {
        let store = &engine.store;
        let turns: Vec<&str> = store
            .conversations()
            .get(key)
            .into_iter()
            .flat_map(|c| c.turns.iter().filter_map(|&s| store.get(s)))
            .map(|sc| sc.call.id.as_str())
            .collect();
        // One step for `u`: the key's mark and every turn marked on its own.
        self.annotations.unmark(key, call, turns)?;
        Ok(false)
    }

    /// `u`: takes back the last label or mark made in this session (an `undo` line in the
    /// annotations file, so it holds after a restart).
    fn undo(&mut self, engine: &Engine) {
        self.status = Some(match self.annotations.undo_last() {
            Ok(Some(u)) => {
                let what = match (u.action, &u.label) {
                    (crate::annotations::Action::Label, Some(l)) => {
                        format!("label {}", sanitize::line(l))
                    }
                    (crate::annotations::Action::Unmark, _) => "unmark".into(),
                    _ => "mark".into(),
                };
                let on = u.conversation.as_deref().unwrap_or("?");
                format!("↶ undid {what} on {}", sanitize::line(on))
            }
            Ok(None) => "nothing to undo: no label or mark made in this session".into(),
            Err(e) => format!("✗ undo not saved: {e}"),
        });
        self.refilter_labels(engine);
    }

    /// Labels changed: a filter on them (`label:`, `has:label`) and the Review pane's
    /// progress must see it at once.
    fn refilter_labels(&mut self, engine: &Engine) {
        if !self.filter.query.is_empty() {
            self.rebuild_now(engine);
        } else if self.pane == Pane::Review {
            self.rebuild_review(engine);
        }
    }

    fn start_label(&mut self, engine: &Engine) {
        let Some((conversation, call)) = self.annotation_target(engine) else {
            self.status = Some("a labels a conversation or call: select one first".into());
            return;
        };
        self.label_prompt = Some(LabelPrompt {
            label: tui_input::Input::default(),
            note: tui_input::Input::default(),
            field: LabelField::Label,
            conversation,
            call,
        });
    }

    /// A key in the `a` editor. Every key stays in the editor: text keys edit the field
    /// (with tui-input's cursor keys, Ctrl-U, Ctrl-W, Ctrl-K), Tab, Enter or a space move
    /// from the label to the note, Shift-Tab back, Enter on the note saves, Esc cancels.
    fn edit_label(&mut self, ev: &KeyEvent, engine: &Engine) {
        use tui_input::backend::crossterm::EventHandler;
        let Some(prompt) = self.label_prompt.as_mut() else {
            return;
        };
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let on_label = prompt.field == LabelField::Label;
        let has_label = !prompt.label.value().trim().is_empty();
        match ev.code {
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Esc => {
                self.label_prompt = None;
                self.status = Some("label cancelled; nothing saved".into());
            }
            KeyCode::Tab | KeyCode::Enter | KeyCode::Char(' ') if on_label => {
                if has_label {
                    prompt.field = LabelField::Note;
                }
            }
            KeyCode::BackTab => prompt.field = LabelField::Label,
            KeyCode::Enter => {
                if let Some(p) = self.label_prompt.take() {
                    self.save_label(&p, engine);
                }
            }
            _ => {
                let input = match prompt.field {
                    LabelField::Label => &mut prompt.label,
                    LabelField::Note => &mut prompt.note,
                };
                input.handle_event(&crossterm::event::Event::Key(*ev));
            }
        }
    }

    /// Saves the editor's label and note on its target.
    fn save_label(&mut self, p: &LabelPrompt, engine: &Engine) {
        let label = p.label.value().trim();
        let note = Some(p.note.value().trim()).filter(|n| !n.is_empty());
        if label.is_empty() {
            self.status = Some("no label given; nothing saved".into());
            return;
        }
        let (key, call) = (&p.conversation, &p.call);
        let was_reviewed = call
            .as_deref()
            .is_some_and(|c| self.annotations.for_call(c).next().is_some());
        let at = (self.review.key, self.review.pos);
        let result = self
            .annotations
            .label(call.as_deref(), Some(key), label, note)
            .map(|a| a.label.clone().unwrap_or_default());
        self.status = Some(match result {
            Ok(l) => format!(
                "✎ labelled {} as {} (u undoes)",
                sanitize::line(key),
                sanitize::line(&l)
            ),
            Err(e) => format!("✗ label not saved: {e}"),
        });
        self.refilter_labels(engine);
        if !was_reviewed && self.pane == Pane::Review && self.stack.is_empty() {
            self.advance_review(at);
        }
    }

    /// Rebuilds the Review pane's rows from the snapshot's queue with the current filter
    /// and labels, its progress count and the judge/human agreement.
    fn rebuild_review(&mut self, engine: &Engine) {
        let empty = crate::engine::read::review::ReviewQueue::default();
        let queue = self.snap.review.as_ref().unwrap_or(&empty);
        self.review_index = rows::review(
            queue,
            &engine.store,
            &self.annotations,
            &self.filter.query,
            self.filter.range,
        );
        self.review_reviewed = self
            .review_index
            .rows
            .iter()
            .filter(|r| r.label.is_some())
            .count();
        self.review_agreement = export::reviewed::agreement(
            self.annotations
                .labelled_calls()
                .filter_map(|(id, a)| Some((engine.store.by_id(id)?, a.label.as_deref()?))),
        );
        reselect(&mut self.review, &self.review_index, false, |r| &r.seq);
    }

    /// The first unlabelled row at or after `from`, wrapping around.
    fn next_unreviewed(&self, from: usize) -> Option<usize> {
        let rows = &self.review_index.rows;
        let n = rows.len();
        (0..n)
            .map(|i| (from + i) % n)
            .find(|&i| rows[i].label.is_none())
    }

    /// After a label: the next unreviewed row after the one that was selected at `at`
    /// (key and position before the rows were rebuilt), or a word that all are done.
    fn advance_review(&mut self, at: (Option<Seq>, usize)) {
        let (key, pos) = at;
        let still_there = self
            .review_index
            .rows
            .get(pos)
            .is_some_and(|r| Some(r.seq) == key);
        let from = if still_there { pos + 1 } else { pos };
        match self.next_unreviewed(from) {
            Some(i) => self.select(i),
            None => {
                let n = self.review_index.rows.len();
                self.status = Some(format!(
                    "✓ all {n} reviewed (u undoes the last label; export --reviewed writes them)"
                ));
            }
        }
    }

    /// `o`/`b`/`h`/`!` on the Review pane: labels the selected call and moves on to the next
    /// unreviewed one.
    fn review_label(&mut self, label: &str, engine: &Engine) {
        let Some((key, call)) = self.annotation_target(engine) else {
            self.status = Some("nothing to label: the review queue is empty".into());
            return;
        };
        let at = (self.review.key, self.review.pos);
        let id = call.clone().unwrap_or_else(|| key.to_string());
        if let Err(e) = self
            .annotations
            .label(call.as_deref(), Some(&key), label, None)
        {
            self.status = Some(format!("✗ label not saved: {e}"));
            return;
        }
        self.refilter_labels(engine);
        self.status = Some(format!(
            "✎ {} labelled {label} · {} of {} reviewed (u undoes)",
            sanitize::line(&id),
            self.review_reviewed,
            self.review_index.rows.len()
        ));
        self.advance_review(at);
    }

    /// `c` on the Review pane: the label editor on the note, with the call's label and
    /// note in it; a call with no label yet starts on the label.
    fn start_note(&mut self, engine: &Engine) {
        self.start_label(engine);
        let Some(p) = self.label_prompt.as_mut() else {
            return;
        };
        let latest = p
            .call
            .as_deref()
            .and_then(|c| self.annotations.for_call(c).last());
        if let Some(a) = latest {
            p.label = tui_input::Input::new(a.label.clone().unwrap_or_default());
            p.note = tui_input::Input::new(a.note.clone().unwrap_or_default());
            if !p.label.value().is_empty() {
                p.field = LabelField::Note;
            }
        }
    }

    /// `s` on the Review pane: the next unreviewed call, leaving this one unlabelled.
    fn skip(&mut self) {
        let from = self.review.pos + 1;
        match self.next_unreviewed(from) {
            Some(i) if i != self.review.pos => {
                self.select(i);
                self.status = Some("skipped; it stays unreviewed".into());
            }
            _ => self.status = Some("no other unreviewed call".into()),
        }
    }

    /// The calls the focused view shows, in store order: the open conversation, call or
    /// trace; else the rows of the list pane (every turn of each listed conversation, every
    /// span of each listed trace, the listed flagged calls or calls), all with the filter
    /// applied as on screen; on the other panes the LLM calls the filter matches. A paused
    /// view gives what it showed at the pause.
    pub fn shown_calls(&self, engine: &Engine) -> Vec<Seq> {
        let store = &engine.store;
        let range = self.filter.range;
        let in_range = |s: Seq| {
            range.is_none_or(|(from, to)| {
                store.get(s).is_some_and(|c| (from..=to).contains(&c.time))
            })
        };
        let turns = |key: &str| -> Vec<Seq> {
            store
                .conversations()
                .get(key)
                .map(|c| c.turns.iter().copied().collect())
                .unwrap_or_default()
        };
        let spans = |id: &str| -> Vec<Seq> {
            store
                .traces()
                .get(id)
                .map(|t| t.spans.to_vec())
                .unwrap_or_default()
        };
        let mut seqs: Vec<Seq> = match (self.stack.last().map(|d| &d.target), self.pane) {
            (Some(Target::Conversation(k)), _) => turns(k),
            (Some(Target::Call(seq)), _) => vec![*seq],
            (Some(Target::Trace(id)), _) => spans(id),
            (None, Pane::Conversations) => self
                .conv_index
                .rows
                .iter()
                .flat_map(|r| turns(&r.key))
                .filter(|&s| in_range(s))
                .collect(),
            (None, Pane::Traces) => self
                .trace_index
                .rows
                .iter()
                .flat_map(|r| spans(&r.id))
                .collect(),
            (None, Pane::Flagged) => self.flagged_index.rows.clone(),
            (None, Pane::Calls) => self.calls_index.rows.clone(),
            (None, Pane::Review) => self.review_index.rows.iter().map(|r| r.seq).collect(),
            (None, _) => {
                let sel = export::Selection::Filter(self.filter.query.clone());
                let range = export::Range {
                    from: range.map(|r| r.0),
                    to: range.map(|r| r.1),
                };
                export::select(engine, &sel, &self.annotations, range)
                    .iter()
                    .map(|s| s.seq)
                    .collect()
            }
        };
        // A paused screen shows the calls up to the pause: not what came since.
        if let Some(max) = self.max_seq() {
            seqs.retain(|&s| s <= max);
        }
        seqs.retain(|&s| store.get(s).is_some());
        seqs.sort_unstable();
        seqs.dedup();
        seqs
    }

    /// `e`: writes what the view shows ([`App::shown_calls`]) as raw records to
    /// `llmmon-export-<time>.jsonl` in [`App::export_dir`], masked when redaction is on. When
    /// that file exists (a second `e` within the same second) it asks before overwriting.
    fn export(&mut self, engine: &Engine) {
        let calls = self.shown_calls(engine);
        let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S");
        let path = self.export_dir.join(format!("llmmon-export-{stamp}.jsonl"));
        match std::fs::File::create_new(&path) {
            Ok(f) => self.write_export(f, &path, &calls, engine),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                self.status = Some(format!(
                    "{} exists: overwrite with {} calls? y overwrite · n keep it",
                    path.display(),
                    calls.len()
                ));
                self.export_prompt = Some(ExportPrompt { path, calls });
            }
            Err(e) => self.status = Some(format!("✗ export to {} failed: {e}", path.display())),
        }
    }

    /// A key while `e` asks about overwriting: `y` overwrites, anything else keeps the file.
    fn confirm_export(&mut self, ev: &KeyEvent, engine: &Engine) {
        let Some(p) = self.export_prompt.take() else {
            return;
        };
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        if !matches!(ev.code, KeyCode::Char('y' | 'Y')) {
            self.status = Some(format!("not exported; {} kept", p.path.display()));
            return;
        }
        match std::fs::File::create(&p.path) {
            Ok(f) => self.write_export(f, &p.path, &p.calls, engine),
            Err(e) => self.status = Some(format!("✗ export to {} failed: {e}", p.path.display())),
        }
    }

    fn write_export(
        &mut self,
        f: std::fs::File,
        path: &std::path::Path,
        seqs: &[Seq],
        engine: &Engine,
    ) {
        let calls: Vec<_> = seqs.iter().filter_map(|&s| engine.store.get(s)).collect();
        let redactor = export::redact::PatternRedactor;
        let r: Option<&dyn export::redact::Redactor> = self.redact.then_some(&redactor as _);
        let mut w = std::io::BufWriter::new(f);
        let result = export::write_raw(&mut w, &calls, &self.annotations, r)
            .and_then(|written| std::io::Write::flush(&mut w).map(|()| written));
        self.status = Some(match result {
            Ok(w) => format!(
                "exported {} calls to {}{}",
                w.calls,
                path.display(),
                if self.redact { " (redacted)" } else { "" }
            ),
            Err(e) => format!("✗ export to {} failed: {e}", path.display()),
        });
    }

    /// Enter on the Alerts pane: the Calls pane holding only the alert's cause (its scope,
    /// group, window and the metric's predicate), the worst call first and selected.
    fn open_alert(&mut self, engine: &Engine) {
        let Some(d) = self.snap.alerts.drill_at(self.alert_pos) else {
            return;
        };
        let back = Return {
            pane: self.pane,
            filter: self.filter.text.clone(),
            sort: self
                .calls_return
                .as_ref()
                .map_or(self.calls_sort, |r| r.sort),
        };
        self.stack.clear();
        self.pane = Pane::Calls;
        self.follow = false;
        self.calls_sort = d.sort;
        self.calls.key = None;
        self.calls.pos = 0;
        self.calls.offset.set(0);
        if !self.apply_filter(&d.query, engine) {
            return;
        }
        if d.from != i64::MIN {
            self.filter.range = Some((d.from, d.to));
            self.rebuild_now(engine);
        }
        self.select(0);
        self.calls_return = Some(back);
        self.status = Some("the calls behind the alert, worst first (Esc goes back)".into());
    }

    /// Esc on the Calls pane an alert opened: back to that pane with its filter.
    fn back_from_calls(&mut self, engine: &Engine) {
        let Some(back) = self.calls_return.take() else {
            return;
        };
        self.pane = back.pane;
        self.calls_sort = back.sort;
        self.apply_filter(&back.filter, engine);
    }

    /// Rebuilds the Calls pane's rows now (it is built only while shown).
    fn rebuild_calls(&mut self, engine: &Engine) {
        let range = self.filter.range;
        self.calls_index = rows::calls(
            &engine.store,
            &self.annotations,
            &self.filter.query,
            range,
            self.calls_sort,
        );
        reselect(&mut self.calls, &self.calls_index, self.follow, |s| s);
    }

    /// Enter on a call: its conversation scrolled to that turn, where the flags' matched
    /// spans are highlighted; a call with no conversation opens on its own.
    fn open_call(&mut self, seq: Seq, engine: &Engine) {
        let conv = engine.store.get(seq).and_then(|sc| {
            let key = sc
                .conversation
                .as_deref()
                .or(sc.call.conversation_id.as_deref())?;
            engine.store.conversations().get(key).map(|c| c.key.clone())
        });
        let Some(key) = conv else {
            self.push(Target::Call(seq), false);
            return;
        };
        self.push(Target::Conversation(key), false);
        let line = self
            .stack
            .last()
            .and_then(|d| detail::turn_line(self, engine, d, seq));
        if let (Some(line), Some(d)) = (line, self.stack.last_mut()) {
            d.scroll = line;
        }
    }

    fn copy(&mut self, target: Option<Target>, engine: &Engine) {
        let text = match (self.stack.last(), &target) {
            (Some(d), _) if !d.json => Some(detail::text(self, engine, d).join("\n")),
            (_, Some(t)) => detail::json_of(engine, t, self.max_seq()),
            _ => None,
        };
        match text {
            Some(t) if !t.is_empty() => {
                self.status = Some(format!("copied {} bytes (OSC 52)", t.len()));
                self.clipboard = Some(t);
            }
            _ => self.status = Some("nothing selected to copy".into()),
        }
    }

    fn jump_trace(&mut self, target: Option<&Target>, engine: &Engine) {
        let store = &engine.store;
        let trace: Option<Box<str>> = match target {
            Some(Target::Trace(id)) => Some(id.clone()),
            Some(Target::Call(seq)) => store
                .get(*seq)
                .and_then(|c| c.call.trace_id.as_deref().map(Into::into)),
            Some(Target::Conversation(key)) => store.conversations().get(key).and_then(|c| {
                c.turns
                    .iter()
                    .rev()
                    .filter_map(|&s| store.get(s))
                    .find_map(|c| c.call.trace_id.as_deref().map(Into::into))
            }),
            None => None,
        };
        let Some(id) = trace.filter(|id| store.traces().contains_key(id)) else {
            self.status = Some("no trace for this row".into());
            return;
        };
        self.stack.clear();
        self.pane = Pane::Traces;
        self.follow = false;
        if !self.trace_index.rows.iter().any(|r| r.id == id) {
            self.apply_filter("", engine);
        }
        if let Some(pos) = self.trace_index.rows.iter().position(|r| r.id == id) {
            self.select(pos);
        }
        self.push(Target::Trace(id), false);
    }
}

fn set_pos<K: Clone, R>(
    l: &mut ListState<K>,
    index: &Index<R>,
    pos: usize,
    key: impl Fn(&R) -> &K,
) {
    if let Some(r) = index.rows.get(pos) {
        l.pos = pos;
        l.key = Some(key(r).clone());
    }
}

/// After a rebuild: follow the newest row, or find the selected key again (same row after
/// rows moved), or clamp.
fn reselect<K: Clone + PartialEq, R>(
    l: &mut ListState<K>,
    index: &Index<R>,
    follow: bool,
    key: impl Fn(&R) -> &K,
) {
    let pos = if follow {
        index.newest
    } else {
        l.key
            .as_ref()
            .and_then(|k| index.rows.iter().position(|r| key(r) == k))
    };
    let pos = pos.unwrap_or_else(|| l.pos.min(index.rows.len().saturating_sub(1)));
    match index.rows.get(pos) {
        Some(r) => {
            l.pos = pos;
            l.key = Some(key(r).clone());
        }
        None => {
            l.pos = 0;
            l.key = None;
        }
    }
}
