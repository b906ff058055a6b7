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
    /// The document's revision at its source before → after ("revision 40 → 41", "commit 1a2b → 3c4d"),
    /// when both reviews name one and they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revisions: Option<String>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct DocumentChange {
    pub path: String,
    pub change: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revisions: Option<String>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Diff {
    pub schema: &'static str,
    pub old: String,
    pub new: String,
    pub verdicts: Vec<VerdictChange>,
    pub evidence: Vec<EvidenceChange>,
    pub documents: Vec<DocumentChange>,
    /// Reviewer decisions that the newer review found resting on changed documents.
    pub suspect: Vec<SuspectDecision>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct SuspectDecision {
    pub clause: String,
    pub by: String,
    pub at: String,
    pub changes: Vec<String>,
}

/// Decisions suspect in `new` that were not suspect (or not there) in `old`.
fn made_suspect(old: &Value, new: &Value) -> Vec<SuspectDecision> {
    let was_suspect = |clause: &str, at: &str| {
        old["clauses"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["id"] == clause && c["decision"]["at"] == at && c["decision"]["suspect"].as_bool() == Some(true))
    };
    new["clauses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let d = &c["decision"];
            let (clause, at) = (c["id"].as_str()?, d["at"].as_str()?);
            (d["suspect"].as_bool() == Some(true) && !was_suspect(clause, at)).then(|| SuspectDecision {
                clause: clause.to_string(),
                by: d["by"].as_str().unwrap_or("").to_string(),
                at: at.to_string(),
                changes: d["changes"].as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            })
        })
        .collect()
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

/// The revision of a document at its source (`origin` in the report): a git commit or a Drive revision.
fn source_revision(d: &Value) -> Option<(&'static str, String)> {
    let o = &d["origin"];
    match o["kind"].as_str()? {
        "git" => o["commit"].as_str().map(|c| ("commit", c.chars().take(12).collect())),
        "gdrive" => o["revision"].as_str().or_else(|| o["modified"].as_str()).map(|r| ("revision", r.to_string())),
        _ => None,
    }
}

/// "revision 40 → 41" when both sides name a source revision and they differ.
fn revisions(old: Option<&&Value>, new: Option<&&Value>) -> Option<String> {
    let (a, b) = (source_revision(old?)?, source_revision(new?)?);
    (a.1 != b.1).then(|| format!("{} {} → {}", a.0, a.1, b.1))
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
        Some(other) => Err(DiffError { file: file.into(), message: format!("not a crosswalk.review/1 report (its schema is {other})") }),
        None => Err(DiffError { file: file.into(), message: "not a crosswalk.review/1 report (it has no schema field)".into() }),
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
                revisions: revisions(old_docs.get(lost), new_docs.get(lost)),
            });
        }
        for gained in after.difference(&before) {
            evidence.push(EvidenceChange {
                clause: id.into(),
                name: name(new_docs.get(gained), gained),
                document: gained.clone(),
                change: "gained",
                revisions: revisions(old_docs.get(gained), new_docs.get(gained)),
            });
        }
    }
    let mut documents = Vec::new();
    for (path, d) in &new_docs {
        match old_docs.get(path) {
            None => documents.push(DocumentChange { path: path.clone(), change: "added", revisions: None }),
            Some(o) if o["sha256"] != d["sha256"] => {
                documents.push(DocumentChange { path: path.clone(), change: "changed", revisions: revisions(Some(o), Some(d)) })
            }
            _ => {}
        }
    }
    for path in old_docs.keys().filter(|p| !new_docs.contains_key(*p)) {
        documents.push(DocumentChange { path: path.clone(), change: "removed", revisions: None });
    }
    let suspect = made_suspect(old, new);
    Ok(Diff { schema: "crosswalk.diff/1", old: old_name.into(), new: new_name.into(), verdicts, evidence, documents, suspect })
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.verdicts.is_empty() && self.evidence.is_empty() && self.documents.is_empty() && self.suspect.is_empty()
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
                match &e.revisions {
                    Some(r) => writeln!(s, "  {}: {r}, {verb} {}", e.name, e.clause),
                    None => writeln!(s, "  {} {verb} {}", e.name, e.clause),
                }
                .ok();
            }
        }
        if !self.suspect.is_empty() {
            let _ = writeln!(s, "\nReviewer decisions made suspect (decide again):");
            for d in &self.suspect {
                let _ = writeln!(s, "  {} ({}, {}): {}", d.clause, d.by, d.at, d.changes.join("; "));
            }
        }
        if !self.documents.is_empty() {
            let _ = writeln!(s, "\nDocuments:");
            for d in &self.documents {
                match &d.revisions {
                    Some(r) => writeln!(s, "  {}: {} ({r})", d.change, d.path),
                    None => writeln!(s, "  {}: {}", d.change, d.path),
                }
                .ok();
            }
        }
        s
    }
}
