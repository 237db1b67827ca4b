//! The review queue: the calls that need a person's eye, most severe first, each with every
//! reason it is there — a detector flag, an alert's example (one of the worst calls its
//! drill-down opens), a judge score below [`LOW_JUDGE_SCORE`], or a person's negative
//! feedback. Ordered here once: a critical flag, then an alert example, then other flags,
//! then a low judge score, then negative feedback; within a tier the worst first, then the
//! newest. Review labels live outside the engine; the TUI joins them for its progress line
//! and `export --reviewed` reads the same judge verdicts ([`verdicts`]).

use super::alerts::AlertsView;
use crate::engine::alerts::{AlertStatus, Drill, Level};
use crate::engine::drift::profile::feedback_negative;
use crate::engine::store::{Seq, Store, StoredCall};
use crate::model::query::{severity_rank, Query};
use crate::model::record::{Feedback, FeedbackKind, Nanos, Severity};
use rustc_hash::FxHashMap as HashMap;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A judge score below this needs a person; at or above it the judge passed the answer (the
/// same line splits pass from fail for judge/human agreement).
pub const LOW_JUDGE_SCORE: f64 = 0.5;
/// Worst calls of each alert's drill-down that join the queue.
pub const ALERT_EXAMPLES: usize = 5;
/// Alerts whose examples are taken (firing rules first, then the newest fired steps).
pub const MAX_ALERTS: usize = 20;
/// Items kept, the most severe; the rest are counted in [`ReviewQueue::omitted`].
pub const MAX_ITEMS: usize = 10_000;

/// How urgent a reason is; an item sorts by its most urgent reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    CriticalFlag,
    AlertExample,
    Flag,
    LowJudgeScore,
    NegativeFeedback,
}

/// Why a call is in the queue.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// A detector finding (the most severe of that detector on the call).
    Flag {
        detector: String,
        severity: Severity,
    },
    /// One of the worst calls behind an alert (`rank` 0 is its worst).
    Alert {
        /// The rule or instance name (`slow calls · model=gpt-4o`).
        name: String,
        level: Option<Level>,
        rank: usize,
    },
    /// A judge score under [`LOW_JUDGE_SCORE`].
    Judge { criterion: String, score: f64 },
    /// A person said the answer was bad: a thumbs down, or a low rating (`name` is the
    /// rating's name, `score` when unnamed).
    Feedback { name: String, value: Option<f64> },
}

impl Reason {
    /// The tier the reason puts its call in.
    pub fn tier(&self) -> Tier {
        match self {
            Reason::Flag {
                severity: Severity::Critical,
                ..
            } => Tier::CriticalFlag,
            Reason::Flag { .. } => Tier::Flag,
            Reason::Alert { .. } => Tier::AlertExample,
            Reason::Judge { .. } => Tier::LowJudgeScore,
            Reason::Feedback { .. } => Tier::NegativeFeedback,
        }
    }

    /// How bad, within its tier: higher is worse.
    fn badness(&self) -> f64 {
        match self {
            Reason::Flag { severity, .. } => severity_rank(*severity),
            Reason::Alert { level, rank, .. } => {
                let crit = if *level == Some(Level::Crit) {
                    1e6
                } else {
                    0.0
                };
                crit - *rank as f64
            }
            Reason::Judge { score, .. } => 1.0 - score,
            Reason::Feedback { value, .. } => 1.0 - value.map_or(0.0, unit_rating),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Flag { detector, severity } => write!(f, "{detector} ({})", severity.as_str()),
            Reason::Alert { name, .. } => write!(f, "alert: {name}"),
            Reason::Judge { criterion, score } => write!(f, "judge {criterion} {score:.2}"),
            Reason::Feedback { name, value: None } => f.write_str(name),
            Reason::Feedback {
                name,
                value: Some(v),
            } if *v <= 1.0 => write!(f, "{name} {v:.2}"),
            Reason::Feedback {
                name,
                value: Some(v),
            } => write!(f, "{name} {v}"),
        }
    }
}

/// A rating on 0–1, whether it was given on 0–1 or on 1–5.
fn unit_rating(v: f64) -> f64 {
    if v <= 1.0 {
        v.max(0.0)
    } else {
        ((v - 1.0) / 4.0).clamp(0.0, 1.0)
    }
}

