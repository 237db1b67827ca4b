//! The traffic generator: a deterministic, infinite iterator of [`Record`]s in event-time
//! order. Conversations interleave, agent turns become five-span traces, feedback arrives
//! seconds after the answer it rates, and the incident scenario plays its timeline.

use super::catalog::{self, AppProfile, ModelIdx, APPS, MODELS};
use super::corpus::{self, Intent};
use super::scenario::{self as sc, Scenario};
use super::slots::Slots;
use super::GenConfig;
use crate::model::record::{
    Call, Feedback, FeedbackKind, Message, Nanos, Operation, Record, Status, Tokens, ToolCall,
};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

const MS: Nanos = 1_000_000;

/// Share of turns (in apps with tools) that run as an agent trace with two LLM calls.
const AGENT_SHARE: f64 = 0.18;
/// Mean LLM calls per episode, to turn "LLM calls per second" into an episode rate.
const LLM_CALLS_PER_EPISODE: f64 = 1.0 + AGENT_SHARE;
/// Share of plain turns from a toxic user message.
const TOXIC_SHARE: f64 = 0.006;
/// Share of answers that are refusals out of the blue.
const REFUSAL_SHARE: f64 = 0.01;
const JUDGE_SHARE: f64 = 0.1;
const FEEDBACK_SHARE: f64 = 0.08;
const TRUNCATED_SHARE: f64 = 0.02;
const CONTENT_FILTER_SHARE: f64 = 0.002;
const RATE_LIMIT_SHARE: f64 = 0.004;
const SERVER_ERROR_SHARE: f64 = 0.003;
const TIMEOUT_SHARE: f64 = 0.0015;
/// After the topic shift, share of prompts about the new product.
const TOPIC_SHARE: f64 = 0.78;
/// During the runaway, the episode rate rises by this factor and the extra is bob's.
const RUNAWAY_RATE_FACTOR: f64 = 1.5;
/// During the injection burst, share of episodes that are extra attacks by mallory.
const ATTACK_SHARE: f64 = 0.03;
/// Median time a user takes to read an answer and type the next message.
const THINK_MEDIAN_MS: f64 = 12_000.0;
/// During the rate-limit burst, share of the provider's calls answered with 429.
const BURST_429_SHARE: f64 = 0.7;

/// A record waiting for the event-time clock to reach it.
struct Pending {
    time: Nanos,
    seq: u64,
    record: Record,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

/// A conversation in progress.
struct Conversation {
    id: String,
    app: usize,
    user: &'static str,
    env: &'static str,
    model: ModelIdx,
    stream: bool,
    turn: u32,
    max_turns: u32,
    history_tokens: u64,
    /// No new turn before the previous answer is in and the user has read it and typed.
    busy_until: Nanos,
}

/// The incident's one-off moments, played at the first episode at or after their time.
#[derive(Debug, Clone, Copy)]
enum Script {
    Attack(usize),
    IndirectInjection,
    LeakContact,
    LeakCard,
    LeakSecret,
}

/// What went wrong with a call, if anything.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Failure {
    RateLimit,
    Server,
    Timeout,
}

/// Everything a call needs besides its texts.
struct CallPlan<'a> {
    model: ModelIdx,
    app: &'a AppProfile,
    start: Nanos,
    stream: bool,
    history_tokens: u64,
    /// Tokens of text the log truncated (bob's huge prompts).
    hidden_input_tokens: u64,
    /// Scripted moments never fail and are never cut: they must be visible in the data.
    reliable: bool,
}

/// Deterministic infinite stream of demo [`Record`]s in nondecreasing event time.
pub struct Generator {
    cfg: GenConfig,
    rng: Pcg64,
    episode_rate: f64,
    next_arrival: Nanos,
    pending: BinaryHeap<Reverse<Pending>>,
    seq: u64,
    convs: Vec<Conversation>,
    /// Conversations kept open grow to about twice this (turn gaps of ~9 s).
    conv_pool: f64,
    scripted: VecDeque<(Nanos, Script)>,
    users: Weights,
    apps: Weights,
    app_models: Vec<Weights>,
    mallory_turn: u32,
    mallory_conv: String,
}

