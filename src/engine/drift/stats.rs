//! The statistics behind drift: two-sample Kolmogorov–Smirnov and chi-squared tests with
//! p-values, Wasserstein distance, Jensen–Shannon distance and PSI. The special functions
//! (incomplete gamma, erfc) come from `statrs`; the tests and the drift features built on
//! them are checked against values computed with SciPy 1.17.

/// Result of a two-sample Kolmogorov–Smirnov test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ks {
    /// Largest gap between the two empirical CDFs.
    pub d: f64,
    /// Two-sided p-value (asymptotic Kolmogorov distribution with Stephens' correction).
    pub p: f64,
}

/// Two-sample KS test on two **sorted** samples. Empty samples give `d = 0, p = 1`.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Ks {
    let d = ks_statistic(a, b);
    if a.is_empty() || b.is_empty() {
        return Ks { d, p: 1.0 };
    }
    let (n, m) = (a.len() as f64, b.len() as f64);
    let en = (n * m / (n + m)).sqrt();
    let p = kolmogorov_sf((en + 0.12 + 0.11 / en) * d);
    Ks { d, p }
}

/// The KS statistic: the largest distance between the empirical CDFs of sorted samples.
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut d: f64 = 0.0;
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    d
}

/// Survival function of the Kolmogorov distribution, `P(K > x)`.
pub fn kolmogorov_sf(x: f64) -> f64 {
    if !x.is_finite() {
        return if x > 0.0 { 0.0 } else { 1.0 };
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x < 1.18 {
        // Jacobi theta form, which converges fast for small x.
        let w = (2.0 * std::f64::consts::PI).sqrt() / x;
        let f = -std::f64::consts::PI * std::f64::consts::PI / (8.0 * x * x);
        let mut s = 0.0;
        for k in (1..=9).step_by(2) {
            s += (f * f64::from(k * k)).exp();
        }
        (1.0 - w * s).clamp(0.0, 1.0)
    } else {
        let mut s = 0.0;
        let mut sign = 1.0;
        for k in 1..=100 {
            let term = (-2.0 * f64::from(k * k) * x * x).exp();
            s += sign * term;
            if term < 1e-17 {
                break;
            }
            sign = -sign;
        }
        (2.0 * s).clamp(0.0, 1.0)
    }
}

/// Result of a chi-squared test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquared {
    pub statistic: f64,
    pub df: f64,
    pub p: f64,
}

/// Pearson's goodness-of-fit test of observed counts against expected counts (as
/// `scipy.stats.chisquare`, which Evidently uses with expectations from the reference).
/// A category expected 0 but observed makes the statistic infinite (`p = 0`).
pub fn chisquare(observed: &[f64], expected: &[f64]) -> ChiSquared {
    let mut stat = 0.0;
    for (&o, &e) in observed.iter().zip(expected) {
        if e > 0.0 {
            stat += (o - e) * (o - e) / e;
        } else if o > 0.0 {
            stat = f64::INFINITY;
        }
    }
    let df = observed.len().saturating_sub(1) as f64;
    let p = if df == 0.0 { 1.0 } else { chi2_sf(stat, df) };
    ChiSquared {
        statistic: stat,
        df,
        p,
    }
}

/// Survival function of the chi-squared distribution with `df` degrees of freedom.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df <= 0.0 {
        return 1.0;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    statrs::function::gamma::gamma_ur(df / 2.0, x / 2.0).clamp(0.0, 1.0)
}

/// First Wasserstein (earth mover's) distance between two **sorted** samples, as
/// `scipy.stats.wasserstein_distance`.
pub fn wasserstein(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut prev = a[0].min(b[0]);
    let mut dist = 0.0;
    while i < a.len() || j < b.len() {
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        dist += (i as f64 / n - j as f64 / m).abs() * (x - prev);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        prev = x;
    }
    dist
}

/// Population standard deviation (`numpy.std`, ddof = 0).
pub fn std_dev(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
}

/// Jensen–Shannon distance (natural log, as `scipy.spatial.distance.jensenshannon`, which
/// Evidently uses) between two count or weight vectors over the same categories.
/// Between 0 and √ln 2 ≈ 0.833.
pub fn js_distance(p: &[f64], q: &[f64]) -> f64 {
    let sp: f64 = p.iter().sum();
    let sq: f64 = q.iter().sum();
    if sp <= 0.0 || sq <= 0.0 {
        return 0.0;
    }
    let mut js = 0.0;
    for (&a, &b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = 0.5 * (a + b);
        if a > 0.0 {
            js += 0.5 * a * (a / m).ln();
        }
        if b > 0.0 {
            js += 0.5 * b * (b / m).ln();
        }
    }
    js.max(0.0).sqrt()
}

