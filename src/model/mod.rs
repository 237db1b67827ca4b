//! The vocabulary every stage shares and nothing else: records and the facts read from
//! them, rejections and their reasons, source ids and states, the one duration grammar and
//! the query language. It imports nothing else of the crate, so decode, sources, enrich, the
//! engine and every view can all depend on it without depending on each other.

pub mod duration;
pub mod facts;
pub mod query;
pub mod record;
pub mod reject;
pub mod source;
