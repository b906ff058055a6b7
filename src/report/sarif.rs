//! SARIF 2.1.0 for code-scanning UIs: one rule per catalog gap, one result per gap found. Rule ids are
//! the catalog's gap ids (stable across runs); every result has a location — the first document cited for
//! the clause, or the sentinel GitHub accepts for "no document" — and a partial fingerprint.

use crate::catalog::{Catalog, FRAMEWORKS, Severity};
use crate::model::Locator;
use crate::review::Review;
use serde_json::{Value, json};

pub const NO_FILE: &str = "no file associated with this alert";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "error",
        Severity::Major => "warning",
        Severity::Minor => "note",
    }
}

pub fn render(review: &Review, catalog: &Catalog) -> String {
    let mut rules = Vec::new();
    let mut rule_index = std::collections::BTreeMap::new();
    for clause in &catalog.clauses {
        let tags: Vec<String> = std::iter::once(format!("{} {}", catalog.title, clause.id))
            .chain(
                FRAMEWORKS
                    .iter()
                    .flat_map(|(key, name)| clause.crosswalk.get(*key).into_iter().flatten().map(move |r| format!("{name} {r}"))),
            )
            .take(20)
            .collect();
        for g in &clause.gaps {
            rule_index.insert(g.id.clone(), rules.len());
            rules.push(json!({
                "id": g.id,
                "name": format!("Clause{}", clause.id.replace('.', "_")),
                "shortDescription": {"text": format!("{} {}: {}", clause.id, clause.title, g.title)},
                "fullDescription": {"text": g.description},
                "help": {"text": format!("What to do: {}", g.remedy)},
                "defaultConfiguration": {"level": level(g.severity)},
                "properties": {"tags": tags, "severity": g.severity.as_str(), "clause": clause.id}
            }));
        }
    }
    let mut results = Vec::new();
    for c in &review.clauses {
        // Anchor the gap at the first cited document (partial) or the first name match, else the sentinel.
        let anchor = c
            .constraints
            .iter()
            .flat_map(|k| k.evidence.iter())
            .next()
            .map(|e| (e.doc, Some(e.block)))
            .or_else(|| c.file_matches.first().map(|d| (*d, None)));
        let location = match anchor {
            Some((doc, block)) => {
                let line = block.and_then(|b| review.block(doc, b)).and_then(|b| match &b.locator {
                    Locator::Section { line: Some(l), .. } | Locator::Line { line: l } => Some(*l),
                    _ => None,
                });
                let mut physical = json!({"artifactLocation": {"uri": super::uri_path(&review.documents[doc].path)}, "region": {"startLine": line.unwrap_or(1)}});
                if line.is_none() {
                    physical["region"]["message"] = json!({"text": review.locator(doc, block)});
                }
                json!({"physicalLocation": physical})
            }
            None => json!({"physicalLocation": {"artifactLocation": {"uri": NO_FILE}, "region": {"startLine": 1}}}),
        };
        let uri = location["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap_or(NO_FILE).to_string();
        for g in &c.gaps {
            let mut result = json!({
                "ruleId": g.id,
                "kind": "fail",
                "level": level(g.severity),
                "message": {"text": format!("{} {} is {}: {}. {}", c.id, c.title, c.verdict.as_str(), g.title, c.justification)},
                "locations": [location.clone()],
                "partialFingerprints": {"crosswalk/v1": format!("{}:{}", g.id, review.product)},
                "properties": {"clause": c.id, "verdict": c.verdict.as_str(), "severity": g.severity.as_str(), "anchor": uri}
            });
            if let Some(i) = rule_index.get(&g.id) {
                result["ruleIndex"] = json!(i);
            }
            results.push(result);
        }
    }
    let artifacts: Vec<Value> = review
        .documents
        .iter()
        .filter(|d| !d.sha256.is_empty())
        .map(|d| json!({"location": {"uri": super::uri_path(&d.path)}, "length": d.bytes, "hashes": {"sha-256": d.sha256}}))
        .collect();
    let v = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "crosswalk",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://crosswalk.invalid/",
                "rules": rules,
                "properties": {"catalog": catalog.id, "catalogVersion": catalog.version, "catalogSha256": review.catalog_sha256}
            }},
            "invocations": [{"executionSuccessful": true, "startTimeUtc": review.started, "endTimeUtc": review.finished}],
            "artifacts": artifacts,
            "results": results,
            "properties": {"product": review.product}
        }]
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
