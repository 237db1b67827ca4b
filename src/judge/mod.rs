//! The LLM judge: samples live calls (every flagged one when asked), asks an
//! OpenAI-compatible Chat Completions endpoint for a verdict per criterion, and feeds each
//! verdict back as a feedback record (`judge.<criterion>`, its reason and the judge model)
//! joined to its call in event time. It never blocks live ingest: calls are offered to a
//! bounded queue and what does not fit is counted as dropped (a replay of a file waits for
//! room instead); spend is capped per hour.

pub mod prompt;
mod run;
pub mod spend;
pub mod verdict;

use crate::enrich::pricing::{Price, PriceTable};
use crate::http::Endpoint;
use crate::model::record::{Call, Operation, Tokens};
use prompt::{Content, Criterion};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use run::{spawn, Link, Tee};

/// What the pipeline needs to run a judge: its configuration, and optionally a writer every
/// verdict record is copied to (`llmmon judge --out`).
#[derive(Clone)]
pub struct JudgeSetup {
    pub cfg: Arc<JudgeConfig>,
    pub tee: Option<Tee>,
    /// Every sampled call is judged: offering waits for room in the queue instead of
    /// dropping the call. For inputs that end (a replayed file), where reading slower is
    /// better than judging a share that depends on timing; live inputs never wait.
    pub wait: bool,
}

/// Why the `[judge]` section cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("[judge] endpoint: {0}")]
    Endpoint(#[from] crate::http::UrlError),
    #[error("[judge] {0}")]
    Invalid(String),
    #[error("[judge] api_key_env: {0} is not set (the key is read from the environment, never from argv or the file)")]
    NoKey(String),
}

/// The judge as configured, ready to run.
#[derive(Debug, Clone)]
pub struct JudgeConfig {
    /// `…/chat/completions` under the configured base URL.
    pub endpoint: Endpoint,
    /// The base URL as written, for display.
    pub endpoint_text: String,
    pub model: String,
    pub api_key: Option<String>,
    /// Share of calls judged, chosen by a hash of the call id so a replay judges the same ones.
    pub sample: f64,
    /// Judge every call a detector flagged, whatever `sample` says.
    pub flagged: bool,
    pub max_cost_per_hour: Option<f64>,
    pub concurrency: usize,
    /// Per request; also how long headless commands wait for outstanding verdicts.
    pub timeout: Duration,
    pub criteria: Vec<Criterion>,
    /// Mask emails, keys and other PII in what is sent.
    pub redact: bool,
    /// Calls waiting to be judged before new live ones are dropped (and counted).
    pub queue: usize,
    pub max_tokens: u32,
    /// Each part of a call (input, output, context, system) is cut to this many characters.
    pub max_chars: usize,
    /// Attempts after the first on a transport error, a timeout, 429 or 5xx.
    pub retries: u32,
    pub backoff: Duration,
    /// The judge model's price, when the price table has it.
    pub price: Option<Price>,
}

/// `[judge]` as written in the config file.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JudgeSection {
    pub enabled: Option<bool>,
    pub endpoint: Option<String>,
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    pub sample: f64,
    pub flagged: bool,
    pub max_cost_per_hour: Option<f64>,
    pub concurrency: usize,
    pub timeout: String,
    pub redact: bool,
    pub queue: usize,
    pub max_tokens: u32,
    pub max_chars: usize,
    pub retries: u32,
    /// A groundedness verdict below this is a hallucination; applies to any judge's scores,
    /// so it is read even when this judge is off.
    pub hallucination_below: f64,
    pub criteria: Vec<CriterionSection>,
}

/// One `[[judge.criteria]]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionSection {
    pub name: String,
    pub prompt: String,
}

impl Default for JudgeSection {
    fn default() -> Self {
        JudgeSection {
            enabled: None,
            endpoint: None,
            model: None,
            api_key_env: None,
            sample: 0.05,
            flagged: true,
            max_cost_per_hour: Some(1.0),
            concurrency: 4,
            timeout: "20s".into(),
            redact: false,
            queue: 256,
            max_tokens: 200,
            max_chars: 6000,
            retries: 3,
            hallucination_below: crate::engine::quality::DEFAULT_HALLUCINATION_BELOW,
            criteria: Vec::new(),
        }
    }
}

impl JudgeSection {
    /// Whether the judge runs: on once an endpoint and a model are set, unless
    /// `enabled = false` says otherwise.
    pub fn active(&self) -> bool {
        self.enabled
            .unwrap_or(self.endpoint.is_some() || self.model.is_some())
    }