/// One call of the queue with every reason it is there, most urgent first.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewItem {
    pub seq: Seq,
    pub time: Nanos,
    /// The call's id, which review labels are keyed by.
    pub call_id: String,
    pub reasons: Vec<Reason>,
}

impl ReviewItem {
    /// The most urgent reason's tier.
    pub fn tier(&self) -> Tier {
        self.reasons
            .iter()
            .map(Reason::tier)
            .min()
            .unwrap_or(Tier::NegativeFeedback)
    }

    fn badness(&self) -> f64 {
        let tier = self.tier();
        self.reasons
            .iter()
            .filter(|r| r.tier() == tier)
            .map(Reason::badness)
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// The queue, in review order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewQueue {
    pub items: Vec<ReviewItem>,
    /// Calls that had a reason but fell beyond [`MAX_ITEMS`].
    pub omitted: usize,
}

/// One judge verdict on a call: a criterion's score in 0..1, with the judge's reason and
/// model when the verdict came as a feedback record.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The criterion (`groundedness`), without the `judge.` prefix.
    pub criterion: String,
    pub score: f64,
    pub reason: Option<String>,
    pub judge: Option<String>,
}

/// Whether the judge passed the answer on a criterion.
pub fn judge_passes(score: f64) -> bool {
    score >= LOW_JUDGE_SCORE
}

/// The judge verdicts on a call, one per criterion, by name: the scores the record carries,
/// then verdicts that arrived as feedback records (later ones win; they carry the reason).
/// Scores outside 0..1 are not verdicts.
pub fn verdicts(sc: &StoredCall) -> Vec<Verdict> {
    let valid = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
    let mut by: BTreeMap<String, Verdict> = BTreeMap::new();
    for (name, &score) in &sc.call.scores {
        if valid(score) {
            let criterion = criterion_of(name).to_string();
            by.insert(
                criterion.clone(),
                Verdict {
                    criterion,
                    score,
                    reason: None,
                    judge: None,
                },
            );
        }
    }
    for f in sc
        .verdicts
        .iter()
        .chain(sc.feedback.iter().filter(|f| f.is_judge_verdict()))
    {
        let Some(score) = f.value.filter(|&v| valid(v)) else {
            continue;
        };
        let criterion = criterion_of(f.name.as_deref().unwrap_or("judge")).to_string();
        by.insert(
            criterion.clone(),
            Verdict {
                criterion,
                score,
                reason: f.comment.clone().filter(|c| !c.is_empty()),
                judge: f.judge.clone(),
            },
        );
    }
    by.into_values().collect()
}

fn criterion_of(name: &str) -> &str {
    name.strip_prefix(Feedback::JUDGE_PREFIX).unwrap_or(name)
}

/// A person's negative feedback on the call, as a reason.
fn negative_feedback(f: &Feedback) -> Option<Reason> {
    if f.is_judge_verdict() || feedback_negative(f) != Some(true) {
        return None;
    }
    Some(match f.kind {
        FeedbackKind::ThumbsDown => Reason::Feedback {
            name: "thumbs down".into(),
            value: None,
        },
        _ => Reason::Feedback {
            name: f.name.clone().unwrap_or_else(|| "score".into()),
            value: f.value,
        },
    })
}

/// The alerts whose examples are wanted: firing rules (as ordered, critical first), then
/// the newest steps to firing of rules not firing now; one drill per name.
fn alert_drills(a: &AlertsView) -> Vec<(String, Option<Level>, Drill)> {
    let mut out: Vec<(String, Option<Level>, Drill)> = Vec::new();
    let firing = a
        .rules
        .iter()
        .filter(|r| r.status == AlertStatus::Firing)
        .map(|r| (r.name.clone(), r.level, r.drill.clone()));
    let fired = a
        .recent
        .iter()
        .filter(|t| t.to == AlertStatus::Firing)
        .map(|t| (t.rule.clone(), t.level, t.drill()));
    for (name, level, drill) in firing.chain(fired) {
        if out.len() == MAX_ALERTS {
            break;
        }
        if !out.iter().any(|(n, _, _)| *n == name) {
            out.push((name, level, drill));
        }
    }
    out
}

