//! Why a line is not a record: the reasons every stage counts rejections by, and a
//! rejection with its human explanation.

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
    /// An OTLP request body that is not a protobuf message of its signal.
    Undecodable,
    /// An OTLP request without the configured bearer token.
    Unauthorized,
    /// An OTLP request whose `Content-Type` or `Content-Encoding` is not supported.
    UnsupportedMedia,
    /// An OTLP request whose body did not arrive within the read timeout.
    SlowClient,
    /// A `[[formats]]` field whose value has the wrong type (the detail names the field).
    WrongType,
    /// A record dated more than `max_future` ahead of the stream (the engine's guard).
    Future,
    /// A number no real call has: negative cost or latency, TTFT over latency, end before
    /// start, a token count or cost past the bounds in [`validate`].
    OutOfRange,
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
            RejectReason::Undecodable => "undecodable",
            RejectReason::Unauthorized => "unauthorized",
            RejectReason::UnsupportedMedia => "unsupported_media",
            RejectReason::SlowClient => "slow_client",
            RejectReason::WrongType => "wrong_type",
            RejectReason::Future => "future",
            RejectReason::OutOfRange => "out_of_range",
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