    /// The judge this section describes, priced from `table`; `None` when it is off.
    pub fn build(&self, table: &PriceTable) -> Result<Option<JudgeConfig>, JudgeError> {
        if !self.active() {
            return Ok(None);
        }
        let bad = |s: String| JudgeError::Invalid(s);
        let endpoint_text = self
            .endpoint
            .clone()
            .ok_or_else(|| bad("needs `endpoint` (an OpenAI-compatible base URL such as https://api.openai.com/v1)".into()))?;
        let model = self
            .model
            .clone()
            .ok_or_else(|| bad("needs `model` (the judge model, e.g. gpt-4o-mini)".into()))?;
        let endpoint = Endpoint::parse(&endpoint_text)?.join("chat/completions");
        let api_key = match &self.api_key_env {
            Some(var) => Some(
                std::env::var(var)
                    .ok()
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| JudgeError::NoKey(var.clone()))?,
            ),
            None => None,
        };
        if !(0.0..=1.0).contains(&self.sample) {
            return Err(bad(format!("sample = {} must be in 0..1", self.sample)));
        }
        if let Some(c) = self.max_cost_per_hour {
            if !(c.is_finite() && c >= 0.0) {
                return Err(bad(format!("max_cost_per_hour = {c} must be 0 or more")));
            }
        }
        let timeout = crate::model::duration::parse_positive_ns(&self.timeout)
            .map(|ns| Duration::from_nanos(ns.unsigned_abs()))
            .ok_or_else(|| bad(format!("timeout = {:?} is not a duration", self.timeout)))?;
        let mut criteria = Vec::new();
        // Without criteria: groundedness for calls that retrieved context, and helpfulness
        // so that traffic without retrieval is judged too (not silently skipped).
        let sections = if self.criteria.is_empty() {
            ["groundedness", "helpfulness"]
                .into_iter()
                .map(|n| CriterionSection {
                    name: n.into(),
                    prompt: format!("builtin:{n}"),
                })
                .collect()
        } else {
            self.criteria.clone()
        };
        for c in &sections {
            if criteria.iter().any(|k: &Criterion| k.name == c.name) {
                return Err(bad(format!("criterion {:?} is listed twice", c.name)));
            }
            criteria.push(
                Criterion::new(&c.name, &c.prompt)
                    .map_err(|e| bad(format!("criterion {:?}: {e}", c.name)))?,
            );
        }
        Ok(Some(JudgeConfig {
            endpoint,
            endpoint_text,
            price: table.lookup(&model).and_then(|i| table.price(i)).cloned(),
            model,
            api_key,
            sample: self.sample,
            flagged: self.flagged,
            max_cost_per_hour: self.max_cost_per_hour,
            concurrency: self.concurrency.clamp(1, 64),
            timeout,
            criteria,
            redact: self.redact,
            queue: self.queue.max(1),
            max_tokens: self.max_tokens.max(16),
            max_chars: self.max_chars.max(100),
            retries: self.retries,
            backoff: Duration::from_millis(500),
        }))
    }
}

impl JudgeConfig {
    /// Cost of one request before it is sent: its characters over four as input tokens,
    /// the output budget as output tokens. `None` for a model the price table lacks.
    fn estimate(&self, chars: usize) -> Option<f64> {
        let p = self.price.as_ref()?;
        Some(p.cost_of(&Tokens {
            input: Some(chars as u64 / 4 + 200),
            output: Some(u64::from(self.max_tokens)),
            ..Tokens::default()
        }))
    }

    /// What an answer's usage cost; `None` when the model is unpriced. An answer without
    /// usage is charged its estimate, so the cap still holds.
    fn cost(&self, usage: (Option<u64>, Option<u64>), estimate: Option<f64>) -> Option<f64> {
        let p = self.price.as_ref()?;
        match usage {
            (None, None) => estimate,
            (input, output) => Some(p.cost_of(&Tokens {
                input,
                output,
                ..Tokens::default()
            })),
        }
    }
}

/// Whether a call id falls in the sampled share: FNV-1a of the id, mixed by the MurmurHash3
/// finaliser (FNV alone leaves short ids that differ in one digit close together), against
/// `rate`; the same on every run and platform, so replays judge the same calls.
pub fn sampled(id: &str, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    ((h >> 11) as f64 / (1u64 << 53) as f64) < rate
}

