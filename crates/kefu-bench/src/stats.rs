//! Median and spread of repeated measurements.

use serde::Serialize;

/// Several runs of one measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Runs.
    pub n: usize,
    /// The median (mean of the middle two for an even count).
    pub median: f64,
    /// The smallest run.
    pub min: f64,
    /// The largest run.
    pub max: f64,
    /// (max - min) / median, in percent: how far runs disagree.
    pub spread_pct: f64,
    /// Every run, in the order measured.
    pub runs: Vec<f64>,
}

impl Summary {
    /// Summarizes `runs`; `None` when there are none (or a NaN).
    pub fn of(runs: &[f64]) -> Option<Self> {
        if runs.is_empty() || runs.iter().any(|r| r.is_nan()) {
            return None;
        }
        let mut sorted = runs.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let (min, max) = (sorted[0], sorted[n - 1]);
        let spread_pct = if median == 0.0 {
            0.0
        } else {
            (max - min) / median.abs() * 100.0
        };
        Some(Self {
            n,
            median,
            min,
            max,
            spread_pct,
            runs: runs.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread() {
        let s = Summary::of(&[3.0, 1.0, 2.0]).expect("runs");
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(s.spread_pct, 100.0);
        assert_eq!(s.runs, [3.0, 1.0, 2.0]);
        let even = Summary::of(&[4.0, 1.0, 2.0, 3.0]).expect("runs");
        assert_eq!(even.median, 2.5);
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
    }
}
