//! Accuracy on the labelled dev set (`../shared/devset/acme-dialysis`) with the shipped judge. The same
//! scoring runs on any pack with `crosswalk eval PACK`.

mod common;

use common::*;

#[test]
fn dev_set_accuracy_meets_the_targets() {
    let pack = devset();
    let out = run(&["eval", pack.to_str().expect("utf-8"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let p = &v["packs"][0];
    println!("{p:#}");
    assert!(p["accuracy"].as_f64().expect("accuracy") >= 0.90, "{p:#}");
    assert_eq!(p["false_met"], 0, "{p:#}");
    assert_eq!(p["traps_refused"], p["traps"], "{p:#}");
    assert!(p["evidence_recall"].as_f64().expect("recall") >= 0.85, "{p:#}");
}
