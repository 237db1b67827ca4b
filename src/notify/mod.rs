//! Alert notifications that never block ingest or drawing: notifying transitions (fire,
//! level change, reminder, resolve; budgets included) go into a bounded queue (full means
//! dropped and counted) drained by a worker thread with its own small tokio runtime. For each
//! one the worker runs `[alerting] command` with the JSON on stdin and POSTs the same JSON
//! to the webhook (signed with HMAC-SHA256 when a secret is set, each attempt under a
//! timeout, retried with exponential backoff up to a bound). [`Notifier::dispatch`] also
//! says when the terminal bell should ring.

mod command;
mod webhook;

pub use webhook::{sign, Endpoint, PostError, SIGNATURE_HEADER};

use crate::engine::alerts::{AlertStatus, Level, Transition};
use crate::engine::read::why::{Why, TOP_NOTIFIED};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Added to a finished run's wait so a notification ending exactly at its worst case is
/// counted as failed, not dropped.
const SETTLE_GRACE: Duration = Duration::from_millis(500);

/// Longest a retry waits, however many attempts came before.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Why notifications could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("webhook {0}")]
    Url(#[from] crate::http::UrlError),
    #[error("cannot start the notifier: {0}")]
    Runtime(#[from] std::io::Error),
}

/// Where and how notifications are sent.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `http://` or `https://` URL receiving a POST per notification.
    pub webhook: Option<String>,
    /// Key of the HMAC-SHA256 signature header; no header without it.
    pub secret: Option<String>,
    /// Attempts per notification (at least 1).
    pub retries: u32,
    /// First retry delay; doubled on each further attempt, capped at 30 s.
    pub backoff: Duration,
    /// Per-attempt timeout (connect, TLS, send, read the status).
    pub timeout: Duration,
    /// Notifications waiting before new ones are dropped.
    pub queue: usize,
    /// Shell command (`sh -c`) run with the alert JSON on stdin.
    pub command: Option<String>,
    /// How long the command may run before it is killed (and counted as failed).
    pub command_timeout: Duration,
    /// Ring the terminal bell when an alert starts firing.
    pub bell: bool,
    /// The `llmmon` command line that opens the same view, put in every payload.
    pub open: Option<String>,
    /// How a payload's `drill.command` reads the same input again ([`report_command`]).
    pub report: Option<ReportCommand>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            webhook: None,
            secret: None,
            retries: 5,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(5),
            queue: 64,
            command: None,
            command_timeout: Duration::from_secs(10),
            bell: false,
            open: None,
            report: None,
        }
    }
}

impl NotifyConfig {
    /// Notification settings from `[alerting]` and `[tui] bell`.
    pub fn from_config(cfg: &crate::config::Config) -> NotifyConfig {
        let dur = |s: &str, d: Duration| {
            crate::engine::parse_duration(s)
                .filter(|ns| *ns > 0)
                .map_or(d, |ns| Duration::from_nanos(ns.unsigned_abs()))
        };
        let a = &cfg.alerting;
        let d = NotifyConfig::default();
        NotifyConfig {
            webhook: a.webhook.clone().filter(|w| !w.trim().is_empty()),
            secret: cfg.webhook_secret(),
            retries: a.webhook_retries.max(1),
            timeout: dur(&a.webhook_timeout, d.timeout),
            queue: a.queue.max(1),
            command: a.command.clone().filter(|c| !c.trim().is_empty()),
            command_timeout: dur(&a.command_timeout, d.command_timeout),
            bell: cfg.tui.bell,
            ..d
        }
    }

