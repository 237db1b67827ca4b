//! The bounded store behind drill-down: recent calls with their content, conversations and
//! traces. Every part is a ring or is trimmed by age, with a visible evicted count.
//! Content that arrives apart from its call (GenAI log events, feedback, LLM judge verdicts)
//! is joined here in whichever order it comes. A verdict is not a person's feedback: it
//! becomes one of the call's scores and is kept with its reason and judge model.

use crate::model::facts::CallFacts;
use crate::model::record::{Attachment, Call, Feedback, FeedbackKind, Flag, Nanos, Status};
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeSet, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault};

/// Calls whose model a counts-only store remembers, so a judge verdict that arrives after its
/// call still finds the call's model.
pub const RECENT_MODELS: usize = 100_000;

/// Distinct criteria whose verdicts one call keeps (a new verdict on a kept criterion
/// replaces the old one).
pub const MAX_VERDICTS: usize = 16;

/// Bounds of the store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Calls (with content) kept for drill-down. Zero keeps only counts: conversations and
    /// traces are still counted, but no call, turn list or span list is kept.
    pub max_calls: usize,
    pub max_conversations: usize,
    pub max_traces: usize,
    /// Turns remembered per conversation (older ones still count in its totals).
    pub max_turns: usize,
    /// Calls with flags listed in the Flagged pane.
    pub max_flagged: usize,
    /// Pending attachments and feedback waiting for their call.
    pub max_pending: usize,
    /// Without a session id, a user's calls more than this apart start a new conversation.
    pub session_gap_ns: i64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            max_calls: 50_000,
            max_conversations: 100_000,
            max_traces: 10_000,
            max_turns: 200,
            max_flagged: 10_000,
            max_pending: 10_000,
            session_gap_ns: 30 * 60 * 1_000_000_000,
        }
    }
}

/// Sequence number of a stored call; stable while the call is retained.
pub type Seq = u64;

/// A call kept for drill-down, with what was joined to it.
#[derive(Debug, Clone)]
pub struct StoredCall {
    pub seq: Seq,
    pub time: Nanos,
    pub call: Call,
    /// What people said about the call (thumbs, ratings, comments, copies).
    pub feedback: Vec<Feedback>,
    /// LLM judge verdicts, one per criterion (the newest); their scores are also in
    /// `call.scores` under the criterion's name.
    pub verdicts: Vec<Feedback>,
    /// Key of the conversation the call belongs to, if any.
    pub conversation: Option<Box<str>>,
}

/// Totals and turn list of one conversation.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    pub key: Box<str>,
    /// True when llmmon grouped it by user and inactivity gap (no session id was sent).
    pub derived: bool,
    pub user: Option<String>,
    pub app: Option<String>,
    pub models: BTreeSet<String>,
    /// Sequence numbers of the most recent LLM calls (turns), oldest first.
    pub turns: VecDeque<Seq>,
    pub calls: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub unpriced_calls: u64,
    pub worst_latency_ms: f64,
    pub flags: u64,
    pub flag_detectors: BTreeSet<String>,
    pub feedback_up: u64,
    pub feedback_down: u64,
    pub feedback_other: u64,
    pub first: Nanos,
    pub last: Nanos,
}

/// The spans of one trace (any operation), for the tree and waterfall.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub id: Box<str>,
    pub spans: Vec<Seq>,
    pub span_count: u64,
    pub llm_calls: u64,
    pub errors: u64,
    pub cost_usd: f64,
    pub tokens: u64,
    pub first: Nanos,
    pub last: Nanos,
    /// Conversation id carried by any span, inherited by spans that lack one.
    pub conversation: Option<Box<str>>,
    pub user: Option<String>,
}

/// Counts of what the store had to drop to stay within bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evicted {
    pub calls: u64,
    pub conversations: u64,
    pub traces: u64,
    pub pending: u64,
}

