//! Candidate passages for a constraint: a lexical ranking (passages where the constraint's concept groups
//! match) fused with a semantic ranking (cosine of the passage to the constraint's exemplars, text and
//! question), then measured and scored by the judge, and checked by the refusal rules.

use super::Engine;
use super::judge::{self, Features, Measures};
use super::passages::{Corpus, PassageKind};
use super::refuse;
use crate::catalog::{Clause, Constraint};
use crate::index::concepts::GroupHit;
use crate::index::embed::{Packed, Vector, cosine};
use crate::model::{DocState, RejectReason};
use std::collections::HashMap;
use std::ops::Range;

/// Passages taken from the semantic ranking per constraint, besides the lexical candidates.
const SEMANTIC_TOP: usize = 24;
/// Lexical candidates per constraint: at least this many of the best-matching passages …
const LEXICAL_TOP: usize = 400;
/// … and every passage matching all the constraint's groups, up to this many.
const LEXICAL_FULL_MAX: usize = 2_000;
/// Concepts of one constraint must meet within this many consecutive sentences of a prose passage.
const MAX_SPAN_SENTENCES: usize = 3;
/// Quotes longer than this are cut on a word boundary (they stay verbatim substrings).
const MAX_QUOTE: usize = 700;

/// Where each concept group matches in the text of a passage: group id → passages, built once.
pub(crate) struct Index {
    by_group: HashMap<u32, Vec<(usize, usize)>>,
    /// Every passage that can be cited (not a heading or table header), in corpus order.
    citable: Vec<(usize, usize)>,
}

impl Index {
    pub(crate) fn new(corpus: &Corpus<'_>) -> Index {
        let mut by_group: HashMap<u32, Vec<(usize, usize)>> = HashMap::new();
        let mut citable = Vec::new();
        for (di, info) in corpus.info.iter().enumerate() {
            for (bi, p) in info.passages.iter().enumerate() {
                if p.embedding.is_empty() {
                    continue;
                }
                citable.push((di, bi));
                // A table row is read with its header, a list item with its lead-in: their groups count.
                for g in p.groups.iter().chain(p.header_groups.iter()) {
                    by_group.entry(g).or_default().push((di, bi));
                }
                // A placeholder under a heading on the constraint's topic is a candidate too, so that it can
                // be reported as what it is.
                if p.placeholder {
                    for g in p.context_groups.iter() {
                        by_group.entry(g).or_default().push((di, bi));
                    }
                }
            }
        }
        for v in by_group.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        Index { by_group, citable }
    }
}

/// A scored candidate passage.
pub(crate) struct Candidate {
    /// The passage sits in a section about the constraint's defining concept (its first group matches
    /// the heading path) and states it.
    pub(crate) dedicated: bool,
    /// Some concept of the constraint is named in the passage, its header or its headings.
    pub(crate) on_topic: bool,
    /// Refused as negated because the section dedicated to the practice denies it (set by the caller).
    pub(crate) overruled: bool,
    pub(crate) doc: usize,
    pub(crate) block: usize,
    pub(crate) range: Range<usize>,
    pub(crate) score: f32,
    pub(crate) features: Features,
    pub(crate) all_near: bool,
    pub(crate) kind: PassageKind,
    pub(crate) matched: Vec<String>,
    pub(crate) refused: Option<RejectReason>,
}

/// The constraint's texts, embedded once per evaluation.
struct Probe {
    text: Vector,
    question: Vector,
    examples: Vec<Vector>,
    counter: Vec<Vector>,
    /// The vectors the ranking scans every passage with (the exemplars, or the text without them), packed.
    rank: Vec<Packed>,
}

