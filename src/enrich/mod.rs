//! Enrich: stateless per-record work that runs beside decoding, off the UI thread — the
//! price lookup and the safety detectors.

pub mod pricing;
pub mod safety;

use crate::model::facts::CallFacts;
use crate::model::record::Record;
use pricing::{Pricer, Quote};
use safety::Detectors;
use std::sync::Arc;

/// Everything the enrich stage does to a record; one per decode thread.
#[derive(Clone)]
pub struct Enricher {
    pricer: Pricer,
    detectors: Option<Arc<Detectors>>,
}

impl std::fmt::Debug for Enricher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enricher")
            .field("pricer", &self.pricer)
            .field("detectors", &self.detectors.is_some())
            .finish()
    }
}

impl Enricher {
    /// An enricher over a shared price table and (unless turned off) shared detectors.
    pub fn new(pricer: Pricer, detectors: Option<Arc<Detectors>>) -> Self {
        Enricher { pricer, detectors }
    }

    /// Prices calls and runs the detectors, in place.
    pub fn enrich(&mut self, r: &mut Record) {
        match r {
            Record::Call(c) => {
                self.pricer.price(c);
                if let Some(d) = &self.detectors {
                    d.scan_call(c);
                }
            }
            Record::Attachment(a) => {
                if let Some(d) = &self.detectors {
                    d.scan_attachment(a);
                }
            }
            Record::Feedback(_) => {}
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
        self.detectors.is_none()
    }
}