/// The bounded store.
#[derive(Debug, Default)]
pub struct Store {
    cfg: StoreConfig,
    calls: VecDeque<StoredCall>,
    next_seq: Seq,
    by_id: HashMap<Box<str>, Seq>,
    by_span: HashMap<(Box<str>, Box<str>), Seq>,
    conversations: HashMap<Box<str>, Conversation>,
    /// Without retained calls only the number of conversations is shown: each is kept as
    /// its key and last activity, which is all counting and eviction need.
    conversation_last: HashMap<Box<str>, Nanos>,
    derived_sessions: HashMap<(String, String), (Box<str>, Nanos)>,
    derived_count: u64,
    traces: HashMap<Box<str>, Trace>,
    flagged: VecDeque<Seq>,
    pending_attachments: HashMap<(Box<str>, Box<str>), Vec<Attachment>>,
    pending_feedback: HashMap<Box<str>, Vec<Feedback>>,
    /// Counts only: the models of the latest calls, for judge verdicts that come later.
    recent: RecentModels,
    pub evicted: Evicted,
    /// Feedback records whose call was never seen (or already evicted).
    pub feedback_unjoined: u64,
    /// Bumped on every change, so views can cache what they derived.
    pub generation: u64,
}

impl Store {
    /// An empty store with the given bounds.
    pub fn new(cfg: StoreConfig) -> Self {
        Store {
            cfg,
            ..Store::default()
        }
    }

    /// A retained call by sequence number.
    pub fn get(&self, seq: Seq) -> Option<&StoredCall> {
        let first = self.calls.front()?.seq;
        let idx = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.calls.get(idx)
    }

    /// A retained call by its id.
    pub fn by_id(&self, id: &str) -> Option<&StoredCall> {
        self.by_id.get(id).and_then(|&s| self.get(s))
    }

    /// Retained calls, oldest first.
    pub fn calls(&self) -> impl DoubleEndedIterator<Item = &StoredCall> + ExactSizeIterator {
        self.calls.iter()
    }

