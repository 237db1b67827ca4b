//! The one door views use to see the engine: [`Engine::snapshot`] answers a [`ReadSpec`]
//! with a [`Snapshot`], a copy of everything a screen or a report shows at one moment —
//! the summary, groups ranked once for every view, alert rows with their values "as of" a
//! time, drift, sources with their last rejections and the opened trace laid out as a tree.
//! A paused TUI keeps its last `Arc<Snapshot>`, so every pane freezes together.

pub mod trace;
