//! Catalog + documents → [`Review`]. Pure: no files, clock, environment or randomness, so the same
//! input gives the same review. It does not fail: unreadable documents and refused passages are data.
//!
//! A constraint is covered by a passage in which every concept group of the constraint matches (in the
//! passage or its heading, at least one in the passage itself), no exclusion matches, and `refuse` finds no
//! reason to distrust it. The verdict rule lives in `verdict`.

mod defense;
mod refuse;
mod verdict;

pub use verdict::verdict_of;

use crate::catalog::{Catalog, Clause, Constraint, ItemClass, TermGroup};
use crate::model::{BlockKind, DocStatus, Document, RejectReason, Verdict};
use crate::review::{ClauseResult, ConstraintResult, Evidence, GapFinding, Rejection, Review, Summary};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

/// What the user told us about the product (from `crosswalk.toml` or flags), already validated.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub product: String,
    pub product_inferred: bool,
    pub manufacturer: Option<String>,
    /// Clause id → justification.
    pub not_applicable: BTreeMap<String, String>,
    /// The software item classes the product has; `None` when not declared (every clause applies).
    pub item_classes: Option<BTreeSet<ItemClass>>,
    /// Whether the product is an FDA "cyber device" (FD&C Act 524B applies); `None` when not declared.
    pub cyber_device: Option<bool>,
    pub root: String,
}

/// Most pieces of evidence cited per constraint.
const MAX_EVIDENCE: usize = 4;
/// Most refused passages listed per clause.
const MAX_REJECTED: usize = 12;

/// One group's hit in a block: where in the text (None when only the heading/context matched) and the
/// matched words.
#[derive(Clone)]
struct Hit {
    range: Option<Range<usize>>,
    /// Matched in the table header of this row: part of the row, though not quotable.
    in_header: bool,
    term: String,
    distinct_terms: usize,
}

type GroupHits = HashMap<(usize, usize), Hit>;

struct Corpus<'a> {
    docs: &'a [Document],
    glossary_doc: Vec<bool>,
    /// Per document, per block: is the block a template placeholder?
    placeholder: Vec<Vec<bool>>,
    /// Per document: is it an unfilled template?
    template_doc: Vec<bool>,
    cache: HashMap<String, std::rc::Rc<GroupHits>>,
}

impl<'a> Corpus<'a> {
    fn new(docs: &'a [Document], catalog: &Catalog) -> Self {
        let glossary_doc = docs.iter().map(|d| refuse::is_glossary_heading(&d.title()) || refuse::is_glossary_heading(&d.path)).collect();
        let placeholder: Vec<Vec<bool>> =
            docs.iter().map(|d| d.extracted.blocks.iter().map(|b| refuse::is_placeholder(&b.text)).collect()).collect();
        // An unfilled template (several placeholders, a noticeable share of its passages) evidences nothing.
        let template_doc = placeholder
            .iter()
            .map(|p| {
                let n = p.iter().filter(|x| **x).count();
                n >= 3 && n * 20 >= p.len()
            })
            .collect();
        // Match every concept group of the catalog over the corpus up front, on all cores: the groups are
        // independent, and this is most of the evaluation's work.
        let mut groups: Vec<&TermGroup> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for c in &catalog.clauses {
            for k in &c.constraints {
                for g in k.require.iter().chain(k.exclude.iter()) {
                    if seen.insert(g.regex.as_str()) {
                        groups.push(g);
                    }
                }
            }
        }
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
        let chunk = groups.len().div_ceil(threads).max(1);
        let computed: Vec<(String, GroupHits)> = std::thread::scope(|scope| {
            let handles: Vec<_> = groups
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || part.iter().map(|g| (g.regex.as_str().to_string(), group_hits(docs, g))).collect::<Vec<_>>())
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        });
        let cache = computed.into_iter().map(|(k, v)| (k, std::rc::Rc::new(v))).collect();
        Corpus { docs, glossary_doc, placeholder, template_doc, cache }
    }

    /// All blocks where `group` matches (precomputed for the catalog's groups; others on demand).
    fn hits(&mut self, group: &TermGroup) -> std::rc::Rc<GroupHits> {
        let key = group.regex.as_str().to_string();
        if let Some(h) = self.cache.get(&key) {
            return h.clone();
        }
        let rc = std::rc::Rc::new(group_hits(self.docs, group));
        self.cache.insert(key, rc.clone());
        rc
    }
}