impl Generator {
    /// A generator for `cfg`; the same config always yields the same records.
    pub fn new(cfg: GenConfig) -> Self {
        let mut rng = Pcg64::seed_from_u64(cfg.seed);
        let rate = if cfg.rate_per_sec.is_finite() && cfg.rate_per_sec > 0.0 {
            cfg.rate_per_sec
        } else {
            super::DEFAULT_RATE_PER_SEC
        };
        let episode_rate = rate / LLM_CALLS_PER_EPISODE;
        let start = cfg.start - cfg.start.rem_euclid(MS);
        let users =
            Weights::new((0..corpus::USERS.len()).map(|i| 1.0 / ((i + 1) as f64).powf(1.1)));
        let apps = Weights::new(APPS.iter().map(|a| a.share));
        let app_models = APPS
            .iter()
            .map(|a| Weights::new(a.models.iter().map(|m| m.1)))
            .collect();
        let mut scripted = VecDeque::new();
        if cfg.scenario == Scenario::Incident {
            let at = |secs: f64| start + (secs * 1e9) as Nanos;
            for i in 0..sc::ATTACKS.len() {
                let secs = sc::INJECTION_BURST.0 + i as f64 * sc::ATTACK_SPACING;
                scripted.push_back((at(secs), Script::Attack(i)));
            }
            let indirect = sc::INJECTION_BURST.0 + sc::ATTACKS.len() as f64 * sc::ATTACK_SPACING;
            scripted.push_back((at(indirect), Script::IndirectInjection));
            scripted.push_back((at(sc::LEAK_CONTACT_AT), Script::LeakContact));
            scripted.push_back((at(sc::LEAK_CARD_AT), Script::LeakCard));
            scripted.push_back((at(sc::LEAK_SECRET_AT), Script::LeakSecret));
            scripted.make_contiguous().sort_by_key(|s| s.0);
        }
        let mallory_conv = id_with(&mut rng, "conv-", 12);
        Generator {
            cfg: GenConfig {
                start,
                rate_per_sec: rate,
                ..cfg
            },
            rng,
            episode_rate,
            next_arrival: start,
            pending: BinaryHeap::new(),
            seq: 0,
            convs: Vec::new(),
            conv_pool: (3.0 * episode_rate).clamp(4.0, 5_000.0),
            scripted,
            users,
            apps,
            app_models,
            mallory_turn: 0,
            mallory_conv,
        }
    }

    /// The configuration in use (with `start` rounded to the millisecond).
    pub fn config(&self) -> &GenConfig {
        &self.cfg
    }

    fn secs(&self, t: Nanos) -> f64 {
        (t - self.cfg.start) as f64 / 1e9
    }

    fn incident_in(&self, t: Nanos, window: (f64, f64)) -> bool {
        let s = self.secs(t);
        self.cfg.scenario == Scenario::Incident && s >= window.0 && s < window.1
    }

    fn topic_shifted(&self, t: Nanos) -> bool {
        self.cfg.scenario == Scenario::Incident && self.secs(t) >= sc::TOPIC_SHIFT_AT
    }

    fn push(&mut self, record: Record) {
        let time = record.time().unwrap_or(self.next_arrival);
        self.seq += 1;
        self.pending.push(Reverse(Pending {
            time,
            seq: self.seq,
            record,
        }));
    }

    fn push_call(&mut self, call: Call) {
        self.push(Record::Call(Box::new(call)));
    }

    /// Plays one episode at the current arrival time and draws the next arrival.
    fn episode(&mut self) {
        let t = self.next_arrival;
        let runaway = self.incident_in(t, sc::COST_RUNAWAY);
        let rate = self.episode_rate * if runaway { RUNAWAY_RATE_FACTOR } else { 1.0 };
        let gap = -(1.0 - self.rng.gen::<f64>()).ln() / rate;
        self.next_arrival = t + ((gap * 1e3).round() as Nanos) * MS;

        if let Some(&(at, script)) = self.scripted.front() {
            if at <= t {
                self.scripted.pop_front();
                self.play(script, t);
                return;
            }
        }
        if runaway && self.rng.gen_bool(1.0 - 1.0 / RUNAWAY_RATE_FACTOR) {
            self.runaway_call(t);
            return;
        }
        if self.incident_in(t, sc::INJECTION_BURST) && self.rng.gen_bool(ATTACK_SHARE) {
            let i = self.rng.gen_range(0..sc::ATTACKS.len());
            self.attack(i, t);
            return;
        }
        let conv = self.pick_conversation(t);
        let app = &APPS[self.convs[conv].app];
        if !app.tools.is_empty() && self.rng.gen_bool(AGENT_SHARE) {
            self.agent_turn(conv, t);
        } else {
            self.chat_turn(conv, t);
        }
    }

