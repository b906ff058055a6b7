//! Score a review against a labelled pack (`labels.toml`: the truth per clause, with evidence files and
//! traps). Used by `crosswalk eval` and the accuracy tests; works on any pack with that file.

use crate::model::{RejectReason, Verdict};
use crate::review::Review;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
pub struct Labels {
    pub pack: String,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(rename = "clause")]
    pub clauses: Vec<LabelledClause>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LabelledClause {
    pub id: String,
    pub verdict: String,
    #[serde(default)]
    pub evidence: Vec<String>,
    #[serde(default)]
    pub trap: String,
    #[serde(default)]
    pub note: String,
}

impl Labels {
    pub fn load(path: &Path) -> Result<Labels, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))
    }
}

/// Where to review inside a pack: its `docs/` folder when there is one (labels then name paths as
/// `docs/…`), else the pack itself.
pub fn review_root(pack: &Path) -> (std::path::PathBuf, String) {
    let docs = pack.join("docs");
    if docs.is_dir() { (docs, "docs/".to_string()) } else { (pack.to_path_buf(), String::new()) }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClauseScore {
    pub id: String,
    pub expected: String,
    pub got: String,
    pub trap: String,
    pub trap_refused: Option<bool>,
    pub evidence_expected: usize,
    pub evidence_cited: usize,
    pub missed_evidence: Vec<String>,
    /// Documents the review cited for the clause (distinct), and how many of them the labels list.
    pub cited_documents: usize,
    pub cited_labelled: usize,
    /// Per deciding constraint: id, covered, and the best passage's score and document.
    pub constraints: Vec<(String, bool, f64, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub clauses: Vec<ClauseScore>,
    /// Labelled clauses that the catalog does not hold.
    pub not_in_catalog: Vec<String>,
}

fn trap_reason(trap: &str) -> Option<RejectReason> {
    Some(match trap {
        "negated" => RejectReason::Negated,
        "placeholder" => RejectReason::Placeholder,
        "future" => RejectReason::Future,
        "draft" => RejectReason::Draft,
        "superseded" => RejectReason::Superseded,
        "glossary" => RejectReason::Glossary,
        "name-only" | "name_only" => RejectReason::NameOnly,
        "no-text" | "no_text" => RejectReason::NoText,
        _ => return None,
    })
}

/// Compare `review` with `labels`; `prefix` is what the labels put before review-relative paths.
pub fn score(review: &Review, labels: &Labels, prefix: &str) -> Score {
    let mut clauses = Vec::new();
    let mut not_in_catalog = Vec::new();
    for l in &labels.clauses {
        let Some(c) = review.clauses.iter().find(|c| c.id == l.id) else {
            not_in_catalog.push(l.id.clone());
            continue;
        };
        let cited: BTreeSet<String> =
            c.constraints.iter().flat_map(|k| k.evidence.iter().map(|e| format!("{prefix}{}", review.documents[e.doc].path))).collect();
        let missed: Vec<String> = l.evidence.iter().filter(|e| !cited.contains(*e)).cloned().collect();
        let cited_labelled = cited.iter().filter(|c| l.evidence.contains(c)).count();
        let trap_refused = trap_reason(&l.trap).map(|reason| c.verdict != Verdict::Met && c.rejected.iter().any(|r| r.reason == reason));
        clauses.push(ClauseScore {
            id: l.id.clone(),
            expected: l.verdict.clone(),
            got: c.verdict.as_str().to_string(),
            trap: l.trap.clone(),
            trap_refused,
            evidence_expected: l.evidence.len(),
            evidence_cited: l.evidence.len() - missed.len(),
            missed_evidence: missed,
            cited_documents: cited.len(),
            cited_labelled,
            constraints: c
                .constraints
                .iter()
                .filter(|k| k.required)
                .map(|k| {
                    let best = k.evidence.first().or(k.nearest.as_ref());
                    let doc = best.map(|e| review.documents[e.doc].display_id()).unwrap_or_default();
                    (k.id.clone(), k.covered, best.map(|e| e.score).unwrap_or(0.0), doc)
                })
                .collect(),
        });
    }
    Score { clauses, not_in_catalog }
}

impl Score {
    pub fn agreement(&self) -> f64 {
        let n = self.clauses.len().max(1) as f64;
        self.clauses.iter().filter(|c| c.expected == c.got).count() as f64 / n
    }

    /// Clauses labelled missing that the review called met: false assurance.
    pub fn missing_reported_met(&self) -> Vec<&str> {
        self.clauses.iter().filter(|c| c.expected == "missing" && c.got == "met").map(|c| c.id.as_str()).collect()
    }

    pub fn traps(&self) -> (usize, usize) {
        let traps: Vec<&ClauseScore> = self.clauses.iter().filter(|c| c.trap_refused.is_some()).collect();
        (traps.iter().filter(|c| c.trap_refused == Some(true)).count(), traps.len())
    }

    pub fn evidence_recall(&self) -> f64 {
        let expected: usize = self.clauses.iter().map(|c| c.evidence_expected).sum();
        let cited: usize = self.clauses.iter().map(|c| c.evidence_cited).sum();
        if expected == 0 { 1.0 } else { cited as f64 / expected as f64 }
    }

    /// Share of the documents cited (per clause) that the labels list as evidence for that clause.
    pub fn citation_precision(&self) -> f64 {
        let cited: usize = self.clauses.iter().map(|c| c.cited_documents).sum();
        let good: usize = self.clauses.iter().map(|c| c.cited_labelled).sum();
        if cited == 0 { 1.0 } else { good as f64 / cited as f64 }
    }

    /// The figures as JSON (one object per pack in `crosswalk eval --format json`).
    pub fn figures(&self, pack: &str) -> serde_json::Value {
        let (refused, traps) = self.traps();
        serde_json::json!({
            "pack": pack,
            "clauses": self.clauses.len(),
            "accuracy": round3(self.agreement()),
            "false_met": self.missing_reported_met().len(),
            "false_met_clauses": self.missing_reported_met(),
            "traps": traps,
            "traps_refused": refused,
            "evidence_recall": round3(self.evidence_recall()),
            "citation_precision": round3(self.citation_precision()),
        })
    }

    /// A plain-text report of the figures and each disagreement.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let (refused, traps) = self.traps();
        let _ = writeln!(s, "clauses scored: {}", self.clauses.len());
        let _ = writeln!(
            s,
            "verdict agreement: {:.3} ({}/{})",
            self.agreement(),
            self.clauses.iter().filter(|c| c.expected == c.got).count(),
            self.clauses.len()
        );
        let mrm = self.missing_reported_met();
        let _ = writeln!(
            s,
            "labelled missing but reported met: {}{}",
            mrm.len(),
            if mrm.is_empty() { String::new() } else { format!(" ({})", mrm.join(", ")) }
        );
        let _ = writeln!(s, "traps refused: {refused}/{traps}");
        let _ = writeln!(s, "labelled evidence documents cited: {:.3}", self.evidence_recall());
        let _ = writeln!(s, "citation precision (cited documents the labels list): {:.3}", self.citation_precision());
        let _ = writeln!(s, "confusion (expected → got):");
        for e in ["met", "partial", "missing"] {
            let row: Vec<String> = ["met", "partial", "missing", "not_applicable"]
                .iter()
                .map(|g| format!("{g} {}", self.clauses.iter().filter(|c| c.expected == e && c.got == *g).count()))
                .collect();
            let _ = writeln!(s, "  {e:<8} → {}", row.join(", "));
        }
        for c in &self.clauses {
            if c.expected != c.got || c.trap_refused == Some(false) || !c.missed_evidence.is_empty() {
                let _ = writeln!(
                    s,
                    "  {:<7} expected {:<8} got {:<8}{}{}",
                    c.id,
                    c.expected,
                    c.got,
                    match c.trap_refused {
                        Some(true) => format!(" trap {} refused", c.trap),
                        Some(false) => format!(" TRAP {} NOT REFUSED", c.trap),
                        None => String::new(),
                    },
                    if c.missed_evidence.is_empty() { String::new() } else { format!(" missed: {}", c.missed_evidence.join("; ")) }
                );
                if c.expected != c.got {
                    let parts: Vec<String> = c
                        .constraints
                        .iter()
                        .map(|(id, covered, score, doc)| {
                            format!("{}{} {score:.2} {doc}", if *covered { "+" } else { "-" }, id.rsplit('-').next().unwrap_or(id))
                        })
                        .collect();
                    let _ = writeln!(s, "          {}", parts.join(" | "));
                }
            }
        }
        if !self.not_in_catalog.is_empty() {
            let _ = writeln!(s, "labelled clauses not in the catalog: {}", self.not_in_catalog.join(", "));
        }
        s
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
