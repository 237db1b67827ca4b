//! Quality signals beside drift: explicit feedback joined to its call (per window, model and
//! user), judge scores carried in records, LLM judge verdicts (per criterion, per model and
//! the hallucination rate, in the event time of the judged call), implicit negatives (the
//! next turn rephrases the previous one; a conversation abandoned right after an error or a
//! refusal), a lexical groundedness heuristic against retrieved context, and implicit
//! positives (copy events). A judge's verdict is never counted as a person's feedback.

use super::drift::features::Features;
use super::drift::profile::feedback_negative;
use crate::model::record::{Call, Feedback, FeedbackKind, Nanos, Status};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Thresholds and bounds of the quality signals.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityConfig {
    /// Jaccard similarity of character 4-shingles at or above which a turn rephrases the
    /// previous one.
    pub rephrase_similarity: f64,
    /// A conversation whose last turn failed or was refused and that stays silent this long
    /// counts as abandoned.
    pub abandon_after_ns: i64,
    /// Conversations remembered for rephrase and abandonment detection.
    pub max_conversations: usize,
    /// Models and users with their own feedback counts (the rest are not broken down).
    pub max_groups: usize,
    /// Windows of history kept.
    pub history: usize,
    /// A groundedness verdict below this score counts as a hallucination (`[judge]
    /// hallucination_below`).
    pub hallucination_below: f64,
}

/// The default of [`QualityConfig::hallucination_below`].
pub const DEFAULT_HALLUCINATION_BELOW: f64 = 0.5;

/// The judge criterion whose low scores are hallucinations: the answer against the retrieved
/// context.
pub const GROUNDEDNESS: &str = "groundedness";

/// Score names tracked per scope and per model (the rest are not broken down).
pub const MAX_CRITERIA: usize = 16;

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            rephrase_similarity: 0.35,
            abandon_after_ns: 300 * super::SECOND,
            max_conversations: 10_000,
            max_groups: 200,
            history: 60,
            hallucination_below: DEFAULT_HALLUCINATION_BELOW,
        }
    }
}

/// Feedback counted by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FeedbackCounts {
    pub up: u64,
    pub down: u64,
    /// Copy events (implicit positive, also counted in `up`).
    pub copies: u64,
    /// Comments and other signals without a verdict.
    pub other: u64,
}

impl FeedbackCounts {
    fn add(&mut self, f: &Feedback) {
        if f.is_judge_verdict() {
            return;
        }
        match feedback_negative(f) {
            Some(true) => self.down += 1,
            Some(false) => self.up += 1,
            None => self.other += 1,
        }
        if f.kind == FeedbackKind::Copy {
            self.copies += 1;
        }
    }

    /// Share of verdicts that are negative.
    pub fn negative_rate(&self) -> f64 {
        let n = self.up + self.down;
        if n > 0 {
            self.down as f64 / n as f64
        } else {
            0.0
        }
    }
}

/// Quality numbers of one window (or of everything since start).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QualityCounts {
    pub start: Nanos,
    pub calls: u64,
    pub feedback: FeedbackCounts,
    /// Sum and count per judge score name: scores carried by calls and judge verdicts.
    pub judges: BTreeMap<String, (f64, u64)>,
    /// Groundedness verdicts, and those below the hallucination threshold.
    pub hallucination: Hallucination,
    /// Turns that had a previous turn to compare with.
    pub followups: u64,
    pub rephrases: u64,
    pub abandoned: u64,
    /// Calls with retrieved context and an answer, and the sum of their ungrounded shares.
    pub grounded_calls: u64,
    pub ungrounded_sum: f64,
}

impl QualityCounts {
    /// Share of follow-up turns that rephrase the previous one.
    pub fn rephrase_rate(&self) -> f64 {
        if self.followups > 0 {
            self.rephrases as f64 / self.followups as f64
        } else {
            0.0
        }
    }

    /// Mean share of answer sentences without lexical support in the context.
    pub fn ungrounded_share(&self) -> Option<f64> {
        (self.grounded_calls > 0).then(|| self.ungrounded_sum / self.grounded_calls as f64)
    }