    /// An open conversation that is ready for its next turn, or a new one.
    fn pick_conversation(&mut self, t: Nanos) -> usize {
        let n = self.convs.len() as f64;
        if n > 0.0 && self.rng.gen_bool(n / (n + self.conv_pool)) {
            let i = self.rng.gen_range(0..self.convs.len());
            if self.convs[i].busy_until < t {
                return i;
            }
        }
        let app = self.apps.sample(&mut self.rng);
        let model = APPS[app].models[self.app_models[app].sample(&mut self.rng)].0;
        let user = corpus::USERS[self.users.sample(&mut self.rng)];
        let env = if self.rng.gen_bool(0.85) {
            "prod"
        } else {
            "staging"
        };
        let stream = self.rng.gen_bool(APPS[app].stream_share);
        let extra = (-(1.0 - self.rng.gen::<f64>()).ln() * 1.8) as u32;
        let id = id_with(&mut self.rng, "conv-", 12);
        self.convs.push(Conversation {
            id,
            app,
            user,
            env,
            model,
            stream,
            turn: 0,
            max_turns: 1 + extra.min(9),
            history_tokens: 0,
            busy_until: t,
        });
        self.convs.len() - 1
    }

    /// Closes out a turn of conversation `i` answered at `answered`, removing the
    /// conversation once its last turn is played.
    fn finish_turn(&mut self, i: usize, added_tokens: u64, answered: Nanos) {
        let think_ms = THINK_MEDIAN_MS * self.lognormal(0.6);
        let c = &mut self.convs[i];
        c.history_tokens += added_tokens;
        c.busy_until = answered + (think_ms as Nanos) * MS;
        if c.turn >= c.max_turns {
            self.convs.swap_remove(i);
        }
    }

