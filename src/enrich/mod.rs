//! Enrich: stateless per-record work that runs beside decoding, off the UI thread — the
//! price lookup and the safety detectors.

pub mod pricing;
pub mod safety;

use crate::record::Record;
use pricing::Pricer;
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
}