    /// The longest one notification can take: every webhook attempt timing out with the
    /// backoff between them, or the command running to its timeout, whichever is longer.
    pub fn worst_case(&self) -> Duration {
        let mut webhook = Duration::ZERO;
        if self.webhook.is_some() {
            let mut delay = self.backoff;
            for attempt in 1..=self.retries.max(1) {
                webhook += self.timeout;
                if attempt < self.retries {
                    webhook += delay;
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
            }
        }
        let command = if self.command.is_some() {
            self.command_timeout
        } else {
            Duration::ZERO
        };
        webhook.max(command)
    }
}

/// The JSON body of a notification (webhook POST and command stdin).
#[derive(Debug, Clone, Serialize)]
pub struct Payload<'a> {
    /// Always `llmmon`.
    pub source: &'static str,
    /// One-line human text (`FIRING crit error rate: ...`).
    pub text: String,
    /// Rule name (budgets: `budget.daily`, `budget.user:alice`).
    pub rule: &'a str,
    /// The instance of the rule, `user=alice` for a per-user budget; absent for whole rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<&'a str>,
    /// `firing` or `resolved`.
    pub status: AlertStatus,
    /// The state before this step (`ok`, `pending`, `firing`).
    pub previous: AlertStatus,
    /// True for a reminder of an alert still firing (`renotify`).
    pub renotify: bool,
    /// `warn` or `crit`; null once resolved.
    pub level: Option<Level>,
    pub metric: &'a str,
    /// The value that caused the step (null: no data).
    pub value: Option<f64>,
    /// The threshold the value was compared with.
    pub threshold: Option<f64>,
    /// Window the value covers, as written in the config (`5m`).
    pub window: String,
    pub window_seconds: f64,
    /// Event time of the step (RFC 3339, UTC), not the time it was sent.
    pub time: String,
    /// The rule's filter as written (empty: all calls).
    pub filter: &'a str,
    /// The `llmmon` command line that opens the same view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<&'a str>,
    /// The values that stand out in the step's bad calls (top 3), for steps to firing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<Why>,
    /// The step's bad calls: what Enter on the alert opens.
    pub drill: PayloadDrill,
}

/// `drill` in a payload: the query and window of the step's bad calls, and a command line
/// that summarises exactly them.
#[derive(Debug, Clone, Serialize)]
pub struct PayloadDrill {
    /// The cause query (rule filter, instance and metric predicate).
    pub query: String,
    /// Start of the window (RFC 3339, UTC).
    pub from: String,
    /// End of the window (RFC 3339, UTC), inclusive.
    pub to: String,
    /// `llmmon report SOURCE... --filter QUERY --since FROM --until TO`, when the input
    /// can be read again (files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// What a drill command line is made of: `llmmon [--config C] report SOURCE...`, and the
/// `--filter` the run itself applied (ANDed with each drill's query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCommand {
    /// `llmmon`, the config, `report` and the sources, made absolute.
    pub argv: Vec<String>,
    /// The run's own `--filter`, if any.
    pub filter: Option<String>,
}

impl ReportCommand {
    /// The command line summarising the calls of `query` in `[from, to]` (event time, ns):
    /// `--since` is `from` to the millisecond below, `--until` (exclusive) the millisecond
    /// after `to`.
    pub fn line(&self, query: &str, from: i64, to: i64) -> String {
        shell_line(&self.args(query, from, to))
    }

    /// [`ReportCommand::line`] as arguments.
    fn args(&self, query: &str, from: i64, to: i64) -> Vec<String> {
        const MS: i64 = 1_000_000;
        let filter = match self.filter.as_deref().map(str::trim) {
            Some(f) if !f.is_empty() => format!("({f}) {query}"),
            _ => query.to_string(),
        };
        let mut line = self.argv.clone();
        if !filter.trim().is_empty() {
            line.extend(["--filter".to_string(), filter]);
        }
        line.extend([
            "--since".to_string(),
            crate::model::record::format_time(from.div_euclid(MS) * MS),
            "--until".to_string(),
            crate::model::record::format_time((to.div_euclid(MS) + 1) * MS),
        ]);
        line
    }
}

