//! What the Drift pane shows, copied from the drift state: each feature's row, the latest
//! verdict, the reference's origin, quality since start and each feature's reference and
//! current histograms.

use crate::engine::drift::compare::{Histograms, WindowDrift};
use crate::engine::drift::{DriftState, FeatureRow, ReferenceOrigin};
use crate::engine::quality::QualityCounts;

/// Bins of the open feature's histograms.
pub const BINS: usize = 10;

/// The drift state as the pane shows it.
#[derive(Debug, Clone, Default)]
pub struct DriftView {
    pub rows: Vec<FeatureRow>,
    /// The verdict the rows come from (the latest closed window, else the current one).
    pub latest: Option<WindowDrift>,
    pub origin: Option<ReferenceOrigin>,
    pub enabled: bool,
    /// Calls the reference is taken from when no baseline is given.
    pub reference_calls: u64,
    /// Quality signals since start.
    pub quality: QualityCounts,
    /// Each feature's reference and current histograms, by feature name (a feature
    /// without them yet is missing), so a paused pane can still open any feature.
    pub histograms: std::collections::BTreeMap<String, Histograms>,
}

impl DriftView {
    /// Reads the rows, the latest verdict and every feature's histograms.
    pub fn of(d: &DriftState) -> DriftView {
        let latest = d
            .history
            .iter()
            .rev()
            .find_map(|w| w.drift.clone())
            .or_else(|| d.evaluate_current().and_then(|w| w.drift));
        let rows = d.rows();
        let histograms = rows
            .iter()
            .filter_map(|r| {
                let name = &r.feature.name;
                Some((name.clone(), d.histograms(name, BINS)?))
            })
            .collect();
        DriftView {
            rows,
            latest,
            origin: d.origin.clone(),
            enabled: d.config().enabled,
            reference_calls: d.config().reference_calls,
            quality: d.quality.total.clone(),
            histograms,
        }
    }
}
