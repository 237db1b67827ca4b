//! Decode: one line in, zero or more [`Record`]s out. The format is sniffed per line, so one
//! source may mix formats. Every format quirk lives in this module and nowhere else. A bad
//! line is a counted, reasoned [`Reject`], never a panic and never silent.

use crate::record::{Nanos, Record};
use std::fmt;

/// Why a line was rejected. Counted per source and shown by `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    NotJson,
    UnknownShape,
    MissingField,
    Oversize,
    InvalidUtf8,
    Late,
}

impl RejectReason {
    /// Stable snake_case name used as the key in `report --json` (`rejected: {reason: n}`).
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::NotJson => "not_json",
            RejectReason::UnknownShape => "unknown_shape",
            RejectReason::MissingField => "missing_field",
            RejectReason::Oversize => "oversize",
            RejectReason::InvalidUtf8 => "invalid_utf8",
            RejectReason::Late => "late",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejected line: the reason and a human explanation (which field, what was found).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {detail}")]
pub struct Reject {
    pub reason: RejectReason,
    pub detail: String,
}

impl Reject {
    /// Builds a rejection with its explanation.
    pub fn new(reason: RejectReason, detail: impl Into<String>) -> Self {
        Reject {
            reason,
            detail: detail.into(),
        }
    }
}
