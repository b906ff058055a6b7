//! The `crosswalk.review/1` JSON contract (`shared/contracts/review-json.md`). The only module that knows
//! its shape: internal types may change behind it. Fields may be added; changing a meaning bumps the schema.

use crate::review::Review;
use serde::Serialize;

pub const SCHEMA: &str = "crosswalk.review/1";

#[derive(Serialize)]
struct Out<'a> {
    schema: &'static str,
    /// A stable number for the review: the same catalog, product, source revision and documents give the same
    /// number.
    report_number: String,
    tool: Tool,
    catalog: Cat<'a>,
    /// The embedding model and the judge's parameters that decided, each with its sha256.
    judgment: Judgment<'a>,
    product: &'a str,
    started: &'a str,
    finished: &'a str,
    root: &'a str,
    /// What was reviewed: `kind` folder | zip | git | gdrive, `location`, and for git the `reference` as
    /// named and the commit it resolved to (`revision`).
    source: &'a crate::sources::SourceInfo,
    documents: Vec<Doc<'a>>,
    /// Entries of the source that were not read at all (links out of the root, loops, pipes …).
    skipped: &'a [crate::sources::SourceProblem],
    summary: Sum,
    clauses: Vec<Clause<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Cat<'a> {
    id: &'a str,
    title: &'a str,
    version: &'a str,
    sha256: &'a str,
}

#[derive(Serialize)]
struct Judgment<'a> {
    model: &'a str,
    judge: &'a str,
}

#[derive(Serialize)]
struct Doc<'a> {
    path: &'a str,
    format: &'static str,
    bytes: u64,
    sha256: &'a str,
    status: &'static str,
    reason: Option<&'a str>,
    doc_id: Option<&'a str>,
    title: Option<&'a str>,
    revision: Option<&'a str>,
    state: &'static str,
    chars: usize,
    /// The engine that read the text, where there is a choice (PDF).
    #[serde(skip_serializing_if = "Option::is_none")]
    extractor: Option<&'a str>,
    /// Why only part of the document was read, when a size cap cut it.
    #[serde(skip_serializing_if = "Option::is_none")]
    cut: Option<&'a str>,
    /// Where the bytes came from, for sources other than a plain folder: zip (archive, entry), git (commit,
    /// blob, path) or gdrive (file_id, revision, modified, link, exported_as).
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'a crate::model::Origin>,
}

#[derive(Serialize)]
struct Sum {
    clauses: usize,
    met: usize,
    partial: usize,
    missing: usize,
    not_applicable: usize,
}

#[derive(Serialize)]
struct Clause<'a> {
    id: &'a str,
    title: &'a str,
    verdict: &'static str,
    justification: &'a str,
    /// The constraints that decide the verdict (met = every one covered).
    constraints: Vec<Constraint<'a>>,
    /// Constraints we only inferred (from IEC 62443-4-1 or the title): checked and reported, never
    /// deciding the verdict.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisory_constraints: Vec<Constraint<'a>>,
    signals: Vec<Signal<'a>>,
    rejected: Vec<Rejected<'a>>,
    gaps: Vec<Gap<'a>>,
    audit_defense: Option<&'a str>,
    /// The reviewer's decision on this clause, with `suspect` when a document it rests on changed since.
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<DecisionOut<'a>>,
}

#[derive(Serialize)]
struct DecisionOut<'a> {
    verdict: &'static str,
    machine_verdict: &'static str,
    reason: &'a str,
    by: &'a str,
    at: &'a str,
    suspect: bool,
    changes: &'a [String],
    passages: &'a [crate::decisions::PassageDecision],
}

#[derive(Serialize)]
struct Constraint<'a> {
    id: &'a str,
    text: &'a str,
    status: &'static str,
    evidence: Vec<Ev<'a>>,
    /// Present (true) when the judge covered the constraint but the weak-evidence rule held it open: every
    /// constraint of the clause matched weakly only, and this was the weakest.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    held_open_weak: bool,
}

#[derive(Serialize)]
struct Ev<'a> {
    document: &'a str,
    locator: String,
    quote: &'a str,
    score: f64,
    /// strong | moderate | weak, from the judge's calibrated score.
    strength: &'static str,
    /// procedure | record | table row | reference | definition | fragment.
    passage: &'static str,
    /// The revision of the document at its source (git commit, Drive revision), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    source_revision: Option<&'a str>,
    /// A link to the document at its source (Drive), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Signal<'a> {
    FileExists { pattern: &'a str, matches: Vec<&'a str> },
    ContentMatch { question: &'a str, matches: Vec<Scored<'a>> },
}

#[derive(Serialize)]
struct Scored<'a> {
    document: &'a str,
    score: f64,
}