    /// Mean of a judge score.
    pub fn judge_mean(&self, name: &str) -> Option<f64> {
        self.judges
            .get(name)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| s / *n as f64)
    }

    /// True when nothing was counted in this scope.
    fn is_empty(&self) -> bool {
        self.calls == 0
            && self.feedback == FeedbackCounts::default()
            && self.judges.is_empty()
            && self.hallucination.judged == 0
    }

    /// The JSON shape `report` prints under `quality` (`hallucination_below`: the threshold
    /// the hallucination rate was counted with; no per-model breakdown, which lives in
    /// [`Quality`]).
    pub fn summary(&self, hallucination_below: f64) -> QualitySummary {
        QualitySummary {
            calls: self.calls,
            feedback: FeedbackSummary {
                up: self.feedback.up,
                down: self.feedback.down,
                copies: self.feedback.copies,
                other: self.feedback.other,
                negative_rate: self.feedback.negative_rate(),
            },
            judge: JudgeReport {
                criteria: criteria_summary(&self.judges),
                verdicts: BTreeMap::new(),
                by_model: BTreeMap::new(),
                hallucination_rate: self.hallucination.rate(),
                hallucination: HallucinationSummary {
                    judged: self.hallucination.judged,
                    below: self.hallucination.below,
                    threshold: hallucination_below,
                },
            },
            rephrase_rate: self.rephrase_rate(),
            rephrases: self.rephrases,
            followup_turns: self.followups,
            abandoned: self.abandoned,
            groundedness: GroundednessSummary {
                calls: self.grounded_calls,
                ungrounded_share: self.ungrounded_share(),
            },
        }
    }
}

/// `quality.feedback` in `report --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedbackSummary {
    pub up: u64,
    pub down: u64,
    pub copies: u64,
    pub other: u64,
    pub negative_rate: f64,
}

/// One judge score's mean and count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgeSummary {
    pub mean: f64,
    pub count: u64,
}

/// Groundedness verdicts counted for the hallucination rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hallucination {
    /// Groundedness verdicts.
    pub judged: u64,
    /// Those below the threshold.
    pub below: u64,
}

impl Hallucination {
    /// Share of groundedness verdicts below the threshold; `None` before the first.
    pub fn rate(&self) -> Option<f64> {
        (self.judged > 0).then(|| super::stats::round6(self.below as f64 / self.judged as f64))
    }
}

/// `quality.judge.hallucination`: the counts behind the rate and the threshold used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HallucinationSummary {
    pub judged: u64,
    pub below: u64,
    pub threshold: f64,
}

/// `quality.judge` in `report --json`: judge scores (carried by calls, or verdicts of an LLM
/// judge) per criterion and per judged call's model, and the hallucination rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgeReport {
    pub criteria: BTreeMap<String, JudgeSummary>,
    /// The LLM judge's verdicts alone per criterion, since start (`criteria` also counts
    /// scores the calls carried); only in the since-start report.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub verdicts: BTreeMap<String, JudgeSummary>,
    pub by_model: BTreeMap<String, BTreeMap<String, JudgeSummary>>,
    /// Share of groundedness verdicts below `hallucination.threshold`; `null` without any.
    pub hallucination_rate: Option<f64>,
    pub hallucination: HallucinationSummary,
}

/// Mean and count of each score name.
fn criteria_summary(judges: &BTreeMap<String, (f64, u64)>) -> BTreeMap<String, JudgeSummary> {
    judges
        .iter()
        .map(|(k, (s, n))| {
            (
                k.clone(),
                JudgeSummary {
                    mean: if *n > 0 {
                        super::stats::round6(s / *n as f64)
                    } else {
                        0.0
                    },
                    count: *n,
                },
            )
        })
        .collect()
}

/// Adds one score to a per-name sum and count, tracking at most [`MAX_CRITERIA`] names.
fn add_score(judges: &mut BTreeMap<String, (f64, u64)>, name: &str, v: f64) {
    if let Some(e) = judges.get_mut(name) {
        e.0 += v;
        e.1 += 1;
    } else if judges.len() < MAX_CRITERIA {
        judges.insert(name.to_string(), (v, 1));
    }
}

