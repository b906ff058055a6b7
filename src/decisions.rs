//! Reviewer decisions: a person confirms or overrides a clause's machine verdict with a reason, and accepts or
//! rejects cited passages. A decision records the documents it rests on with their SHA-256 at the time; when a
//! later review reads different bytes for one of them (or no longer finds it), the decision is **suspect**
//! and every report says so. Both faces share one format: a TOML decisions file (`--decisions FILE`, or
//! `crosswalk-decisions.toml` in a reviewed folder) for the CLI, the same records in SQLite for the web app,
//! which downloads them as that file. crosswalk never writes a decisions file into a reviewed folder.

use crate::model::Verdict;
use crate::review::Review;
use std::collections::BTreeMap;
use std::path::Path;

/// The name looked for in a reviewed folder.
pub const FILE_NAME: &str = "crosswalk-decisions.toml";

/// One person's decision on one clause.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Decision {
    pub clause: String,
    /// The reviewer's verdict; equal to `machine-verdict` for a confirmation.
    pub verdict: Verdict,
    /// What the tool said when the decision was taken.
    pub machine_verdict: Verdict,
    pub reason: String,
    pub by: String,
    /// RFC 3339.
    pub at: String,
    /// The documents the decision rests on, with their SHA-256 when it was taken.
    #[serde(default, rename = "evidence")]
    pub evidence: Vec<EvidenceRef>,
    /// Cited passages the reviewer accepted or rejected.
    #[serde(default, rename = "passage")]
    pub passages: Vec<PassageDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRef {
    pub document: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassageDecision {
    pub document: String,
    pub locator: String,
    pub accept: bool,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionsFile {
    #[serde(default, rename = "decision")]
    pub decisions: Vec<Decision>,
}

/// A decision as it stands against one review.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Applied {
    pub decision: Decision,
    /// A document it rests on changed or is gone since the decision was taken.
    pub suspect: bool,
    /// Which documents, and how ("changed", "no longer present").
    pub changes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DecisionsError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
}

impl DecisionsFile {
    pub fn load(path: &Path) -> Result<DecisionsFile, DecisionsError> {
        let err = |message: String| DecisionsError::Read { path: path.display().to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let file: DecisionsFile = toml::from_str(&text).map_err(|e| err(e.message().to_string()))?;
        for d in &file.decisions {
            if d.reason.trim().is_empty() || d.by.trim().is_empty() {
                return Err(err(format!("decision on {}: a reason and a name (`by`) are required", d.clause)));
            }
        }
        Ok(file)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// The documents a decision on `clause` rests on: every document cited for it, with its hash now.
pub fn evidence_of(review: &Review, clause: &str) -> Vec<EvidenceRef> {
    let Some(c) = review.clauses.iter().find(|c| c.id == clause) else { return vec![] };
    let mut docs: Vec<usize> = c.constraints.iter().flat_map(|k| k.evidence.iter().map(|e| e.doc)).collect();
    docs.sort_unstable();
    docs.dedup();
    docs.into_iter()
        .filter_map(|i| review.documents.get(i))
        .map(|d| EvidenceRef { document: d.path.clone(), sha256: d.sha256.clone() })
        .collect()
}

/// The latest decision per clause, checked against the documents of `review`.
pub fn apply(file: &DecisionsFile, review: &Review) -> Vec<Applied> {
    let now: BTreeMap<&str, &str> = review.documents.iter().map(|d| (d.path.as_str(), d.sha256.as_str())).collect();
    let mut latest: BTreeMap<&str, &Decision> = BTreeMap::new();
    for d in &file.decisions {
        if review.clauses.iter().any(|c| c.id == d.clause) && latest.get(d.clause.as_str()).is_none_or(|l| l.at <= d.at) {
            latest.insert(&d.clause, d);
        }
    }
    let mut out: Vec<Applied> = latest
        .into_values()
        .map(|d| {
            let changes: Vec<String> = d
                .evidence
                .iter()
                .filter_map(|e| match now.get(e.document.as_str()) {
                    None => Some(format!("{}: no longer present", e.document)),
                    Some(sha) if *sha != e.sha256 => Some(format!("{}: changed since the decision", e.document)),
                    Some(_) => None,
                })
                .collect();
            Applied { decision: d.clone(), suspect: !changes.is_empty(), changes }
        })
        .collect();
    out.sort_by_key(|a| crate::catalog::clause_sort_key(&a.decision.clause));
    out
}

impl Review {
    /// The reviewer's decision on a clause, if any.
    pub fn decision(&self, clause: &str) -> Option<&Applied> {
        self.decisions.iter().find(|a| a.decision.clause == clause)
    }
}
