//! Alert notifications that never block ingest or drawing: transitions go into a bounded
//! queue (full means dropped and counted) drained by a worker thread with its own small
//! tokio runtime, which POSTs each one to a webhook (signed with HMAC-SHA256 when a secret is
//! set, retried with exponential backoff up to a bound) and/or runs a command with the alert
//! JSON on stdin. The TUI's banner comes from `AlertState::banner`, the bell from
//! [`Notifier::dispatch`].

mod command;
mod webhook;

pub use webhook::{sign, Endpoint, SIGNATURE_HEADER};

use crate::engine::alerts::{AlertStatus, Transition};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Why notifications could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("webhook URL {0:?}: {1}")]
    Url(String, &'static str),
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
    /// Per-attempt timeout (connect, send, read status).
    pub timeout: Duration,
    /// Notifications waiting before new ones are dropped.
    pub queue: usize,
    /// Shell command (`sh -c`) run with the alert JSON on stdin.
    pub command: Option<String>,
    pub command_timeout: Duration,
    /// Ring the terminal bell when an alert fires.
    pub bell: bool,
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
        }
    }
}

impl NotifyConfig {
    /// Notification settings from `[alerting]` and `[tui] bell`.
    pub fn from_config(cfg: &crate::config::Config) -> NotifyConfig {
        let dur = |s: &str, d: Duration| {
            crate::engine::parse_duration(s).map_or(d, |ns| Duration::from_nanos(ns.unsigned_abs()))
        };
        let a = &cfg.alerting;
        let d = NotifyConfig::default();
        NotifyConfig {
            webhook: a.webhook.clone(),
            secret: cfg.webhook_secret(),
            retries: a.webhook_retries.max(1),
            timeout: dur(&a.webhook_timeout, d.timeout),
            queue: a.queue.max(1),
            command: a.command.clone(),
            command_timeout: dur(&a.command_timeout, d.command_timeout),
            bell: cfg.tui.bell,
            ..d
        }
    }
}

/// The JSON body of a notification (webhook POST and command stdin).
#[derive(Debug, Clone, Serialize)]
pub struct Payload<'a> {
    pub source: &'static str,
    /// One-line human text (`FIRING crit error rate: ...`).
    pub text: String,
    pub alert: &'a Transition,
}

impl Payload<'_> {
    /// The payload of a transition, serialised.
    pub fn json(t: &Transition) -> String {
        let p = Payload {
            source: "llmmon",
            text: t.describe(),
            alert: t,
        };
        serde_json::to_string(&p).unwrap_or_default()
    }
}

/// Delivery counters, shared with the worker.
#[derive(Debug, Default)]
pub struct NotifyStats {
    /// Notifications delivered to the webhook.
    pub sent: AtomicU64,
    /// Notifications given up after the last attempt (or refused with a 4xx).
    pub failed: AtomicU64,
    /// HTTP attempts made, including retries.
    pub attempts: AtomicU64,
    /// Notifications dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Commands that exited non-zero, timed out or could not start.
    pub command_failed: AtomicU64,
}

impl NotifyStats {
    fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sends notifications in the background.
pub struct Notifier {
    tx: Option<mpsc::Sender<Transition>>,
    worker: Option<std::thread::JoinHandle<()>>,
    bell: bool,
    /// Counters the status line can show.
    pub stats: Arc<NotifyStats>,
}

impl Notifier {
    /// Starts the worker when a webhook or command is configured (else sends nothing).
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
                stats,
            });
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (tx, rx) = mpsc::channel(cfg.queue.max(1));
        let bell = cfg.bell;
        let worker_stats = stats.clone();
        let worker = std::thread::Builder::new()
            .name("llmmon-notify".into())
            .spawn(move || rt.block_on(run(cfg, endpoint, rx, worker_stats)))?;
        Ok(Notifier {
            tx: Some(tx),
            worker: Some(worker),
            bell,
            stats,
        })
    }

    /// Queues one transition without waiting; false (and counted) when the queue is full.
    pub fn send(&self, t: Transition) -> bool {
        let Some(tx) = &self.tx else { return true };
        match tx.try_send(t) {
            Ok(()) => true,
            Err(_) => {
                NotifyStats::bump(&self.stats.dropped);
                false
            }
        }
    }

    /// Queues every notifiable transition (from `AlertState::take_notifications`) and says
    /// whether the terminal bell should ring (bell enabled and something started firing).
    pub fn dispatch(&self, events: Vec<Transition>) -> bool {
        let ring = self.bell
            && events
                .iter()
                .any(|t| t.to == AlertStatus::Firing && !t.renotify);
        for t in events.into_iter().filter(Transition::notifies) {
            self.send(t);
        }
        ring
    }

    /// Stops taking notifications and waits up to `wait` for queued ones to be delivered.
    pub fn shutdown(mut self, wait: Duration) {
        self.tx = None;
        if let Some(w) = self.worker.take() {
            let deadline = std::time::Instant::now() + wait;
            while !w.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if w.is_finished() {
                let _ = w.join();
            }
        }
    }
}

async fn run(
    cfg: NotifyConfig,
    endpoint: Option<Endpoint>,
    mut rx: mpsc::Receiver<Transition>,
    stats: Arc<NotifyStats>,
) {
    while let Some(t) = rx.recv().await {
        let body = Payload::json(&t);
        if let Some(cmd) = &cfg.command {
            let cmd = cmd.clone();
            let input = body.clone();
            let timeout = cfg.command_timeout;
            let stats = stats.clone();
            tokio::task::spawn_blocking(move || {
                if !command::run(&cmd, &input, timeout) {
                    NotifyStats::bump(&stats.command_failed);
                }
            });
        }
        if let Some(ep) = &endpoint {
            deliver(&cfg, ep, &body, &stats).await;
        }
    }
}

async fn deliver(cfg: &NotifyConfig, ep: &Endpoint, body: &str, stats: &NotifyStats) {
    let mut delay = cfg.backoff;
    for attempt in 1..=cfg.retries.max(1) {
        NotifyStats::bump(&stats.attempts);
        match tokio::time::timeout(cfg.timeout, ep.post(body, cfg.secret.as_deref())).await {
            Ok(Ok(status)) if (200..300).contains(&status) => {
                NotifyStats::bump(&stats.sent);
                return;
            }
            // The receiver refused this payload; sending it again will not help.
            Ok(Ok(status)) if (400..500).contains(&status) && status != 408 && status != 429 => {
                break;
            }
            _ => {}
        }
        if attempt < cfg.retries {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }
    NotifyStats::bump(&stats.failed);
}