fn probe(constraint: &Constraint, engine: &Engine<'_>) -> Probe {
    let m = engine.model;
    let text = m.embed(&constraint.text);
    let examples: Vec<Vector> = constraint.examples.iter().map(|e| m.embed(e)).collect();
    let rank = if examples.is_empty() { vec![Packed::pack(&text)] } else { examples.iter().map(|e| Packed::pack(e)).collect() };
    Probe {
        text,
        question: m.embed(&constraint.question),
        examples,
        counter: constraint.counter_examples.iter().map(|e| m.embed(e)).collect(),
        rank,
    }
}

fn max_cos(v: &Packed, set: &[Vector]) -> f32 {
    set.iter().map(|e| v.cos(e)).fold(0.0, f32::max)
}

/// Concept positions and sentences of passages, recomputed on demand and kept while one clause is judged
/// (its constraints share most candidates).
#[derive(Default)]
pub(crate) struct Scans(std::cell::RefCell<HashMap<(usize, usize), std::rc::Rc<Scan>>>);

/// One passage's concept hits and sentence ranges.
type Scan = (Vec<GroupHit>, Vec<Range<usize>>);

impl Scans {
    fn get(&self, corpus: &Corpus<'_>, di: usize, bi: usize) -> std::rc::Rc<Scan> {
        if let Some(v) = self.0.borrow().get(&(di, bi)) {
            return v.clone();
        }
        let text = &corpus.docs[di].extracted.blocks[bi].text;
        let v = std::rc::Rc::new((corpus.concepts.scan(text), super::passages::sentences(text)));
        self.0.borrow_mut().insert((di, bi), v.clone());
        v
    }
}