/// Where one group matches in the corpus: in a passage's text, its table header or its heading.
fn group_hits(docs: &[Document], group: &TermGroup) -> GroupHits {
    let mut hits = GroupHits::new();
    {
        for (di, doc) in docs.iter().enumerate() {
            if doc.status != DocStatus::Ok {
                continue;
            }
            for (bi, block) in doc.extracted.blocks.iter().enumerate() {
                if matches!(block.kind, BlockKind::Heading | BlockKind::TableHeader) {
                    continue;
                }
                let in_text: Vec<regex::Match<'_>> = group.find_all(&block.text).collect();
                if let Some(first) = in_text.first() {
                    let distinct: BTreeSet<String> = in_text.iter().map(|m| m.as_str().to_lowercase()).collect();
                    hits.insert(
                        (di, bi),
                        Hit {
                            range: Some(first.range()),
                            in_header: false,
                            term: first.as_str().to_string(),
                            distinct_terms: distinct.len(),
                        },
                    );
                } else if let Some(r) = group.find(&block.header) {
                    hits.insert((di, bi), Hit { range: None, in_header: true, term: block.header[r].to_string(), distinct_terms: 1 });
                } else if let Some(r) = group.find(&block.context) {
                    hits.insert((di, bi), Hit { range: None, in_header: false, term: block.context[r].to_string(), distinct_terms: 1 });
                }
            }
        }
    }
    hits
}

/// Sentence ranges of a passage: split after `.`, `?`, `!` followed by a space, and at table cell
/// separators.
fn sentences(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end_here = match bytes[i] {
            b'.' | b'?' | b'!' => bytes.get(i + 1) == Some(&b' ') && !(bytes[i] == b'.' && is_abbreviation(&text[start..i])),
            b'|' => i > 0 && bytes[i - 1] == b' ' && bytes.get(i + 1) == Some(&b' '),
            _ => false,
        };
        if end_here {
            let end = if bytes[i] == b'|' { i.saturating_sub(1) } else { i + 1 };
            if end > start {
                out.push(start..end);
            }
            start = i + 2;
            i += 2;
            continue;
        }
        i += 1;
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

fn is_abbreviation(before: &str) -> bool {
    let last = before.rsplit(' ').next().unwrap_or("").trim_start_matches(['(', '[', '"', '\'']);
    matches!(
        last.to_ascii_lowercase().as_str(),
        "e.g"
            | "i.e"
            | "etc"
            | "incl"
            | "cf"
            | "approx."
            | "no"
            | "vs"
            | "s"
            | "ss"
            | "ref"
            | "fig"
            | "approx"
            | "dr"
            | "mr"
            | "ms"
            | "p"
            | "sec"
            | "rev"
            | "v"
    ) || (last.len() <= 2 && last.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()))
}

/// Short table cells state a status ("No", "Not performed", "Planned"): they qualify the whole row.
fn is_status_cell(cell: &str) -> bool {
    cell.chars().count() <= 40
}

struct Candidate {
    doc: usize,
    block: usize,
    range: Range<usize>,
    score: f64,
    matched: Vec<String>,
    refused: Option<RejectReason>,
}

