//! Rolling windows in event time. Each window length is a ring of a few slots; a window's
//! stats are the merge of the slots that fall inside it, so memory is fixed and a late record
//! that still falls inside the ring lands in the right slot.

use super::stats::{HistMask, Stats, StatsSummary};
use crate::model::facts::CallFacts;
use crate::model::record::Nanos;
use rustc_hash::FxHashMap as HashMap;

/// Slots per window: a window of length W rolls in steps of W / SLOTS.
pub const SLOTS: usize = 6;

/// Dimensions calls are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    Model,
    Provider,
    User,
    App,
}

impl Dim {
    /// Every dimension, in display order.
    pub const ALL: [Dim; 4] = [Dim::Model, Dim::Provider, Dim::User, Dim::App];

    /// The call's value in this dimension, `(none)` when missing.
    pub fn key<'a>(self, c: &CallFacts<'a>) -> &'a str {
        let v = match self {
            Dim::Model => c.model_name(),
            Dim::Provider => c.provider,
            Dim::User => c.user,
            Dim::App => c.app,
        };
        v.unwrap_or(NONE)
    }

    /// Lower-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Model => "model",
            Dim::Provider => "provider",
            Dim::User => "user",
            Dim::App => "app",
        }
    }
}

/// Group name for calls with no value in a dimension.
pub const NONE: &str = "(none)";
/// Group name collecting everything past a dimension's cardinality cap.
pub const OTHER: &str = "(other)";

/// Stats of one scope broken down by dimension.
#[derive(Debug, Clone)]
pub struct Grouped<C: hdrhistogram::Counter> {
    pub all: Stats<C>,
    pub groups: [HashMap<Box<str>, Stats<C>>; 4],
}

impl<C: hdrhistogram::Counter> Default for Grouped<C> {
    fn default() -> Self {
        Grouped {
            all: Stats::new(HistMask::All),
            groups: Default::default(),
        }
    }
}

impl<C: hdrhistogram::Counter> Grouped<C> {
    fn observe(&mut self, c: &CallFacts<'_>, t: Nanos, keys: &[&str; 4]) {
        self.all.observe(c, t);
        for (map, key) in self.groups.iter_mut().zip(keys) {
            match map.get_mut(*key) {
                Some(s) => s.observe(c, t),
                None => {
                    let mut s = Stats::new(HistMask::LatencyOnly);
                    s.observe(c, t);
                    map.insert((*key).into(), s);
                }
            }
        }
    }

    fn merge<D: hdrhistogram::Counter>(&mut self, o: &Grouped<D>) {
        self.all.merge(&o.all);
        for (mine, theirs) in self.groups.iter_mut().zip(o.groups.iter()) {
            for (k, s) in theirs {
                mine.entry(k.clone())
                    .or_insert_with(|| Stats::new(HistMask::LatencyOnly))
                    .merge(s);
            }
        }
    }

    /// Stats of one group, if it has any calls.
    pub fn group(&self, dim: Dim, name: &str) -> Option<&Stats<C>> {
        self.groups[dim as usize].get(name)
    }

    /// All groups of a dimension.
    pub fn dim(&self, dim: Dim) -> &HashMap<Box<str>, Stats<C>> {
        &self.groups[dim as usize]
    }
}

#[derive(Debug, Clone)]
struct Slot {
    /// Slot number (event time / slot width); `None` when never used.
    no: Option<i64>,
    data: Grouped<u32>,
}

/// One window length: a ring of [`SLOTS`] slots.
#[derive(Debug, Clone)]
pub struct Tier {
    pub length_ns: i64,
    width_ns: i64,
    slots: Vec<Slot>,
}

impl Tier {
    /// A window of `length_ns`, rolling in steps of a sixth of it.
    pub fn new(length_ns: i64) -> Self {
        let length_ns = length_ns.max(SLOTS as i64);
        Tier {
            length_ns,
            width_ns: length_ns / SLOTS as i64,
            slots: (0..SLOTS)
                .map(|_| Slot {
                    no: None,
                    data: Grouped::default(),
                })
                .collect(),
        }
    }

    fn slot_no(&self, t: Nanos) -> i64 {
        t.div_euclid(self.width_ns)
    }

    /// True when `t` is too old to land in this ring given the newest time `now`.
    pub fn is_late(&self, t: Nanos, now: Nanos) -> bool {
        self.slot_no(t) <= self.slot_no(now) - SLOTS as i64
    }

    fn observe(&mut self, c: &CallFacts<'_>, t: Nanos, keys: &[&str; 4]) {
        let no = self.slot_no(t);
        let idx = no.rem_euclid(SLOTS as i64) as usize;
        let slot = &mut self.slots[idx];
        match slot.no {
            Some(n) if n == no => {}
            Some(n) if n > no => return,
            _ => {
                slot.no = Some(no);
                slot.data = Grouped::default();
            }
        }
        slot.data.observe(c, t, keys);
    }

