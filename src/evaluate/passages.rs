//! The corpus as the judge reads it: for every passage its concept hits (text, table header or list
//! lead-in, heading path, document title), its embedding, its kind (procedure, record, plan, table row,
//! reference list, definition, heading) and the document-level facts refusals need (glossary, unfilled
//! template, subject). Computed once per review, on all cores; nothing here depends on a clause.

use crate::index::concepts::{ConceptIndex, GroupSet};
use crate::index::embed::{Model, Packed, Vector, cosine};
use crate::model::{BlockKind, DocStatus, Document};
use std::ops::Range;

/// What a passage is, as far as evidence goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum PassageKind {
    /// A statement of how things are done (present tense, "shall", "must", "is reviewed").
    Procedure,
    /// A record that something was done (past tense, dates, results, IDs, structured records).
    Record,
    /// A row of a table, read with its header.
    TableRow,
    /// An entry of a reference or document list: it names a document, it does not state a practice.
    Reference,
    /// A definition of a term.
    Definition,
    /// A heading, a label or a fragment too short to state anything.
    Fragment,
}

impl PassageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PassageKind::Procedure => "procedure",
            PassageKind::Record => "record",
            PassageKind::TableRow => "table row",
            PassageKind::Reference => "reference",
            PassageKind::Definition => "definition",
            PassageKind::Fragment => "fragment",
        }
    }
}

/// Per passage.
pub(crate) struct PassageInfo {
    /// Groups matched in the passage text (where exactly is recomputed for candidates only).
    pub(crate) groups: GroupSet,
    /// Groups matched in the table header or list lead-in (part of the passage, not quotable).
    pub(crate) header_groups: std::sync::Arc<GroupSet>,
    /// Groups matched in the heading path.
    pub(crate) context_groups: std::sync::Arc<GroupSet>,
    pub(crate) embedding: Packed,
    /// Embeddings of the passage's sentences, when it has several (prose only): evidence is often one
    /// sentence of a paragraph, and a paragraph's mean dilutes it.
    pub(crate) sentence_embeddings: Vec<Packed>,
    /// Embedding of the heading path and document title: what the section is about.
    pub(crate) context_embedding: usize,
    /// Index of the passage's section in `DocInfo::sections`.
    pub(crate) section: usize,
    pub(crate) kind: PassageKind,
    /// Template text throughout (see `refuse::is_template_text`).
    pub(crate) placeholder: bool,
    /// Where the passage's placeholders are (empty for almost every passage): a quoted sentence that holds
    /// one is refused.
    pub(crate) placeholder_spans: Vec<Range<usize>>,
}

/// Per document.
pub(crate) struct DocInfo {
    pub(crate) glossary: bool,
    /// An unfilled template: several placeholder passages making a noticeable share of the document.
    pub(crate) template: bool,
    pub(crate) title_groups: GroupSet,
    /// How strongly the document is about the product's software and its life cycle rather than another
    /// subject (hardware, purchasing, marketing, office IT): cosine margin against prototypes.
    pub(crate) subject: f32,
    pub(crate) passages: Vec<PassageInfo>,
    /// Distinct context embeddings of the document (heading path + title), indexed by
    /// `PassageInfo::context_embedding`.
    pub(crate) contexts: Vec<Vector>,
    /// Per section (passages sharing a heading path): every concept group matched in its passages' text,
    /// sorted. Evidence is often spread over a lead-in, a list and a table of one section.
    pub(crate) sections: Vec<GroupSet>,
}

pub(crate) struct Corpus<'a> {
    pub(crate) docs: &'a [Document],
    pub(crate) info: Vec<DocInfo>,
    pub(crate) concepts: &'a ConceptIndex,
    /// Documents by their document ID (upper case), for passages that refer to another document.
    ids: std::collections::HashMap<String, usize>,
}

/// Sentence ranges of a passage: split after `.`, `?`, `!` followed by a space, and at table cell
/// separators.
pub(crate) fn sentences(text: &str) -> Vec<Range<usize>> {
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

/// Headings of a reference or document list: passages under them name documents.
fn is_reference_heading(context: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        regex::Regex::new(
            r"(?i)\b(references|normative\s+references|related\s+documents|referenced\s+documents|applicable\s+documents|bibliography|document\s+list|see\s+also|further\s+reading|revision\s+history|change\s+history|document\s+history|change\s+log|distribution\s+list)\s*$",
        )
        .expect("static regex")
    })
    .is_match(context.rsplit(" › ").next().unwrap_or(context))
}

/// A passage that only names a document: "[3] SOP-ENG-012 Secure Coding Standard, rev 2.1".
fn looks_like_reference(text: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| {
        regex::Regex::new(concat!(
            r"^\s*(\[\d{1,3}\]|\d{1,3}\.|[-•*])?\s*(",
            doc_id_pattern!(),
            r"|IEC|ISO|EN|NIST|AAMI|UL)\b(?:[^.!?]|\.\d){0,160}$"
        ))
        .expect("static regex")
    });
    r.is_match(text) && !text.contains(" shall ") && !text.contains(" must ")
}