fn candidates(corpus: &mut Corpus<'_>, clause: &Clause, constraint: &Constraint) -> Vec<Candidate> {
    let groups: Vec<std::rc::Rc<GroupHits>> = constraint.require.iter().map(|g| corpus.hits(g)).collect();
    let exclude = constraint.exclude.as_ref().map(|g| corpus.hits(g));
    let Some((first, rest)) = groups.split_first() else { return vec![] };
    let mut keys: Vec<(usize, usize)> = first.keys().copied().filter(|k| rest.iter().all(|g| g.contains_key(k))).collect();
    keys.sort_unstable();
    let mut out = Vec::new();
    // A template placeholder under a heading on the constraint's topic ("9 Decommissioning: [insert …]")
    // says little enough that not every concept can match; it is reported as what it is.
    for &(di, bi) in first.keys() {
        if keys.binary_search(&(di, bi)).is_ok() || !corpus.placeholder[di][bi] {
            continue;
        }
        let block = &corpus.docs[di].extracted.blocks[bi];
        out.push(Candidate {
            doc: di,
            block: bi,
            range: cap_quote(&block.text, 0..block.text.len()),
            score: 0.0,
            matched: vec![],
            refused: Some(RejectReason::Placeholder),
        });
    }
    for (di, bi) in keys {
        if exclude.as_ref().is_some_and(|e| e.contains_key(&(di, bi))) {
            continue;
        }
        let doc = &corpus.docs[di];
        let block = &doc.extracted.blocks[bi];
        let hits: Vec<&Hit> = groups.iter().filter_map(|g| g.get(&(di, bi))).collect();
        let text_hits: Vec<&Range<usize>> = hits.iter().filter_map(|h| h.range.as_ref()).collect();
        if text_hits.is_empty() && !hits.iter().any(|h| h.in_header) {
            continue; // only the heading matched: nothing in the passage itself to cite
        }
        let sents = sentences(&block.text);
        let sentence_of = |pos: usize| sents.iter().position(|s| s.start <= pos && pos < s.end.max(s.start + 1)).unwrap_or(0);
        let is_row = matches!(block.kind, BlockKind::TableRow | BlockKind::Record);
        // The sentences where each group matches in the passage; the concepts must meet within a few
        // sentences (a table row or record counts as one unit).
        let per_group: Vec<Vec<usize>> = constraint
            .require
            .iter()
            .zip(&groups)
            .filter_map(|(group, group_hits)| {
                group_hits.get(&(di, bi))?.range.as_ref()?;
                let mut idx: Vec<usize> = group.find_all(&block.text).map(|m| sentence_of(m.start())).collect();
                idx.dedup();
                Some(idx)
            })
            .collect();
        let (lo, hi) = min_window(&per_group).unwrap_or((0, 0));
        if !is_row && hi - lo + 1 > MAX_SPAN_SENTENCES {
            continue;
        }
        let range = match (sents.get(lo), sents.get(hi)) {
            (Some(a), Some(b)) if !text_hits.is_empty() => a.start..b.end,
            _ => 0..block.text.len(),
        };
        let range = cap_quote(&block.text, range);
        let considered: Vec<&str> = sents
            .iter()
            .enumerate()
            .filter(|(i, s)| (*i >= lo && *i <= hi) || (is_row && is_status_cell(&block.text[(*s).clone()])))
            .map(|(_, s)| &block.text[s.clone()])
            .collect();
        let refused = if corpus.template_doc[di] && doc.extracted.meta.state == crate::model::DocState::Unknown {
            Some(RejectReason::Placeholder)
        } else {
            refuse::refuse(
                doc.extracted.meta.state,
                corpus.glossary_doc[di],
                constraint.negation_is_content,
                &block.context,
                &block.text,
                &considered,
            )
        };
        let all_in_text = text_hits.len() == hits.len();
        let extra_terms: usize = hits.iter().map(|h| h.distinct_terms.saturating_sub(1)).sum();
        let file_match = clause.file_exists.is_match(&doc.path) || clause.file_exists.is_match(&doc.title());
        let mut score = 0.55 + 0.1 * (extra_terms.min(3) as f64);
        if all_in_text {
            score += 0.1;
        }
        if file_match {
            score += 0.1;
        }
        // A quote an auditor can read on its own: whole sentences of some length, not a label or a
        // fragment cut from a PDF line.
        let quote = &block.text[range.clone()];
        if quote.chars().count() < 40 {
            score -= 0.1;
        }
        if quote.chars().next().is_some_and(|c| c.is_lowercase()) {
            score -= 0.05;
        }
        let score = (score.clamp(0.0, 1.0) * 100.0).round() / 100.0;
        out.push(Candidate { doc: di, block: bi, range, score, matched: hits.iter().map(|h| h.term.clone()).collect(), refused });
    }
    out
}

