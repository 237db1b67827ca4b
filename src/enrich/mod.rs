//! Enrich stage: derived facts added to decoded records before the engine sees them.

pub mod safety;