/// The worst [`ALERT_EXAMPLES`] LLM calls of a drill (its window and cause query), worst
/// first in the drill's order, ties newest first. A drill whose query does not parse has
/// no examples.
fn examples(store: &Store, d: &Drill) -> Vec<Seq> {
    let Ok(q) = Query::parse(&d.query) else {
        return Vec::new();
    };
    let mut hits: Vec<&StoredCall> = store
        .calls()
        .rev()
        .filter(|sc| (d.from..=d.to).contains(&sc.time) && sc.call.operation.is_llm_call())
        .filter(|sc| q.matches(&sc.call))
        .collect();
    let worst = |sc: &StoredCall| d.sort.worst_key(&sc.call);
    hits.sort_by_key(|sc| std::cmp::Reverse((sc.time, sc.seq)));
    hits.sort_by(|a, b| worst(b).total_cmp(&worst(a)));
    hits.into_iter()
        .take(ALERT_EXAMPLES)
        .map(|sc| sc.seq)
        .collect()
}

/// The reasons one stored call gives on its own: its flags (worst per detector), its low
/// judge scores and its negative feedback.
fn own_reasons(sc: &StoredCall, out: &mut Vec<Reason>) {
    let mut worst: BTreeMap<&str, Severity> = BTreeMap::new();
    for f in &sc.call.flags {
        let s = worst.entry(f.detector.as_str()).or_insert(f.severity);
        *s = (*s).max(f.severity);
    }
    out.extend(worst.into_iter().map(|(d, severity)| Reason::Flag {
        detector: d.to_string(),
        severity,
    }));
    out.extend(
        verdicts(sc)
            .into_iter()
            .filter(|v| !judge_passes(v.score))
            .map(|v| Reason::Judge {
                criterion: v.criterion,
                score: v.score,
            }),
    );
    out.extend(sc.feedback.iter().filter_map(negative_feedback));
}

/// Builds the queue over the retained calls and the alerts' drills.
pub fn queue(store: &Store, alerts: &AlertsView) -> ReviewQueue {
    let mut from_alerts: HashMap<Seq, Vec<Reason>> = HashMap::default();
    for (name, level, drill) in alert_drills(alerts) {
        for (rank, seq) in examples(store, &drill).into_iter().enumerate() {
            from_alerts.entry(seq).or_default().push(Reason::Alert {
                name: name.clone(),
                level,
                rank,
            });
        }
    }
    let mut items: Vec<ReviewItem> = Vec::new();
    for sc in store.calls() {
        let mut reasons = from_alerts.remove(&sc.seq).unwrap_or_default();
        own_reasons(sc, &mut reasons);
        if reasons.is_empty() {
            continue;
        }
        reasons.sort_by(|a, b| {
            a.tier()
                .cmp(&b.tier())
                .then_with(|| b.badness().total_cmp(&a.badness()))
        });
        items.push(ReviewItem {
            seq: sc.seq,
            time: sc.time,
            call_id: sc.call.id.clone(),
            reasons,
        });
    }
    items.sort_by(review_order);
    let omitted = items.len().saturating_sub(MAX_ITEMS);
    items.truncate(MAX_ITEMS);
    ReviewQueue { items, omitted }
}

