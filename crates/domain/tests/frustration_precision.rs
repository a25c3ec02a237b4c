//! Measures the frustration scorer against the labelled sample in
//! `frustration_sample.tsv` (how it was built is written at its top and in
//! docs/service-rules.md): precision and recall of "frustrated" at the
//! threshold [`FRUSTRATED`] must stay at or above the figures documented
//! there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tend_domain::frustration::{FRUSTRATED, score};

/// The documented floor: docs/service-rules.md, "Measured precision".
const MIN_PRECISION: f64 = 0.95;
const MIN_RECALL: f64 = 0.80;

#[test]
fn precision_and_recall_on_the_labelled_sample_stay_above_the_documented_figures() {
    let sample = include_str!("frustration_sample.tsv");
    let (mut tp, mut fp, mut fn_, mut tn) = (0u32, 0u32, 0u32, 0u32);
    let mut misses = Vec::new();
    for line in sample
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (label, text) = line.split_once('\t').expect("label<TAB>text");
        let frustrated = match label {
            "frustrated" => true,
            "calm" => false,
            other => panic!("unknown label {other}"),
        };
        let found = score(text, 1);
        match (frustrated, found.score >= FRUSTRATED) {
            (true, true) => tp += 1,
            (false, true) => {
                fp += 1;
                misses.push(format!(
                    "false alarm {}: {text} {:?}",
                    found.score, found.signals
                ));
            }
            (true, false) => {
                fn_ += 1;
                misses.push(format!(
                    "missed {}: {text} {:?}",
                    found.score, found.signals
                ));
            }
            (false, false) => tn += 1,
        }
    }
    let total = tp + fp + fn_ + tn;
    assert!(total >= 100, "the sample has {total} messages");
    let precision = f64::from(tp) / f64::from(tp + fp);
    let recall = f64::from(tp) / f64::from(tp + fn_);
    eprintln!(
        "{total} messages: precision {precision:.3} ({tp}/{}), recall {recall:.3} ({tp}/{}), \
         {tn} calm rightly calm\n{}",
        tp + fp,
        tp + fn_,
        misses.join("\n")
    );
    assert!(precision >= MIN_PRECISION, "precision {precision:.3}");
    assert!(recall >= MIN_RECALL, "recall {recall:.3}");
}
