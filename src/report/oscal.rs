//! OSCAL 1.2 JSON: the catalog (controls with statement, guidance and one assessment objective per
//! constraint), the crosswalks as a mapping-collection, and a review as assessment-results (one finding
//! per clause, observations citing document and locator, back-matter resources with SHA-256). IDs are
//! NCName tokens (`iec81001-5.5.1`); UUIDs are v5 from stable keys, so the same review gives the same ids.

use crate::catalog::{Catalog, Clause, FRAMEWORKS};
use crate::model::{DocStatus, Verdict};
use crate::review::Review;
use serde_json::{Value, json};
use uuid::Uuid;

pub const OSCAL_VERSION: &str = "1.2.1";

/// Namespace for our v5 UUIDs.
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_1c5e_4b0e_4f7d_9a57_2f0f_3c6a_9b11);

fn uuid(key: &str) -> String {
    Uuid::new_v5(&NAMESPACE, key.as_bytes()).to_string()
}

/// The control id of a clause: an NCName token (`5.5.1` is not one).
pub fn control_id(clause_id: &str) -> String {
    format!("iec81001-{clause_id}")
}

/// Any label as an NCName token.
fn token(prefix: &str, label: &str) -> String {
    let body: String = label.chars().map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    format!("{prefix}-{}", body.trim_matches('_'))
}

/// OSCAL strings must be non-empty and carry no surrounding whitespace.
fn text(s: &str, fallback: &str) -> String {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() { fallback.to_string() } else { t }
}

fn metadata(title: &str, last_modified: &str, version: &str) -> Value {
    json!({ "title": text(title, "crosswalk"), "last-modified": last_modified, "version": text(version, "1"), "oscal-version": OSCAL_VERSION })
}

fn control(clause: &Clause) -> Value {
    let cid = control_id(&clause.id);
    let mut props = vec![
        json!({"name": "label", "value": clause.id}),
        json!({"name": "confidence", "ns": "https://crosswalk.invalid/ns/oscal", "value": clause.confidence.as_str()}),
        json!({"name": "title-status", "ns": "https://crosswalk.invalid/ns/oscal", "value": clause.title_status.as_str()}),
    ];
    for (key, _) in FRAMEWORKS {
        for r in clause.crosswalk.get(*key).into_iter().flatten() {
            props.push(json!({"name": format!("crosswalk-{key}"), "ns": "https://crosswalk.invalid/ns/oscal", "value": r}));
        }
    }
    let mut parts = vec![
        json!({"id": format!("{cid}_smt"), "name": "statement", "prose": text(&clause.requirement, clause.title.as_str())}),
        json!({"id": format!("{cid}_gdn"), "name": "guidance", "prose": text(&clause.context, clause.title.as_str())}),
    ];
    for c in &clause.constraints {
        let suffix = c.id.rsplit('-').next().unwrap_or("c");
        parts.push(json!({
            "id": format!("{cid}_obj.{suffix}"),
            "name": "assessment-objective",
            "props": [{"name": "label", "value": c.id}, {"name": "confidence", "ns": "https://crosswalk.invalid/ns/oscal", "value": c.confidence.as_str()}],
            "prose": text(&c.text, &c.id)
        }));
    }
    json!({ "id": cid, "title": clause.title, "props": props, "parts": parts })
}

