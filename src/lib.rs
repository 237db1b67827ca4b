//! llmmon: a live terminal monitor for LLM applications.
//!
//! The flow is one-way (see `DESIGN.md` in the shared docs): [`source`] → [`decode`] →
//! [`enrich`] → [`engine`] → views ([`tui`], [`report`]). The engine is pure and
//! synchronous; views only read it.

pub mod annotations;
pub mod cli;
pub mod commands;
pub mod config;
pub mod decode;
pub mod demo;
pub mod engine;
pub mod enrich;
pub mod export;
pub mod gate;
pub mod http;
pub mod judge;
pub mod model;
pub mod notify;
pub mod pipeline;
pub mod present;
pub mod report;
pub mod scan;
pub mod source;
pub mod tui;
