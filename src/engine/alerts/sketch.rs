//! The quantile sketch alert windows are made of: log-spaced bins 1 % wide, so a window can
//! take a bucket in and give it back out in time proportional to what the bucket holds.
//! An HDR histogram cannot subtract one bucket cheaply, and re-merging every bucket of a
//! window at each 1 s step would cost the window's length every second (a day's replay
//! would merge 300 histograms 86,400 times per rule).

/// Relative width of one bin: every quantile is within half of this of the true value.
const GROWTH: f64 = 1.01;
/// Smallest value told apart from zero (ms).
const FLOOR: f64 = 0.01;
/// Bins: from 0.01 ms to beyond an hour at 1 % steps.
const BINS: usize = 2048;
/// Bins summed per block, so a quantile walks blocks first, then one block's bins.
const BLOCK: usize = 64;

/// The bin a value (ms) falls in; bin 0 holds everything below [`FLOOR`].
fn bin_of(v: f64) -> u16 {
    if v.is_nan() || v < FLOOR {
        return 0;
    }
    let i = 1.0 + (v / FLOOR).ln() / GROWTH.ln();
    (i.floor() as usize).min(BINS - 1) as u16
}

/// The value a bin stands for: its geometric middle.
fn value_of(bin: u16) -> f64 {
    if bin == 0 {
        return 0.0;
    }
    FLOOR * GROWTH.powf(f64::from(bin) - 1.0) * GROWTH.sqrt()
}

/// One bucket's values, as (bin, count) pairs: as small as the distinct bins it saw.
#[derive(Debug, Clone, Default)]
pub(super) struct Bins(Vec<(u16, u32)>);

impl Bins {
    /// Counts one value (ms); negative and non-finite values are ignored.
    pub(super) fn record(&mut self, v: f64) {
        if !v.is_finite() || v < 0.0 {
            return;
        }
        let b = bin_of(v);
        match self.0.iter_mut().find(|(bin, _)| *bin == b) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => self.0.push((b, 1)),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A window's values: dense counts with block sums, fed and drained by [`Bins`].
#[derive(Debug, Clone)]
pub(super) struct Sketch {
    counts: Vec<u32>,
    blocks: Vec<u32>,
    total: u64,
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch {
            counts: vec![0; BINS],
            blocks: vec![0; BINS / BLOCK],
            total: 0,
        }
    }
}

impl Sketch {
    /// Takes a bucket's values in.
    pub(super) fn add(&mut self, bins: &Bins) {
        for &(b, n) in &bins.0 {
            let b = usize::from(b);
            self.counts[b] = self.counts[b].saturating_add(n);
            self.blocks[b / BLOCK] = self.blocks[b / BLOCK].saturating_add(n);
            self.total += u64::from(n);
        }
    }

    /// Counts one value (ms) that arrived after its bucket was already taken in.
    pub(super) fn record(&mut self, v: f64) {
        if !v.is_finite() || v < 0.0 {
            return;
        }
        let b = usize::from(bin_of(v));
        self.counts[b] = self.counts[b].saturating_add(1);
        self.blocks[b / BLOCK] = self.blocks[b / BLOCK].saturating_add(1);
        self.total += 1;
    }

    /// Gives a bucket's values back (the bucket left the window).
    pub(super) fn sub(&mut self, bins: &Bins) {
        for &(b, n) in &bins.0 {
            let b = usize::from(b);
            self.counts[b] = self.counts[b].saturating_sub(n);
            self.blocks[b / BLOCK] = self.blocks[b / BLOCK].saturating_sub(n);
            self.total = self.total.saturating_sub(u64::from(n));
        }
    }

    /// The value at quantile `q` (the smallest bin whose running count reaches `q` of the
    /// total, like an HDR histogram), or `None` when empty.
    pub(super) fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (bi, &in_block) in self.blocks.iter().enumerate() {
            if seen + u64::from(in_block) < rank {
                seen += u64::from(in_block);
                continue;
            }
            for (i, &n) in self.counts[bi * BLOCK..(bi + 1) * BLOCK].iter().enumerate() {
                seen += u64::from(n);
                if seen >= rank {
                    return Some(value_of((bi * BLOCK + i) as u16));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_one_percent_and_buckets_come_back_out() {
        let mut a = Bins::default();
        let mut b = Bins::default();
        for v in 1..=1000 {
            a.record(f64::from(v));
            b.record(50_000.0);
        }
        let mut s = Sketch::default();
        s.add(&a);
        let p95 = s.quantile(0.95).unwrap();
        assert!((p95 / 950.0 - 1.0).abs() < 0.01, "{p95}");
        s.add(&b);
        assert!(s.quantile(0.95).unwrap() > 49_000.0);
        s.sub(&b);
        assert_eq!(s.quantile(0.95), Some(p95));
        s.sub(&a);
        assert_eq!(s.quantile(0.5), None);
    }

    #[test]
    fn extremes_land_in_the_end_bins() {
        let mut a = Bins::default();
        for v in [0.0, 1e-9, 1e12, f64::INFINITY, -1.0, f64::NAN] {
            a.record(v);
        }
        let mut s = Sketch::default();
        s.add(&a);
        assert_eq!(s.total, 3);
        assert_eq!(s.quantile(0.0), Some(0.0));
        assert!(s.quantile(1.0).unwrap() > 3.6e6);
    }
}