impl<'a> Payload<'a> {
    /// The payload of a transition; `report` makes its drill command line.
    pub fn new(
        t: &'a Transition,
        open: Option<&'a str>,
        report: Option<&ReportCommand>,
    ) -> Payload<'a> {
        let d = t.drill();
        Payload {
            source: "llmmon",
            text: t.describe(),
            rule: &t.rule,
            group: t.group.as_deref(),
            status: t.to,
            previous: t.from,
            renotify: t.renotify,
            level: t.level,
            metric: &t.metric,
            value: t.value,
            threshold: t.threshold,
            window: crate::engine::format_duration(t.window_ns),
            window_seconds: t.window_ns as f64 / 1e9,
            time: crate::model::record::format_time(t.at),
            filter: &t.filter,
            open,
            why: t.why.as_ref().map(|w| w.top(TOP_NOTIFIED)),
            drill: PayloadDrill {
                command: report.map(|r| r.line(&d.query, d.from, d.to)),
                from: crate::model::record::format_time(d.from),
                to: crate::model::record::format_time(d.to),
                query: d.query,
            },
        }
    }

    /// The payload serialised as one JSON object.
    pub fn json(&self) -> String {
        // A struct of strings, numbers and enums always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Quotes arguments for `sh` so the command line in a payload can be pasted as is.
pub fn shell_line<S: AsRef<str>>(args: &[S]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    args.iter()
        .map(|a| {
            let a = a.as_ref();
            if !a.is_empty() && a.chars().all(plain) {
                a.to_string()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `llmmon` command line for a payload's `open` field: the config in use (if any) and
/// the subcommand with its arguments, file sources made absolute so the line works from
/// any directory.
pub fn open_command(config: Option<&std::path::Path>, sub: &[&str], sources: &[String]) -> String {
    shell_line(&argv(config, sub, sources))
}

/// `llmmon [--config C] SUB... SOURCE...`, with the config and file sources absolute.
fn argv(config: Option<&std::path::Path>, sub: &[&str], sources: &[String]) -> Vec<String> {
    let mut line: Vec<String> = vec!["llmmon".into()];
    if let Some(c) = config {
        line.push("--config".into());
        line.push(absolute(&c.to_string_lossy()));
    }
    line.extend(sub.iter().map(|s| s.to_string()));
    line.extend(sources.iter().map(|s| absolute(s)));
    line
}

/// How payloads name a command that summarises an alert's bad calls: `llmmon report` over
/// the same sources (with the run's own `--filter`), or `None` when a source cannot be read
/// again (stdin, WebSocket, demo, OTLP): only files replay.
pub fn report_command(
    config: Option<&std::path::Path>,
    sources: &[String],
    filter: Option<&str>,
) -> Option<ReportCommand> {
    let files = !sources.is_empty() && sources.iter().all(|s| std::path::Path::new(s).is_file());
    files.then(|| ReportCommand {
        argv: argv(config, &["report"], sources),
        filter: filter.map(String::from),
    })
}

fn absolute(s: &str) -> String {
    let p = std::path::Path::new(s);
    if s == "-" || !p.exists() {
        return s.to_string();
    }
    std::fs::canonicalize(p).map_or_else(|_| s.to_string(), |a| a.to_string_lossy().into_owned())
}

/// Queues every notifying transition of a finished run (`check`), waiting for queue room,
/// then waits for delivery: at most the worst case of one notification
/// ([`NotifyConfig::worst_case`]), capped at `cap`. What is still waiting then is dropped
/// and counted. `None` when neither a webhook nor a command is configured.
pub fn deliver_all(
    cfg: NotifyConfig,
    events: Vec<Transition>,
    cap: Duration,
) -> Result<Option<Arc<NotifyStats>>, NotifyError> {
    let notifier = Notifier::start(cfg)?;
    if !notifier.active() {
        return Ok(None);
    }
    let deadline = Instant::now() + notifier.config().worst_case().min(cap) + SETTLE_GRACE;
    for t in events.into_iter().filter(Transition::notifies) {
        notifier.send_until(t, deadline);
    }
    Ok(Some(notifier.shutdown(deadline)))
}

/// Delivery counters, shared with the worker.
#[derive(Debug, Default)]
pub struct NotifyStats {
    /// Notifications taken into the queue.
    pub queued: AtomicU64,
    /// Notifications the webhook answered with a 2xx.
    pub sent: AtomicU64,
    /// Notifications given up: every attempt failed, or the receiver refused (4xx) or
    /// redirected (3xx, never followed).
    pub failed: AtomicU64,
    /// HTTP attempts made, including retries.
    pub attempts: AtomicU64,
    /// Notifications dropped: the queue was full, or they were still waiting when the
    /// process stopped waiting for them.
    pub dropped: AtomicU64,
    /// Commands that exited non-zero, timed out or could not start.
    pub command_failed: AtomicU64,
    /// Notifications fully handled (webhook and command), whatever the outcome.
    pub finished: AtomicU64,
    /// The latest delivery error, for people.
    pub last_error: Mutex<Option<String>>,
    /// Set once nobody waits any more: outcomes arriving later are not counted, so a
    /// notification is never both dropped and sent or failed.
    closed: Mutex<bool>,
}

impl NotifyStats {
    fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    fn error(&self, e: String) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(e);
        }
    }

    /// Counts the outcome of one notification (`None`: that channel is not configured).
    fn settle(&self, command_ok: Option<bool>, posted: Option<bool>) {
        let Ok(closed) = self.closed.lock() else {
            return;
        };
        if *closed {
            return;
        }
        if command_ok == Some(false) {
            Self::bump(&self.command_failed);
        }
        match posted {
            Some(true) => Self::bump(&self.sent),
            Some(false) => Self::bump(&self.failed),
            None => {}
        }
        Self::bump(&self.finished);
    }

    /// Stops counting outcomes and counts what is still waiting as dropped.
    fn close(&self) {
        if let Ok(mut closed) = self.closed.lock() {
            if !*closed {
                *closed = true;
                let left = Self::get(&self.queued).saturating_sub(Self::get(&self.finished));
                self.dropped.fetch_add(left, Ordering::Relaxed);
            }
        }
    }

    /// Notifications handled or dropped so far: changes whenever the counters shown do.
    pub fn settled(&self) -> u64 {
        Self::get(&self.finished) + Self::get(&self.dropped)
    }

    /// `3 sent · 0 failed · 1 dropped` (plus failed commands when there are any).
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} sent · {} failed · {} dropped",
            Self::get(&self.sent),
            Self::get(&self.failed),
            Self::get(&self.dropped)
        );
        let cmd = Self::get(&self.command_failed);
        if cmd > 0 {
            s.push_str(&format!(" · {cmd} command failed"));
        }
        s
    }

    /// The latest delivery error, if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|l| l.clone())
    }
}

