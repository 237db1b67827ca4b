//! Enrich: stateless per-record work that runs beside decoding, off the UI thread — the
//! price lookup and (with the safety module) the detectors.

pub mod pricing;

use crate::engine::facts::CallFacts;
use crate::record::Record;
use pricing::{Pricer, Quote};

/// Everything the enrich stage does to a record; one per decode thread.
#[derive(Debug, Clone)]
pub struct Enricher {
    pricer: Pricer,
}

impl Enricher {
    /// An enricher over a shared price table.
    pub fn new(pricer: Pricer) -> Self {
        Enricher { pricer }
    }

    /// Prices calls in place.
    pub fn enrich(&mut self, r: &mut Record) {
        if let Record::Call(c) = r {
            self.pricer.price(c);
        }
    }

    /// Prices a call known only by its borrowed facts, exactly as [`Enricher::enrich`]
    /// prices the owned call.
    pub fn enrich_facts(&mut self, f: &mut CallFacts<'_>) {
        if f.cost_usd.is_some() {
            return;
        }
        let quote = self
            .pricer
            .quote(f.response_model, f.model, f.operation, &f.tokens);
        if let Quote::Computed(usd) = quote {
            f.cost_usd = Some(usd);
            f.cost_computed = true;
        }
    }

    /// True when enrichment only prices (no detector needs a call's text), so the decoder
    /// may hand over borrowed facts instead of owned calls.
    pub fn prices_only(&self) -> bool {
        true
    }
}