/// Concepts of one constraint must meet within this many consecutive sentences of a prose passage.
const MAX_SPAN_SENTENCES: usize = 3;

/// The smallest run of sentences [lo, hi] holding at least one index from every list.
fn min_window(lists: &[Vec<usize>]) -> Option<(usize, usize)> {
    let mut starts: Vec<usize> = lists.iter().flatten().copied().collect();
    starts.sort_unstable();
    starts.dedup();
    let mut best: Option<(usize, usize)> = None;
    for s in starts {
        let mut end = s;
        for list in lists {
            match list.iter().copied().filter(|i| *i >= s).min() {
                Some(i) => end = end.max(i),
                None => return best,
            }
        }
        if best.is_none_or(|(a, b)| end - s < b - a) {
            best = Some((s, end));
        }
    }
    best
}

/// Quotes longer than this are cut at a character boundary (they stay verbatim substrings).
const MAX_QUOTE: usize = 700;

fn cap_quote(text: &str, range: Range<usize>) -> Range<usize> {
    if range.len() <= MAX_QUOTE {
        return range;
    }
    let mut end = range.start + MAX_QUOTE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    range.start..end
}

/// Evaluate every clause of `catalog` against `documents`.
pub fn evaluate(catalog: &Catalog, documents: Vec<Document>, settings: &Settings) -> Review {
    let mut corpus = Corpus::new(&documents, catalog);
    let mut clauses = Vec::with_capacity(catalog.clauses.len());
    for clause in &catalog.clauses {
        clauses.push(evaluate_clause(&mut corpus, clause, settings));
    }
    drop(corpus);
    let mut summary = Summary { clauses: clauses.len(), ..Summary::default() };
    for c in &clauses {
        match c.verdict {
            Verdict::Met => summary.met += 1,
            Verdict::Partial => summary.partial += 1,
            Verdict::Missing => summary.missing += 1,
            Verdict::NotApplicable => summary.not_applicable += 1,
        }
    }
    let mut not_applicable = settings.not_applicable.clone();
    for c in &clauses {
        if c.verdict == Verdict::NotApplicable && !not_applicable.contains_key(&c.id) {
            not_applicable.insert(c.id.clone(), c.justification.clone());
        }
    }
    Review {
        catalog_id: catalog.id.clone(),
        catalog_title: catalog.title.clone(),
        catalog_version: catalog.version.clone(),
        catalog_sha256: catalog.sha256.clone(),
        product: settings.product.clone(),
        product_inferred: settings.product_inferred,
        manufacturer: settings.manufacturer.clone(),
        cyber_device: settings.cyber_device,
        root: settings.root.clone(),
        started: String::new(),
        finished: String::new(),
        documents,
        source_problems: vec![],
        summary,
        clauses,
        not_applicable,
    }
}

fn not_applicable_reason(clause: &Clause, settings: &Settings) -> Option<String> {
    if let Some(j) = settings.not_applicable.get(&clause.id) {
        return Some(j.clone());
    }
    let classes = settings.item_classes.as_ref()?;
    if clause.applies_to.is_empty() || clause.applies_to.iter().any(|c| classes.contains(c)) {
        return None;
    }
    let wanted: Vec<&str> = clause.applies_to.iter().map(|c| c.as_str()).collect();
    let have: Vec<&str> = classes.iter().map(|c| c.as_str()).collect();
    Some(format!(
        "Applies only to {} software items (ISH1:2025); the configuration declares {} items only.",
        wanted.join(" or "),
        if have.is_empty() { "no".to_string() } else { have.join(" and ") }
    ))
}

