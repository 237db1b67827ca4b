//! The judge's spend over the last hour against `max_cost_per_hour`. A request reserves its
//! estimated cost before it is sent and settles at what the answer's usage says, so a burst
//! of concurrent requests cannot all pass a cap that only the settled ones would reach; the
//! estimate grows to the dearest answer seen, so a server reporting more than expected
//! tightens every later reservation. Until a first answer has said what a request really
//! costs, only one request is in flight: a burst cannot pass the cap on guesses alone.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How far back the cap looks.
const HOUR: Duration = Duration::from_secs(3600);

/// Spend in the trailing hour, reservations in flight and the cap.
#[derive(Debug)]
pub struct Spend {
    cap: Option<f64>,
    settled: VecDeque<(Instant, f64)>,
    in_hour: f64,
    reserved: f64,
    /// The dearest single request seen: the floor of every later estimate.
    dearest: f64,
    /// Spend since start.
    pub total: f64,
}

/// A reservation to settle once the request is answered (or has failed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reservation(f64);

/// The answer to a request for room under the cap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Room {
    Granted(Reservation),
    /// The first request is still out; ask again shortly.
    Wait,
    /// The cap is reached: judging pauses.
    Full,
}

impl Spend {
    /// No spend yet; `cap` in USD per hour (`None`: no cap).
    pub fn new(cap: Option<f64>) -> Spend {
        Spend {
            cap,
            settled: VecDeque::new(),
            in_hour: 0.0,
            reserved: 0.0,
            dearest: 0.0,
            total: 0.0,
        }
    }

    fn prune(&mut self, now: Instant) {
        while let Some(&(t, c)) = self.settled.front() {
            if now.duration_since(t) < HOUR {
                break;
            }
            self.in_hour -= c;
            self.settled.pop_front();
        }
        if self.settled.is_empty() {
            self.in_hour = 0.0;
        }
    }

    /// Reserves `estimate` (raised to the dearest request seen) when the trailing hour's
    /// spend plus what is in flight leaves room for it.
    pub fn reserve(&mut self, estimate: f64, now: Instant) -> Room {
        self.prune(now);
        let est = estimate.max(self.dearest);
        if let Some(cap) = self.cap {
            if self.dearest == 0.0 && self.reserved > 0.0 {
                return Room::Wait;
            }
            if self.in_hour + self.reserved + est > cap {
                return Room::Full;
            }
        }
        self.reserved += est.max(f64::MIN_POSITIVE);
        Room::Granted(Reservation(est.max(f64::MIN_POSITIVE)))
    }

    /// Replaces a reservation by what the request really cost (`None`: nothing was billed,
    /// the request never got an answer).
    pub fn settle(&mut self, r: Reservation, cost: Option<f64>, now: Instant) {
        self.reserved = (self.reserved - r.0).max(0.0);
        let Some(c) = cost.filter(|c| c.is_finite() && *c >= 0.0) else {
            return;
        };
        self.dearest = self.dearest.max(c).max(f64::MIN_POSITIVE);
        if c == 0.0 {
            return;
        }
        self.settled.push_back((now, c));
        self.in_hour += c;
        self.total += c;
    }

    /// Spend in the trailing hour.
    pub fn last_hour(&mut self, now: Instant) -> f64 {
        self.prune(now);
        self.in_hour
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_in_flight_count_against_the_cap() {
        let now = Instant::now();
        let mut s = Spend::new(Some(1.0));
        let a = granted(s.reserve(0.4, now));
        assert_eq!(
            s.reserve(0.4, now),
            Room::Wait,
            "one probe until an answer settles"
        );
        s.settle(a, Some(0.1), now);
        let _b = granted(s.reserve(0.4, now));
        let _c = granted(s.reserve(0.4, now));
        assert_eq!(
            s.reserve(0.4, now),
            Room::Full,
            "0.1 + 0.4 + 0.4 + 0.4 is over 1.0"
        );
    }

    #[test]
    fn a_dear_answer_raises_every_later_estimate() {
        let now = Instant::now();
        let mut s = Spend::new(Some(1.0));
        let a = granted(s.reserve(0.001, now));
        s.settle(a, Some(0.6), now);
        assert_eq!(
            s.reserve(0.001, now),
            Room::Full,
            "0.6 spent + 0.6 estimate > 1.0"
        );
        assert_eq!(s.total, 0.6);
    }

    #[test]
    fn spend_older_than_an_hour_leaves_the_cap() {
        let t0 = Instant::now();
        let mut s = Spend::new(Some(1.0));
        let a = granted(s.reserve(0.5, t0));
        s.settle(a, Some(0.9), t0);
        assert_eq!(s.reserve(0.5, t0), Room::Full);
        let later = t0 + HOUR + Duration::from_secs(1);
        assert_eq!(s.last_hour(later), 0.0);
        granted(s.reserve(0.5, later));
        let mut s = Spend::new(None);
        granted(s.reserve(1e9, t0));
        granted(s.reserve(1e9, t0));
    }

    fn granted(r: Room) -> Reservation {
        match r {
            Room::Granted(r) => r,
            other => panic!("expected room, got {other:?}"),
        }
    }
}