/// Most urgent tier first, then the worst, then the newest.
fn review_order(a: &ReviewItem, b: &ReviewItem) -> Ordering {
    a.tier()
        .cmp(&b.tier())
        .then_with(|| b.badness().total_cmp(&a.badness()))
        .then_with(|| b.time.cmp(&a.time))
        .then_with(|| b.seq.cmp(&a.seq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::StoreConfig;
    use crate::model::record::{Call, Flag, TextField};

    fn flag(detector: &str, severity: Severity) -> Flag {
        Flag {
            detector: detector.into(),
            rule: format!("{detector}.rule"),
            severity,
            score: 1.0,
            field: TextField::Output,
            start: 0,
            end: 1,
            snippet: "x".into(),
        }
    }

    fn fb(id: &str, kind: FeedbackKind, value: Option<f64>) -> Feedback {
        Feedback {
            call_id: id.into(),
            time: None,
            kind,
            value,
            comment: None,
            user: None,
            name: None,
            judge: None,
        }
    }

    fn store(calls: Vec<Call>) -> Store {
        let mut s = Store::new(StoreConfig::default());
        for (i, mut c) in calls.into_iter().enumerate() {
            let t = (i as i64 + 1) * 1_000_000_000;
            c.end = Some(t);
            s.add_call(c, t);
        }
        s
    }

    fn call(id: &str) -> Call {
        Call {
            id: id.into(),
            model: Some("gpt-4o".into()),
            ..Call::default()
        }
    }

    fn ids(q: &ReviewQueue) -> Vec<&str> {
        q.items.iter().map(|i| i.call_id.as_str()).collect()
    }

    fn whys(q: &ReviewQueue, id: &str) -> Vec<String> {
        q.items
            .iter()
            .find(|i| i.call_id == id)
            .unwrap()
            .reasons
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn ordered_by_tier_then_worst_then_newest_with_every_reason() {
        let mut crit = call("crit");
        crit.flags.push(flag("injection", Severity::Critical));
        crit.flags.push(flag("injection", Severity::Low));
        crit.scores.insert("groundedness".into(), 0.1);
        let mut pii = call("pii");
        pii.flags.push(flag("pii", Severity::High));
        let mut low = call("low");
        low.scores.insert("judge.groundedness".into(), 0.2);
        low.scores.insert("helpfulness".into(), 0.9);
        let mut lower = call("lower");
        lower.scores.insert("coherence".into(), 0.05);
        let mut old_low = call("old-low");
        old_low.scores.insert("coherence".into(), 0.2);
        let fine = call("fine");
        let down = call("down");
        let mut s = store(vec![old_low, crit, pii, low, lower, fine, down]);
        s.add_feedback(fb("down", FeedbackKind::ThumbsDown, None));
        s.add_feedback(fb("low", FeedbackKind::Score, Some(2.0)));
        s.add_feedback(fb("fine", FeedbackKind::ThumbsUp, None));
        let q = queue(&s, &AlertsView::default());
        assert_eq!(ids(&q), ["crit", "pii", "lower", "low", "old-low", "down"]);
        assert_eq!(
            whys(&q, "crit"),
            ["injection (critical)", "judge groundedness 0.10"]
        );
        assert_eq!(whys(&q, "low"), ["judge groundedness 0.20", "score 2"]);
        assert_eq!(whys(&q, "down"), ["thumbs down"]);
        assert_eq!(q.omitted, 0);
    }

    #[test]
    fn judge_feedback_is_a_verdict_with_its_reason_not_negative_feedback() {
        let mut c = call("j");
        c.scores.insert("judge.groundedness".into(), 0.9);
        c.scores.insert("out_of_range".into(), 7.0);
        let mut s = store(vec![c]);
        s.add_feedback(Feedback {
            name: Some("judge.groundedness".into()),
            judge: Some("gpt-4o-mini".into()),
            comment: Some("cites a fare not in the context".into()),
            ..fb("j", FeedbackKind::Score, Some(0.3))
        });
        let sc = s.by_id("j").unwrap();
        let v = verdicts(sc);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].criterion, "groundedness");
        assert_eq!(v[0].score, 0.3);
        assert_eq!(v[0].judge.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(
            v[0].reason.as_deref(),
            Some("cites a fare not in the context")
        );
        let q = queue(&s, &AlertsView::default());
        assert_eq!(whys(&q, "j"), ["judge groundedness 0.30"]);
    }

    #[test]
    fn alert_examples_are_the_worst_calls_of_its_drill() {
        let calls: Vec<Call> = (0..8)
            .map(|i| Call {
                latency_ms: Some(1000.0 * f64::from(i)),
                ..call(&format!("c{i}"))
            })
            .collect();
        let s = store(calls);
        let rule = super::super::alerts::RuleRow {
            name: "slow calls · model=gpt-4o".into(),
            metric: crate::engine::alerts::AlertMetric::parse("latency.p95").unwrap(),
            status: AlertStatus::Firing,
            level: Some(Level::Warn),
            value: None,
            as_of: None,
            threshold: None,
            below: false,
            since: None,
            window_ns: 0,
            scope: String::new(),
            drill: Drill {
                query: "latency>1500ms".into(),
                filter: String::new(),
                group: None,
                from: 0,
                to: 7_000_000_000,
                sort: crate::engine::alerts::DrillSort::Latency,
            },
        };
        let alerts = AlertsView {
            rules: vec![rule],
            ..AlertsView::default()
        };
        let q = queue(&s, &alerts);
        // c7 is outside the window; the worst five of c2..c6, slowest first.
        assert_eq!(ids(&q), ["c6", "c5", "c4", "c3", "c2"]);
        assert_eq!(whys(&q, "c6"), ["alert: slow calls · model=gpt-4o"]);
    }
}
