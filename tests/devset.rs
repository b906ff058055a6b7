//! Accuracy on the labelled dev packs (`../shared/devset`), leave-one-pack-out: for each pack the judge is
//! fitted on the other packs and scored on this one — the honest figure for documentation the fit has
//! not seen. The same figures come from `crosswalk eval --loo PACK… --format json`.
//!
//! Floors asserted here are what the judgment reaches today (see CHANGELOG): accuracy 0.83 (one clause of 56 below the 0.857 measured on 2026-12-05) and no
//! labelled-missing clause reported met on every pack, every trap refused on the three written packs. Traps, evidence recall and citation precision are
//! guarded at today's level so they cannot silently fall; their targets (every trap, 0.90, 0.60) are not
//! yet reached on the new packs and the closing note says so.

mod common;

use common::*;

#[test]
fn leave_one_pack_out_figures() {
    let packs: Vec<std::path::PathBuf> =
        ["acme-dialysis", "orthotrack", "pulsewave", "kubernetes-security"].iter().map(|p| shared().join("devset").join(p)).collect();
    let mut args = vec!["eval", "--loo", "--format", "json"];
    let names: Vec<String> = packs.iter().map(|p| p.to_str().expect("utf-8").to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let loo = v["loo"].as_array().expect("loo array");
    assert_eq!(loo.len(), 4, "{v:#}");
    for p in loo {
        println!("{p}");
        for key in ["pack", "accuracy", "false_met", "traps", "traps_refused", "evidence_recall", "citation_precision"] {
            assert!(p.get(key).is_some(), "loo entry lacks {key}: {p}");
        }
        let f = |k: &str| p[k].as_f64().expect("number");
        assert!(f("accuracy") >= 0.83, "accuracy below 0.83: {p}");
        assert_eq!(p["false_met"], 0, "a labelled-missing clause reported met: {p}");
        assert!(f("traps_refused") >= 0.55 * f("traps"), "traps: {p}");
        assert!(f("evidence_recall") >= 0.33, "evidence recall: {p}");
        assert!(f("citation_precision") >= 0.40, "citation precision: {p}");
    }
    // Every trap of the three written packs is refused (kubernetes: 6 of 10 on 2026-12-05).
    for name in ["acme-dialysis", "orthotrack", "pulsewave"] {
        let p = loo.iter().find(|p| p["pack"] == name).expect("pack");
        assert_eq!(p["traps_refused"], p["traps"], "{p}");
    }
    // acme: every verdict right under leave-one-pack-out since 2026-12-05 (0.982 before); its LOO recall moved
    // 0.805 → 0.792 with that change (the fold's refit, the fitted figure stayed 0.818).
    let acme = loo.iter().find(|p| p["pack"] == "acme-dialysis").expect("acme");
    assert!(acme["accuracy"].as_f64().expect("accuracy") >= 0.98, "{acme}");
    assert!(acme["evidence_recall"].as_f64().expect("recall") >= 0.79, "{acme}");
}

/// What a report says must agree with the evidence printed beside it: no listed gap names a constraint
/// that is covered, and a partial clause's audit defense opens by saying it is only partly defensible and
/// names what is not yet evidenced.
#[test]
fn gaps_and_defenses_never_contradict_the_evidence() {
    for pack in ["acme-dialysis", "orthotrack", "pulsewave", "kubernetes-security"] {
        let v = review_json(&shared().join("devset").join(pack).join("docs"), &[]);
        for c in v["clauses"].as_array().expect("clauses") {
            let covered: Vec<&str> = c["constraints"]
                .as_array()
                .expect("constraints")
                .iter()
                .chain(c["advisory_constraints"].as_array().into_iter().flatten())
                .filter(|k| k["status"] == "covered")
                .map(|k| k["id"].as_str().expect("id"))
                .collect();
            // A passage the report cites is never also listed as only naming the subject.
            // (A page locator holds many passages: the quotes must not overlap.)
            let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
            let cited: Vec<(String, String, String)> = c["constraints"]
                .as_array()
                .expect("constraints")
                .iter()
                .chain(c["advisory_constraints"].as_array().into_iter().flatten())
                .flat_map(|k| k["evidence"].as_array().into_iter().flatten())
                .map(|e| (s(&e["document"]), s(&e["locator"]), s(&e["quote"])))
                .collect();
            for r in c["rejected"].as_array().into_iter().flatten().filter(|r| r["reason"] == "name_only" && r["quote"] != "") {
                let (doc, loc, quote) = (s(&r["document"]), s(&r["locator"]), s(&r["quote"]));
                let overlaps = cited.iter().any(|(d, l, q)| *d == doc && *l == loc && (q.contains(&quote) || quote.contains(q.as_str())));
                assert!(!overlaps, "{pack} {}: {doc} {loc} {quote:?} is cited and refused as named only", c["id"]);
            }
            for g in c["gaps"].as_array().expect("gaps") {
                for k in g["constraints"].as_array().expect("gap constraints") {
                    let k = k.as_str().expect("id");
                    assert!(!covered.contains(&k), "{pack} {}: gap {} listed although {k} is covered", c["id"], g["id"]);
                }
            }
            // A met clause has at least one constraint evidenced plainly (the weak-evidence rule).
            if c["verdict"] == "met" {
                let plain = c["constraints"]
                    .as_array()
                    .expect("constraints")
                    .iter()
                    .flat_map(|k| k["evidence"].as_array().into_iter().flatten())
                    .any(|e| e["strength"] != "weak");
                assert!(plain, "{pack} {}: met on weak evidence only", c["id"]);
            }
            if c["verdict"] == "partial" {
                let d = c["audit_defense"].as_str().expect("a partial clause has a defense");
                assert!(d.starts_with("Only partly defensible today") && d.contains("Not yet evidenced"), "{pack} {}: {d}", c["id"]);
            }
        }
    }
}