fn evaluate_clause(corpus: &mut Corpus<'_>, clause: &Clause, settings: &Settings) -> ClauseResult {
    let file_matches: Vec<usize> = corpus
        .docs
        .iter()
        .enumerate()
        .filter(|(_, d)| clause.file_exists.is_match(&d.path) || clause.file_exists.is_match(&d.title()))
        .map(|(i, _)| i)
        .collect();
    if let Some(reason) = not_applicable_reason(clause, settings) {
        return ClauseResult {
            id: clause.id.clone(),
            title: clause.title.clone(),
            verdict: Verdict::NotApplicable,
            justification: reason,
            constraints: clause
                .constraints
                .iter()
                .map(|c| ConstraintResult { id: c.id.clone(), text: c.text.clone(), covered: false, evidence: vec![] })
                .collect(),
            file_matches,
            content_matches: vec![],
            rejected: vec![],
            gaps: vec![],
            audit_defense: None,
        };
    }

    let mut constraints = Vec::new();
    let mut rejected: Vec<Rejection> = Vec::new();
    let mut touched_docs = BTreeSet::new();
    // Per document: its best accepted passage for this clause (constraint index, evidence).
    let mut best_of_doc: BTreeMap<usize, (usize, Evidence)> = BTreeMap::new();
    for (ci, constraint) in clause.constraints.iter().enumerate() {
        let cands = candidates(corpus, clause, constraint);
        for c in &cands {
            touched_docs.insert(c.doc);
        }
        let mut accepted: Vec<&Candidate> = cands.iter().filter(|c| c.refused.is_none()).collect();
        accepted.sort_by(|a, b| {
            b.score
                .partial_cmp(&a.score)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| corpus.docs[a.doc].path.cmp(&corpus.docs[b.doc].path))
                .then(a.block.cmp(&b.block))
        });
        // Prefer distinct documents, then fill with further passages.
        let mut chosen: Vec<&Candidate> = Vec::new();
        for c in &accepted {
            if chosen.len() < MAX_EVIDENCE && !chosen.iter().any(|x| x.doc == c.doc) {
                chosen.push(c);
            }
        }
        for c in &accepted {
            if chosen.len() < MAX_EVIDENCE && !chosen.iter().any(|x| x.doc == c.doc && x.block == c.block) {
                chosen.push(c);
            }
        }
        for c in &accepted {
            if best_of_doc.get(&c.doc).is_none_or(|(_, b)| c.score > b.score) {
                best_of_doc.insert(
                    c.doc,
                    (ci, Evidence { doc: c.doc, block: c.block, range: c.range.clone(), score: c.score, matched: c.matched.clone() }),
                );
            }
        }
        let covered = !chosen.is_empty();
        if !covered {
            for c in cands.iter().filter(|c| c.refused.is_some()) {
                let reason = c.refused.unwrap_or(RejectReason::Negated);
                if !rejected.iter().any(|r| r.doc == c.doc && r.block == Some(c.block) && r.reason == reason) {
                    rejected.push(Rejection {
                        doc: c.doc,
                        block: Some(c.block),
                        range: c.range.clone(),
                        reason,
                        constraint: Some(constraint.id.clone()),
                    });
                }
            }
        }
        constraints.push(ConstraintResult {
            id: constraint.id.clone(),
            text: constraint.text.clone(),
            covered,
            evidence: chosen
                .iter()
                .map(|c| Evidence { doc: c.doc, block: c.block, range: c.range.clone(), score: c.score, matched: c.matched.clone() })
                .collect(),
        });
    }
    // Every document that evidences the clause is cited at least once (its best passage), so the report
    // names all the documents an auditor can be shown, not only the top few per constraint.
    let mut content_matches: Vec<(usize, f64)> = best_of_doc.iter().map(|(doc, (_, e))| (*doc, e.score)).collect();
    for (doc, (ci, evidence)) in best_of_doc {
        let cited = constraints.iter().any(|c| c.evidence.iter().any(|e| e.doc == doc));
        if !cited && constraints[ci].evidence.len() < MAX_EVIDENCE + 2 {
            constraints[ci].evidence.push(evidence);
        }
    }
    // Files that match by name but give nothing.
    for &di in &file_matches {
        let doc = &corpus.docs[di];
        let reason = if doc.status != DocStatus::Ok || doc.extracted.chars() == 0 {
            Some(RejectReason::NoText)
        } else if !touched_docs.contains(&di) {
            // A draft or superseded document would not count even if its content matched: say so.
            Some(match doc.extracted.meta.state {
                crate::model::DocState::Draft => RejectReason::Draft,
                crate::model::DocState::Superseded => RejectReason::Superseded,
                _ => RejectReason::NameOnly,
            })
        } else {
            None
        };
        if let Some(reason) = reason {
            rejected.push(Rejection { doc: di, block: None, range: 0..0, reason, constraint: None });
        }
    }
    rejected.sort_by_key(|a| (a.doc, a.block, a.reason));
    rejected.truncate(MAX_REJECTED);

    let covered: Vec<bool> = constraints.iter().map(|c| c.covered).collect();
    let verdict = verdict_of(&covered);
    let gaps: Vec<GapFinding> = clause
        .gaps
        .iter()
        .filter(|g| {
            if g.constraints.is_empty() {
                verdict != Verdict::Met
            } else {
                g.constraints.iter().any(|id| constraints.iter().any(|c| &c.id == id && !c.covered))
            }
        })
        .map(|g| GapFinding {
            id: g.id.clone(),
            title: g.title.clone(),
            severity: g.severity,
            description: g.description.clone(),
            remedy: g.remedy.clone(),
        })
        .collect();
    let cited_docs: Vec<usize> = {
        let mut seen = BTreeSet::new();
        let mut v = Vec::new();
        for c in &constraints {
            for e in &c.evidence {
                if seen.insert(e.doc) {
                    v.push(e.doc);
                }
            }
        }
        v.sort_by(|a, b| corpus.docs[*a].display_id().cmp(&corpus.docs[*b].display_id()));
        v
    };
    let justification = justify(corpus.docs, &constraints, &cited_docs, &rejected, verdict);
    let audit_defense = match verdict {
        Verdict::Met | Verdict::Partial => Some(defense::fill(clause, settings, corpus.docs, &cited_docs, &constraints, &gaps)),
        _ => None,
    };
    content_matches.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(&b.0)));
    ClauseResult {
        id: clause.id.clone(),
        title: clause.title.clone(),
        verdict,
        justification,
        constraints,
        file_matches,
        content_matches,
        rejected,
        gaps,
        audit_defense,
    }
}

