//! Accuracy on the labelled dev set (`../shared/devset/acme-dialysis`): the thresholds of the catalog
//! issue. The same scoring runs on any pack with `crosswalk eval PACK`.

mod common;

use common::*;

#[test]
fn dev_set_accuracy_meets_the_targets() {
    let pack = devset();
    let out = run(&["eval", pack.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = stdout(&out);
    println!("{report}");
    let figure = |label: &str| -> f64 {
        let line = report.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no {label} line in:\n{report}"));
        line[label.len()..].split_whitespace().next().and_then(|n| n.split('/').next()).and_then(|n| n.parse().ok()).expect("a number")
    };
    assert!(figure("verdict agreement:") >= 0.90, "agreement below 0.90:\n{report}");
    assert_eq!(figure("labelled missing but reported met:"), 0.0, "false assurance:\n{report}");
    let traps = report.lines().find(|l| l.starts_with("traps refused:")).expect("traps line");
    let (got, of) = traps["traps refused:".len()..].trim().split_once('/').expect("n/m");
    assert_eq!(got.trim(), of.trim(), "every trap must be refused:\n{report}");
    assert!(figure("labelled evidence documents cited:") >= 0.90, "evidence recall below 0.90:\n{report}");
    assert!(!report.contains("labelled clauses not in the catalog"), "the catalog lacks labelled clauses:\n{report}");
}
