//! Enrich: stateless per-record work that runs beside decoding, off the UI thread — the
//! price lookup and (with the safety module) the detectors.

pub mod pricing;

use crate::record::Record;
use pricing::Pricer;

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
}