    /// Number of retained calls.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// True when no call is retained.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Sequence numbers of calls that carry flags, oldest first.
    pub fn flagged(&self) -> impl DoubleEndedIterator<Item = Seq> + ExactSizeIterator + '_ {
        self.flagged.iter().copied()
    }

    /// All conversations (unordered; views sort what they show). Empty when the store keeps
    /// counts only; [`Store::conversation_count`] counts them either way.
    pub fn conversations(&self) -> &HashMap<Box<str>, Conversation> {
        &self.conversations
    }

    /// Number of conversations tracked.
    pub fn conversation_count(&self) -> usize {
        self.conversations.len() + self.conversation_last.len()
    }

    /// All traces (unordered).
    pub fn traces(&self) -> &HashMap<Box<str>, Trace> {
        &self.traces
    }

    /// True when calls are kept for drill-down (`max_calls > 0`); otherwise only counts are.
    pub fn retains_calls(&self) -> bool {
        self.cfg.max_calls > 0
    }

    /// The model of the call with this id, when the store knows the call: from the retained
    /// call, or, when it keeps counts only, from the models of the latest
    /// [`RECENT_MODELS`] calls. `Some(None)`: the call is known and has no model.
    pub fn model_of(&self, id: &str) -> Option<Option<&str>> {
        if self.retains_calls() {
            self.by_id(id).map(|s| s.call.model_name())
        } else {
            self.recent.get(id)
        }
    }

    /// The conversation key a call belongs to, creating a derived session when the call has
    /// no id of its own but has a user.
    fn conversation_key(&mut self, c: &CallFacts<'_>, t: Nanos) -> Option<(Box<str>, bool)> {
        if let Some(id) = c.conversation_id.filter(|s| !s.is_empty()) {
            return Some((id.into(), false));
        }
        if let Some(conv) = c
            .trace_id
            .and_then(|id| self.traces.get(id))
            .and_then(|tr| tr.conversation.clone())
        {
            return Some((conv, false));
        }
        let user = c.user?.to_owned();
        let app = c.app.unwrap_or_default().to_owned();
        let gap = self.cfg.session_gap_ns;
        let key = (user, app);
        match self.derived_sessions.get_mut(&key) {
            Some((k, last)) if t - *last <= gap && *last - t <= gap => {
                *last = (*last).max(t);
                Some((k.clone(), true))
            }
            _ => {
                self.derived_count += 1;
                let k: Box<str> = format!("{}@{}#{}", key.0, key.1, self.derived_count).into();
                if self.derived_sessions.len() >= self.cfg.max_conversations {
                    self.derived_sessions.clear();
                }
                self.derived_sessions.insert(key, (k.clone(), t));
                Some((k, true))
            }
        }
    }

    /// Stores a call (LLM call or span) at event time `t`.
    pub fn add_call(&mut self, mut call: Call, t: Nanos) {
        self.generation += 1;
        let seq = self.next_seq;
        self.next_seq += 1;

        if let (Some(tr), Some(sp)) = (call.trace_id.as_deref(), call.span_id.as_deref()) {
            if let Some(atts) = self.pending_attachments.remove(&(tr.into(), sp.into())) {
                for a in atts {
                    merge_attachment(&mut call, a);
                }
            }
        }
        let (verdicts, feedback): (Vec<Feedback>, Vec<Feedback>) = self
            .pending_feedback
            .remove(call.id.as_str())
            .unwrap_or_default()
            .into_iter()
            .partition(Feedback::is_judge_verdict);
        let mut kept = Vec::new();
        for v in verdicts {
            join_verdict(&mut call, &mut kept, v);
        }

        let conv = self.index(&CallFacts::of(&call), &feedback, seq, t);
        if !call.flags.is_empty() {
            self.push_flagged(seq);
        }
        if !call.id.is_empty() {
            self.by_id.insert(call.id.as_str().into(), seq);
        }
        if let (Some(tr), Some(sp)) = (call.trace_id.as_deref(), call.span_id.as_deref()) {
            self.by_span.insert((tr.into(), sp.into()), seq);
        }
        self.calls.push_back(StoredCall {
            seq,
            time: t,
            call,
            feedback,
            verdicts: kept,
            conversation: conv,
        });
        self.trim();
    }

    /// Counts a call in its trace and conversation without keeping it: what a store with
    /// `max_calls == 0` does instead of [`Store::add_call`]. Content and feedback that
    /// arrived for it earlier are dropped (there is nothing to join them to), except judge
    /// verdicts, which are returned so they can be attributed to the call's model; the
    /// call's model is remembered for verdicts still to come.
    pub fn count_call(&mut self, f: &CallFacts<'_>, t: Nanos) -> Vec<Feedback> {
        self.generation += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        if let (Some(tr), Some(sp)) = (f.trace_id, f.span_id) {
            if !self.pending_attachments.is_empty() {
                self.pending_attachments.remove(&(tr.into(), sp.into()));
            }
        }
        let mut verdicts = Vec::new();
        if !self.pending_feedback.is_empty() {
            if let Some(fbs) = self.pending_feedback.remove(f.id) {
                verdicts = fbs.into_iter().filter(Feedback::is_judge_verdict).collect();
            }
        }
        if f.operation.is_llm_call() && !f.id.is_empty() {
            self.recent.insert(f.id, f.model_name(), seq);
        }
        self.index(f, &[], seq, t);
        self.evicted.calls += 1;
        self.trim();
        verdicts
    }

    /// Updates the trace and conversation of a call; returns its conversation key.
    fn index(
        &mut self,
        f: &CallFacts<'_>,
        feedback: &[Feedback],
        seq: Seq,
        t: Nanos,
    ) -> Option<Box<str>> {
        self.update_trace(f, seq, t);
        let conv = if f.operation.is_llm_call() {
            self.conversation_key(f, t)
        } else {
            None
        };
        match &conv {
            Some((key, _)) if !self.retains_calls() => {
                match self.conversation_last.get_mut(&**key) {
                    Some(last) => *last = (*last).max(t),
                    None => drop(self.conversation_last.insert(key.clone(), t)),
                }
            }
            Some((key, derived)) => {
                self.update_conversation(key, *derived, f, feedback, seq, t);
            }
            None => {}
        }
        conv.map(|c| c.0)
    }

    fn push_flagged(&mut self, seq: Seq) {
        if self.flagged.back() == Some(&seq) {
            return;
        }
        self.flagged.push_back(seq);
        while self.flagged.len() > self.cfg.max_flagged {
            self.flagged.pop_front();
        }
    }

    fn update_trace(&mut self, c: &CallFacts<'_>, seq: Seq, t: Nanos) {
        let retain = self.retains_calls();
        let Some(id) = c.trace_id.filter(|s| !s.is_empty()) else {
            return;
        };
        if !self.traces.contains_key(id) {
            self.traces.insert(
                id.into(),
                Trace {
                    id: id.into(),
                    first: t,
                    last: t,
                    ..Trace::default()
                },
            );
        }
        let Some(tr) = self.traces.get_mut(id) else {
            return;
        };
        if retain {
            tr.spans.push(seq);
        }
        tr.span_count += 1;
        if c.operation.is_llm_call() {
            tr.llm_calls += 1;
            tr.cost_usd += c.cost_usd.unwrap_or(0.0);
            tr.tokens = tr
                .tokens
                .saturating_add(c.tokens.input.unwrap_or(0))
                .saturating_add(c.tokens.output.unwrap_or(0));
        }
        if c.status == Status::Error {
            tr.errors += 1;
        }
        let start = c.start.unwrap_or(t);
        tr.first = tr.first.min(start);
        tr.last = tr.last.max(t);
        if tr.conversation.is_none() {
            tr.conversation = c.conversation_id.map(Into::into);
        }
        if tr.user.is_none() {
            tr.user = c.user.map(str::to_owned);
        }
    }

    fn update_conversation(
        &mut self,
        key: &str,
        derived: bool,
        c: &CallFacts<'_>,
        feedback: &[Feedback],
        seq: Seq,
        t: Nanos,
    ) {
        let max_turns = self.cfg.max_turns;
        if !self.conversations.contains_key(key) {
            self.conversations.insert(
                key.into(),
                Conversation {
                    key: key.into(),
                    derived,
                    first: t,
                    last: t,
                    ..Conversation::default()
                },
            );
        }
        let Some(conv) = self.conversations.get_mut(key) else {
            return;
        };
        conv.calls += 1;
        conv.first = conv.first.min(t);
        conv.last = conv.last.max(t);
        if conv.user.is_none() {
            conv.user = c.user.map(str::to_owned);
        }
        if conv.app.is_none() {
            conv.app = c.app.map(str::to_owned);
        }
        if let Some(m) = c.model_name() {
            if !conv.models.contains(m) && conv.models.len() < 8 {
                conv.models.insert(m.to_string());
            }
        }
        if c.status == Status::Error {
            conv.errors += 1;
        }
        conv.input_tokens = conv
            .input_tokens
            .saturating_add(c.tokens.input.unwrap_or(0));
        conv.output_tokens = conv
            .output_tokens
            .saturating_add(c.tokens.output.unwrap_or(0));
        match c.cost_usd {
            Some(v) => conv.cost_usd += v,
            None => conv.unpriced_calls += 1,
        }
        if let Some(l) = c.effective_latency_ms() {
            conv.worst_latency_ms = conv.worst_latency_ms.max(l);
        }
        add_flags(conv, c.flags);
        for f in feedback {
            count_feedback(conv, f);
        }
        conv.turns.push_back(seq);
        while conv.turns.len() > max_turns {
            conv.turns.pop_front();
        }
    }

    /// Joins content that arrived apart from its span, now or when the span arrives.
    pub fn add_attachment(&mut self, a: Attachment) {
        self.generation += 1;
        let (Some(tr), Some(sp)) = (a.trace_id.clone(), a.span_id.clone()) else {
            return;
        };
        let key: (Box<str>, Box<str>) = (tr.into(), sp.into());
        let Some(seq) = self.by_span.get(&key).copied() else {
            if self.pending_attachments.len() >= self.cfg.max_pending {
                self.pending_attachments.clear();
                self.evicted.pending += 1;
            }
            self.pending_attachments.entry(key).or_default().push(a);
            return;
        };
        let Some(idx) = self.index_of(seq) else {
            return;
        };
        let had_flags = self.calls[idx].call.flags.len();
        let new_flags = a.flags.clone();
        merge_attachment(&mut self.calls[idx].call, a);
        if !new_flags.is_empty() {
            if let Some(conv) = self.calls[idx]
                .conversation
                .clone()
                .and_then(|k| self.conversations.get_mut(&k))
            {
                conv.flags += new_flags.len() as u64;
                for f in &new_flags {
                    conv.flag_detectors.insert(f.detector.clone());
                }
            }
            if had_flags == 0 {
                self.flagged.push_back(seq);
                self.sort_flagged_tail();
            }
        }
    }

    fn sort_flagged_tail(&mut self) {
        // Attachments may flag an older call; keep the list in sequence order.
        let n = self.flagged.len();
        if n >= 2 && self.flagged[n - 2] > self.flagged[n - 1] {
            self.flagged.make_contiguous().sort_unstable();
        }
        while self.flagged.len() > self.cfg.max_flagged {
            self.flagged.pop_front();
        }
    }

    /// Joins feedback (or a judge verdict) to its call, now or when the call arrives. A
    /// verdict for a call a counts-only store has already counted has nothing to join.
    pub fn add_feedback(&mut self, f: Feedback) {
        self.generation += 1;
        let verdict = f.is_judge_verdict();
        if verdict && !self.retains_calls() && self.recent.get(&f.call_id).is_some() {
            return;
        }
        let Some(seq) = self.by_id.get(f.call_id.as_str()).copied() else {
            if self.pending_feedback.len() >= self.cfg.max_pending {
                self.feedback_unjoined += self
                    .pending_feedback
                    .values()
                    .map(|v| v.len() as u64)
                    .sum::<u64>();
                self.pending_feedback.clear();
            }
            self.pending_feedback
                .entry(f.call_id.as_str().into())
                .or_default()
                .push(f);
            return;
        };
        let Some(idx) = self.index_of(seq) else {
            self.feedback_unjoined += 1;
            return;
        };
        if verdict {
            let sc = &mut self.calls[idx];
            join_verdict(&mut sc.call, &mut sc.verdicts, f);
            return;
        }
        if let Some(conv) = self.calls[idx]
            .conversation
            .clone()
            .and_then(|k| self.conversations.get_mut(&k))
        {
            count_feedback(conv, &f);
        }
        self.calls[idx].feedback.push(f);
    }

    fn index_of(&self, seq: Seq) -> Option<usize> {
        let first = self.calls.front()?.seq;
        usize::try_from(seq.checked_sub(first)?)
            .ok()
            .filter(|&i| i < self.calls.len())
    }

    fn trim(&mut self) {
        while self.calls.len() > self.cfg.max_calls {
            if let Some(old) = self.calls.pop_front() {
                self.evicted.calls += 1;
                if self.by_id.get(old.call.id.as_str()) == Some(&old.seq) {
                    self.by_id.remove(old.call.id.as_str());
                }
                if let (Some(tr), Some(sp)) = (old.call.trace_id, old.call.span_id) {
                    self.by_span
                        .remove(&(tr.into_boxed_str(), sp.into_boxed_str()));
                }
            }
        }
        while self.flagged.front().is_some_and(|&s| self.get(s).is_none()) {
            self.flagged.pop_front();
        }
        let cap = self.cfg.max_conversations;
        if self.conversations.len() > cap + cap / 10 {
            self.evicted.conversations += evict_oldest(&mut self.conversations, cap, |c| c.last);
        }
        if self.conversation_last.len() > cap + cap / 10 {
            self.evicted.conversations += evict_oldest(&mut self.conversation_last, cap, |l| *l);
        }
        let cap = self.cfg.max_traces;
        if self.traces.len() > cap + cap / 10 {
            self.evicted.traces += evict_oldest(&mut self.traces, cap, |t| t.last);
        }
    }
}