/// Counters of the judge's work, shared between the offering stage, the judge's tasks and
/// whatever shows them (the TUI, `report --json`).
#[derive(Debug)]
pub struct JudgeStats {
    /// LLM calls offered.
    pub seen: AtomicU64,
    /// Calls chosen and queued for judging.
    pub sampled: AtomicU64,
    /// Chosen calls the full queue turned away.
    pub dropped: AtomicU64,
    /// Requests sent (every attempt).
    pub requests: AtomicU64,
    /// Verdicts delivered (one per criterion of a call).
    pub judged: AtomicU64,
    /// Sampled calls whose every criterion was answered or given up.
    pub calls_done: AtomicU64,
    /// Answers whose verdict was malformed or out of range (each is retried once).
    pub malformed: AtomicU64,
    /// Verdicts given up (endpoint errors after retries, or malformed twice).
    pub failed: AtomicU64,
    pub retries: AtomicU64,
    pub timeouts: AtomicU64,
    /// Requests not sent because the hourly spend cap was reached.
    pub over_budget: AtomicU64,
    /// Queued or in-flight verdicts abandoned when input ended and the wait ran out.
    pub unfinished: AtomicU64,
    /// Chosen calls with no answer text to judge (a failed call, or an OTel call whose
    /// content arrives as separate log events): counted, not sent.
    pub no_output: AtomicU64,
    pub paused: AtomicBool,
    pub spend: Mutex<spend::Spend>,
    pub last_error: Mutex<Option<String>>,
}

impl JudgeStats {
    fn new(cap: Option<f64>) -> JudgeStats {
        JudgeStats {
            seen: AtomicU64::new(0),
            sampled: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            judged: AtomicU64::new(0),
            calls_done: AtomicU64::new(0),
            malformed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            over_budget: AtomicU64::new(0),
            unfinished: AtomicU64::new(0),
            no_output: AtomicU64::new(0),
            paused: AtomicBool::new(false),
            spend: Mutex::new(spend::Spend::new(cap)),
            last_error: Mutex::new(None),
        }
    }

    fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    fn error(&self, e: String) {
        if let Ok(mut g) = self.last_error.lock() {
            *g = Some(e);
        }
    }

    /// The counters as `report --json` prints them under `quality.judge.run`.
    pub fn snapshot(&self, cfg: &JudgeConfig) -> JudgeRun {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (total, hour) = self
            .spend
            .lock()
            .map(|mut s| (s.total, s.last_hour(Instant::now())))
            .unwrap_or_default();
        let priced = cfg.price.is_some();
        JudgeRun {
            model: cfg.model.clone(),
            endpoint: cfg.endpoint_text.clone(),
            criteria: cfg.criteria.iter().map(|c| c.name.clone()).collect(),
            sample: cfg.sample,
            seen: get(&self.seen),
            sampled: get(&self.sampled),
            dropped: get(&self.dropped),
            requests: get(&self.requests),
            judged: get(&self.judged),
            calls_done: get(&self.calls_done),
            malformed: get(&self.malformed),
            failed: get(&self.failed),
            retries: get(&self.retries),
            timeouts: get(&self.timeouts),
            over_budget: get(&self.over_budget),
            unfinished: get(&self.unfinished),
            no_output: get(&self.no_output),
            spend_usd: priced.then_some(total),
            spend_last_hour_usd: priced.then_some(hour),
            max_cost_per_hour: cfg.max_cost_per_hour,
            paused: self.paused.load(Ordering::Relaxed),
            last_error: self.last_error.lock().ok().and_then(|g| g.clone()),
        }
    }
}

/// The judge's counters at one moment (`quality.judge.run` in `report --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgeRun {
    pub model: String,
    pub endpoint: String,
    pub criteria: Vec<String>,
    pub sample: f64,
    pub seen: u64,
    pub sampled: u64,
    pub dropped: u64,
    pub requests: u64,
    /// Verdicts delivered.
    pub judged: u64,
    /// Sampled calls finished: every criterion answered or given up.
    pub calls_done: u64,
    pub malformed: u64,
    pub failed: u64,
    pub retries: u64,
    pub timeouts: u64,
    pub over_budget: u64,
    pub unfinished: u64,
    /// Chosen calls with no answer text to judge.
    pub no_output: u64,
    /// `None` when the judge model is not in the price table (spend unknown).
    pub spend_usd: Option<f64>,
    pub spend_last_hour_usd: Option<f64>,
    pub max_cost_per_hour: Option<f64>,
    /// The spend cap is holding judging back right now.
    pub paused: bool,
    pub last_error: Option<String>,
}