fn is_record_like(text: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        regex::Regex::new(
            r"(?i)\b(was|were|has\s+been|have\s+been)\s+\w+(ed|en|un|ne)\b|\b(performed|conducted|completed|found|identified|confirmed|closed|approved|signed|verified|tested|reviewed|released)\s+(on|in|by|at)\b|\b20\d\d-\d\d-\d\d\b",
        )
        .expect("static regex")
    })
    .is_match(text)
}

fn kind_of(block: &crate::model::Block, text_chars: usize) -> PassageKind {
    if matches!(block.kind, BlockKind::Heading | BlockKind::TableHeader) || text_chars < 25 {
        return PassageKind::Fragment;
    }
    if super::refuse::is_definition(&block.text) {
        return PassageKind::Definition;
    }
    if is_reference_heading(&block.context) || looks_like_reference(&block.text) {
        return PassageKind::Reference;
    }
    match block.kind {
        BlockKind::TableRow => PassageKind::TableRow,
        BlockKind::Record => PassageKind::Record,
        _ if is_record_like(&block.text) => PassageKind::Record,
        _ => PassageKind::Procedure,
    }
}

/// Prototype texts for the subject check: the product's software and its secure life cycle against other
/// subjects a manufacturer's document store also holds.
const ON_SUBJECT: &[&str] = &[
    "software development life cycle, security requirements, architecture, code review, testing, release and maintenance of the product software",
    "vulnerability handling, security updates, threat model and security risk assessment of the medical device software",
];
const OFF_SUBJECT: &[&str] = &[
    "office IT: employee laptops, email accounts, the corporate network, printers and the help desk",
    "purchasing and procurement of goods and services, invoices, supplier contracts and payment terms",
    "marketing brochure: product benefits, customer testimonials, pricing and sales campaigns",
    "hardware manufacturing: printed circuit boards, enclosures, injection moulding, assembly line and incoming inspection of parts",
    "human resources: recruitment, holidays, salaries, performance appraisal and office facilities",
];

impl<'a> Corpus<'a> {
    pub(crate) fn new(docs: &'a [Document], concepts: &'a ConceptIndex, model: &'a Model) -> Corpus<'a> {
        let on: Vec<Vector> = ON_SUBJECT.iter().map(|t| model.embed(t)).collect();
        let off: Vec<Vector> = OFF_SUBJECT.iter().map(|t| model.embed(t)).collect();
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let slots: Vec<std::sync::Mutex<Option<DocInfo>>> = docs.iter().map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..threads.min(docs.len().max(1)) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(doc) = docs.get(i) else { break };
                        let info = doc_info(doc, concepts, model, &on, &off);
                        if let Ok(mut slot) = slots[i].lock() {
                            *slot = Some(info);
                        }
                    }
                });
            }
        });
        let info = slots.into_iter().map(|s| s.into_inner().ok().flatten().unwrap_or_else(empty_info)).collect();
        let mut ids = std::collections::HashMap::new();
        for (i, d) in docs.iter().enumerate() {
            if let Some(id) = &d.extracted.meta.doc_id {
                ids.entry(id.to_uppercase()).or_insert(i);
            }
        }
        Corpus { docs, info, concepts, ids }
    }

    /// A passage hands its substance to document `id` (section `section`, if named): true when that
    /// document is in the review and the place holds nothing but template placeholders (or nothing at
    /// all), so the reference evidences nothing. A document not in the review is not judged here.
    pub(crate) fn refers_to_nothing(&self, id: &str, section: Option<&str>) -> bool {
        let Some(&di) = self.ids.get(&id.to_uppercase()) else { return false };
        let (doc, info) = (&self.docs[di], &self.info[di]);
        if doc.status != DocStatus::Ok {
            return true;
        }
        let Some(s) = section else { return info.template };
        // "7. Remediation timelines", "7.2 …", "§ 7 …", "Section 7: …" (not "71 …").
        let in_section = |context: &str| {
            context.split(" › ").any(|h| {
                let h = h.trim_start_matches(|c: char| c == '§' || c.is_whitespace());
                let h = ["section ", "chapter ", "clause "]
                    .iter()
                    .find_map(|w| h.get(..w.len()).filter(|p| p.eq_ignore_ascii_case(w)).map(|_| &h[w.len()..]))
                    .unwrap_or(h);
                h.strip_prefix(s).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', ' ', ')', ':']))
            })
        };
        doc.extracted
            .blocks
            .iter()
            .zip(&info.passages)
            .filter(|(b, _)| !matches!(b.kind, BlockKind::Heading | BlockKind::TableHeader) && in_section(&b.context))
            .all(|(_, p)| p.placeholder)
    }

    pub(crate) fn passage(&self, doc: usize, block: usize) -> &PassageInfo {
        &self.info[doc].passages[block]
    }

    pub(crate) fn context_embedding(&self, doc: usize, block: usize) -> &[f32] {
        let d = &self.info[doc];
        &d.contexts[d.passages[block].context_embedding]
    }
}

