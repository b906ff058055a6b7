//! The result of a review: per clause the verdict, the constraints with cited evidence, the refused
//! passages, the gaps and the audit-defense text. Evidence and refusals point into the documents (block
//! and byte range), so every quote is cut from extracted text, never retyped.

use crate::catalog::Severity;
use crate::model::{Block, Document, RejectReason, Verdict};
use std::collections::BTreeMap;

/// A cited passage: document index, block index and byte range inside that block's text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    pub doc: usize,
    pub block: usize,
    pub range: std::ops::Range<usize>,
    /// The judge's calibrated score (0–1).
    pub score: f64,
    pub strength: crate::evaluate::Strength,
    pub kind: crate::evaluate::PassageKind,
    /// The terms that matched, one per concept group (for explanations).
    pub matched: Vec<String>,
}

/// A passage (or whole document) that looked like evidence but is not.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rejection {
    pub doc: usize,
    /// `None` for whole-document refusals (name only, no text).
    pub block: Option<usize>,
    pub range: std::ops::Range<usize>,
    pub reason: RejectReason,
    /// The constraint the passage would have evidenced.
    pub constraint: Option<String>,
    /// Refused as negated not for what it says but because the section dedicated to the practice says the
    /// practice is not in place (a passing mention elsewhere does not outweigh it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overruled: bool,
}