impl JudgeRun {
    /// One line for the TUI and the text report: what was judged, dropped and spent.
    pub fn line(&self) -> String {
        let spend = match (self.spend_usd, self.max_cost_per_hour) {
            (Some(s), Some(cap)) => format!("${s:.4} (cap ${cap:.2}/h)"),
            (Some(s), None) => format!("${s:.4}"),
            (None, _) => "spend unknown (model not in the price table)".into(),
        };
        let mut out = format!(
            "judge {}: {} of {} sampled calls judged ({} seen), {} verdicts, {} dropped, {} malformed, {} failed, {spend}",
            self.model,
            self.calls_done,
            self.sampled,
            self.seen,
            self.judged,
            self.dropped,
            self.malformed,
            self.failed
        );
        if self.no_output > 0 {
            out.push_str(&format!(", {} with no answer to judge", self.no_output));
        }
        if self.paused {
            out.push_str(", PAUSED: spend cap reached");
        }
        out
    }
}

/// One call waiting for its verdicts.
#[derive(Debug, Clone)]
pub struct Job {
    pub call_id: String,
    /// The call's event time: verdicts are stamped with it.
    pub time: crate::model::record::Nanos,
    pub content: Content,
    /// Indices into [`JudgeConfig::criteria`] that apply to this call.
    pub criteria: Vec<usize>,
}

/// The offering side of a running judge, owned by the decode stage.
#[derive(Debug, Clone)]
pub struct JudgeHandle {
    tx: tokio::sync::mpsc::Sender<Job>,
    pub stats: Arc<JudgeStats>,
    pub cfg: Arc<JudgeConfig>,
    /// Offering waits for queue room ([`JudgeSetup::wait`]).
    pub wait: bool,
}

impl JudgeHandle {
    /// Offers an enriched call: queued when sampled (or flagged) and it has an answer to
    /// judge. When the queue is full it waits for room if the handle [`JudgeHandle::wait`]s
    /// (called off the runtime, by the decode stage), else the call is counted as dropped.
    pub fn offer(&self, c: &Call) {
        if !c.operation.is_llm_call() || c.operation == Operation::Embeddings {
            return;
        }
        JudgeStats::bump(&self.stats.seen);
        let flagged = self.cfg.flagged && !c.flags.is_empty();
        if !flagged && !sampled(&c.id, self.cfg.sample) {
            return;
        }
        let Some(content) = Content::of(c, self.cfg.max_chars) else {
            JudgeStats::bump(&self.stats.no_output);
            return;
        };
        let criteria: Vec<usize> = (0..self.cfg.criteria.len())
            .filter(|&i| !self.cfg.criteria[i].needs_context() || !c.context.is_empty())
            .collect();
        if criteria.is_empty() {
            return;
        }
        JudgeStats::bump(&self.stats.sampled);
        let job = Job {
            call_id: c.id.clone(),
            time: c.event_time().unwrap_or_else(crate::source::now_nanos),
            content,
            criteria,
        };
        let sent = if self.wait {
            self.tx.blocking_send(job).is_ok()
        } else {
            self.tx.try_send(job).is_ok()
        };
        if !sent {
            JudgeStats::bump(&self.stats.dropped);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_stable_and_close_to_the_rate() {
        let hits = (0..20_000)
            .filter(|i| sampled(&format!("call-{i}"), 0.05))
            .count();
        assert!((800..1200).contains(&hits), "{hits}");
        let short = (0..200).filter(|i| sampled(&format!("c{i}"), 0.25)).count();
        assert!((30..70).contains(&short), "{short}");
        assert_eq!(sampled("call-7", 0.05), sampled("call-7", 0.05));
        assert!(sampled("x", 1.0));
        assert!(!sampled("x", 0.0));
    }

    #[test]
    fn a_section_without_endpoint_is_off_and_bad_values_are_refused() {
        let table = PriceTable::builtin().unwrap();
        assert!(JudgeSection::default().build(&table).unwrap().is_none());
        let s = JudgeSection {
            endpoint: Some("http://127.0.0.1:9/v1".into()),
            model: Some("gpt-4o-mini".into()),
            ..JudgeSection::default()
        };
        let c = s.build(&table).unwrap().unwrap();
        assert_eq!(c.endpoint.path, "/v1/chat/completions");
        assert!(c.price.is_some());
        assert_eq!(c.criteria[0].name, "groundedness");
        let bad = JudgeSection {
            sample: 2.0,
            ..s.clone()
        };
        assert!(bad.build(&table).is_err());
        let nokey = JudgeSection {
            api_key_env: Some("LLMMON_TEST_SURELY_UNSET_KEY".into()),
            ..s
        };
        assert!(matches!(nokey.build(&table), Err(JudgeError::NoKey(_))));
    }
}