#[derive(Serialize)]
struct Rejected<'a> {
    document: &'a str,
    locator: String,
    quote: &'a str,
    reason: &'static str,
}

#[derive(Serialize)]
struct Gap<'a> {
    id: &'a str,
    title: &'a str,
    severity: &'static str,
    /// The constraints the gap speaks of; none of them is covered.
    constraints: &'a [String],
}

fn constraint<'a>(review: &'a Review, k: &'a crate::review::ConstraintResult) -> Constraint<'a> {
    Constraint {
        id: &k.id,
        text: &k.text,
        status: if k.covered { "covered" } else { "not_covered" },
        evidence: k
            .evidence
            .iter()
            .map(|e| Ev {
                document: &review.documents[e.doc].path,
                locator: review.locator(e.doc, Some(e.block)),
                quote: review.quote(e),
                score: e.score,
                strength: e.strength.as_str(),
                passage: e.kind.as_str(),
                source_revision: review.documents[e.doc].origin.revision(),
                link: review.documents[e.doc].origin.link(),
            })
            .collect(),
        held_open_weak: k.held_weak,
    }
}

/// Render a review as `crosswalk.review/1` JSON (pretty-printed, stable key order).
pub fn render(review: &Review, catalog: &crate::catalog::Catalog) -> String {
    let out = Out {
        schema: SCHEMA,
        report_number: review.report_number(),
        tool: Tool { name: "crosswalk", version: env!("CARGO_PKG_VERSION") },
        catalog: Cat {
            id: &review.catalog_id,
            title: &review.catalog_title,
            version: &review.catalog_version,
            sha256: &review.catalog_sha256,
        },
        judgment: Judgment { model: &review.model, judge: &review.judge },
        product: &review.product,
        started: &review.started,
        finished: &review.finished,
        root: &review.root,
        source: &review.source,
        documents: review
            .documents
            .iter()
            .map(|d| Doc {
                path: &d.path,
                format: d.format.as_str(),
                bytes: d.bytes,
                sha256: &d.sha256,
                status: d.status.as_str(),
                reason: d.reason.as_deref(),
                doc_id: d.extracted.meta.doc_id.as_deref(),
                title: d.extracted.meta.title.as_deref(),
                revision: d.extracted.meta.revision.as_deref(),
                state: d.extracted.meta.state.as_str(),
                chars: d.extracted.chars(),
                extractor: d.extracted.engine.as_deref(),
                cut: d.extracted.cut.as_deref(),
                origin: (d.origin != crate::model::Origin::Folder).then_some(&d.origin),
            })
            .collect(),
        skipped: &review.source_problems,
        summary: Sum {
            clauses: review.summary.clauses,
            met: review.summary.met,
            partial: review.summary.partial,
            missing: review.summary.missing,
            not_applicable: review.summary.not_applicable,
        },
        clauses: review
            .clauses
            .iter()
            .map(|c| {
                let cat = catalog.clause(&c.id);
                Clause {
                    id: &c.id,
                    title: &c.title,
                    verdict: c.verdict.as_str(),
                    justification: &c.justification,
                    constraints: c.constraints.iter().filter(|k| k.required).map(|k| constraint(review, k)).collect(),
                    advisory_constraints: c.constraints.iter().filter(|k| !k.required).map(|k| constraint(review, k)).collect(),
                    signals: vec![
                        Signal::FileExists {
                            pattern: cat.map(|x| x.file_exists.as_str()).unwrap_or(""),
                            matches: c.file_matches.iter().map(|d| review.documents[*d].path.as_str()).collect(),
                        },
                        Signal::ContentMatch {
                            question: cat.map(|x| x.content_match.as_str()).unwrap_or(""),
                            matches: c
                                .content_matches
                                .iter()
                                .map(|(d, s)| Scored { document: &review.documents[*d].path, score: *s })
                                .collect(),
                        },
                    ],
                    rejected: c
                        .rejected
                        .iter()
                        .map(|r| Rejected {
                            document: &review.documents[r.doc].path,
                            locator: review.locator(r.doc, r.block),
                            quote: review.rejection_quote(r),
                            reason: r.reason.as_str(),
                        })
                        .collect(),
                    gaps: c
                        .gaps
                        .iter()
                        .map(|g| Gap { id: &g.id, title: &g.title, severity: g.severity.as_str(), constraints: &g.constraints })
                        .collect(),
                    audit_defense: c.audit_defense.as_deref(),
                    decision: review.decision(&c.id).map(|a| DecisionOut {
                        verdict: a.decision.verdict.as_str(),
                        machine_verdict: a.decision.machine_verdict.as_str(),
                        reason: &a.decision.reason,
                        by: &a.decision.by,
                        at: &a.decision.at,
                        suspect: a.suspect,
                        changes: &a.changes,
                        passages: &a.decision.passages,
                    }),
                }
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