/// Two-sided p-value of the two-proportion z-test (pooled variance): `k1` of `n1` against
/// `k2` of `n2`. Evidently's test for yes/no features.
pub fn z_test(k1: f64, n1: f64, k2: f64, n2: f64) -> f64 {
    if n1 <= 0.0 || n2 <= 0.0 {
        return 1.0;
    }
    let p = (k1 + k2) / (n1 + n2);
    let se = (p * (1.0 - p) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se <= 0.0 || !se.is_finite() {
        return 1.0;
    }
    let z = (k1 / n1 - k2 / n2) / se;
    statrs::function::erf::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Share substituted for empty bins in PSI, as Evidently does.
pub const PSI_EMPTY_BIN: f64 = 0.0001;

/// Population stability index between reference and current counts over the same bins.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    let sr: f64 = reference.iter().sum();
    let sc: f64 = current.iter().sum();
    if sr <= 0.0 || sc <= 0.0 {
        return 0.0;
    }
    reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| {
            let r = if r > 0.0 { r / sr } else { PSI_EMPTY_BIN };
            let c = if c > 0.0 { c / sc } else { PSI_EMPTY_BIN };
            (r - c) * (r / c).ln()
        })
        .sum()
}

/// How PSI is usually read: < 0.1 stable, 0.1–0.25 moderate, > 0.25 major.
pub fn psi_band(v: f64) -> &'static str {
    if v < 0.1 {
        "stable"
    } else if v <= 0.25 {
        "moderate"
    } else {
        "major"
    }
}

/// Bin edges at the reference's deciles (deduplicated), for PSI on a numeric feature.
/// Quantile bins keep PSI meaningful on heavy-tailed values such as latency.
pub fn decile_edges(sorted_ref: &[f64]) -> Vec<f64> {
    let mut edges: Vec<f64> = (1..10)
        .filter_map(|k| sorted_ref.get(sorted_ref.len() * k / 10).copied())
        .collect();
    edges.dedup();
    edges
}

/// Counts of a sorted sample in the bins `(-inf, e0], (e0, e1], ..., (e_last, inf)`.
pub fn bin_counts(sorted: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(edges.len() + 1);
    let mut prev = 0usize;
    for &e in edges {
        let idx = sorted.partition_point(|&v| v <= e);
        out.push((idx - prev) as f64);
        prev = idx;
    }
    out.push((sorted.len() - prev) as f64);
    out
}