impl Rejection {
    /// A few words for this refusal: a passage that only names the subject reads differently from a file
    /// that only matches by name.
    pub fn explain_short(&self) -> &'static str {
        match (self.reason, self.block) {
            (RejectReason::Negated, _) if self.overruled => "outweighed by a section saying it is not in place",
            (RejectReason::NameOnly, Some(_)) => "nearest passage, names the subject only",
            (reason, _) => reason.explain_short(),
        }
    }

    /// A sentence for reports.
    pub fn explain(&self) -> &'static str {
        match (self.reason, self.block) {
            (RejectReason::Negated, _) if self.overruled => {
                "the passage mentions the practice in passing, and the section dedicated to it says it is not in place"
            }
            (RejectReason::NameOnly, Some(_)) => {
                "the passage that came nearest for a constraint nothing covers: it names the subject, but the judge did not read it as the practice carried out (a reviewer may decide otherwise)"
            }
            (reason, _) => reason.explain(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConstraintResult {
    pub id: String,
    pub text: String,
    /// Decides the verdict (stated by the standard); advisory constraints (only inferred) are reported
    /// but do not make a clause partial.
    pub required: bool,
    pub covered: bool,
    pub evidence: Vec<Evidence>,
    /// For a constraint not covered: the unrefused passage that came closest (below the judge's threshold,
    /// or, when `held_weak`, the weak passage that would have covered it).
    pub nearest: Option<Evidence>,
    /// Held open by the weak-evidence rule (`evaluate::verdict::held_open`): every constraint of the clause
    /// rested on weak passages only, and this was the weakest.
    #[serde(default)]
    pub held_weak: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GapFinding {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub remedy: String,
    /// The constraints the gap speaks of (all uncovered when it is listed).
    pub constraints: Vec<String>,
}

impl ClauseResult {
    /// The number parts used for ordering (`5.10` after `5.9`).
    pub fn sort_key(&self) -> Vec<u32> {
        crate::catalog::clause_sort_key(&self.id)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClauseResult {
    pub id: String,
    pub title: String,
    pub verdict: Verdict,
    pub justification: String,
    pub constraints: Vec<ConstraintResult>,
    /// Documents whose path or title matched the clause's FILE_EXISTS pattern.
    pub file_matches: Vec<usize>,
    /// Documents that answered the CONTENT_MATCH question, with their best score.
    pub content_matches: Vec<(usize, f64)>,
    pub rejected: Vec<Rejection>,
    pub gaps: Vec<GapFinding>,
    pub audit_defense: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub clauses: usize,
    pub met: usize,
    pub partial: usize,
    pub missing: usize,
    pub not_applicable: usize,
}

/// A complete review. Times are stamped by the driver; evaluation leaves them empty.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Review {
    pub catalog_id: String,
    pub catalog_title: String,
    pub catalog_version: String,
    pub catalog_sha256: String,
    /// The embedding model that judged, with its sha256.
    pub model: String,
    /// The judge's parameters, with their sha256.
    pub judge: String,
    pub product: String,
    pub product_inferred: bool,
    pub manufacturer: Option<String>,
    /// FDA "cyber device" as declared in the configuration.
    pub cyber_device: Option<bool>,
    pub root: String,
    /// What was reviewed: a folder, an archive, a repository at a commit, a Drive folder.
    #[serde(default)]
    pub source: crate::sources::SourceInfo,
    pub started: String,
    pub finished: String,
    pub documents: Vec<Document>,
    /// Problems met while listing the sources (unreadable folders, links out of the root).
    pub source_problems: Vec<crate::sources::SourceProblem>,
    pub summary: Summary,
    pub clauses: Vec<ClauseResult>,
    /// Per clause id: the user's justification for declaring it not applicable.
    pub not_applicable: BTreeMap<String, String>,
    /// Reviewer decisions, checked against these documents (applied by the face after evaluation).
    #[serde(default)]
    pub decisions: Vec<crate::decisions::Applied>,
}

impl Review {
    /// A stable report number: the same catalog, product, source revision and documents (by path and
    /// content hash) give the same number, so an auditor can name the review and a re-run can be matched.
    pub fn report_number(&self) -> String {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        for part in [&self.catalog_sha256, &self.product, &self.source.kind, &self.source.location] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.update(self.source.revision.as_deref().unwrap_or("").as_bytes());
        for d in &self.documents {
            h.update(d.path.as_bytes());
            h.update([0]);
            h.update(d.sha256.as_bytes());
            h.update([0]);
        }
        let hex = crate::model::hex(&h.finalize());
        format!("CW-{}-{}", &hex[..4], &hex[4..12]).to_uppercase()
    }

    /// What was reviewed, in one line for a report (the source, else the root as given).
    pub fn source_line(&self) -> String {
        let line = self.source.describe();
        if line.is_empty() { self.root.clone() } else { line }
    }

    pub fn block(&self, doc: usize, block: usize) -> Option<&Block> {
        self.documents.get(doc)?.extracted.blocks.get(block)
    }

    /// The verbatim quote of a piece of evidence.
    pub fn quote(&self, e: &Evidence) -> &str {
        self.block(e.doc, e.block).and_then(|b| b.text.get(e.range.clone())).unwrap_or("")
    }

    pub fn rejection_quote(&self, r: &Rejection) -> &str {
        match r.block {
            Some(b) => self.block(r.doc, b).and_then(|b| b.text.get(r.range.clone())).unwrap_or(""),
            None => "",
        }
    }

    pub fn locator(&self, doc: usize, block: Option<usize>) -> String {
        match block.and_then(|b| self.block(doc, b)) {
            Some(b) => b.locator.to_string(),
            None => "whole document".to_string(),
        }
    }

    /// Keep the text of the passages the review cites or refuses, and of `neighbours` passages around each
    /// (what the evidence viewer shows); empty the rest. Block indices stay valid, so every quote and
    /// locator still resolves. A stored review stays small whatever the documents held.
    pub fn compact(&mut self, neighbours: usize) {
        let mut keep: Vec<std::collections::BTreeSet<usize>> = vec![Default::default(); self.documents.len()];
        let mut mark = |doc: usize, block: usize| {
            if let Some(k) = keep.get_mut(doc) {
                k.extend(block.saturating_sub(neighbours)..=block + neighbours);
            }
        };
        for c in &self.clauses {
            for k in &c.constraints {
                for e in k.evidence.iter().chain(k.nearest.iter()) {
                    mark(e.doc, e.block);
                }
            }
            for r in &c.rejected {
                if let Some(b) = r.block {
                    mark(r.doc, b);
                }
            }
        }
        for (d, k) in self.documents.iter_mut().zip(&keep) {
            for (i, b) in d.extracted.blocks.iter_mut().enumerate() {
                if !k.contains(&i) && b.kind != crate::model::BlockKind::Heading {
                    b.text.clear();
                    b.header.clear();
                }
            }
        }
    }

    /// Documents read only in part (a size cap cut them): path and the reason, for coverage statements.
    pub fn cut_documents(&self) -> impl Iterator<Item = (&str, &str)> {
        self.documents.iter().filter_map(|d| d.extracted.cut.as_deref().map(|why| (d.path.as_str(), why)))
    }

    /// Count of refused passages by reason, over all clauses (distinct passages).
    pub fn refusals_by_reason(&self) -> BTreeMap<RejectReason, usize> {
        let mut seen = std::collections::BTreeSet::new();
        let mut counts = BTreeMap::new();
        for c in &self.clauses {
            for r in &c.rejected {
                if seen.insert((r.doc, r.block, r.reason)) {
                    *counts.entry(r.reason).or_insert(0) += 1;
                }
            }
        }
        counts
    }
}
