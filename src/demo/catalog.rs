//! Who is in the demo: the models (with their speed), the applications (with their system
//! prompts, model mix and tools) and how traffic is shared between them.

use super::corpus::{self, Intent, ToolSpec};

/// A model as the demo serves it: names, provider and speed.
pub(crate) struct ModelProfile {
    /// Requested model name (what the price table is keyed by).
    pub model: &'static str,
    /// What the provider reports back (often dated).
    pub response_model: &'static str,
    pub provider: &'static str,
    /// Median time to first token, ms.
    pub ttft_ms: f64,
    /// Median time per output token, ms.
    pub tpot_ms: f64,
    /// Reasoning model: part of the output tokens are hidden reasoning.
    pub reasoning: bool,
    /// Provider reports prompt-cache reads on follow-up turns.
    pub caches: bool,
}

/// Index into [`MODELS`].
pub(crate) type ModelIdx = usize;

pub(crate) const GPT_4O: ModelIdx = 0;
pub(crate) const GPT_4O_MINI: ModelIdx = 1;
pub(crate) const GPT_41_MINI: ModelIdx = 2;
pub(crate) const O4_MINI: ModelIdx = 3;
pub(crate) const CLAUDE_SONNET: ModelIdx = 4;
pub(crate) const CLAUDE_HAIKU: ModelIdx = 5;
pub(crate) const GEMINI_FLASH: ModelIdx = 6;
pub(crate) const MISTRAL_SMALL: ModelIdx = 7;
pub(crate) const LLAMA_70B: ModelIdx = 8;
pub(crate) const ACME_FT: ModelIdx = 9;

pub(crate) const MODELS: &[ModelProfile] = &[
    model(
        "gpt-4o",
        "gpt-4o-2024-08-06",
        "openai",
        450.0,
        12.0,
        false,
        true,
    ),
    model(
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
        "openai",
        330.0,
        8.0,
        false,
        true,
    ),
    model(
        "gpt-4.1-mini",
        "gpt-4.1-mini-2025-04-14",
        "openai",
        380.0,
        7.0,
        false,
        true,
    ),
    model(
        "o4-mini",
        "o4-mini-2025-04-16",
        "openai",
        2400.0,
        9.0,
        true,
        true,
    ),
    model(
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
        "anthropic",
        700.0,
        14.0,
        false,
        true,
    ),
    model(
        "claude-haiku-4-5",
        "claude-haiku-4-5-20251001",
        "anthropic",
        420.0,
        7.0,
        false,
        true,
    ),
    model(
        "gemini-2.5-flash",
        "gemini-2.5-flash",
        "google",
        300.0,
        4.0,
        false,
        false,
    ),
    model(
        "mistral-small-latest",
        "mistral-small-2506",
        "mistral",
        310.0,
        8.0,
        false,
        false,
    ),
    model(
        "llama-3.3-70b-versatile",
        "llama-3.3-70b-versatile",
        "groq",
        160.0,
        3.0,
        false,
        false,
    ),
    // Self-hosted fine-tune: in no price table, so it shows up as "unpriced".
    model(
        "acme-support-ft-v2",
        "acme-support-ft-v2",
        "self-hosted",
        260.0,
        18.0,
        false,
        false,
    ),
];

const fn model(
    model: &'static str,
    response_model: &'static str,
    provider: &'static str,
    ttft_ms: f64,
    tpot_ms: f64,
    reasoning: bool,
    caches: bool,
) -> ModelProfile {
    ModelProfile {
        model,
        response_model,
        provider,
        ttft_ms,
        tpot_ms,
        reasoning,
        caches,
    }
}

/// One application sending traffic, with everything it says and calls.
pub(crate) struct AppProfile {
    pub name: &'static str,
    pub system_prompt: &'static str,
    /// Share of new conversations.
    pub share: f64,
    /// Models the app uses, with weights.
    pub models: &'static [(ModelIdx, f64)],
    /// Probability that a call streams.
    pub stream_share: f64,
    pub intents: &'static [Intent],
    pub followups: &'static [Intent],
    /// Questions after the incident's product update.
    pub topic: &'static [Intent],
    pub tools: &'static [ToolSpec],
    pub workflow: &'static str,
    pub agent: &'static str,
}

pub(crate) const SUPPORT_BOT: usize = 0;
pub(crate) const TRAVEL_ASSISTANT: usize = 1;
pub(crate) const CODE_HELPER: usize = 2;

pub(crate) const APPS: &[AppProfile] = &[
    AppProfile {
        name: "support-bot",
        system_prompt: corpus::SUPPORT_SYSTEM,
        share: 0.45,
        models: &[
            (GPT_4O_MINI, 0.4),
            (CLAUDE_HAIKU, 0.25),
            (ACME_FT, 0.2),
            (GEMINI_FLASH, 0.15),
        ],
        stream_share: 0.9,
        intents: corpus::SUPPORT_INTENTS,
        followups: corpus::SUPPORT_FOLLOWUPS,
        topic: corpus::SUPPORT_TOPIC,
        tools: corpus::SUPPORT_TOOLS,
        workflow: "resolve_order_issue",
        agent: "SupportAgent",
    },
    AppProfile {
        name: "travel-assistant",
        system_prompt: corpus::TRAVEL_SYSTEM,
        share: 0.3,
        models: &[
            (GPT_4O, 0.35),
            (CLAUDE_SONNET, 0.3),
            (GEMINI_FLASH, 0.15),
            (MISTRAL_SMALL, 0.1),
            (LLAMA_70B, 0.1),
        ],
        stream_share: 0.85,
        intents: corpus::TRAVEL_INTENTS,
        followups: corpus::TRAVEL_FOLLOWUPS,
        topic: corpus::TRAVEL_TOPIC,
        tools: corpus::TRAVEL_TOOLS,
        workflow: "plan_trip",
        agent: "FlightAgent",
    },
    AppProfile {
        name: "code-helper",
        system_prompt: corpus::CODE_SYSTEM,
        share: 0.25,
        models: &[
            (GPT_41_MINI, 0.35),
            (O4_MINI, 0.25),
            (CLAUDE_SONNET, 0.3),
            (LLAMA_70B, 0.1),
        ],
        stream_share: 0.7,
        intents: corpus::CODE_INTENTS,
        followups: corpus::CODE_FOLLOWUPS,
        topic: corpus::CODE_TOPIC,
        tools: corpus::CODE_TOOLS,
        workflow: "fix_failing_test",
        agent: "CodeAgent",
    },
];
