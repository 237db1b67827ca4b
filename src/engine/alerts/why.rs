//! What "why" an alert fired says: dimension values with their lift, shares and counts.
//! The types sit beside the alerts because every firing step carries one
//! ([`super::Transition::why`]); [`crate::engine::read::why`] computes them.

use serde::Serialize;

/// Items kept in a [`Why`].
pub const TOP: usize = 10;
/// Items notifications and `check --json` carry.
pub const TOP_NOTIFIED: usize = 3;
/// The lift of a value that is in the bad calls and never in the rest.
pub const MAX_LIFT: f64 = 1000.0;
/// What a value describes, named as the query language names the field (`model:gpt-4o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Model,
    Provider,
    User,
    App,
    /// The finish reason (`stop`, `length`, `content_filter`).
    Finish,
    /// The error type (`RateLimitError`).
    Error,
    /// A tool the model called.
    Tool,
    /// A word of the last user message (see the `terms` module for what counts).
    Term,
}

impl Dimension {
    /// The dimension of a `group_by` name, for those "why" ranks.
    pub(crate) fn of_group(name: &str) -> Option<Dimension> {
        match name {
            "model" => Some(Dimension::Model),
            "provider" => Some(Dimension::Provider),
            "user" => Some(Dimension::User),
            "app" => Some(Dimension::App),
            _ => None,
        }
    }

    /// The name used in output and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Model => "model",
            Dimension::Provider => "provider",
            Dimension::User => "user",
            Dimension::App => "app",
            Dimension::Finish => "finish",
            Dimension::Error => "error",
            Dimension::Tool => "tool",
            Dimension::Term => "term",
        }
    }
}

/// One over-represented value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhyItem {
    pub dimension: Dimension,
    /// The value as the data spells it (`gpt-4o`, `RateLimitError`).
    pub value: String,
    /// Bad calls with the value, of `bad_of`.
    pub bad_count: u64,
    /// Rest calls with the value, of `rest_of`.
    pub rest_count: u64,
    /// Bad calls the share is over: every bad call, or for prompt terms the newest 2,000.
    pub bad_of: u64,
    /// Rest calls the share is over (as `bad_of`).
    pub rest_of: u64,
    /// `bad_count / bad_of`, in 0..=1.
    pub bad_share: f64,
    /// `rest_count / rest_of`, in 0..=1.
    pub rest_share: f64,
    /// `bad_share / rest_share`; [`MAX_LIFT`] when the value is not in the rest.
    pub lift: f64,
}

impl WhyItem {
    /// `model=gpt-4o 92% of bad vs 14% rest (lift 6.6)`.
    pub fn describe(&self) -> String {
        format!(
            "{}={} {} of bad vs {} rest ({})",
            self.dimension.as_str(),
            self.value,
            percent(self.bad_share),
            percent(self.rest_share),
            self.lift_text()
        )
    }

    /// `lift 6.6`; `only in bad` for a value absent from the rest, `lift 1000+` at the cap.
    pub fn lift_text(&self) -> String {
        if self.rest_count == 0 {
            "only in bad".into()
        } else if self.lift >= MAX_LIFT {
            format!("lift {MAX_LIFT:.0}+")
        } else {
            format!("lift {:.1}", self.lift)
        }
    }
}

/// The ranking for one alert: how many bad and rest calls it compared and the values that
/// stand out, highest lift first (ties: most bad calls), at most [`TOP`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Why {
    /// Bad calls examined: the drill query's calls in the window.
    pub bad: u64,
    /// The other calls of the window within the rule's filter, examined.
    pub rest: u64,
    /// False when not every call of the window was looked at: the store had dropped some,
    /// or the window held more than [`MAX_EXAMINED`] (the newest were ranked).
    pub complete: bool,
    /// The values that stand out, best first (at most [`TOP`]).
    pub items: Vec<WhyItem>,
}

impl Default for Why {
    fn default() -> Self {
        Why {
            bad: 0,
            rest: 0,
            complete: true,
            items: Vec::new(),
        }
    }
}

impl Why {
    /// The top item on one line (`model=gpt-4o 92% of bad vs 14% rest (lift 6.6)`), or
    /// what was compared when nothing stands out.
    pub fn headline(&self) -> String {
        match self.items.first() {
            Some(item) => item.describe(),
            None => format!(
                "nothing stands out ({} bad calls vs {} others)",
                self.bad, self.rest
            ),
        }
    }

    /// The same ranking cut to its first `n` items.
    pub fn top(&self, n: usize) -> Why {
        Why {
            items: self.items.iter().take(n).cloned().collect(),
            ..*self
        }
    }
}

/// Serialises an attached "why" with its first [`TOP_NOTIFIED`] items (what `check --json`
/// and notifications carry).
pub fn serialize_notified<S: serde::Serializer>(
    why: &Option<Why>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match why {
        Some(w) => s.serialize_some(&w.top(TOP_NOTIFIED)),
        None => s.serialize_none(),
    }
}

/// A share as a whole percentage, `<1%` for a small one that is not zero.
pub fn percent(share: f64) -> String {
    if share > 0.0 && share < 0.005 {
        "<1%".into()
    } else {
        format!("{:.0}%", share * 100.0)
    }
}
