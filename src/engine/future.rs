//! The guard against far-future timestamps. One record dated 2099 would otherwise move the
//! engine's clock (the newest event time) so far ahead that every later record is `late` and
//! every window is empty. A record more than `max_future` ahead of the median of the recent
//! admitted records is held aside; it is admitted only if the next record agrees with it (the
//! stream really jumped, as after a quiet gap in a log), and rejected as `future` when the
//! next record is back on the old timeline or the stream ends. With a wall clock (the live
//! TUI), anything up to `max_future` past the wall clock is admitted at once.

use crate::model::record::Nanos;
use std::collections::VecDeque;

/// How many recent admitted times the median is taken over.
const RECENT: usize = 7;

/// What the guard says about one record's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Consistent with the stream: admit it now. Any held records are to be rejected first.
    Admit,
    /// Far ahead of the stream: hold it until the next record decides.
    Hold,
    /// The held records and this one agree: admit the held ones, then this one.
    Confirm,
}

/// The guard's state: the recent admitted times and how many records are held.
#[derive(Debug, Clone)]
pub struct FutureGuard {
    max_future: i64,
    recent: VecDeque<Nanos>,
    held_first: Option<Nanos>,
}

impl FutureGuard {
    /// A guard allowing `max_future` ns ahead of the stream; 0 or less disables it.
    pub fn new(max_future: i64) -> Self {
        FutureGuard {
            max_future,
            recent: VecDeque::with_capacity(RECENT),
            held_first: None,
        }
    }

    /// The median of the recent admitted times, if any.
    fn median(&self) -> Option<Nanos> {
        if self.recent.is_empty() {
            return None;
        }
        let mut v: Vec<Nanos> = self.recent.iter().copied().collect();
        v.sort_unstable();
        v.get(v.len() / 2).copied()
    }

    /// Judges time `t`; `wall` is the wall clock when the source is live.
    pub fn judge(&mut self, t: Nanos, wall: Option<Nanos>) -> Verdict {
        if self.max_future <= 0 {
            return Verdict::Admit;
        }
        let ahead = |base: Nanos| t > base.saturating_add(self.max_future);
        let within_wall = wall.is_some_and(|w| !ahead(w));
        let far = !within_wall && self.median().is_some_and(ahead);
        match (self.held_first, far) {
            (None, false) => Verdict::Admit,
            (None, true) => {
                self.held_first = Some(t);
                Verdict::Hold
            }
            (Some(_), false) => {
                self.held_first = None;
                Verdict::Admit
            }
            (Some(first), true) => {
                if t.abs_diff(first) <= self.max_future.unsigned_abs() {
                    self.held_first = None;
                    self.recent.clear();
                    self.recent.push_back(first);
                    Verdict::Confirm
                } else {
                    // A second outlier that agrees with nothing: the first is rejected and
                    // this one is held in its place.
                    self.held_first = Some(t);
                    Verdict::Hold
                }
            }
        }
    }

    /// Records that `t` was admitted.
    pub fn admitted(&mut self, t: Nanos) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(t);
    }

    /// Forgets the held record (it was rejected).
    pub fn drop_held(&mut self) {
        self.held_first = None;
    }
}

/// The wall clock in unix ns, for a live engine.
pub fn system_now() -> Nanos {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| Nanos::try_from(d.as_nanos()).unwrap_or(Nanos::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000_000;

    fn fed(g: &mut FutureGuard, times: &[Nanos]) -> Vec<Verdict> {
        times
            .iter()
            .map(|&t| {
                let v = g.judge(t, None);
                if v != Verdict::Hold {
                    g.admitted(t);
                }
                v
            })
            .collect()
    }

    #[test]
    fn a_lone_outlier_is_held_then_dropped() {
        let mut g = FutureGuard::new(5 * MIN);
        let v = fed(&mut g, &[MIN, 2 * MIN, 100_000 * MIN, 3 * MIN]);
        assert_eq!(
            v,
            [
                Verdict::Admit,
                Verdict::Admit,
                Verdict::Hold,
                Verdict::Admit
            ]
        );
    }

    #[test]
    fn a_real_jump_is_confirmed_by_the_next_record() {
        let mut g = FutureGuard::new(5 * MIN);
        let v = fed(&mut g, &[MIN, 2 * MIN, 60 * MIN, 61 * MIN, 62 * MIN]);
        assert_eq!(
            v,
            [
                Verdict::Admit,
                Verdict::Admit,
                Verdict::Hold,
                Verdict::Confirm,
                Verdict::Admit
            ]
        );
    }

    #[test]
    fn the_wall_clock_admits_a_live_record_after_a_quiet_gap() {
        let mut g = FutureGuard::new(5 * MIN);
        fed(&mut g, &[MIN]);
        assert_eq!(g.judge(60 * MIN, Some(60 * MIN)), Verdict::Admit);
        assert_eq!(g.judge(9_000 * MIN, Some(60 * MIN)), Verdict::Hold);
    }

    #[test]
    fn zero_disables_the_guard() {
        let mut g = FutureGuard::new(0);
        assert_eq!(fed(&mut g, &[MIN, 100_000 * MIN]), [Verdict::Admit; 2]);
    }
}
