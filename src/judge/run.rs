//! The judge's task on the pipeline's runtime: takes queued calls while a request slot is
//! free (at most `concurrency` in flight), asks for one verdict per criterion with retries
//! and a spend reservation, and sends each verdict into the pipeline as a record of the
//! judge's own source. Once the other sources have ended it finishes what is queued, for at
//! most `timeout`, and then says it is done.

use super::spend::Room;
use super::verdict::{parse_answer, parse_verdict, Malformed};
use super::{Job, JudgeConfig, JudgeHandle, JudgeStats};
use crate::decode::{Reject, RejectReason};
use crate::model::record::{Feedback, FeedbackKind, Record};
use crate::model::source::{SourceId, SourceState};
use crate::source::{Received, SourceEvent};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify, Semaphore};

/// Largest answer read from the judge endpoint.
const MAX_ANSWER: usize = 1 << 20;
/// Longest wait between retries, whatever `Retry-After` asks.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Where the judge meets the pipeline: its source id, and the signal that the other
/// sources have ended (finish what is queued, then say done).
#[derive(Debug, Clone)]
pub struct Link {
    pub id: SourceId,
    pub input_ended: Arc<Notify>,
}

/// A writer each verdict record is also written to, one JSON line each.
pub type Tee = Arc<Mutex<Box<dyn Write + Send>>>;

struct Ctx {
    cfg: Arc<JudgeConfig>,
    stats: Arc<JudgeStats>,
    id: SourceId,
    /// Never full, so a request slot is never held waiting for the pipeline: a decode
    /// stage that waits for queue room can only get it once slots free up.
    out: mpsc::UnboundedSender<SourceEvent>,
    seq: std::sync::atomic::AtomicU64,
    tee: Option<Tee>,
}

/// Starts the judge as source `id` on the current runtime; verdicts go to `out`, in order,
/// through a lane of their own. `wait` makes offering wait for queue room.
pub fn spawn(
    cfg: Arc<JudgeConfig>,
    id: SourceId,
    out: mpsc::Sender<SourceEvent>,
    tee: Option<Tee>,
    wait: bool,
) -> (JudgeHandle, Link) {
    let (lane, mut verdicts) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(ev) = verdicts.recv().await {
            if out.send(ev).await.is_err() {
                break;
            }
        }
    });
    let (tx, rx) = mpsc::channel(cfg.queue);
    // An unpriced model's spend is unknown: no cap can hold it, so none is applied (the
    // counters say the spend is unknown).
    let cap = cfg.max_cost_per_hour.filter(|_| cfg.price.is_some());
    let stats = Arc::new(JudgeStats::new(cap));
    let link = Link {
        id,
        input_ended: Arc::new(Notify::new()),
    };
    let ctx = Arc::new(Ctx {
        cfg: cfg.clone(),
        stats: stats.clone(),
        id,
        out: lane,
        seq: std::sync::atomic::AtomicU64::new(0),
        tee,
    });
    tokio::spawn(serve(ctx, rx, link.input_ended.clone()));
    (
        JudgeHandle {
            tx,
            stats,
            cfg,
            wait,
        },
        link,
    )
}