    fn pick_intent(&mut self, t: Nanos, app: &'static AppProfile, turn: u32) -> &'static Intent {
        let set = if self.topic_shifted(t) && self.rng.gen_bool(TOPIC_SHARE) {
            app.topic
        } else if turn > 1 && self.rng.gen_bool(0.7) {
            app.followups
        } else {
            app.intents
        };
        &set[self.rng.gen_range(0..set.len())]
    }

    fn chat_turn(&mut self, ci: usize, t: Nanos) {
        self.convs[ci].turn += 1;
        let (app_idx, turn) = (self.convs[ci].app, self.convs[ci].turn);
        let app = &APPS[app_idx];
        let slots = Slots::random(&mut self.rng);
        let mut prompt = String::with_capacity(160);
        let mut output = String::with_capacity(480);
        if self.rng.gen_bool(TOXIC_SHARE) {
            prompt.push_str(pick_str(&mut self.rng, corpus::TOXIC_PROMPTS));
            let answers = if self.rng.gen_bool(0.7) {
                corpus::DEESCALATIONS
            } else {
                corpus::REFUSALS
            };
            output.push_str(pick_str(&mut self.rng, answers));
        } else {
            let intent = self.pick_intent(t, app, turn);
            slots.fill(&mut prompt, intent.prompt);
            if self.rng.gen_bool(REFUSAL_SHARE) {
                output.push_str(pick_str(&mut self.rng, corpus::REFUSALS));
            } else {
                let tpl = pick_str(&mut self.rng, intent.responses);
                slots.fill(&mut output, tpl);
            }
        }
        let c = &self.convs[ci];
        let plan = CallPlan {
            model: c.model,
            app,
            start: t,
            stream: c.stream,
            history_tokens: c.history_tokens,
            hidden_input_tokens: 0,
            reliable: false,
        };
        let messages = vec![Message {
            role: "user".into(),
            content: prompt,
        }];
        let mut call = self.llm_call(&plan, messages, Some(output), Vec::new(), "stop");
        self.tag_conversation(&mut call, ci);
        let added = call.tokens.output.unwrap_or(0)
            + call
                .messages
                .first()
                .map_or(0, |m| approx_tokens(&m.content));
        let end = call.end.unwrap_or(t);
        self.judge_and_feedback(&mut call);
        self.push_call(call);
        self.finish_turn(ci, added, end);
    }

    fn tag_conversation(&self, call: &mut Call, ci: usize) {
        let c = &self.convs[ci];
        call.conversation_id = Some(c.id.clone());
        call.turn = Some(c.turn);
        call.user = Some(c.user.to_owned());
        call.env = Some(c.env.to_owned());
    }

    /// An agent turn: workflow > agent > (chat with a tool call, tool, final chat).
    fn agent_turn(&mut self, ci: usize, t: Nanos) {
        self.convs[ci].turn += 1;
        let app = &APPS[self.convs[ci].app];
        let slots = Slots::random(&mut self.rng);
        let tool = pick(&mut self.rng, app.tools);
        let mut prompt = String::with_capacity(120);
        slots.fill(&mut prompt, tool.prompt);
        if self.topic_shifted(t) && self.rng.gen_bool(TOPIC_SHARE) {
            prompt.push_str(" I paid with zephyrpay, if that matters.");
        }
        let mut arguments = String::with_capacity(120);
        slots.fill(&mut arguments, tool.arguments);
        let mut result = String::with_capacity(240);
        slots.fill(&mut result, tool.result);
        let mut answer = String::with_capacity(300);
        slots.fill(&mut answer, pick_str(&mut self.rng, tool.responses));
        let c = &self.convs[ci];
        let ctx = TraceCtx {
            conversation: Some(c.id.clone()),
            turn: Some(c.turn),
            user: c.user,
            env: c.env,
            model: c.model,
            stream: c.stream,
            history_tokens: c.history_tokens,
            reliable: false,
        };
        let added = approx_tokens(&prompt) + approx_tokens(&result) + approx_tokens(&answer);
        let end = self.trace(&ctx, app, t, tool.name, prompt, arguments, result, answer);
        self.finish_turn(ci, added, end);
    }

    /// Writes the five spans of an agent trace; returns the workflow's end.
    #[allow(clippy::too_many_arguments)]
    fn trace(
        &mut self,
        ctx: &TraceCtx,
        app: &'static AppProfile,
        t: Nanos,
        tool_name: &'static str,
        prompt: String,
        arguments: String,
        result: String,
        answer: String,
    ) -> Nanos {
        let trace_id = id_with(&mut self.rng, "", 32);
        let wf_span = id_with(&mut self.rng, "", 16);
        let agent_span = id_with(&mut self.rng, "", 16);
        let tool_call_id = id_with(&mut self.rng, "call_", 24);
        let span = |call: &mut Call, span_id: String, parent: Option<&String>| {
            call.trace_id = Some(trace_id.clone());
            call.span_id = Some(span_id);
            call.parent_span_id = parent.cloned();
            call.conversation_id.clone_from(&ctx.conversation);
            call.turn = ctx.turn;
            call.user = Some(ctx.user.to_owned());
            call.env = Some(ctx.env.to_owned());
            call.app = Some(app.name.to_owned());
        };
        let plan = CallPlan {
            model: ctx.model,
            app,
            start: t + 2 * MS,
            stream: ctx.stream,
            history_tokens: ctx.history_tokens,
            hidden_input_tokens: 0,
            reliable: ctx.reliable,
        };
        let user_msg = Message {
            role: "user".into(),
            content: prompt,
        };
        let asked = ToolCall {
            id: Some(tool_call_id.clone()),
            name: tool_name.to_owned(),
            arguments: arguments.clone(),
            result: None,
        };
        let mut first = self.llm_call(
            &plan,
            vec![user_msg.clone()],
            None,
            vec![asked],
            "tool_calls",
        );
        span(
            &mut first,
            id_with(&mut self.rng, "", 16),
            Some(&agent_span),
        );
        let mut end = first.end.unwrap_or(plan.start);
        let mut failure = failure_of(&first);
        self.push_call(first);

        if failure.is_none() {
            let tool_start = end + MS;
            let median = if tool_name == "run_tests" {
                3_500.0
            } else {
                240.0
            };
            let tool_ms = round_ms(median * self.lognormal(0.5)).max(1.0);
            let mut tool = Call {
                id: id_with(&mut self.rng, "span_", 16),
                start: Some(tool_start),
                end: Some(tool_start + tool_ms.round() as Nanos * MS),
                operation: Operation::Tool,
                name: Some(tool_name.to_owned()),
                latency_ms: Some(tool_ms),
                tool_calls: vec![ToolCall {
                    id: Some(tool_call_id),
                    name: tool_name.to_owned(),
                    arguments,
                    result: Some(result.clone()),
                }],
                ..Call::default()
            };
            span(&mut tool, id_with(&mut self.rng, "", 16), Some(&agent_span));
            end = tool.end.unwrap_or(tool_start);
            self.push_call(tool);

            let plan = CallPlan {
                start: end + MS,
                ..plan
            };
            let tool_msg = Message {
                role: "tool".into(),
                content: result,
            };
            let mut last = self.llm_call(
                &plan,
                vec![user_msg, tool_msg],
                Some(answer),
                Vec::new(),
                "stop",
            );
            span(&mut last, id_with(&mut self.rng, "", 16), Some(&agent_span));
            end = last.end.unwrap_or(plan.start);
            failure = failure_of(&last);
            self.judge_and_feedback(&mut last);
            self.push_call(last);
        }

        let agent_end = end + MS;
        let wf_end = agent_end + 2 * MS;
        for (op, name, span_id, parent, start, stop) in [
            (
                Operation::Agent,
                app.agent,
                agent_span.clone(),
                Some(&wf_span),
                t + MS,
                agent_end,
            ),
            (
                Operation::Workflow,
                app.workflow,
                wf_span.clone(),
                None,
                t,
                wf_end,
            ),
        ] {
            let mut call = Call {
                id: id_with(&mut self.rng, "span_", 16),
                start: Some(start),
                end: Some(stop),
                operation: op,
                name: Some(name.to_owned()),
                latency_ms: Some(((stop - start) / MS) as f64),
                ..Call::default()
            };
            span(&mut call, span_id, parent);
            if let Some((error_type, error_message)) = &failure {
                call.status = Status::Error;
                call.error_type.clone_from(error_type);
                call.error_message.clone_from(error_message);
            }
            self.push_call(call);
        }
        wf_end
    }

    /// One LLM call with timing, tokens and (maybe) a failure; the caller adds identity.
    fn llm_call(
        &mut self,
        plan: &CallPlan,
        messages: Vec<Message>,
        output: Option<String>,
        tool_calls: Vec<ToolCall>,
        finish: &'static str,
    ) -> Call {
        let m = &MODELS[plan.model];
        let system_tokens = approx_tokens(plan.app.system_prompt);
        let message_tokens: u64 = messages
            .iter()
            .map(|msg| self.tokens_of(&msg.content))
            .sum();
        let input = system_tokens + plan.history_tokens + message_tokens + plan.hidden_input_tokens;
        let mut call = Call {
            id: id_with(&mut self.rng, "chatcmpl-", 24),
            start: Some(plan.start),
            app: Some(plan.app.name.to_owned()),
            model: Some(m.model.to_owned()),
            provider: Some(m.provider.to_owned()),
            operation: Operation::Chat,
            stream: Some(plan.stream),
            system_prompt: Some(plan.app.system_prompt.to_owned()),
            messages,
            ..Call::default()
        };
        if let Some(failure) = self
            .failure(plan.start, m.provider)
            .filter(|_| !plan.reliable)
        {
            self.fail(&mut call, failure, m.model, m.provider, input);
            return call;
        }
        call.response_model = Some(m.response_model.to_owned());
        let mut output = output;
        let mut finish = finish;
        if let Some(text) = output.as_mut().filter(|_| !plan.reliable) {
            if self.rng.gen_bool(CONTENT_FILTER_SHARE) {
                text.clear();
                finish = "content_filter";
            } else if self.rng.gen_bool(TRUNCATED_SHARE) {
                let mut cut = text.len() * 3 / 5;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                finish = "length";
            }
        }
        let visible = match &output {
            Some(text) if text.is_empty() => 0,
            Some(text) => self.tokens_of(text),
            None => tool_calls
                .iter()
                .map(|tc| self.tokens_of(&tc.arguments) + 8)
                .sum(),
        };
        let reasoning = m.reasoning.then(|| self.rng.gen_range(128..1_600u64));
        let out_tokens = visible + reasoning.unwrap_or(0);
        let cache_read = (m.caches && plan.history_tokens > 0 && input >= 1_024)
            .then_some((input - message_tokens) / 128 * 128)
            .filter(|&c| c > 0);
        let spike = self.incident_in(plan.start, sc::LATENCY_SPIKE) && m.model == sc::SPIKE_MODEL;
        let mut ttft = m.ttft_ms * self.lognormal(0.3) + input as f64 * 0.01;
        let mut tpot = m.tpot_ms * self.lognormal(0.2);
        if spike {
            ttft *= sc::SPIKE_TTFT_FACTOR;
            tpot *= sc::SPIKE_TPOT_FACTOR;
        }
        let latency = round_ms(ttft + out_tokens.saturating_sub(1) as f64 * tpot);
        call.end = Some(plan.start + (latency.round() as Nanos).max(1) * MS);
        call.latency_ms = Some(latency);
        call.ttft_ms = plan.stream.then(|| round_ms(ttft));
        call.finish_reason = Some(finish.to_owned());
        call.tokens = Tokens {
            input: Some(input),
            output: Some(out_tokens),
            cache_read,
            cache_write: None,
            reasoning,
        };
        call.output = output;
        call.tool_calls = tool_calls;
        call
    }

    fn failure(&mut self, t: Nanos, provider: &str) -> Option<Failure> {
        let burst =
            self.incident_in(t, sc::RATE_LIMIT_BURST) && provider == sc::RATE_LIMITED_PROVIDER;
        let p429 = if burst {
            BURST_429_SHARE
        } else {
            RATE_LIMIT_SHARE
        };
        let u: f64 = self.rng.gen();
        if u < p429 {
            Some(Failure::RateLimit)
        } else if u < p429 + SERVER_ERROR_SHARE {
            Some(Failure::Server)
        } else if u < p429 + SERVER_ERROR_SHARE + TIMEOUT_SHARE {
            Some(Failure::Timeout)
        } else {
            None
        }
    }

    fn fail(&mut self, call: &mut Call, failure: Failure, model: &str, provider: &str, input: u64) {
        let start = call.start.unwrap_or(self.next_arrival);
        let (latency, error_type, message): (f64, &str, String) = match failure {
            Failure::RateLimit => (
                round_ms(self.rng.gen_range(40.0..260.0)),
                "RateLimitError",
                rate_limit_message(provider, model, input),
            ),
            Failure::Server => (
                round_ms(self.rng.gen_range(300.0..3_000.0)),
                "InternalServerError",
                server_error_message(provider),
            ),
            Failure::Timeout => (
                60_000.0 + round_ms(self.rng.gen_range(0.0..40.0)),
                "APITimeoutError",
                "Request timed out.".to_owned(),
            ),
        };
        call.status = Status::Error;
        call.error_type = Some(error_type.to_owned());
        call.error_message = Some(message);
        call.latency_ms = Some(latency);
        call.end = Some(start + (latency.round() as Nanos).max(1) * MS);
    }

    /// Maybe adds a judge score to `call`, and maybe queues a user's feedback about it.
    fn judge_and_feedback(&mut self, call: &mut Call) {
        if call.status == Status::Error {
            return;
        }
        let bad = matches!(
            call.finish_reason.as_deref(),
            Some("length" | "content_filter")
        ) || call.output.as_deref().is_some_and(is_refusal);
        if self.rng.gen_bool(JUDGE_SHARE) {
            let mean = if bad { 0.3 } else { 0.8 };
            let v = (mean + 0.12 * self.normal()).clamp(0.0, 1.0);
            call.scores
                .insert("helpfulness".to_owned(), (v * 100.0).round() / 100.0);
        }
        if !self.rng.gen_bool(FEEDBACK_SHARE) {
            return;
        }
        let end = call.end.unwrap_or(self.next_arrival);
        let delay = self.rng.gen_range(3_000..60_000) * MS;
        let u: f64 = self.rng.gen();
        let down = if bad { 0.8 } else { 0.2 };
        let (kind, comment, value) = if u < down {
            let comment = self
                .rng
                .gen_bool(0.4)
                .then(|| pick_str(&mut self.rng, corpus::NEGATIVE_COMMENTS));
            (FeedbackKind::ThumbsDown, comment, None)
        } else if u < down + 0.35 {
            (FeedbackKind::ThumbsUp, None, None)
        } else if u < down + 0.6 {
            (FeedbackKind::Copy, None, None)
        } else if u < down + 0.7 {
            (
                FeedbackKind::Score,
                None,
                Some(f64::from(self.rng.gen_range(3..=5u8))),
            )
        } else {
            (
                FeedbackKind::Comment,
                Some(pick_str(&mut self.rng, corpus::POSITIVE_COMMENTS)),
                None,
            )
        };
        self.push(Record::Feedback(Feedback {
            call_id: call.id.clone(),
            time: Some(end + delay),
            kind,
            value,
            comment: comment.map(str::to_owned),
            user: call.user.clone(),
            name: None,
            judge: None,
        }));
    }

    fn play(&mut self, script: Script, t: Nanos) {
        match script {
            Script::Attack(i) => self.attack(i, t),
            Script::IndirectInjection => self.indirect_injection(t),
            Script::LeakContact => {
                let out = format!(
                    "Order «order» was placed on the family account by Jordan Reyes ({}, {}). If you don't recognise it, I can cancel it before it ships.",
                    sc::LEAKED_EMAIL,
                    sc::LEAKED_PHONE
                );
                self.leak(
                    t,
                    catalog::SUPPORT_BOT,
                    "priya",
                    sc::LEAK_CONTACT_PROMPT,
                    &out,
                );
            }
            Script::LeakCard => {
                let out = format!(
                    "Order «order» was paid with your Visa card {} (expires 08/28); the receipt went to {}. The charge shows as ACME STORE on your statement.",
                    sc::LEAKED_CARD,
                    sc::LEAKED_EMAIL
                );
                self.leak(
                    t,
                    catalog::SUPPORT_BOT,
                    "dmitri",
                    sc::LEAK_CARD_PROMPT,
                    &out,
                );
            }
            Script::LeakSecret => {
                let key = random_key(&mut self.rng);
                let out = format!(
                    "The loader reads the wrong variable. It prints `OPENAI_API_KEY={key}` and then passes that value as the zephyrpay sandbox key, so the sandbox rejects it with 401. Set ZEPHYRPAY_TEST_KEY in CI and rotate the key that was printed."
                );
                self.leak(
                    t,
                    catalog::CODE_HELPER,
                    "kenji",
                    sc::LEAK_SECRET_PROMPT,
                    &out,
                );
            }
        }
    }

    /// A single-turn support call whose answer leaks sensitive data.
    fn leak(&mut self, t: Nanos, app_idx: usize, user: &str, prompt_tpl: &str, output_tpl: &str) {
        let app = &APPS[app_idx];
        let slots = Slots::random(&mut self.rng);
        let mut prompt = String::new();
        slots.fill(&mut prompt, prompt_tpl);
        let mut output = String::new();
        slots.fill(&mut output, output_tpl);
        let model = app.models[0].0;
        let plan = CallPlan {
            model,
            app,
            start: t,
            stream: true,
            history_tokens: 0,
            hidden_input_tokens: 0,
            reliable: true,
        };
        let messages = vec![Message {
            role: "user".into(),
            content: prompt,
        }];
        let mut call = self.llm_call(&plan, messages, Some(output), Vec::new(), "stop");
        call.conversation_id = Some(id_with(&mut self.rng, "conv-", 12));
        call.turn = Some(1);
        call.user = Some(user.to_owned());
        call.env = Some("prod".to_owned());
        self.push_call(call);
    }

    fn attack(&mut self, i: usize, t: Nanos) {
        let Some(attack) = sc::ATTACKS.get(i) else {
            return;
        };
        let app = &APPS[catalog::SUPPORT_BOT];
        self.mallory_turn += 1;
        let output = match attack.response {
            Some(r) => r.to_owned(),
            None => {
                let mut s = String::from("Sure, here are my instructions:\n\n```\n");
                s.push_str(app.system_prompt);
                s.push_str("\n```");
                s
            }
        };
        let plan = CallPlan {
            model: catalog::GPT_4O_MINI,
            app,
            start: t,
            stream: true,
            history_tokens: u64::from(self.mallory_turn - 1) * 90,
            hidden_input_tokens: 0,
            reliable: true,
        };
        let messages = vec![Message {
            role: "user".into(),
            content: attack.prompt.to_owned(),
        }];
        let mut call = self.llm_call(&plan, messages, Some(output), Vec::new(), "stop");
        call.conversation_id = Some(self.mallory_conv.clone());
        call.turn = Some(self.mallory_turn);
        call.user = Some(sc::ATTACKER.to_owned());
        call.env = Some("prod".to_owned());
        self.push_call(call);
    }

    fn indirect_injection(&mut self, t: Nanos) {
        let ctx = TraceCtx {
            conversation: Some(id_with(&mut self.rng, "conv-", 12)),
            turn: Some(1),
            user: sc::INDIRECT_VICTIM,
            env: "prod",
            model: catalog::GPT_4O,
            stream: true,
            history_tokens: 0,
            reliable: true,
        };
        let app = &APPS[catalog::TRAVEL_ASSISTANT];
        self.trace(
            &ctx,
            app,
            t,
            "search_hotels",
            sc::INDIRECT_PROMPT.to_owned(),
            sc::INDIRECT_ARGUMENTS.to_owned(),
            sc::INDIRECT_RESULT.to_owned(),
            sc::INDIRECT_RESPONSE.to_owned(),
        );
    }

    /// One call of bob's batch job: a huge prompt (truncated by his logger) to the most
    /// expensive model.
    fn runaway_call(&mut self, t: Nanos) {
        let app = &APPS[catalog::SUPPORT_BOT];
        let mut prompt = String::with_capacity(1_200);
        prompt.push_str("Summarise each support ticket below in one line and tag its category.\n");
        let mut output = String::with_capacity(600);
        let tickets = self.rng.gen_range(5..9);
        for n in 1..=tickets {
            let slots = Slots::random(&mut self.rng);
            let intent = self.pick_intent(t, app, 1);
            prompt.push_str("\n#");
            push_u64(&mut prompt, 48_000 + self.rng.gen_range(0..9_999));
            prompt.push_str(": ");
            slots.fill(&mut prompt, intent.prompt);
            push_u64(&mut output, n);
            output.push_str(". ");
            slots.fill(&mut output, intent.prompt);
            output.push_str(" [");
            output.push_str(pick_str(
                &mut self.rng,
                &["shipping", "billing", "returns", "account"],
            ));
            output.push_str("]\n");
        }
        let hidden_chars = self.rng.gen_range(120_000..300_000u64);
        prompt.push_str("\n[... truncated by logger: ");
        push_u64(&mut prompt, hidden_chars);
        prompt.push_str(" more characters]");
        let plan = CallPlan {
            model: catalog::CLAUDE_SONNET,
            app,
            start: t,
            stream: false,
            history_tokens: 0,
            hidden_input_tokens: hidden_chars / 4,
            reliable: false,
        };
        let messages = vec![Message {
            role: "user".into(),
            content: prompt,
        }];
        let mut call = self.llm_call(&plan, messages, Some(output), Vec::new(), "stop");
        call.user = Some(sc::RUNAWAY_USER.to_owned());
        call.env = Some("prod".to_owned());
        call.tags = vec!["batch".to_owned()];
        self.push_call(call);
    }

    fn tokens_of(&mut self, text: &str) -> u64 {
        let noise = 0.92 + 0.16 * self.rng.gen::<f64>();
        ((text.len() as f64 / 4.0 * noise).round() as u64).max(1)
    }

    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.rng.gen::<f64>();
        let u2: f64 = self.rng.gen();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn lognormal(&mut self, sigma: f64) -> f64 {
        (sigma * self.normal()).exp()
    }
}

impl Iterator for Generator {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(top) = self.pending.peek() {
                if top.0.time <= self.next_arrival {
                    return self.pending.pop().map(|p| p.0.record);
                }
            }
            self.episode();
        }
    }
}

