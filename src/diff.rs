//! Compare two reviews (`crosswalk.review/1` JSON files): verdict changes, evidence gained or lost per
//! clause ("SOP-012 rev 14 no longer evidences 5.5.1"), documents added, removed or changed.

use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Serialize, PartialEq)]
pub struct VerdictChange {
    pub clause: String,
    pub title: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct EvidenceChange {
    pub clause: String,
    pub document: String,
    /// "SOP-012 rev 14" style name.
    pub name: String,
    pub change: &'static str,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct DocumentChange {
    pub path: String,
    pub change: &'static str,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Diff {
    pub schema: &'static str,
    pub old: String,
    pub new: String,
    pub verdicts: Vec<VerdictChange>,
    pub evidence: Vec<EvidenceChange>,
    pub documents: Vec<DocumentChange>,
}

#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct DiffError {
    pub file: String,
    pub message: String,
}

fn docs(v: &Value) -> BTreeMap<String, &Value> {
    v["documents"].as_array().into_iter().flatten().filter_map(|d| Some((d["path"].as_str()?.to_string(), d))).collect()
}

fn name(doc: Option<&&Value>, path: &str) -> String {
    let Some(d) = doc else { return path.to_string() };
    let id = d["doc_id"].as_str().unwrap_or(path);
    match d["revision"].as_str() {
        Some(r) => format!("{id} rev {r}"),
        None => id.to_string(),
    }
}

fn cited(clause: &Value) -> BTreeSet<String> {
    clause["constraints"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|k| k["evidence"].as_array().into_iter().flatten().filter_map(|e| e["document"].as_str().map(str::to_string)))
        .collect()
}

fn check(v: &Value, file: &str) -> Result<(), DiffError> {
    match v["schema"].as_str() {
        Some("crosswalk.review/1") => Ok(()),
        other => Err(DiffError { file: file.into(), message: format!("not a crosswalk.review/1 report (schema {other:?})") }),
    }
}

pub fn diff(old: &Value, new: &Value, old_name: &str, new_name: &str) -> Result<Diff, DiffError> {
    check(old, old_name)?;
    check(new, new_name)?;
    let (old_docs, new_docs) = (docs(old), docs(new));
    let old_clauses: BTreeMap<&str, &Value> =
        old["clauses"].as_array().into_iter().flatten().filter_map(|c| Some((c["id"].as_str()?, c))).collect();
    let mut verdicts = Vec::new();
    let mut evidence = Vec::new();
    for c in new["clauses"].as_array().into_iter().flatten() {
        let Some(id) = c["id"].as_str() else { continue };
        let new_verdict = c["verdict"].as_str().unwrap_or("");
        let Some(o) = old_clauses.get(id) else {
            verdicts.push(VerdictChange {
                clause: id.into(),
                title: c["title"].as_str().unwrap_or("").into(),
                old: "absent".into(),
                new: new_verdict.into(),
            });
            continue;
        };
        let old_verdict = o["verdict"].as_str().unwrap_or("");
        if old_verdict != new_verdict {
            verdicts.push(VerdictChange {
                clause: id.into(),
                title: c["title"].as_str().unwrap_or("").into(),
                old: old_verdict.into(),
                new: new_verdict.into(),
            });
        }
        let (before, after) = (cited(o), cited(c));
        for lost in before.difference(&after) {
            evidence.push(EvidenceChange {
                clause: id.into(),
                name: name(old_docs.get(lost), lost),
                document: lost.clone(),
                change: "lost",
            });
        }
        for gained in after.difference(&before) {
            evidence.push(EvidenceChange {
                clause: id.into(),
                name: name(new_docs.get(gained), gained),
                document: gained.clone(),
                change: "gained",
            });
        }
    }
    let mut documents = Vec::new();
    for (path, d) in &new_docs {
        match old_docs.get(path) {
            None => documents.push(DocumentChange { path: path.clone(), change: "added" }),
            Some(o) if o["sha256"] != d["sha256"] => documents.push(DocumentChange { path: path.clone(), change: "changed" }),
            _ => {}
        }
    }
    for path in old_docs.keys().filter(|p| !new_docs.contains_key(*p)) {
        documents.push(DocumentChange { path: path.clone(), change: "removed" });
    }
    Ok(Diff { schema: "crosswalk.diff/1", old: old_name.into(), new: new_name.into(), verdicts, evidence, documents })
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.verdicts.is_empty() && self.evidence.is_empty() && self.documents.is_empty()
    }

    pub fn render_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(s, "crosswalk diff {} → {}", self.old, self.new);
        if self.is_empty() {
            let _ = writeln!(s, "No change in verdicts, evidence or documents.");
            return s;
        }
        if !self.verdicts.is_empty() {
            let _ = writeln!(s, "\nVerdicts changed:");
            for v in &self.verdicts {
                let _ = writeln!(s, "  {} {}: {} → {}", v.clause, v.title, v.old, v.new);
            }
        }
        if !self.evidence.is_empty() {
            let _ = writeln!(s, "\nEvidence:");
            for e in &self.evidence {
                let verb = if e.change == "lost" { "no longer evidences" } else { "now evidences" };
                let _ = writeln!(s, "  {} {verb} {}", e.name, e.clause);
            }
        }
        if !self.documents.is_empty() {
            let _ = writeln!(s, "\nDocuments:");
            for d in &self.documents {
                let _ = writeln!(s, "  {}: {}", d.change, d.path);
            }
        }
        s
    }
}