/// `quality.groundedness`: calls with context, and the mean share of unsupported sentences.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroundednessSummary {
    pub calls: u64,
    pub ungrounded_share: Option<f64>,
}

/// `quality` in `report --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualitySummary {
    pub calls: u64,
    pub feedback: FeedbackSummary,
    pub judge: JudgeReport,
    pub rephrase_rate: f64,
    pub rephrases: u64,
    pub followup_turns: u64,
    pub abandoned: u64,
    pub groundedness: GroundednessSummary,
}

#[derive(Debug, Clone)]
struct ConvState {
    shingles: Vec<u64>,
    last: Nanos,
    /// The last turn ended in an error or a refusal.
    bad: bool,
    abandoned: bool,
    turn: Option<u32>,
    trace: Option<Box<str>>,
}

/// Quality signals since start, per window and per model and user.
#[derive(Debug, Clone, Default)]
pub struct Quality {
    cfg: QualityConfig,
    pub total: QualityCounts,
    pub window: QualityCounts,
    /// Closed windows, oldest first.
    pub history: VecDeque<QualityCounts>,
    pub by_model: HashMap<Box<str>, FeedbackCounts>,
    pub by_user: HashMap<Box<str>, FeedbackCounts>,
    /// Judge verdicts' sum and count per criterion, by the judged call's model.
    pub judge_by_model: HashMap<Box<str>, BTreeMap<String, (f64, u64)>>,
    /// Judge verdicts' sum and count per criterion since start, without call-carried scores.
    pub verdicts: BTreeMap<String, (f64, u64)>,
    convs: HashMap<Box<str>, ConvState>,
}

