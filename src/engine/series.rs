//! Per-second counters over the last hour, for sparklines of calls/s, error rate, tokens/s
//! and cost/min. A fixed ring: memory does not grow with the stream.

use crate::model::record::Nanos;

const SECOND: i64 = 1_000_000_000;

/// Seconds of history kept (the longest default window).
pub const HISTORY_SECS: usize = 3600;

/// Counters of one second.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Point {
    pub calls: u64,
    pub errors: u64,
    pub tokens: u64,
    pub cost_usd: f64,
}

impl Point {
    fn add(&mut self, o: &Point) {
        self.calls += o.calls;
        self.errors += o.errors;
        self.tokens = self.tokens.saturating_add(o.tokens);
        self.cost_usd += o.cost_usd;
    }
}

/// Ring of per-second points in event time.
#[derive(Debug, Clone)]
pub struct Series {
    points: Vec<(i64, Point)>,
}

impl Default for Series {
    fn default() -> Self {
        Series {
            points: vec![(i64::MIN, Point::default()); HISTORY_SECS],
        }
    }
}

impl Series {
    /// Adds a call's contribution at event time `t`.
    pub fn add(&mut self, t: Nanos, p: Point) {
        let sec = t.div_euclid(SECOND);
        let idx = sec.rem_euclid(HISTORY_SECS as i64) as usize;
        let slot = &mut self.points[idx];
        if slot.0 != sec {
            if slot.0 > sec {
                return;
            }
            *slot = (sec, Point::default());
        }
        slot.1.add(&p);
    }

    /// `n` buckets covering the `length_ns` ending at `now`, oldest first; each bucket sums
    /// the seconds inside it.
    pub fn buckets(&self, now: Nanos, length_ns: i64, n: usize) -> Vec<Point> {
        let n = n.max(1);
        let end = now.div_euclid(SECOND);
        let secs = (length_ns / SECOND).clamp(1, HISTORY_SECS as i64);
        let start = end - secs + 1;
        let mut out = vec![Point::default(); n];
        for (sec, p) in &self.points {
            if *sec >= start && *sec <= end {
                let i = ((sec - start) as usize * n) / secs as usize;
                out[i.min(n - 1)].add(p);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_sum_the_window_and_drop_older() {
        let mut s = Series::default();
        for i in 0..120 {
            s.add(
                i * SECOND,
                Point {
                    calls: 1,
                    ..Point::default()
                },
            );
        }
        let b = s.buckets(119 * SECOND, 60 * SECOND, 6);
        assert_eq!(b.len(), 6);
        assert!(b.iter().all(|p| p.calls == 10));
    }
}