async fn serve(ctx: Arc<Ctx>, mut rx: mpsc::Receiver<Job>, ended: Arc<Notify>) {
    let id = ctx.id;
    let _ = ctx.out.send(SourceEvent::State {
        source: id,
        state: SourceState::Connected,
    });
    let slots = Arc::new(Semaphore::new(ctx.cfg.concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    let mut deadline: Option<tokio::time::Instant> = None;
    let wait = ctx.cfg.timeout;
    loop {
        while tasks.try_join_next().is_some() {}
        let permit = match deadline {
            None => tokio::select! {
                p = slots.clone().acquire_owned() => p,
                () = ended.notified() => {
                    deadline = Some(tokio::time::Instant::now() + wait);
                    continue;
                }
            },
            Some(d) => match tokio::time::timeout_at(d, slots.clone().acquire_owned()).await {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let Ok(permit) = permit else { break };
        let job = match deadline {
            None => tokio::select! {
                j = rx.recv() => match j {
                    Some(j) => j,
                    None => {
                        deadline = Some(tokio::time::Instant::now() + wait);
                        continue;
                    }
                },
                () = ended.notified() => {
                    deadline = Some(tokio::time::Instant::now() + wait);
                    continue;
                }
            },
            Some(_) => match rx.try_recv() {
                Ok(j) => j,
                Err(_) => break,
            },
        };
        let ctx = ctx.clone();
        tasks.spawn(async move {
            let _slot = permit;
            judge_call(&ctx, job).await;
        });
    }
    let until = deadline.unwrap_or_else(tokio::time::Instant::now);
    let _ =
        tokio::time::timeout_at(until, async { while tasks.join_next().await.is_some() {} }).await;
    let left = tasks.len() as u64 + rx.len() as u64;
    tasks.abort_all();
    ctx.stats.unfinished.fetch_add(left, Ordering::Relaxed);
    let _ = ctx.out.send(SourceEvent::State {
        source: id,
        state: SourceState::Done,
    });
}

/// Every applicable criterion of one call, one after the other.
async fn judge_call(ctx: &Ctx, job: Job) {
    for &i in &job.criteria {
        let Some(crit) = ctx.cfg.criteria.get(i) else {
            continue;
        };
        match verdict_for(ctx, &job, i).await {
            Ok(Some((score, reason))) => {
                JudgeStats::bump(&ctx.stats.judged);
                let fb = Feedback {
                    call_id: job.call_id.clone(),
                    time: Some(job.time),
                    kind: FeedbackKind::Score,
                    value: Some(score),
                    comment: Some(reason),
                    user: None,
                    name: Some(format!("{}{}", Feedback::JUDGE_PREFIX, crit.name)),
                    judge: Some(ctx.cfg.model.clone()),
                };
                if let Some(tee) = &ctx.tee {
                    if let (Ok(line), Ok(mut w)) = (
                        serde_json::to_string(&Record::Feedback(fb.clone())),
                        tee.lock(),
                    ) {
                        let _ = writeln!(w, "{line}");
                    }
                }
                emit(ctx, vec![Record::Feedback(fb)], Vec::new());
            }
            Ok(None) => {}
            Err(m) => {
                JudgeStats::bump(&ctx.stats.failed);
                let reason = match m {
                    Malformed::OutOfRange(_) => RejectReason::OutOfRange,
                    _ => RejectReason::Undecodable,
                };
                let detail = format!(
                    "judge verdict on call {} ({}), malformed twice: {m}",
                    job.call_id, crit.name
                );
                ctx.stats.error(detail.clone());
                emit(ctx, Vec::new(), vec![Reject::new(reason, detail)]);
            }
        }
    }
    JudgeStats::bump(&ctx.stats.calls_done);
}

fn emit(ctx: &Ctx, records: Vec<Record>, rejects: Vec<Reject>) {
    let seq = ctx.seq.fetch_add(1, Ordering::Relaxed) + 1;
    let _ = ctx.out.send(SourceEvent::Received(Box::new(Received {
        source: ctx.id,
        seq,
        items: 1,
        bytes: 0,
        records,
        rejects,
        metric_points: 0,
        throttled: 0,
    })));
}

/// One criterion's verdict: `Ok(None)` when none could be had (the spend cap, or the
/// endpoint failing after its retries; both counted), `Err` when the verdict was malformed
/// on the first answer and on the retry.
async fn verdict_for(
    ctx: &Ctx,
    job: &Job,
    criterion: usize,
) -> Result<Option<(f64, String)>, Malformed> {
    let cfg = &ctx.cfg;
    let Some(crit) = cfg.criteria.get(criterion) else {
        return Ok(None);
    };
    let messages: Vec<serde_json::Value> = crit
        .messages(&job.content, cfg.redact)
        .into_iter()
        .map(|(role, content)| serde_json::json!({ "role": role, "content": content }))
        .collect();
    let body = serde_json::json!({
        "model": cfg.model,
        "messages": messages,
        "temperature": 0,
        "max_tokens": cfg.max_tokens,
        "response_format": { "type": "json_object" },
    })
    .to_string();
    let estimate = cfg.estimate(body.len());
    let mut last = Malformed::NotJson;
    for _ in 0..2 {
        let reservation = loop {
            let room = match ctx.stats.spend.lock() {
                Ok(mut s) => s.reserve(estimate.unwrap_or(0.0), Instant::now()),
                Err(_) => Room::Full,
            };
            match room {
                Room::Granted(r) => break r,
                Room::Wait => tokio::time::sleep(Duration::from_millis(20)).await,
                Room::Full => {
                    ctx.stats.paused.store(true, Ordering::Relaxed);
                    JudgeStats::bump(&ctx.stats.over_budget);
                    return Ok(None);
                }
            }
        };
        ctx.stats.paused.store(false, Ordering::Relaxed);
        let answer = send(ctx, &body).await;
        let cost = match &answer {
            Ok(Ok(a)) => cfg.cost((a.prompt_tokens, a.completion_tokens), estimate),
            // An answer that was not a completion may still have been billed.
            Ok(Err(_)) => estimate,
            Err(()) => None,
        };
        if let Ok(mut s) = ctx.stats.spend.lock() {
            s.settle(reservation, cost, Instant::now());
        }
        let answer = match answer {
            Ok(a) => a,
            Err(()) => {
                JudgeStats::bump(&ctx.stats.failed);
                return Ok(None);
            }
        };
        match answer.and_then(|a| parse_verdict(&a.content)) {
            Ok(v) => return Ok(Some((v.score, v.reason))),
            Err(m) => {
                JudgeStats::bump(&ctx.stats.malformed);
                ctx.stats
                    .error(format!("judge answer on call {}: {m}", job.call_id));
                last = m;
            }
        }
    }
    Err(last)
}

/// POSTs one request, retrying transport errors, timeouts, 429 and 5xx with backoff
/// (`Retry-After` when given). `Err(())` when every attempt failed (the error is recorded).
async fn send(ctx: &Ctx, body: &str) -> Result<Result<super::verdict::Answer, Malformed>, ()> {
    let cfg = &ctx.cfg;
    let mut headers = Vec::new();
    if let Some(k) = &cfg.api_key {
        headers.push(("authorization", format!("Bearer {k}")));
    }
    let mut delay = cfg.backoff;
    for attempt in 0..=cfg.retries {
        JudgeStats::bump(&ctx.stats.requests);
        let r = tokio::time::timeout(
            cfg.timeout,
            cfg.endpoint.post_json(body, &headers, MAX_ANSWER),
        )
        .await;
        let asked = match r {
            Ok(Ok(resp)) if (200..300).contains(&resp.status) => {
                return Ok(parse_answer(&resp.body));
            }
            Ok(Ok(resp)) if resp.status == 429 || resp.status >= 500 => {
                ctx.stats
                    .error(format!("judge endpoint answered {}", resp.status));
                resp.retry_after.map(Duration::from_secs)
            }
            Ok(Ok(resp)) => {
                let text = String::from_utf8_lossy(&resp.body);
                ctx.stats.error(format!(
                    "judge endpoint answered {}: {}",
                    resp.status,
                    text.chars().take(200).collect::<String>()
                ));
                return Err(());
            }
            Ok(Err(e)) => {
                ctx.stats.error(format!("judge endpoint: {e}"));
                None
            }
            Err(_) => {
                JudgeStats::bump(&ctx.stats.timeouts);
                ctx.stats.error(format!(
                    "judge endpoint did not answer within {:?}",
                    cfg.timeout
                ));
                None
            }
        };
        if attempt == cfg.retries {
            break;
        }
        JudgeStats::bump(&ctx.stats.retries);
        tokio::time::sleep(asked.unwrap_or(delay).min(MAX_BACKOFF)).await;
        delay = (delay * 2).min(MAX_BACKOFF);
    }
    Err(())
}
