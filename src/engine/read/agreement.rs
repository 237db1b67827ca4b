//! Judge/human agreement: how often an LLM judge and a reviewer call the same answer good,
//! per criterion, as Cohen's kappa — agreement corrected for what two raters would reach
//! by chance. The judge passes an answer at a score of [`super::review::LOW_JUDGE_SCORE`] or
//! more; the reviewer passes it by labelling it `good` and fails it with `bad` or
//! `hallucination` (other labels say nothing about quality and are left out).

use super::review::judge_passes;
use std::collections::BTreeMap;

/// The reviewer's verdict a label stands for: pass (`good`), fail (`bad`,
/// `hallucination`), or none.
pub fn human_passes(label: &str) -> Option<bool> {
    match label.trim().to_ascii_lowercase().as_str() {
        "good" => Some(true),
        "bad" | "hallucination" => Some(false),
        _ => None,
    }
}

/// A 2×2 table of paired verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Table {
    pub both_pass: u64,
    pub judge_only: u64,
    pub human_only: u64,
    pub both_fail: u64,
}

impl Table {
    /// Adds one pair (judge passed, reviewer passed).
    pub fn add(&mut self, judge: bool, human: bool) {
        match (judge, human) {
            (true, true) => self.both_pass += 1,
            (true, false) => self.judge_only += 1,
            (false, true) => self.human_only += 1,
            (false, false) => self.both_fail += 1,
        }
    }

    /// Pairs counted.
    pub fn n(&self) -> u64 {
        self.both_pass + self.judge_only + self.human_only + self.both_fail
    }

    /// Pairs where both said the same.
    pub fn agree(&self) -> u64 {
        self.both_pass + self.both_fail
    }

    /// Cohen's kappa, `(po - pe) / (1 - pe)`; `None` with no pairs, or when chance alone
    /// explains everything (`pe = 1`: both raters gave one verdict throughout).
    pub fn kappa(&self) -> Option<f64> {
        let n = self.n() as f64;
        if n == 0.0 {
            return None;
        }
        let po = self.agree() as f64 / n;
        let judge_pass = (self.both_pass + self.judge_only) as f64 / n;
        let human_pass = (self.both_pass + self.human_only) as f64 / n;
        let pe = judge_pass * human_pass + (1.0 - judge_pass) * (1.0 - human_pass);
        if (1.0 - pe).abs() < 1e-12 {
            return None;
        }
        Some((po - pe) / (1.0 - pe))
    }
}

/// Agreement on one criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub criterion: String,
    pub table: Table,
    pub kappa: Option<f64>,
}

/// Agreement per criterion (by name) over `(criterion, judge score, reviewer's label)`
/// triples; labels that say nothing about quality are skipped.
pub fn per_criterion<C: AsRef<str>, L: AsRef<str>>(
    pairs: impl IntoIterator<Item = (C, f64, L)>,
) -> Vec<Agreement> {
    let mut by: BTreeMap<String, Table> = BTreeMap::new();
    for (criterion, score, label) in pairs {
        if let Some(human) = human_passes(label.as_ref()) {
            by.entry(criterion.as_ref().to_string())
                .or_default()
                .add(judge_passes(score), human);
        }
    }
    by.into_iter()
        .map(|(criterion, table)| Agreement {
            criterion,
            kappa: table.kappa(),
            table,
        })
        .collect()
}

/// One line for people: `groundedness κ 0.62 (12/14 agree)` per criterion, joined with
/// ` · ` (`κ n/a, one verdict throughout` when kappa is undefined); `None` when no call has
/// both verdicts.
pub fn summary(agreements: &[Agreement]) -> Option<String> {
    let parts: Vec<String> = agreements
        .iter()
        .map(|a| {
            let k = a.kappa.map_or_else(
                || "n/a, one verdict throughout".to_string(),
                |k| format!("{k:.2}"),
            );
            format!(
                "{} κ {k} ({}/{} agree)",
                a.criterion,
                a.table.agree(),
                a.table.n()
            )
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(a: u64, b: u64, c: u64, d: u64) -> Table {
        Table {
            both_pass: a,
            judge_only: b,
            human_only: c,
            both_fail: d,
        }
    }

    #[test]
    fn kappa_matches_the_textbook_cases() {
        // Wikipedia's example: 20 both yes, 5 / 10 disagreements, 15 both no: κ = 0.4.
        let k = table(20, 5, 10, 15).kappa().unwrap();
        assert!((k - 0.4).abs() < 1e-9, "{k}");
        assert_eq!(table(3, 0, 0, 2).kappa(), Some(1.0));
        // Always disagreeing, half each way: κ = -1.
        assert_eq!(table(0, 2, 2, 0).kappa(), Some(-1.0));
        // Agreement no better than chance.
        let k = table(1, 1, 1, 1).kappa().unwrap();
        assert!(k.abs() < 1e-9, "{k}");
        assert_eq!(Table::default().kappa(), None);
        // Both raters said pass every time: chance explains it all.
        assert_eq!(table(4, 0, 0, 0).kappa(), None);
    }

    #[test]
    fn per_criterion_pairs_judge_scores_with_quality_labels() {
        let a = per_criterion([
            ("groundedness", 0.9, "good"),
            ("groundedness", 0.2, "hallucination"),
            ("groundedness", 0.5, "bad"),
            ("groundedness", 0.1, "unsafe"),
            ("helpfulness", 0.7, "good"),
            ("helpfulness", 0.4, "Good"),
        ]);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].criterion, "groundedness");
        assert_eq!(a[0].table, table(1, 1, 0, 1));
        let k = a[0].kappa.unwrap();
        assert!((k - 0.4).abs() < 1e-9, "{k}");
        assert_eq!(a[1].table, table(1, 0, 1, 0));
        // The reviewer passed both, the judge one: no better than chance.
        assert_eq!(a[1].kappa, Some(0.0));
        assert_eq!(
            summary(&a).unwrap(),
            "groundedness κ 0.40 (2/3 agree) · helpfulness κ 0.00 (1/2 agree)"
        );
        assert_eq!(summary(&[]), None);
        let same = per_criterion([("coherence", 0.9, "good")]);
        assert_eq!(
            summary(&same).unwrap(),
            "coherence κ n/a, one verdict throughout (1/1 agree)"
        );
    }
}