/// Drops the least recently active entries until `cap` remain; returns how many went.
fn evict_oldest<V>(map: &mut HashMap<Box<str>, V>, cap: usize, last: impl Fn(&V) -> Nanos) -> u64 {
    let excess = map.len().saturating_sub(cap);
    if excess == 0 {
        return 0;
    }
    let mut ages: Vec<(Nanos, Box<str>)> = map.iter().map(|(k, v)| (last(v), k.clone())).collect();
    ages.select_nth_unstable_by_key(excess - 1, |a| a.0);
    for (_, k) in ages.into_iter().take(excess) {
        map.remove(&k);
    }
    excess as u64
}

fn add_flags(conv: &mut Conversation, flags: &[Flag]) {
    conv.flags += flags.len() as u64;
    for f in flags {
        if !conv.flag_detectors.contains(&f.detector) {
            conv.flag_detectors.insert(f.detector.clone());
        }
    }
}

/// Attaches a judge verdict to its call: its score under the criterion's name in
/// `call.scores`, and the verdict (reason, judge model) in `kept`, replacing an earlier one
/// on the same criterion. Verdicts without a valid score are dropped.
fn join_verdict(call: &mut Call, kept: &mut Vec<Feedback>, v: Feedback) {
    let Some((criterion, score)) = v.verdict() else {
        return;
    };
    if let Some(old) = kept.iter_mut().find(|k| k.criterion() == Some(criterion)) {
        call.scores.insert(criterion.to_string(), score);
        *old = v;
    } else if kept.len() < MAX_VERDICTS {
        call.scores.insert(criterion.to_string(), score);
        kept.push(v);
    }
}