#[cfg(test)]
mod tests {
    //! Expected values computed offline with SciPy 1.17.1 / NumPy (scripts kept in the
    //! comments next to each constant).
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300) || (a - b).abs() < 1e-15
    }

    const A: [f64; 8] = [0.1, 0.5, 0.9, 1.3, 2.2, 2.8, 3.1, 4.0];
    const B: [f64; 7] = [1.0, 1.5, 2.5, 3.5, 4.5, 5.5, 6.0];

    #[test]
    fn kolmogorov_survival_matches_scipy_kstwobign() {
        // stats.kstwobign.sf(x)
        for (x, want) in [
            (0.3, 0.999_990_694_198_665_5),
            (0.5, 0.963_945_243_664_875_1),
            (0.8, 0.544_142_411_574_198_1),
            (1.0, 0.269_999_671_677_354_56),
            (1.2, 0.112_249_666_670_724_97),
            (1.5, 0.022_217_962_616_525_127),
            (2.0, 0.000_670_925_255_779_695_3),
        ] {
            let got = kolmogorov_sf(x);
            assert!(close(got, want, 1e-9), "x={x}: {got} vs {want}");
        }
        assert_eq!(kolmogorov_sf(0.0), 1.0);
        assert_eq!(kolmogorov_sf(f64::INFINITY), 0.0);
    }

    #[test]
    fn ks_statistic_matches_scipy_and_p_value_is_close_to_exact() {
        // stats.ks_2samp(A, B): statistic 0.44642857142857145, exact p 0.3728049728049728.
        let r = ks_2samp(&A, &B);
        assert!(close(r.d, 0.446_428_571_428_571_45, 1e-12));
        assert!((r.p - 0.372_804_972_804_972_8).abs() < 0.05, "{}", r.p);
        // Mid-size samples: statistic 0.10933333333333334, exact p 0.07105388529316961.
        let mut a: Vec<f64> = (0..300)
            .map(|i| ((i * 7919) % 1000) as f64 / 1000.0)
            .collect();
        let mut b: Vec<f64> = (0..250)
            .map(|i| (((i * 104_729) % 997) as f64 / 997.0).powf(1.3))
            .collect();
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let r = ks_2samp(&a, &b);
        assert!(close(r.d, 0.109_333_333_333_333_34, 1e-12), "{}", r.d);
        assert!((r.p - 0.071_053_885_293_169_61).abs() < 0.005, "{}", r.p);
        assert_eq!(ks_2samp(&[], &a).p, 1.0);
    }

    #[test]
    fn chi_squared_survival_matches_scipy() {
        // stats.chi2.sf(x, df)
        for (x, df, want) in [
            (0.5, 1.0, 0.479_500_122_186_953_37),
            (3.84, 1.0, 0.050_043_521_248_705_19),
            (10.0, 3.0, 0.018_566_135_463_043_25),
            (25.5, 12.0, 0.012_623_370_312_314_3),
            (100.0, 80.0, 0.064_570_368_921_133),
            (1e-3, 2.0, 0.999_500_124_979_169_3),
            (50.0, 5.0, 1.385_797_336_700_957_3e-9),
        ] {
            let got = chi2_sf(x, df);
            assert!(close(got, want, 1e-9), "chi2({x}, {df}): {got} vs {want}");
        }
    }

    #[test]
    fn z_test_matches_scipy() {
        // 2 * stats.norm.sf(z) for 12/1000 vs 24/1000: z = 2.01825, p = 0.0435656
        let p = z_test(12.0, 1000.0, 24.0, 1000.0);
        assert!(close(p, 0.043_565_574_343_449, 1e-9), "{p}");
        assert_eq!(z_test(0.0, 10.0, 0.0, 10.0), 1.0);
    }

    #[test]
    fn goodness_of_fit_matches_scipy_chisquare() {
        // stats.chisquare([30,14,34,45,57,20],[20,20,30,40,60,30])
        let r = chisquare(
            &[30.0, 14.0, 34.0, 45.0, 57.0, 20.0],
            &[20.0, 20.0, 30.0, 40.0, 60.0, 30.0],
        );
        assert!(close(r.statistic, 11.441_666_666_666_666, 1e-12));
        assert!(close(r.p, 0.043_293_130_315_804_97, 1e-9));
        let r = chisquare(&[5.0, 1.0], &[6.0, 0.0]);
        assert_eq!((r.statistic, r.p), (f64::INFINITY, 0.0));
    }

    #[test]
    fn wasserstein_and_std_match_scipy_numpy() {
        // stats.wasserstein_distance(A, B) = 1.6375; np.std(A) = 1.289319103247912
        assert!(close(wasserstein(&A, &B), 1.6375, 1e-12));
        assert!(close(std_dev(&A), 1.289_319_103_247_912, 1e-12));
        assert!(close(
            wasserstein(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0]),
            5.0,
            1e-12
        ));
        assert!(close(
            wasserstein(&[3.4, 3.9, 7.5, 7.8], &[1.4, 4.5]),
            2.7,
            1e-12
        ));
    }

    #[test]
    fn jensen_shannon_matches_scipy() {
        // distance.jensenshannon(...) with the natural log
        let got = js_distance(&[10.0, 20.0, 30.0, 40.0], &[40.0, 30.0, 20.0, 10.0]);
        assert!(close(got, 0.326_251_644_112_674_43, 1e-12));
        assert!(close(
            js_distance(&[1.0, 0.0], &[0.0, 1.0]),
            0.832_554_611_157_697_7,
            1e-12
        ));
        assert!(close(
            js_distance(&[5.0, 5.0, 0.0], &[2.0, 3.0, 5.0]),
            0.468_110_595_150_240_6,
            1e-12
        ));
        assert_eq!(js_distance(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
    }

    #[test]
    fn psi_matches_hand_computed_values_and_bands() {
        assert!(close(
            psi(&[50.0, 50.0], &[25.0, 75.0]),
            0.274_653_072_167_027_45,
            1e-12
        ));
        // An empty current bin counts as 0.0001, as in Evidently.
        assert!(close(
            psi(&[20.0, 30.0, 50.0], &[0.0, 50.0, 50.0]),
            1.621_585_526_415_660_4,
            1e-12
        ));
        assert_eq!(psi_band(0.05), "stable");
        assert_eq!(psi_band(0.2), "moderate");
        assert_eq!(psi_band(0.3), "major");
    }

    #[test]
    fn decile_bins_count_every_value_once() {
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        let edges = decile_edges(&v);
        assert_eq!(edges.len(), 9);
        let counts = bin_counts(&v, &edges);
        assert_eq!(counts.iter().sum::<f64>(), 100.0);
        assert_eq!(counts[0], 11.0);
    }
}