fn justify(docs: &[Document], constraints: &[ConstraintResult], cited: &[usize], rejected: &[Rejection], verdict: Verdict) -> String {
    let n = constraints.len();
    let k = constraints.iter().filter(|c| c.covered).count();
    let ids: Vec<String> = cited.iter().map(|d| docs[*d].display_id()).collect();
    let missing: Vec<&str> = constraints.iter().filter(|c| !c.covered).map(|c| c.id.as_str()).collect();
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rejected {
        *reasons.entry(r.reason.as_str()).or_insert(0) += 1;
    }
    let refused = if reasons.is_empty() {
        String::new()
    } else {
        format!(" Refused as evidence: {}.", reasons.iter().map(|(r, n)| format!("{n} {r}")).collect::<Vec<_>>().join(", "))
    };
    match verdict {
        Verdict::Met => {
            format!("All {n} constraints are evidenced by passages stating the practice is in place ({}).{refused}", ids.join(", "))
        }
        Verdict::Partial => format!(
            "{k} of {n} constraints are evidenced ({}); no acceptable evidence for {}.{refused}",
            ids.join(", "),
            missing.join(", ")
        ),
        _ => format!("No passage states that any of the {n} constraints is met.{refused}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_window_over_groups() {
        assert_eq!(min_window(&[vec![0, 5], vec![4], vec![6]]), Some((4, 6)));
        assert_eq!(min_window(&[vec![2], vec![2]]), Some((2, 2)));
        assert_eq!(min_window(&[vec![3], vec![1]]), Some((1, 3)));
    }

    #[test]
    fn sentence_split_keeps_abbreviations_and_cells() {
        let t = "Tools e.g. Semgrep run. Results go to Jira; fixes follow. A | B";
        let s: Vec<&str> = sentences(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(s, vec!["Tools e.g. Semgrep run.", "Results go to Jira; fixes follow.", "A", "B"]);
    }
}
