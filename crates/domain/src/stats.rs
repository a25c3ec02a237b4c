//! The small statistics reports need: percentiles, Spearman's rank
//! correlation (ties get the average of their ranks) and ISO-week buckets.
//! Pure functions, so the report queries stay plain SQL plus these.

use jiff::civil::{Date, ISOWeekDate, Weekday};
use std::collections::BTreeMap;

/// The `p`-th percentile (0–100) of values given as value → how many
/// times it occurs, by the nearest-rank method: the smallest value with at
/// least `p` % of the values at or below it. `None` when there are none.
pub fn percentile(counts: &BTreeMap<i64, u64>, p: u32) -> Option<i64> {
    let n: u64 = counts.values().sum();
    // ceil(p/100 * n), at least 1: the rank of the answer.
    let rank = (u64::from(p.min(100)) * n).div_ceil(100).max(1);
    let mut seen = 0;
    counts.iter().find_map(|(value, times)| {
        seen += times;
        (seen >= rank).then_some(*value)
    })
}

/// The ranks of `values` (1-based), tied values sharing the average of the
/// ranks they span.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end share their mean.
        let mean = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mean;
        }
        start = end;
    }
    ranks
}

/// Spearman's rank correlation of the pairs: Pearson's correlation of their
/// ranks, so ties are handled. `None` with fewer than two pairs or when
/// either side is constant (the correlation is undefined).
pub fn spearman(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 2 {
        return None;
    }
    let xs = ranks(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let ys = ranks(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    let n = pairs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(&ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// `n` to two significant figures, rounded down (exact below 100): counted
/// this way, durations fall in at most 90 buckets per power of ten, and a
/// percentile of the buckets is less than a tenth below the exact one.
pub fn two_figures(n: i64) -> i64 {
    let mut unit = 1;
    while n / unit >= 100 {
        unit *= 10;
    }
    n / unit * unit
}

/// The ISO week a day falls in, named by its Monday.
pub fn week_of(day: Date) -> Date {
    let iso = day.iso_week_date();
    ISOWeekDate::new(iso.year(), iso.week(), Weekday::Monday)
        .map(|w| w.date())
        .unwrap_or(day)
}

/// An ISO week as people write it: `2026-W49`.
pub fn week_label(monday: Date) -> String {
    let iso = monday.iso_week_date();
    format!("{}-W{:02}", iso.year(), iso.week())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    /// Counts of the values.
    fn counted(values: &[i64]) -> BTreeMap<i64, u64> {
        let mut counts = BTreeMap::new();
        for v in values {
            *counts.entry(*v).or_default() += 1;
        }
        counts
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v = counted(&[10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        assert_eq!(percentile(&v, 50), Some(50));
        assert_eq!(percentile(&v, 90), Some(90));
        assert_eq!(percentile(&v, 100), Some(100));
        assert_eq!(percentile(&v, 0), Some(10));
        assert_eq!(percentile(&counted(&[7]), 90), Some(7));
        assert_eq!(percentile(&counted(&[1, 2, 3]), 50), Some(2));
        assert_eq!(percentile(&counted(&[]), 50), None);
        // Repeated values count as often as they occur.
        assert_eq!(percentile(&counted(&[5, 5, 5, 9]), 75), Some(5));
        assert_eq!(percentile(&counted(&[5, 5, 5, 9]), 76), Some(9));
    }

    #[test]
    fn two_significant_figures_by_hand() {
        assert_eq!(two_figures(0), 0);
        assert_eq!(two_figures(99), 99);
        assert_eq!(two_figures(100), 100);
        assert_eq!(two_figures(3_599), 3_500);
        assert_eq!(two_figures(3_600), 3_600);
        assert_eq!(two_figures(86_399), 86_000);
    }

    #[test]
    fn ties_share_the_average_rank() {
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 30.0]), vec![1.0, 2.5, 2.5, 4.0]);
        assert_eq!(ranks(&[5.0, 5.0, 5.0]), vec![2.0, 2.0, 2.0]);
    }

    #[test]
    fn spearman_by_hand() {
        // More effort, less ease: a perfect inverse ranking.
        let pairs = [(0.0, 7.0), (20.0, 5.0), (55.0, 2.0), (80.0, 1.0)];
        assert_eq!(spearman(&pairs), Some(-1.0));
        // With a tie: x ranks 1, 2.5, 2.5, 4; y ranks 1, 2, 3, 4.
        // Pearson of the ranks: sxy = 4.5, sxx = 4.5, syy = 5.
        let tied = [(1.0, 1.0), (2.0, 2.0), (2.0, 3.0), (3.0, 4.0)];
        let r = spearman(&tied).unwrap();
        assert!((r - 4.5 / (4.5f64 * 5.0).sqrt()).abs() < 1e-12);
        assert_eq!(spearman(&[(1.0, 2.0)]), None);
        assert_eq!(spearman(&[(1.0, 2.0), (1.0, 3.0)]), None);
    }

    #[test]
    fn iso_weeks_start_on_monday_and_cross_years() {
        assert_eq!(week_of(date(2026, 12, 3)), date(2026, 11, 30));
        assert_eq!(week_of(date(2026, 11, 30)), date(2026, 11, 30));
        // 1 January 2027 is a Friday, in the last week of 2026.
        assert_eq!(week_of(date(2027, 1, 1)), date(2026, 12, 28));
        assert_eq!(week_label(date(2026, 12, 28)), "2026-W53");
        assert_eq!(week_label(date(2026, 11, 30)), "2026-W49");
    }

    proptest! {
        #[test]
        fn two_figures_is_within_a_tenth_below(n in 0i64..10_000_000_000) {
            let b = two_figures(n);
            prop_assert!(b <= n);
            prop_assert!(n - b < (n / 10).max(1));
            prop_assert_eq!(two_figures(b), b);
        }

        #[test]
        fn spearman_is_a_correlation(pairs in prop::collection::vec((0u8..10, 0u8..10), 0..40)) {
            let pairs: Vec<(f64, f64)> = pairs.into_iter().map(|(a, b)| (a.into(), b.into())).collect();
            if let Some(r) = spearman(&pairs) {
                prop_assert!((-1.0..=1.0).contains(&r));
                let swapped: Vec<_> = pairs.iter().map(|(a, b)| (*b, *a)).collect();
                prop_assert!((spearman(&swapped).unwrap() - r).abs() < 1e-9);
                let negated: Vec<_> = pairs.iter().map(|(a, b)| (*a, -*b)).collect();
                prop_assert!((spearman(&negated).unwrap() + r).abs() < 1e-9);
            }
        }

        #[test]
        fn a_monotone_relation_correlates_fully(xs in prop::collection::hash_set(-1000i32..1000, 2..30)) {
            let pairs: Vec<(f64, f64)> = xs.iter().map(|x| (f64::from(*x), f64::from(*x).powi(3) + 1.0)).collect();
            prop_assert!((spearman(&pairs).unwrap() - 1.0).abs() < 1e-9);
        }

        #[test]
        fn percentiles_are_values_in_order(v in prop::collection::vec(-1000i64..1000, 1..50), p in 0u32..=100, q in 0u32..=100) {
            let counts = counted(&v);
            let a = percentile(&counts, p).unwrap();
            prop_assert!(v.contains(&a));
            let (lo, hi) = (p.min(q), p.max(q));
            prop_assert!(percentile(&counts, lo).unwrap() <= percentile(&counts, hi).unwrap());
            // The same as the nearest rank in the sorted values.
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let rank = (p as usize * sorted.len()).div_ceil(100).max(1);
            prop_assert_eq!(a, sorted[rank - 1]);
            // At least p % of the values are at or below it.
            let below = v.iter().filter(|x| **x <= a).count();
            prop_assert!(below * 100 >= p as usize * v.len());
        }

        #[test]
        fn every_day_falls_in_the_week_of_its_monday(days in 0i32..3000) {
            let day = date(2020, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let monday = week_of(day);
            prop_assert_eq!(monday.weekday(), Weekday::Monday);
            let gap = (day - monday).get_days();
            prop_assert!((0..7).contains(&gap));
        }
    }
}