fn count_feedback(conv: &mut Conversation, f: &Feedback) {
    if f.is_judge_verdict() {
        return;
    }
    match f.kind {
        FeedbackKind::ThumbsUp | FeedbackKind::Copy => conv.feedback_up += 1,
        FeedbackKind::ThumbsDown => conv.feedback_down += 1,
        FeedbackKind::Score if f.value.is_some_and(|v| v < 0.5) => conv.feedback_down += 1,
        FeedbackKind::Score => conv.feedback_up += 1,
        FeedbackKind::Comment | FeedbackKind::Implicit => conv.feedback_other += 1,
    }
}

/// The models of the latest calls a counts-only store saw, keyed by a hash of the call id
/// (a ring of [`RECENT_MODELS`] entries; model names are interned, at most
/// [`MAX_RECENT_NAMES`] of them).
#[derive(Debug, Default)]
struct RecentModels {
    by_id: HashMap<u64, (u32, Seq)>,
    order: VecDeque<(u64, Seq)>,
    names: Vec<Box<str>>,
    name_index: HashMap<Box<str>, u32>,
}

/// Distinct model names [`RecentModels`] interns; calls of further models are remembered
/// without a model.
const MAX_RECENT_NAMES: usize = 1024;

/// The interned index meaning "no model".
const NO_MODEL: u32 = u32::MAX;