/// Identity of the conversation turn an agent trace belongs to.
struct TraceCtx {
    conversation: Option<String>,
    turn: Option<u32>,
    user: &'static str,
    env: &'static str,
    model: ModelIdx,
    stream: bool,
    history_tokens: u64,
    /// A scripted trace: its LLM calls never fail.
    reliable: bool,
}

/// Cumulative weights for picking an index in proportion to its weight.
struct Weights(Vec<f64>);

impl Weights {
    fn new(weights: impl Iterator<Item = f64>) -> Self {
        let mut total = 0.0;
        Weights(
            weights
                .map(|w| {
                    total += w.max(0.0);
                    total
                })
                .collect(),
        )
    }

    fn sample<R: Rng>(&self, rng: &mut R) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        let x = rng.gen::<f64>() * total;
        self.0
            .partition_point(|&c| c <= x)
            .min(self.0.len().saturating_sub(1))
    }
}

fn pick<'a, T, R: Rng>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn pick_str<R: Rng>(rng: &mut R, items: &[&'static str]) -> &'static str {
    items[rng.gen_range(0..items.len())]
}

fn is_refusal(text: &str) -> bool {
    corpus::REFUSALS.contains(&text)
}

/// The error of a failed call, to repeat on the spans around it.
fn failure_of(call: &Call) -> Option<(Option<String>, Option<String>)> {
    (call.status == Status::Error).then(|| (call.error_type.clone(), call.error_message.clone()))
}