/// Sends notifications in the background.
pub struct Notifier {
    tx: Option<mpsc::Sender<Transition>>,
    worker: Option<std::thread::JoinHandle<()>>,
    bell: bool,
    cfg: NotifyConfig,
    /// Counters the Alerts pane and `check` show.
    pub stats: Arc<NotifyStats>,
}

impl Notifier {
    /// Starts the worker when a webhook or command is configured (else only the bell works).
    pub fn start(cfg: NotifyConfig) -> Result<Notifier, NotifyError> {
        let stats = Arc::new(NotifyStats::default());
        let endpoint = match &cfg.webhook {
            Some(url) => Some(Endpoint::parse(url)?),
            None => None,
        };
        if endpoint.is_none() && cfg.command.is_none() {
            return Ok(Notifier {
                tx: None,
                worker: None,
                bell: cfg.bell,
                cfg,
                stats,
            });
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (tx, rx) = mpsc::channel(cfg.queue.max(1));
        let worker_stats = stats.clone();
        let worker_cfg = cfg.clone();
        let worker = std::thread::Builder::new()
            .name("llmmon-notify".into())
            .spawn(move || rt.block_on(run(worker_cfg, endpoint, rx, worker_stats)))?;
        Ok(Notifier {
            tx: Some(tx),
            worker: Some(worker),
            bell: cfg.bell,
            cfg,
            stats,
        })
    }

    /// True when a webhook or command is configured, so there is something to count.
    pub fn active(&self) -> bool {
        self.tx.is_some()
    }

    /// The settings in use.
    pub fn config(&self) -> &NotifyConfig {
        &self.cfg
    }

    /// Queues one transition without waiting; false (and counted) when the queue is full.
    pub fn send(&self, t: Transition) -> bool {
        let Some(tx) = &self.tx else { return true };
        match tx.try_send(t) {
            Ok(()) => {
                NotifyStats::bump(&self.stats.queued);
                true
            }
            Err(_) => {
                NotifyStats::bump(&self.stats.dropped);
                false
            }
        }
    }

    /// Queues one transition, waiting for room until `deadline` (for `check`, which has no
    /// ingest or drawing to protect); false (and counted) when none came in time.
    pub fn send_until(&self, t: Transition, deadline: Instant) -> bool {
        let Some(tx) = &self.tx else { return true };
        let mut t = t;
        loop {
            match tx.try_send(t) {
                Ok(()) => {
                    NotifyStats::bump(&self.stats.queued);
                    return true;
                }
                Err(mpsc::error::TrySendError::Full(back)) if Instant::now() < deadline => {
                    t = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => {
                    NotifyStats::bump(&self.stats.dropped);
                    return false;
                }
            }
        }
    }

    /// Queues every notifying transition (from `AlertState::take_notifications`) without
    /// waiting, and says whether the terminal bell should ring (bell enabled and something
    /// started firing).
    pub fn dispatch(&self, events: Vec<Transition>) -> bool {
        let ring = self.bell && events.iter().any(rings);
        for t in events.into_iter().filter(Transition::notifies) {
            self.send(t);
        }
        ring
    }

    /// Stops taking notifications and waits until `deadline` for the queued ones to be
    /// handled; those still waiting then are counted as dropped.
    pub fn shutdown(mut self, deadline: Instant) -> Arc<NotifyStats> {
        self.tx = None;
        if let Some(w) = self.worker.take() {
            while !w.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if w.is_finished() {
                let _ = w.join();
            }
            self.stats.close();
        }
        self.stats
    }
}

/// True for a transition that rings the bell: an alert starting to fire or changing level
/// (not a reminder).
pub fn rings(t: &Transition) -> bool {
    t.to == AlertStatus::Firing && !t.renotify
}

async fn run(
    cfg: NotifyConfig,
    endpoint: Option<Endpoint>,
    mut rx: mpsc::Receiver<Transition>,
    stats: Arc<NotifyStats>,
) {
    while let Some(t) = rx.recv().await {
        let body = Payload::new(&t, cfg.open.as_deref(), cfg.report.as_ref()).json();
        let cmd = async {
            let cmd = cfg.command.clone()?;
            let input = body.clone();
            let timeout = cfg.command_timeout;
            let ok = tokio::task::spawn_blocking(move || command::run(&cmd, &input, timeout))
                .await
                .unwrap_or(false);
            if !ok {
                stats.error("command failed or timed out".into());
            }
            Some(ok)
        };
        let post = async {
            match &endpoint {
                Some(ep) => Some(deliver(&cfg, ep, &body, &stats).await),
                None => None,
            }
        };
        let (cmd_ok, posted) = tokio::join!(cmd, post);
        stats.settle(cmd_ok, posted);
    }
}

/// Attempts one notification until a 2xx (true), a final refusal or the last attempt.
async fn deliver(cfg: &NotifyConfig, ep: &Endpoint, body: &str, stats: &NotifyStats) -> bool {
    let mut delay = cfg.backoff;
    for attempt in 1..=cfg.retries.max(1) {
        NotifyStats::bump(&stats.attempts);
        match tokio::time::timeout(cfg.timeout, webhook::post(ep, body, cfg.secret.as_deref()))
            .await
        {
            Ok(Ok(status)) if (200..300).contains(&status) => return true,
            // A redirect is not followed, and a refusal will not change on a retry.
            Ok(Ok(status)) if (300..500).contains(&status) && status != 408 && status != 429 => {
                stats.error(format!("webhook answered {status}"));
                return false;
            }
            Ok(Ok(status)) => stats.error(format!("webhook answered {status}")),
            Ok(Err(e)) => stats.error(format!("webhook: {e}")),
            Err(_) => stats.error(format!(
                "webhook: no answer within {:.1}s",
                cfg.timeout.as_secs_f64()
            )),
        }
        if attempt < cfg.retries {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_BACKOFF);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_line_quotes_what_sh_would_split() {
        assert_eq!(
            shell_line(&["llmmon", "check", "/tmp/a b.jsonl", "it's"]),
            r"llmmon check '/tmp/a b.jsonl' 'it'\''s'"
        );
        assert_eq!(shell_line(&["--config=/x/y.toml"]), "--config=/x/y.toml");
        assert_eq!(shell_line(&[""]), "''");
    }

    #[test]
    fn worst_case_adds_timeouts_and_backoff() {
        let cfg = NotifyConfig {
            webhook: Some("http://127.0.0.1:1/".into()),
            retries: 3,
            timeout: Duration::from_secs(1),
            backoff: Duration::from_millis(500),
            ..NotifyConfig::default()
        };
        // 1 + 0.5 + 1 + 1 + 1
        assert_eq!(cfg.worst_case(), Duration::from_millis(4500));
        let cmd = NotifyConfig {
            command: Some("true".into()),
            ..NotifyConfig::default()
        };
        assert_eq!(cmd.worst_case(), cmd.command_timeout);
    }

    #[test]
    fn a_drill_command_is_a_report_over_the_bad_calls_that_parses() {
        use clap::Parser;
        let r = ReportCommand {
            argv: vec!["llmmon".into(), "report".into(), "/tmp/a b.jsonl".into()],
            filter: Some("app:web".into()),
        };
        let (from, to) = (1_795_687_200_000_000_000, 1_795_687_260_000_000_000);
        let args = r.args("model:\"gpt-4o\" latency>4000ms", from + 123, to + 456);
        let cli = crate::cli::Cli::try_parse_from(&args).unwrap();
        let Some(crate::cli::Command::Report(rep)) = cli.command else {
            panic!("not a report: {args:?}");
        };
        assert_eq!(rep.sources, ["/tmp/a b.jsonl"]);
        assert_eq!(
            rep.select.filter.as_deref(),
            Some("(app:web) model:\"gpt-4o\" latency>4000ms")
        );
        assert_eq!(
            rep.select.range.since.as_deref(),
            Some("2026-11-26T10:00:00.000Z")
        );
        assert_eq!(
            rep.select.range.until.as_deref(),
            Some("2026-11-26T10:01:00.001Z")
        );
        assert!(r.line("status:error", from, to).starts_with(
            "llmmon report '/tmp/a b.jsonl' --filter '(app:web) status:error' --since "
        ));
    }

    #[test]
    fn only_files_can_be_reported_again() {
        let f = tempfile::NamedTempFile::new().unwrap();
        let path = f.path().display().to_string();
        assert!(report_command(None, std::slice::from_ref(&path), None).is_some());
        assert_eq!(report_command(None, &["demo".into()], None), None);
        assert_eq!(report_command(None, &[path, "-".into()], None), None);
        assert_eq!(report_command(None, &[], None), None);
    }
}