impl RecentModels {
    fn key(id: &str) -> u64 {
        BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(id)
    }

    fn insert(&mut self, id: &str, model: Option<&str>, seq: Seq) {
        let name = match model {
            Some(m) => match self.name_index.get(m) {
                Some(&i) => i,
                None if self.names.len() < MAX_RECENT_NAMES => {
                    let i = u32::try_from(self.names.len()).unwrap_or(NO_MODEL);
                    self.names.push(m.into());
                    self.name_index.insert(m.into(), i);
                    i
                }
                None => NO_MODEL,
            },
            None => NO_MODEL,
        };
        let key = Self::key(id);
        self.by_id.insert(key, (name, seq));
        self.order.push_back((key, seq));
        while self.order.len() > RECENT_MODELS {
            if let Some((k, s)) = self.order.pop_front() {
                if self.by_id.get(&k).is_some_and(|e| e.1 == s) {
                    self.by_id.remove(&k);
                }
            }
        }
    }

    fn get(&self, id: &str) -> Option<Option<&str>> {
        let &(name, _) = self.by_id.get(&Self::key(id))?;
        Some(self.names.get(name as usize).map(|n| &**n))
    }
}

/// Fills what the span lacked from content that arrived separately.
fn merge_attachment(call: &mut Call, a: Attachment) {
    if call.system_prompt.is_none() {
        call.system_prompt = a.system_prompt;
    }
    if call.messages.is_empty() {
        call.messages = a.messages;
    }
    if call.output.is_none() {
        call.output = a.output;
    }
    if call.tool_calls.is_empty() {
        call.tool_calls = a.tool_calls;
    }
    if call.finish_reason.is_none() {
        call.finish_reason = a.finish_reason;
    }
    call.flags.extend(a.flags);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::{Message, Operation};

    fn call(id: &str, user: &str, t: Nanos) -> Call {
        Call {
            id: id.into(),
            user: Some(user.into()),
            start: Some(t),
            end: Some(t),
            ..Call::default()
        }
    }

    #[test]
    fn sessions_are_derived_from_user_and_gap() {
        let mut s = Store::new(StoreConfig {
            session_gap_ns: 10,
            ..StoreConfig::default()
        });
        s.add_call(call("a", "u", 0), 0);
        s.add_call(call("b", "u", 5), 5);
        s.add_call(call("c", "u", 100), 100);
        assert_eq!(s.conversations().len(), 2);
        assert!(s.conversations().values().all(|c| c.derived));
    }

    #[test]
    fn feedback_joins_before_and_after_its_call() {
        let mut s = Store::new(StoreConfig::default());
        let fb = |id: &str, kind| Feedback {
            call_id: id.into(),
            time: None,
            kind,
            value: None,
            comment: None,
            user: None,
            name: None,
            judge: None,
        };
        s.add_feedback(fb("x", FeedbackKind::ThumbsDown));
        s.add_call(call("x", "u", 0), 0);
        s.add_feedback(fb("x", FeedbackKind::ThumbsUp));
        let c = s.by_id("x").unwrap();
        assert_eq!(c.feedback.len(), 2);
        let conv = s.conversations().values().next().unwrap();
        assert_eq!((conv.feedback_up, conv.feedback_down), (1, 1));
    }

    fn verdict(id: &str, criterion: &str, score: f64, reason: &str) -> Feedback {
        Feedback {
            call_id: id.into(),
            time: None,
            kind: FeedbackKind::Score,
            value: Some(score),
            comment: Some(reason.into()),
            user: None,
            name: Some(format!("judge.{criterion}")),
            judge: Some("gpt-4o-mini".into()),
        }
    }

    #[test]
    fn verdicts_become_scores_in_either_order_and_are_not_feedback() {
        let mut s = Store::new(StoreConfig::default());
        s.add_feedback(verdict("x", "groundedness", 0.4, "early"));
        let mut c = call("x", "u", 0);
        c.model = Some("gpt-4o".into());
        c.scores.insert("helpfulness".into(), 0.7);
        s.add_call(c, 0);
        s.add_feedback(verdict("x", "groundedness", 0.2, "re-judged"));
        s.add_feedback(verdict("x", "coherence", 0.9, "fine"));
        let sc = s.by_id("x").unwrap();
        assert!(sc.feedback.is_empty());
        let reasons: Vec<_> = sc.verdicts.iter().map(|v| v.comment.as_deref()).collect();
        assert_eq!(reasons, [Some("re-judged"), Some("fine")]);
        assert_eq!(sc.call.scores["groundedness"], 0.2);
        assert_eq!(sc.call.scores["coherence"], 0.9);
        assert_eq!(sc.call.scores["helpfulness"], 0.7);
        let conv = s.conversations().values().next().unwrap();
        assert_eq!(
            (conv.feedback_up, conv.feedback_down, conv.feedback_other),
            (0, 0, 0)
        );
        assert_eq!(s.model_of("x"), Some(Some("gpt-4o")));
        assert_eq!(s.model_of("y"), None);
    }

    #[test]
    fn a_counts_only_store_joins_verdicts_to_models() {
        let mut s = Store::new(StoreConfig {
            max_calls: 0,
            ..StoreConfig::default()
        });
        s.add_feedback(verdict("early", "groundedness", 0.1, "r"));
        let mut c = call("early", "u", 0);
        c.model = Some("gpt-4o".into());
        let joined = s.count_call(&CallFacts::of(&c), 0);
        assert_eq!(joined.len(), 1);
        let mut c = call("plain", "u", 1);
        c.model = None;
        assert!(s.count_call(&CallFacts::of(&c), 1).is_empty());
        assert_eq!(s.model_of("early"), Some(Some("gpt-4o")));
        assert_eq!(s.model_of("plain"), Some(None));
        assert_eq!(s.model_of("never"), None);
        // A verdict for a call already counted has nothing to wait for.
        s.add_feedback(verdict("early", "groundedness", 0.3, "late"));
        assert!(s.pending_feedback.is_empty());
        for i in 0..(RECENT_MODELS + 10) {
            let mut c = call(&format!("n{i}"), "u", 2);
            c.model = Some("m".into());
            s.count_call(&CallFacts::of(&c), 2);
        }
        assert_eq!(s.model_of("early"), None, "the oldest fell out of the ring");
        assert_eq!(s.model_of("n20"), Some(Some("m")));
        assert!(s.recent.by_id.len() <= RECENT_MODELS);
    }

    #[test]
    fn attachments_merge_in_either_order() {
        let mut s = Store::new(StoreConfig::default());
        let att = |sp: &str| Attachment {
            trace_id: Some("t".into()),
            span_id: Some(sp.into()),
            output: Some("hello".into()),
            messages: vec![Message {
                role: "user".into(),
                content: "hi".into(),
            }],
            ..Attachment::default()
        };
        s.add_attachment(att("s1"));
        let mut c = call("1", "u", 0);
        c.trace_id = Some("t".into());
        c.span_id = Some("s1".into());
        s.add_call(c.clone(), 0);
        c.id = "2".into();
        c.span_id = Some("s2".into());
        s.add_call(c, 1);
        s.add_attachment(att("s2"));
        for id in ["1", "2"] {
            assert_eq!(s.by_id(id).unwrap().call.output.as_deref(), Some("hello"));
        }
    }

    #[test]
    fn counts_only_store_counts_conversations_and_traces_like_a_full_one() {
        let cfg = StoreConfig {
            max_conversations: 5,
            max_traces: 5,
            ..StoreConfig::default()
        };
        let mut full = Store::new(cfg.clone());
        let mut counts = Store::new(StoreConfig {
            max_calls: 0,
            ..cfg
        });
        for i in 0..100 {
            let mut c = call(&i.to_string(), &format!("u{}", i % 9), i);
            c.trace_id = Some(format!("t{}", i % 7));
            c.conversation_id = (i % 3 == 0).then(|| format!("c{}", i % 11));
            counts.count_call(&CallFacts::of(&c), i);
            full.add_call(c, i);
        }
        assert_eq!(counts.conversation_count(), full.conversation_count());
        assert_eq!(counts.traces().len(), full.traces().len());
        assert_eq!(counts.evicted.conversations, full.evicted.conversations);
        assert_eq!(counts.evicted.traces, full.evicted.traces);
        assert!(counts.is_empty() && counts.conversations().is_empty());
    }

    #[test]
    fn bounds_hold_with_evicted_counts() {
        let mut s = Store::new(StoreConfig {
            max_calls: 10,
            max_conversations: 5,
            max_traces: 5,
            ..StoreConfig::default()
        });
        for i in 0..100 {
            let mut c = call(&i.to_string(), &format!("u{i}"), i);
            c.trace_id = Some(format!("t{i}"));
            c.operation = Operation::Chat;
            s.add_call(c, i);
        }
        assert_eq!(s.len(), 10);
        assert_eq!(s.evicted.calls, 90);
        assert!(s.conversations().len() <= 6);
        assert!(s.traces().len() <= 6);
        assert!(s.evicted.conversations >= 94);
        assert!(s.get(95).is_some() && s.get(5).is_none());
    }
}