/// Token estimate without noise (~4 characters per token).
fn approx_tokens(text: &str) -> u64 {
    (text.len() as u64 / 4).max(1)
}

/// Rounds to 0.1 ms, which prints short and parses back exactly.
fn round_ms(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

fn id_with<R: Rng>(rng: &mut R, prefix: &str, hex_digits: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(prefix.len() + hex_digits);
    s.push_str(prefix);
    let mut bits = 0u64;
    for i in 0..hex_digits {
        if i % 16 == 0 {
            bits = rng.gen();
        }
        s.push(char::from(HEX[(bits & 0xf) as usize]));
        bits >>= 4;
    }
    s
}

fn push_u64(out: &mut String, n: u64) {
    use std::fmt::Write as _;
    _ = write!(out, "{n}");
}

fn random_key<R: Rng>(rng: &mut R) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut key = String::from("sk-");
    key.push_str("proj-");
    for _ in 0..48 {
        key.push(char::from(ALNUM[rng.gen_range(0..ALNUM.len())]));
    }
    key
}

fn rate_limit_message(provider: &str, model: &str, input: u64) -> String {
    match provider {
        "anthropic" => "Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'This request would exceed the rate limit for your organization of 400,000 input tokens per minute. Please reduce the prompt length or the maximum tokens requested, or try again later.'}}".to_owned(),
        "openai" => format!("Error code: 429 - Rate limit reached for {model} on tokens per min (TPM): Limit 2000000, Used 1999120, Requested {input}. Please try again in 120ms."),
        _ => format!("Error code: 429 - {provider} rate limit exceeded for {model}: too many requests, retry after 1s."),
    }
}

fn server_error_message(provider: &str) -> String {
    match provider {
        "anthropic" => "Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}".to_owned(),
        "openai" => "Error code: 500 - {'error': {'message': 'The server had an error while processing your request. Sorry about that!', 'type': 'server_error'}}".to_owned(),
        _ => format!("Error code: 503 - {provider} upstream unavailable, please retry."),
    }
}
