//! Signal fixtures (`tests/signals/<clause>.toml`): short texts of our own on which each clause's
//! constraints must fire, or must not (optionally with the refusal reason). Every clause of the catalog
//! must have at least one case of each kind.

use crosswalk::catalog::{Catalog, builtin_ids, load_builtin};
use crosswalk::evaluate::{Settings, evaluate};
use crosswalk::model::{DocStatus, Document};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    /// The built-in catalog the clause belongs to (default: clauses 4–9).
    #[serde(default = "default_catalog")]
    catalog: String,
    clause: String,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    constraint: String,
    expect: String,
    #[serde(default)]
    reason: Option<String>,
    text: String,
}

fn default_catalog() -> String {
    "iec-81001-5-1".into()
}

fn document(text: &str) -> Document {
    let (format, extracted) = crosswalk::extract::extract("fixture.md", text.as_bytes()).expect("fixture text extracts");
    Document {
        path: "fixture.md".into(),
        format,
        bytes: text.len() as u64,
        sha256: String::new(),
        status: DocStatus::Ok,
        reason: None,
        extracted,
        origin: Default::default(),
    }
}

fn catalog(id: &str) -> Catalog {
    load_builtin(id).expect("built-in catalog loads")
}

fn fixtures() -> Vec<(String, Fixture)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/signals");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/signals exists") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read fixture");
        let f: Fixture = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((path.display().to_string(), f));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_signal_fixture_behaves() {
    let catalogs: BTreeMap<&str, Catalog> = builtin_ids().into_iter().map(|id| (id, catalog(id))).collect();
    let settings = Settings { product: "FixtureProduct".into(), ..Settings::default() };
    let model = crosswalk::index::embed::Model::get().expect("embedding model");
    let judge = crosswalk::evaluate::Judge::builtin().expect("judge");
    let engine = crosswalk::evaluate::Engine { model, judge: &judge };
    let mut failures = Vec::new();
    let mut n = 0;
    for (file, fixture) in fixtures() {
        let catalog = catalogs.get(fixture.catalog.as_str()).unwrap_or_else(|| panic!("{file}: unknown catalog {}", fixture.catalog));
        assert!(catalog.clause(&fixture.clause).is_some(), "{file}: clause {} not in catalog", fixture.clause);
        for (i, case) in fixture.cases.iter().enumerate() {
            n += 1;
            let review = evaluate(catalog, vec![document(&case.text)], &settings, &engine);
            let clause = review.clauses.iter().find(|c| c.id == fixture.clause).expect("clause in review");
            let Some(result) = clause.constraints.iter().find(|c| c.id == case.constraint) else {
                failures.push(format!("{file} case {i}: no constraint {}", case.constraint));
                continue;
            };
            match case.expect.as_str() {
                // The judge's decision on the constraint: a constraint held open by the clause-level
                // weak-evidence rule was covered by the judge (a lone fixture passage is often weak).
                "covered" if !(result.covered || result.held_weak) => {
                    failures.push(format!("{file} case {i}: {} should be covered by {:?}", case.constraint, case.text.trim()))
                }
                "not_covered" if result.covered => {
                    let quote = result.evidence.first().map(|e| review.quote(e).to_string()).unwrap_or_default();
                    failures.push(format!("{file} case {i}: {} must not be covered; it was, by {quote:?}", case.constraint))
                }
                "not_covered" => {
                    if let Some(reason) = &case.reason {
                        let refused = clause.rejected.iter().any(|r| r.reason.as_str() == reason);
                        if !refused {
                            let got: Vec<&str> = clause.rejected.iter().map(|r| r.reason.as_str()).collect();
                            failures.push(format!("{file} case {i}: {} should be refused as {reason}; refusals: {got:?}", case.constraint));
                        }
                    }
                }
                "covered" => {}
                other => failures.push(format!("{file} case {i}: unknown expect {other:?}")),
            }
        }
    }
    assert!(n > 0, "no fixtures ran");
    assert!(failures.is_empty(), "{} of {n} fixture cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_clause_has_positive_and_negative_fixtures() {
    let mut kinds: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for (_, f) in fixtures() {
        let e = kinds.entry((f.catalog.clone(), f.clause.clone())).or_default();
        for c in &f.cases {
            if c.expect == "covered" { e.0 += 1 } else { e.1 += 1 }
        }
    }
    let mut lacking: Vec<String> = Vec::new();
    for id in builtin_ids() {
        for c in &catalog(id).clauses {
            if kinds.get(&(id.to_string(), c.id.clone())).is_none_or(|(p, n)| *p == 0 || *n == 0) {
                lacking.push(format!("{id} {}", c.id));
            }
        }
    }
    assert!(lacking.is_empty(), "clauses without both a positive and a negative fixture: {lacking:?}");
}