/// Every candidate for `constraint`, scored and checked.
pub(crate) fn candidates(
    corpus: &Corpus<'_>,
    index: &Index,
    clause: &Clause,
    constraint: &Constraint,
    engine: &Engine<'_>,
    scans: &Scans,
) -> Vec<Candidate> {
    let groups: Vec<u32> = constraint.require.iter().filter_map(|g| corpus.concepts.id(g)).collect();
    let exclude = constraint.exclude.as_ref().and_then(|g| corpus.concepts.id(g));
    let probe = probe(constraint, engine);
    // Lexical: passages where groups of the constraint match, those matching the most groups first; a
    // bounded number, so that a store of thousands of similar rows costs no more than a few hundred.
    let mut counts: HashMap<(usize, usize), u32> = HashMap::new();
    for g in &groups {
        for k in index.by_group.get(g).into_iter().flatten() {
            *counts.entry(*k).or_default() += 1;
        }
    }
    let mut lexical: Vec<((usize, usize), u32)> = counts.into_iter().collect();
    lexical.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let full = lexical.iter().take_while(|(_, n)| *n as usize >= groups.len()).count();
    lexical.truncate(full.clamp(LEXICAL_TOP, LEXICAL_FULL_MAX));
    let mut keys: Vec<(usize, usize)> = lexical.into_iter().map(|(k, _)| k).collect();
    // Semantic: the passages closest to the exemplars (or, without exemplars, to the constraint text).
    let mut ranked: Vec<(f32, (usize, usize))> = index
        .citable
        .iter()
        .map(|&(d, b)| {
            let e = &corpus.passage(d, b).embedding;
            (probe.rank.iter().map(|r| e.dot(r)).fold(0.0, f32::max), (d, b))
        })
        .collect();
    let top = SEMANTIC_TOP.min(ranked.len());
    if top > 0 {
        ranked.select_nth_unstable_by(top - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        keys.extend(ranked[..top].iter().map(|(_, k)| *k));
    }
    keys.sort_unstable();
    keys.dedup();
    let mut out = Vec::with_capacity(keys.len());
    for (di, bi) in keys {
        let p = corpus.passage(di, bi);
        if exclude.is_some_and(|x| p.groups.contains(x)) {
            continue;
        }
        out.push(measure(corpus, clause, constraint, &groups, &probe, (di, bi), engine, scans));
    }
    out
}

/// The smallest run of sentences [lo, hi] holding at least one index from every list.
pub(crate) fn min_window(lists: &[Vec<usize>]) -> Option<(usize, usize)> {
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

/// Cut a range to at most `MAX_QUOTE` bytes, ending on a word boundary.
pub(crate) fn cap_quote(text: &str, range: Range<usize>) -> Range<usize> {
    if range.len() <= MAX_QUOTE {
        return range;
    }
    let mut end = range.start + MAX_QUOTE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if let Some(space) = text[range.start..end].rfind(' ') {
        end = range.start + space;
    }
    range.start..end
}

/// Short table cells state a status ("No", "Not performed", "Planned"): they qualify the whole row.
fn is_status_cell(cell: &str) -> bool {
    cell.chars().count() <= 40
}

#[allow(clippy::too_many_arguments)]
fn measure(
    corpus: &Corpus<'_>,
    clause: &Clause,
    constraint: &Constraint,
    groups: &[u32],
    probe: &Probe,
    (di, bi): (usize, usize),
    engine: &Engine<'_>,
    scans: &Scans,
) -> Candidate {
    let doc = &corpus.docs[di];
    let info = &corpus.info[di];
    let block = &doc.extracted.blocks[bi];
    let p = corpus.passage(di, bi);
    // Positions and sentences are recomputed here, for candidates only.
    let scan = scans.get(corpus, di, bi);
    let (hits, sents) = (&scan.0, &scan.1);
    let sentence_of = |pos: usize| sents.iter().position(|s| s.start <= pos && pos < s.end.max(s.start + 1)).unwrap_or(0);
    let is_row = matches!(p.kind, PassageKind::TableRow | PassageKind::Record) || !block.header.is_empty();
    // Per group: the sentences where it matches in the text. (A catalog phrase may hold another group's
    // word on purpose: "submit vulnerability reports" states the channel and the subject.)
    let per_group: Vec<Vec<usize>> = groups
        .iter()
        .map(|g| {
            let mut idx: Vec<usize> = hits.iter().filter(|h| h.group == *g).map(|h| sentence_of(h.start as usize)).collect();
            idx.dedup();
            idx
        })
        .collect();
    let in_text: Vec<bool> = per_group.iter().map(|v| !v.is_empty()).collect();
    let in_near: Vec<bool> =
        groups.iter().zip(&in_text).map(|(g, t)| *t || p.header_groups.contains(*g) || p.context_groups.contains(*g)).collect();
    let in_any: Vec<bool> = groups.iter().zip(&in_near).map(|(g, n)| *n || info.title_groups.contains(*g)).collect();
    let n = groups.len().max(1) as f32;
    let text_lists: Vec<Vec<usize>> = per_group.iter().filter(|v| !v.is_empty()).cloned().collect();
    let window = min_window(&text_lists);
    // Something must be stated in the passage itself: a match in its text, or in a table row's header.
    let header_states = p.kind == PassageKind::TableRow && groups.iter().any(|g| p.header_groups.contains(*g));
    let stated = !text_lists.is_empty() || header_states;
    let all_near = in_near.iter().all(|x| *x) && stated && (is_row || window.is_some_and(|(lo, hi)| hi - lo < MAX_SPAN_SENTENCES));
    let range = match (window, is_row) {
        (Some((lo, hi)), false) => match (sents.get(lo), sents.get(hi)) {
            (Some(a), Some(b)) => a.start..b.end,
            _ => 0..block.text.len(),
        },
        _ => 0..block.text.len(),
    };
    let range = cap_quote(&block.text, range);
    let mut matched: Vec<String> = Vec::new();
    let mut distinct = std::collections::BTreeSet::new();
    for g in groups {
        if let Some(h) = hits.iter().find(|h| h.group == *g) {
            matched.push(block.text.get(h.start as usize..h.end as usize).unwrap_or("").to_string());
        }
        for h in hits.iter().filter(|h| h.group == *g) {
            distinct.insert(block.text.get(h.start as usize..h.end as usize).unwrap_or("").to_ascii_lowercase());
        }
    }
    let file_match = super::file_matches(clause, doc);
    let e = &p.embedding;
    // The passage or its best sentence, whichever is closer.
    let closest =
        |set: &[Vector]| -> f32 { p.sentence_embeddings.iter().chain(std::iter::once(e)).map(|v| max_cos(v, set)).fold(0.0, f32::max) };
    let measures = Measures {
        in_text: in_text.iter().filter(|x| **x).count() as f32 / n,
        in_context: in_any.iter().filter(|x| **x).count() as f32 / n,
        all_near,
        all_in_scope: in_any.iter().all(|x| *x) && stated,
        in_section: {
            let sec = &info.sections[p.section];
            groups.iter().zip(&in_near).filter(|(g, near)| **near || sec.contains(**g)).count() as f32 / n
        },
        lead_stated: in_text.first().copied().unwrap_or(false)
            || (header_states && groups.first().is_some_and(|g| p.header_groups.contains(*g))),
        sim_constraint: closest(std::slice::from_ref(&probe.text)),
        sim_question: closest(std::slice::from_ref(&probe.question)),
        sim_examples: closest(&probe.examples),
        sim_counter: closest(&probe.counter),
        sim_section: cosine(corpus.context_embedding(di, bi), &probe.text),
        kind: p.kind,
        file_match,
        off_subject: -info.subject,
        extra_terms: distinct.len().saturating_sub(matched.len()) as f32,
    };
    let features = judge::features(&measures);
    let score = engine.judge.score(&features);
    // What the refusal rules read: the quoted sentences (and, in a table row, its short status cells).
    let considered_ranges: Vec<Range<usize>> = match window {
        Some((lo, hi)) => sents
            .iter()
            .enumerate()
            .filter(|(i, s)| (*i >= lo && *i <= hi) || (is_row && is_status_cell(&block.text[(*s).clone()])))
            .map(|(_, s)| s.clone())
            .collect(),
        None => sents.clone(),
    };
    let considered: Vec<&str> = considered_ranges.iter().map(|s| &block.text[s.clone()]).collect();
    let refused = if p.placeholder
        || refuse::holds_placeholder(&p.placeholder_spans, &considered_ranges)
        || (info.template && doc.extracted.meta.state == DocState::Unknown)
    {
        Some(RejectReason::Placeholder)
    } else {
        refuse::refuse(doc.extracted.meta.state, info.glossary, constraint.negation_is_content, &block.context, &block.text, &considered)
    };
    // A sentence that alone brings one of the constraint's concepts to the quote only refers to another
    // document of the review, and the place it refers to is an unfilled template ("timelines are defined
    // in IRP-001 §7", where §7 is a bracketed instruction): the reference is a placeholder too.
    let refused = refused.or_else(|| {
        let (lo, hi) = window?;
        let carries = |i: usize| per_group.iter().any(|g| g.contains(&i) && !g.iter().any(|j| *j != i && (lo..=hi).contains(j)));
        (lo..=hi)
            .filter(|i| carries(*i))
            .filter_map(|i| sents.get(i).and_then(|s| refuse::delegation(&block.text[s.clone()])))
            .any(|(id, section)| corpus.refers_to_nothing(&id, section.as_deref()))
            .then_some(RejectReason::Placeholder)
    });
    let dedicated = groups.first().is_some_and(|g| p.context_groups.contains(*g)) && in_text.first().copied().unwrap_or(false);
    let on_topic = in_near.iter().any(|x| *x);
    Candidate {
        dedicated,
        on_topic,
        overruled: false,
        doc: di,
        block: bi,
        range,
        score,
        features,
        all_near,
        kind: p.kind,
        matched,
        refused,
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
    fn quotes_are_cut_on_word_boundaries() {
        let text = "word ".repeat(300);
        let r = cap_quote(&text, 0..text.len());
        assert!(r.len() <= MAX_QUOTE && text[r.clone()].ends_with("word"), "{:?}", &text[r.end - 10..r.end]);
    }
}