impl Quality {
    /// Empty quality state.
    pub fn new(cfg: QualityConfig) -> Self {
        Quality {
            cfg,
            ..Quality::default()
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &QualityConfig {
        &self.cfg
    }

    /// Closes the current window and starts one at `start` (also sweeps for abandonment).
    pub fn roll(&mut self, start: Nanos) {
        self.sweep(start);
        let done = std::mem::take(&mut self.window);
        if !done.is_empty() {
            self.history.push_back(done);
            while self.history.len() > self.cfg.history {
                self.history.pop_front();
            }
        }
        self.window.start = start;
    }

    /// Counts an LLM call: judge scores, rephrase, groundedness, abandonment state. Returns
    /// whether a follow-up turn rephrases the previous one (`None`: not a follow-up), for
    /// the `rephrase_rate` alert metric.
    pub fn observe_call(&mut self, c: &Call, f: &Features<'_>, t: Nanos) -> Option<bool> {
        for q in [&mut self.total, &mut self.window] {
            q.calls += 1;
            for &(name, v) in &f.judges {
                add_score(&mut q.judges, name, v);
            }
        }
        if let (false, Some(out)) = (c.context.is_empty(), f.response) {
            if let Some(share) = ungrounded_share(out, &c.context) {
                for q in [&mut self.total, &mut self.window] {
                    q.grounded_calls += 1;
                    q.ungrounded_sum += share;
                }
            }
        }
        let bad = c.status == Status::Error || f.binary[0];
        let key = conversation_key(c)?;
        let shingles = f.prompt.map(shingles).unwrap_or_default();
        let mut followup = false;
        let mut rephrase = false;
        match self.convs.get_mut(key.as_str()) {
            Some(s) => {
                let same_turn = (s.turn.is_some() && s.turn == c.turn)
                    || (s.trace.is_some() && s.trace.as_deref() == c.trace_id.as_deref());
                if !same_turn && !shingles.is_empty() && !s.shingles.is_empty() {
                    followup = true;
                    rephrase = jaccard(&s.shingles, &shingles) >= self.cfg.rephrase_similarity;
                }
                if !same_turn {
                    s.shingles = shingles;
                }
                s.last = s.last.max(t);
                s.bad = bad;
                s.abandoned = false;
                s.turn = c.turn;
                s.trace = c.trace_id.as_deref().map(Into::into);
            }
            None => {
                if self.convs.len() >= self.cfg.max_conversations {
                    self.evict();
                }
                self.convs.insert(
                    key.into(),
                    ConvState {
                        shingles,
                        last: t,
                        bad,
                        abandoned: false,
                        turn: c.turn,
                        trace: c.trace_id.as_deref().map(Into::into),
                    },
                );
            }
        }
        for q in [&mut self.total, &mut self.window] {
            q.followups += u64::from(followup);
            q.rephrases += u64::from(rephrase);
        }
        followup.then_some(rephrase)
    }

    /// Counts a feedback record when it arrives; `call` is its call if already seen.
    pub fn observe_feedback(&mut self, f: &Feedback, call: Option<&Call>) {
        self.total.feedback.add(f);
        self.window.feedback.add(f);
        if let Some(c) = call {
            self.feedback_joined(std::slice::from_ref(f), c);
        }
    }

    /// Attributes feedback to its call's model and user once both are known (judge verdicts
    /// are left out: see [`Quality::verdicts_joined`]).
    pub fn feedback_joined(&mut self, fbs: &[Feedback], c: &Call) {
        let cap = self.cfg.max_groups;
        for (map, key) in [
            (&mut self.by_model, c.model_name()),
            (&mut self.by_user, c.user.as_deref()),
        ] {
            let Some(key) = key else { continue };
            if !map.contains_key(key) && map.len() >= cap {
                continue;
            }
            let e = map.entry(key.into()).or_default();
            for f in fbs {
                e.add(f);
            }
        }
    }

    /// Counts an LLM judge's verdict at event time `t` (the judged call's time): in the
    /// total, in the window that holds `t` (the current one or a closed one still in the
    /// history; windows are `window_ns` long, `None`: one window), and under `model`, the
    /// judged call's model when the call was already seen. Returns false for a record that
    /// is not a valid verdict.
    pub fn observe_verdict(
        &mut self,
        f: &Feedback,
        model: Option<&str>,
        t: Nanos,
        window_ns: Option<i64>,
    ) -> bool {
        let Some((criterion, v)) = f.verdict() else {
            return false;
        };
        let below = self.cfg.hallucination_below;
        let start = self.window.start;
        let window = match window_ns {
            Some(len) if t < start => self
                .history
                .iter_mut()
                .rev()
                .find(|w| w.start <= t && t < w.start.saturating_add(len)),
            _ => Some(&mut self.window),
        };
        add_verdict(&mut self.total, criterion, v, below);
        add_score(&mut self.verdicts, criterion, v);
        if let Some(w) = window {
            add_verdict(w, criterion, v, below);
        }
        if let Some(m) = model {
            self.verdicts_joined(std::slice::from_ref(f), Some(m));
        }
        true
    }

    /// Attributes judge verdicts to the judged call's model once it is known (other feedback
    /// is left out).
    pub fn verdicts_joined(&mut self, vs: &[Feedback], model: Option<&str>) {
        let Some(m) = model else { return };
        if !self.judge_by_model.contains_key(m) && self.judge_by_model.len() >= self.cfg.max_groups
        {
            return;
        }
        let e = self.judge_by_model.entry(m.into()).or_default();
        for (criterion, v) in vs.iter().filter_map(Feedback::verdict) {
            add_score(e, criterion, v);
        }
    }

    /// The judge section of `report --json` since start: per criterion, per model and the
    /// hallucination rate.
    pub fn judge_report(&self) -> JudgeReport {
        let mut r = self.total.summary(self.cfg.hallucination_below).judge;
        r.verdicts = criteria_summary(&self.verdicts);
        r.by_model = self
            .judge_by_model
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .map(|(m, c)| (m.to_string(), criteria_summary(c)))
            .collect();
        r
    }

    /// Conversations that would count as abandoned at `now` but were not swept yet.
    pub fn pending_abandoned(&self, now: Nanos) -> u64 {
        let after = self.cfg.abandon_after_ns;
        self.convs
            .values()
            .filter(|s| s.bad && !s.abandoned && now - s.last >= after)
            .count() as u64
    }

    /// Counts conversations silent for the abandonment delay after an error or refusal.
    pub fn sweep(&mut self, now: Nanos) {
        let after = self.cfg.abandon_after_ns;
        let mut n = 0;
        for s in self.convs.values_mut() {
            if s.bad && !s.abandoned && now - s.last >= after {
                s.abandoned = true;
                n += 1;
            }
        }
        self.total.abandoned += n;
        self.window.abandoned += n;
    }

    fn evict(&mut self) {
        let keep = self.cfg.max_conversations / 2;
        let mut ages: Vec<Nanos> = self.convs.values().map(|s| s.last).collect();
        let idx = ages.len().saturating_sub(keep);
        if idx == 0 {
            return;
        }
        ages.select_nth_unstable(idx - 1);
        let cutoff = ages[idx - 1];
        self.convs.retain(|_, s| s.last > cutoff);
    }
}

/// Counts one verdict in a scope: its criterion's mean, and a groundedness verdict in the
/// hallucination rate.
fn add_verdict(q: &mut QualityCounts, criterion: &str, v: f64, below: f64) {
    add_score(&mut q.judges, criterion, v);
    if criterion == GROUNDEDNESS {
        q.hallucination.judged += 1;
        q.hallucination.below += u64::from(v < below);
    }
}

fn conversation_key(c: &Call) -> Option<String> {
    if let Some(id) = c.conversation_id.as_deref().filter(|s| !s.is_empty()) {
        return Some(id.to_string());
    }
    c.user
        .as_deref()
        .map(|u| format!("{u}@{}", c.app.as_deref().unwrap_or("")))
}

/// Most shingles kept per prompt.
const MAX_SHINGLES: usize = 512;

/// Byte 4-shingles of a text's lower-cased words joined by single spaces (ASCII is
/// lower-cased; other UTF-8 bytes are kept as they are).
pub fn shingles(text: &str) -> Vec<u64> {
    let bytes = &text.as_bytes()[..text.len().min(4096)];
    let mut norm: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut space = true;
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b >= 0x80 {
            norm.push(b.to_ascii_lowercase());
            space = false;
        } else if !space {
            norm.push(b' ');
            space = true;
        }
    }
    while norm.last() == Some(&b' ') {
        norm.pop();
    }
    if norm.len() < 12 {
        return Vec::new();
    }
    let mut out: Vec<u64> = norm
        .windows(4)
        .map(|w| u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
        .collect();
    out.sort_unstable();
    out.dedup();
    out.truncate(MAX_SHINGLES);
    out
}

/// Jaccard similarity of two sorted, deduplicated sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

/// True when the next turn rephrases the previous one (the test the quality state uses).
pub fn is_rephrase(previous: &str, next: &str, threshold: f64) -> bool {
    let (a, b) = (shingles(previous), shingles(next));
    !a.is_empty() && !b.is_empty() && jaccard(&a, &b) >= threshold
}

/// Bytes of retrieved context looked at for groundedness.
const MAX_CONTEXT_BYTES: usize = 64 * 1024;

/// Share of an answer's sentences (with at least three content words) that have less than
/// half of their content words in the retrieved context; `None` when no sentence qualifies.
pub fn ungrounded_share(answer: &str, context: &[String]) -> Option<f64> {
    let mut vocab: HashSet<String> = HashSet::default();
    let mut budget = MAX_CONTEXT_BYTES;
    for doc in context {
        let mut end = doc.len().min(budget);
        while !doc.is_char_boundary(end) {
            end -= 1;
        }
        vocab.extend(content_words(&doc[..end]));
        budget -= end;
        if budget == 0 {
            break;
        }
    }
    let (mut sentences, mut unsupported) = (0u32, 0u32);
    for s in answer.split(['.', '!', '?', '\n']) {
        let words: Vec<String> = content_words(s).collect();
        if words.len() < 3 {
            continue;
        }
        sentences += 1;
        let hits = words.iter().filter(|w| vocab.contains(*w)).count();
        if hits * 2 < words.len() {
            unsupported += 1;
        }
    }
    (sentences > 0).then(|| f64::from(unsupported) / f64::from(sentences))
}

fn content_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groundedness_counts_unsupported_sentences() {
        let ctx = vec!["The Lisbon hotel Miramar costs 426 dollars for three nights.".to_string()];
        let grounded = "Hotel Miramar in Lisbon costs 426 dollars for three nights.";
        assert_eq!(ungrounded_share(grounded, &ctx), Some(0.0));
        let mixed = "Hotel Miramar in Lisbon costs 426 dollars. Breakfast includes champagne and caviar daily.";
        assert_eq!(ungrounded_share(mixed, &ctx), Some(0.5));
        assert_eq!(ungrounded_share("Yes.", &ctx), None);
    }

    fn verdict(criterion: &str, score: f64) -> Feedback {
        Feedback {
            call_id: "c".into(),
            time: None,
            kind: FeedbackKind::Score,
            value: Some(score),
            comment: Some("why".into()),
            user: None,
            name: Some(format!("judge.{criterion}")),
            judge: Some("gpt-4o-mini".into()),
        }
    }

    #[test]
    fn verdicts_count_in_the_window_of_their_time_and_never_as_feedback() {
        let mut q = Quality::new(QualityConfig::default());
        let len = Some(60);
        q.window.start = 0;
        assert!(q.observe_verdict(&verdict(GROUNDEDNESS, 0.2), Some("a"), 10, len));
        q.roll(60);
        q.roll(120);
        // Judged late: its call's time is in the first (closed) window.
        assert!(q.observe_verdict(&verdict(GROUNDEDNESS, 0.8), Some("b"), 30, len));
        assert!(q.observe_verdict(&verdict("helpfulness", 0.6), None, 130, len));
        // Older than every window kept: in the total only.
        assert!(q.observe_verdict(&verdict(GROUNDEDNESS, 0.4), Some("a"), -500, len));
        assert_eq!(q.history.len(), 1, "the empty second window is not kept");
        let first = &q.history[0];
        assert_eq!(
            first.hallucination,
            Hallucination {
                judged: 2,
                below: 1
            }
        );
        assert_eq!(first.judge_mean(GROUNDEDNESS), Some(0.5));
        assert_eq!(q.window.judge_mean("helpfulness"), Some(0.6));
        assert_eq!(q.window.hallucination.judged, 0);
        assert_eq!(
            q.total.hallucination,
            Hallucination {
                judged: 3,
                below: 2
            }
        );
        assert_eq!(q.total.feedback, FeedbackCounts::default());
        let r = q.judge_report();
        assert_eq!(r.hallucination_rate, Some(0.666667));
        assert_eq!(r.criteria[GROUNDEDNESS].count, 3);
        assert_eq!(r.by_model["a"][GROUNDEDNESS].mean, 0.3);
        assert_eq!(r.by_model["b"][GROUNDEDNESS].count, 1);
        assert!(!r.by_model.contains_key("(none)"));
        // Feedback paths ignore a verdict handed to them.
        q.observe_feedback(&verdict(GROUNDEDNESS, 0.1), None);
        assert_eq!(q.total.feedback, FeedbackCounts::default());
        // A person's rating is not a verdict.
        let mut rating = verdict(GROUNDEDNESS, 0.1);
        rating.judge = None;
        rating.name = None;
        assert!(!q.observe_verdict(&rating, None, 130, len));
    }

    #[test]
    fn the_hallucination_threshold_is_configurable() {
        let mut q = Quality::new(QualityConfig {
            hallucination_below: 0.3,
            ..QualityConfig::default()
        });
        for v in [0.1, 0.2, 0.4, 0.9] {
            q.observe_verdict(&verdict(GROUNDEDNESS, v), None, 0, None);
        }
        let r = q.judge_report();
        assert_eq!(r.hallucination_rate, Some(0.5));
        assert_eq!(r.hallucination.threshold, 0.3);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["hallucination"]["below"], 2);
        assert_eq!(json["criteria"][GROUNDEDNESS]["count"], 4);
    }

    #[test]
    fn windows_roll_into_history() {
        let mut q = Quality::new(QualityConfig::default());
        let fb = Feedback {
            call_id: "x".into(),
            time: None,
            kind: FeedbackKind::ThumbsDown,
            value: None,
            comment: None,
            user: None,
            name: None,
            judge: None,
        };
        q.observe_feedback(&fb, None);
        q.roll(10);
        assert_eq!(q.history.len(), 1);
        assert_eq!(q.history[0].feedback.down, 1);
        assert_eq!(q.window.start, 10);
        assert_eq!(q.total.feedback.negative_rate(), 1.0);
    }
}