/// `crosswalk catalog export --format oscal`.
pub fn catalog(catalog: &Catalog, now: &str) -> String {
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for c in &catalog.clauses {
        let top = c.id.split('.').next().unwrap_or("0").to_string();
        if groups.last().is_none_or(|g| g.0 != top) {
            groups.push((top.clone(), vec![]));
        }
        if let Some(g) = groups.last_mut() {
            g.1.push(control(c));
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(top, controls)| {
            let title = catalog.groups.get(&top).cloned().unwrap_or_else(|| format!("Clause {top}"));
            json!({"id": format!("iec81001-g{top}"), "title": title, "controls": controls})
        })
        .collect();
    let v = json!({ "catalog": {
        "uuid": uuid(&format!("catalog:{}:{}", catalog.id, catalog.sha256)),
        "metadata": metadata(&format!("{} — paraphrased requirement set (crosswalk)", catalog.title), now, &catalog.version),
        "groups": groups,
        "back-matter": { "resources": [ { "uuid": uuid(&format!("notice:{}", catalog.id)), "title": "Notice", "description": text(&catalog.notice, "Paraphrased requirement set.") } ] }
    }});
    pretty(&v)
}

/// `crosswalk catalog export --format oscal-mapping`: one mapping per framework.
pub fn mapping_collection(catalog: &Catalog, now: &str) -> String {
    let cat_uuid = uuid(&format!("catalog:{}:{}", catalog.id, catalog.sha256));
    let mut mappings = Vec::new();
    for (key, name) in FRAMEWORKS {
        let maps: Vec<Value> = catalog
            .clauses
            .iter()
            .flat_map(|c| {
                c.crosswalk.get(*key).into_iter().flatten().map(move |r| {
                    json!({
                        "uuid": uuid(&format!("map:{key}:{}:{r}", c.id)),
                        "relationship": "intersects-with",
                        "sources": [{"type": "control", "id-ref": control_id(&c.id)}],
                        "targets": [{"type": "control", "id-ref": token(key, r)}],
                        "remarks": format!("{} {} ↔ {name} {r}", catalog.title, c.id)
                    })
                })
            })
            .collect();
        if maps.is_empty() {
            continue;
        }
        mappings.push(json!({
            "uuid": uuid(&format!("mapping:{}:{key}", catalog.id)),
            "source-resource": {"type": "catalog", "href": format!("#{cat_uuid}")},
            "target-resource": {"type": "catalog", "href": format!("urn:crosswalk:framework:{key}")},
            "maps": maps
        }));
    }
    let v = json!({ "mapping-collection": {
        "uuid": uuid(&format!("mappings:{}:{}", catalog.id, catalog.sha256)),
        "metadata": metadata(&format!("{} crosswalks (crosswalk)", catalog.title), now, &catalog.version),
        "provenance": {
            "method": "human",
            "matching-rationale": "semantic",
            "status": "draft",
            "mapping-description": "Clause-level crosswalk maintained with the crosswalk catalog; topical matches from public sources, not official mappings. IEC 62443-4-1 links are inferred (Annex D of IEC 81001-5-1 not read)."
        },
        "mappings": mappings
    }});
    pretty(&v)
}

/// `crosswalk review --format oscal`: assessment-results.
pub fn assessment_results(review: &Review) -> String {
    let run_key = format!("{}:{}:{}", review.catalog_sha256, review.root, review.started);
    let tool_uuid = uuid("component:crosswalk");
    let platform_uuid = uuid("platform:crosswalk");
    let doc_uuid = |i: usize| uuid(&format!("doc:{}:{}", review.documents[i].sha256, review.documents[i].path));
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    for c in &review.clauses {
        let cid = control_id(&c.id);
        let mut evidence = Vec::new();
        for k in &c.constraints {
            for e in &k.evidence {
                let d = &review.documents[e.doc];
                evidence.push(json!({
                    "href": format!("#{}", doc_uuid(e.doc)),
                    "description": text(&format!("{} ({}), {}: “{}” — evidences {}", d.display_id(), d.path, review.locator(e.doc, Some(e.block)), review.quote(e), k.id), "evidence")
                }));
            }
        }
        let obs_uuid = uuid(&format!("observation:{run_key}:{}", c.id));
        let mut obs = json!({
            "uuid": obs_uuid,
            "title": format!("Evidence examined for {}", c.id),
            "description": text(&format!("{} of {} constraints of {} {} are evidenced by the documents reviewed.", c.constraints.iter().filter(|k| k.covered).count(), c.constraints.len(), c.id, c.title), "Evidence examined."),
            "methods": ["EXAMINE"],
            "types": ["control-objective"],
            "origins": [{"actors": [{"type": "tool", "actor-uuid": tool_uuid}]}],
            "collected": review.finished
        });
        if !evidence.is_empty() {
            obs["relevant-evidence"] = Value::Array(evidence);
        }
        observations.push(obs);
        let (state, reason) = match c.verdict {
            Verdict::Met => ("satisfied", "pass"),
            Verdict::Partial | Verdict::Missing => ("not-satisfied", "fail"),
            Verdict::NotApplicable => ("not-satisfied", "other"),
        };
        let mut finding = json!({
            "uuid": uuid(&format!("finding:{run_key}:{}", c.id)),
            "title": format!("{} {}: {}", c.id, c.title, c.verdict.as_str()),
            "description": text(&c.justification, c.verdict.as_str()),
            "props": [{"name": "verdict", "ns": "https://crosswalk.invalid/ns/oscal", "value": c.verdict.as_str()}],
            "target": {"type": "statement-id", "target-id": format!("{cid}_smt"), "status": {"state": state, "reason": reason}},
            "origins": [{"actors": [{"type": "tool", "actor-uuid": tool_uuid}]}],
            "related-observations": [{"observation-uuid": obs_uuid}]
        });
        if !c.gaps.is_empty() {
            let gaps: Vec<String> = c.gaps.iter().map(|g| format!("{} ({}): {}", g.title, g.severity.as_str(), g.remedy)).collect();
            finding["remarks"] = Value::String(text(&format!("Gaps: {}", gaps.join(" | ")), "Gaps."));
        }
        findings.push(finding);
    }
    let resources: Vec<Value> = review
        .documents
        .iter()
        .enumerate()
        .filter(|(_, d)| d.status == DocStatus::Ok && !d.sha256.is_empty())
        .map(|(i, d)| {
            let mut props = vec![json!({"name": "format", "ns": "https://crosswalk.invalid/ns/oscal", "value": d.format.as_str()})];
            if let Some(id) = &d.extracted.meta.doc_id {
                props.push(json!({"name": "document-id", "ns": "https://crosswalk.invalid/ns/oscal", "value": id}));
            }
            if let Some(rev) = &d.extracted.meta.revision {
                props.push(json!({"name": "revision", "ns": "https://crosswalk.invalid/ns/oscal", "value": rev}));
            }
            props.push(json!({"name": "state", "ns": "https://crosswalk.invalid/ns/oscal", "value": d.extracted.meta.state.as_str()}));
            json!({
                "uuid": doc_uuid(i),
                "title": text(&d.path, "document"),
                "props": props,
                "rlinks": [{"href": super::uri_path(&d.path), "hashes": [{"algorithm": "SHA-256", "value": d.sha256}]}]
            })
        })
        .collect();
    let controls: Vec<Value> = review.clauses.iter().map(|c| json!({"control-id": control_id(&c.id)})).collect();
    let v = json!({ "assessment-results": {
        "uuid": uuid(&format!("ar:{run_key}")),
        "metadata": metadata(&format!("{} review of {} documentation (crosswalk)", review.catalog_title, review.product), &review.finished, "1"),
        "import-ap": {"href": "#assessment-plan-not-provided"},
        "results": [{
            "uuid": uuid(&format!("result:{run_key}")),
            "title": format!("crosswalk review {}", review.finished),
            "description": "Automated document review against the paraphrased catalog; every finding requires confirmation by a qualified reviewer.",
            "start": review.started,
            "end": review.finished,
            "local-definitions": {
                "components": [{"uuid": tool_uuid, "type": "software", "title": format!("crosswalk {}", env!("CARGO_PKG_VERSION")), "description": "Document review tool", "status": {"state": "operational"}}],
                "assessment-assets": {"assessment-platforms": [{"uuid": platform_uuid, "title": "crosswalk", "uses-components": [{"component-uuid": tool_uuid}]}]}
            },
            "reviewed-controls": {"control-selections": [{"include-controls": controls}]},
            "observations": observations,
            "findings": findings
        }],
        "back-matter": {"resources": resources}
    }});
    pretty(&v)
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_tokens_and_uuids_are_v5() {
        assert_eq!(control_id("5.5.1"), "iec81001-5.5.1");
        assert_eq!(token("fda-premarket", "V.A.4(b)"), "fda-premarket-V.A.4_b");
        assert_eq!(token("fda-premarket", "App. 1 D"), "fda-premarket-App._1_D");
        let u = uuid("x");
        assert_eq!(u.as_bytes()[14], b'5');
    }
}
