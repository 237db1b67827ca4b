//! Switches that change generated traffic from a given event time on, so drift detection can
//! be tested against known shifts: longer prompts, a new topic word, a model switch, more
//! refusals, slower answers. Wraps any record iterator (usually a [`super::Generator`]).

use crate::model::record::{Nanos, Record};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// One change to the traffic.
#[derive(Debug, Clone, PartialEq)]
pub enum Shift {
    /// Prompts repeat their text this many times in all (2 doubles their length).
    PromptLength(usize),
    /// This word is added to this share of prompts.
    TopicWord(String, f64),
    /// Every LLM call now goes to this model of this provider.
    Model(String, String),
    /// This share of the remaining answers become refusals.
    Refusals(f64),
    /// Latency, TTFT and end times are multiplied by this factor.
    Latency(f64),
}

/// Answer used for refusals added by [`Shift::Refusals`].
pub const SHIFT_REFUSAL: &str = "I'm sorry, but I can't help with that request.";

/// A record stream with shifts applied to LLM calls from their start times on.
pub struct Shifted<I> {
    inner: I,
    shifts: Vec<(Nanos, Shift)>,
    rng: Pcg64,
}

impl<I: Iterator<Item = Record>> Shifted<I> {
    /// Applies each `(start, shift)` to calls whose event time is at or after `start`.
    pub fn new(inner: I, shifts: Vec<(Nanos, Shift)>, seed: u64) -> Self {
        Shifted {
            inner,
            shifts,
            rng: Pcg64::seed_from_u64(seed),
        }
    }
}

impl<I: Iterator<Item = Record>> Iterator for Shifted<I> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let mut r = self.inner.next()?;
        let Record::Call(c) = &mut r else {
            return Some(r);
        };
        if !c.operation.is_llm_call() {
            return Some(r);
        }
        let t = c.event_time().unwrap_or(0);
        for (at, shift) in &self.shifts {
            if t < *at {
                continue;
            }
            match shift {
                Shift::PromptLength(n) => {
                    if let Some(m) = c.messages.iter_mut().rev().find(|m| m.role == "user") {
                        let one = m.content.clone();
                        for _ in 1..*n {
                            m.content.push(' ');
                            m.content.push_str(&one);
                        }
                    }
                }
                Shift::TopicWord(word, share) => {
                    if self.rng.gen_bool(share.clamp(0.0, 1.0)) {
                        if let Some(m) = c.messages.iter_mut().rev().find(|m| m.role == "user") {
                            m.content.push_str(" Is this about ");
                            m.content.push_str(word);
                            m.content.push('?');
                        }
                    }
                }
                Shift::Model(model, provider) => {
                    c.model = Some(model.clone());
                    c.response_model = Some(model.clone());
                    c.provider = Some(provider.clone());
                }
                Shift::Refusals(share) => {
                    if c.output.is_some() && self.rng.gen_bool(share.clamp(0.0, 1.0)) {
                        c.output = Some(SHIFT_REFUSAL.to_string());
                    }
                }
                Shift::Latency(f) => {
                    c.latency_ms = c.latency_ms.map(|v| v * f);
                    c.ttft_ms = c.ttft_ms.map(|v| v * f);
                }
            }
        }
        Some(r)
    }
}