fn empty_info() -> DocInfo {
    DocInfo {
        glossary: false,
        template: false,
        title_groups: GroupSet::default(),
        subject: 0.0,
        passages: vec![],
        contexts: vec![],
        sections: vec![],
    }
}

fn doc_info(doc: &Document, concepts: &ConceptIndex, model: &Model, on: &[Vector], off: &[Vector]) -> DocInfo {
    if doc.status != DocStatus::Ok {
        return empty_info();
    }
    let title = doc.title();
    let glossary = super::refuse::is_glossary_heading(&title) || super::refuse::is_glossary_heading(&doc.path);
    let mut contexts: Vec<Vector> = Vec::new();
    let mut sections: Vec<GroupSet> = Vec::new();
    let mut context_keys: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut context_group_cache: std::collections::HashMap<&str, std::sync::Arc<GroupSet>> = std::collections::HashMap::new();
    let mut header_group_cache: std::collections::HashMap<&str, std::sync::Arc<GroupSet>> = std::collections::HashMap::new();
    let mut passages = Vec::with_capacity(doc.extracted.blocks.len());
    // Passages that hold a placeholder mark (or are guidance): what tells an unfilled template.
    let mut marked = 0usize;
    let mut doc_vec = vec![0f32; model.dims()];
    for (position, block) in doc.extracted.blocks.iter().enumerate() {
        let ctx = block.context.as_str();
        let context_embedding = *context_keys.entry(ctx).or_insert_with(|| {
            contexts.push(model.embed(&format!("{title}. {ctx}")));
            sections.push(GroupSet::default());
            contexts.len() - 1
        });
        let context_groups = context_group_cache.entry(ctx).or_insert_with(|| concepts.groups(ctx).into()).clone();
        let header_groups =
            header_group_cache.entry(block.header.as_str()).or_insert_with(|| concepts.groups(&block.header).into()).clone();
        let chars = block.text.chars().count();
        let kind = kind_of(block, chars);
        let candidate =
            !matches!(block.kind, BlockKind::Heading | BlockKind::TableHeader) && !crate::extract::meta::is_control_row(block, position);
        let sentences = sentences(&block.text);
        let (groups, embedding) = if candidate {
            let embed_text = if block.header.is_empty() { block.text.clone() } else { format!("{} {}", block.header, block.text) };
            (concepts.groups(&block.text), model.embed(&embed_text))
        } else {
            (GroupSet::default(), Vec::new())
        };
        let sentence_embeddings = if candidate && sentences.len() > 1 && matches!(block.kind, BlockKind::Paragraph | BlockKind::ListItem) {
            sentences.iter().map(|r| Packed::pack(&model.embed(&block.text[r.clone()]))).collect()
        } else {
            Vec::new()
        };
        for (a, v) in doc_vec.iter_mut().zip(&embedding) {
            *a += v;
        }
        let embedding = if embedding.is_empty() { Packed::default() } else { Packed::pack(&embedding) };
        let placeholder_spans = super::refuse::placeholder_spans(&block.text);
        // Template text throughout: a guidance block, or placeholders with next to no content beside them.
        let placeholder = block.guidance || super::refuse::is_template_text(&block.text, &placeholder_spans);
        // A document whose passages hold placeholders here and there (even beside content) is a template.
        if block.guidance || !placeholder_spans.is_empty() {
            marked += 1;
        }
        if !placeholder {
            sections[context_embedding].union(&groups);
        }
        passages.push(PassageInfo {
            groups,
            header_groups,
            context_groups,
            embedding,
            sentence_embeddings,
            context_embedding,
            section: context_embedding,
            kind,
            placeholder,
            placeholder_spans,
        });
    }
    let n = passages.len();
    let template = marked >= 3 && marked * 20 >= n;
    crate::index::embed::normalise(&mut doc_vec);
    let best = |protos: &[Vector]| protos.iter().map(|p| cosine(p, &doc_vec)).fold(f32::MIN, f32::max);
    let subject = if n == 0 { 0.0 } else { best(on) - best(off) };
    DocInfo { glossary, template, title_groups: concepts.groups(&title), subject, passages, contexts, sections }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_split_keeps_abbreviations_and_cells() {
        let t = "Tools e.g. Semgrep run. Results go to Jira; fixes follow. A | B";
        let s: Vec<&str> = sentences(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(s, vec!["Tools e.g. Semgrep run.", "Results go to Jira; fixes follow.", "A", "B"]);
    }

    #[test]
    fn reference_entries_name_documents() {
        assert!(looks_like_reference("[3] SOP-ENG-012 Secure Coding Standard, rev 2.1"));
        assert!(looks_like_reference("IEC 62443-4-1:2018 Secure product development lifecycle requirements"));
        assert!(!looks_like_reference("SOP-ENG-012 shall be applied to every merge request; deviations are recorded."));
        assert!(is_reference_heading("1 Purpose › 2 References"));
        assert!(!is_reference_heading("4 Code review"));
    }
}
