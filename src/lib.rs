//! llmmon: a live terminal monitor for LLM applications.
//!
//! The flow is one-way (see `DESIGN.md` in the shared docs): [`source`] → [`decode`] →
//! enrich → engine → views. The engine is pure and synchronous; views only read it.

pub mod decode;
pub mod enrich;
pub mod record;
pub mod scan;
pub mod source;