    /// First instant the window ending at `now` covers.
    pub fn start(&self, now: Nanos) -> Nanos {
        (self.slot_no(now) - SLOTS as i64 + 1) * self.width_ns
    }

    /// Merged stats of the window ending at `now`.
    pub fn merged(&self, now: Nanos) -> Grouped<u64> {
        let newest = self.slot_no(now);
        let mut out = Grouped::default();
        for s in &self.slots {
            if let Some(no) = s.no {
                if no <= newest && no > newest - SLOTS as i64 {
                    out.merge(&s.data);
                }
            }
        }
        out
    }
}

/// Every rolling window plus the since-start totals, with per-dimension cardinality caps.
#[derive(Debug, Clone)]
pub struct Windows {
    pub total: Grouped<u64>,
    pub tiers: Vec<Tier>,
    caps: [usize; 4],
    /// Calls whose group name was folded into `(other)`, per dimension.
    pub folded: [u64; 4],
}

impl Windows {
    /// Windows of the given lengths (ns) and per-dimension caps (model, provider, user, app).
    pub fn new(lengths: &[i64], caps: [usize; 4]) -> Self {
        Windows {
            total: Grouped::default(),
            tiers: lengths.iter().map(|&l| Tier::new(l)).collect(),
            caps,
            folded: [0; 4],
        }
    }

    /// True when `t` is too old for the longest window.
    pub fn is_late(&self, t: Nanos, now: Nanos) -> bool {
        self.tiers.iter().any(|tier| tier.is_late(t, now))
    }

    /// Adds one LLM call at event time `t`.
    pub fn observe(&mut self, c: &CallFacts<'_>, t: Nanos) {
        let mut keys = [NONE; 4];
        for d in Dim::ALL {
            let i = d as usize;
            let k = d.key(c);
            let known = self.total.groups[i].contains_key(k);
            keys[i] = if known || self.total.groups[i].len() < self.caps[i] {
                k
            } else {
                self.folded[i] += 1;
                OTHER
            };
        }
        self.total.observe(c, t, &keys);
        for tier in &mut self.tiers {
            tier.observe(c, t, &keys);
        }
    }

    /// The tier whose length is `length_ns`, if configured.
    pub fn tier(&self, length_ns: i64) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.length_ns == length_ns)
    }
}

/// Summary of a window: the stats plus the time range it covers.
pub fn summarize<C: hdrhistogram::Counter>(s: &Stats<C>, from: Nanos, to: Nanos) -> StatsSummary {
    let from = s.first.map_or(from, |f| f.max(from));
    s.summary(((to - from).max(0)) as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::Call;

    const SEC: i64 = 1_000_000_000;

    fn call(model: &str, lat: f64) -> Call {
        Call {
            model: Some(model.into()),
            latency_ms: Some(lat),
            ..Call::default()
        }
    }

    #[test]
    fn window_forgets_old_slots_and_keeps_totals() {
        let mut w = Windows::new(&[60 * SEC], [10, 10, 10, 10]);
        for i in 0..120 {
            w.observe(&CallFacts::of(&call("a", 100.0)), i * SEC);
        }
        let now = 119 * SEC;
        let tier = w.tier(60 * SEC).unwrap();
        let m = tier.merged(now);
        assert_eq!(w.total.all.calls, 120);
        assert_eq!(m.all.calls, 60);
        assert_eq!(tier.start(now), 60 * SEC);
    }

    #[test]
    fn late_record_inside_window_lands_in_its_slot() {
        let mut w = Windows::new(&[60 * SEC], [10, 10, 10, 10]);
        w.observe(&CallFacts::of(&call("a", 1.0)), 100 * SEC);
        assert!(!w.is_late(95 * SEC, 100 * SEC));
        w.observe(&CallFacts::of(&call("a", 1.0)), 95 * SEC);
        assert!(w.is_late(30 * SEC, 100 * SEC));
        assert_eq!(w.tiers[0].merged(100 * SEC).all.calls, 2);
    }

    #[test]
    fn groups_past_the_cap_fold_into_other() {
        let mut w = Windows::new(&[], [2, 10, 10, 10]);
        for m in ["a", "b", "c", "d", "a"] {
            w.observe(&CallFacts::of(&call(m, 1.0)), 0);
        }
        let models = w.total.dim(Dim::Model);
        assert_eq!(models.len(), 3);
        assert_eq!(models.get(OTHER).unwrap().calls, 2);
        assert_eq!(w.folded[Dim::Model as usize], 2);
    }
}
