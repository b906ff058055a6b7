//! The detailed report as one self-contained, printable HTML file (askama template
//! `templates/report.html`, auto-escaped; CSS and SVG charts inline; nothing fetched). `Detail::Summary`
//! is the at-a-glance view: dashboard and gap list only.

use crate::catalog::{Catalog, FRAMEWORKS, Severity};
use crate::model::{DocStatus, Verdict};
use crate::review::Review;
use askama::Template;
use std::fmt::Write as _;

/// How much the HTML (and PDF) report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Detail {
    /// Dashboard and gap list.
    Summary,
    /// Everything: per clause evidence, refusals, gaps, audit defense, inventory.
    #[default]
    Full,
}

pub(crate) struct EvView {
    pub(crate) quote: String,
    /// The quote cut on a word boundary for the clause pages of the report (the appendix has it whole).
    pub(crate) short: String,
    /// The passage's number in the report's appendix ("E12"), shared by every constraint that cites it.
    pub(crate) cite: String,
    /// Document, block and byte range: one passage, however many constraints cite it.
    pub(crate) key: (usize, usize, usize, usize),
    pub(crate) doc_id: String,
    pub(crate) path: String,
    pub(crate) locator: String,
    pub(crate) score: String,
    pub(crate) strength: &'static str,
    pub(crate) kind: &'static str,
    /// The document's revision at its source ("commit 1a2b…", "Drive revision 41"), or empty.
    pub(crate) revision: String,
    /// An `https:` link to the document at its source (Drive), or empty.
    pub(crate) link: String,
}

pub(crate) struct ConsView {
    pub(crate) id: String,
    pub(crate) text: String,
    pub(crate) covered: bool,
    pub(crate) evidence: Vec<EvView>,
    /// Further passages cited in the JSON/XLSX reports but not printed here.
    pub(crate) more: usize,
}

/// Quotes printed per constraint; the JSON and XLSX reports carry them all.
const QUOTES_SHOWN: usize = 2;

pub(crate) struct RejView {
    pub(crate) quote: String,
    /// The reason in words ("file name matches, content does not"), never an internal code.
    pub(crate) reason: &'static str,
    pub(crate) explain: &'static str,
    pub(crate) doc_id: String,
    pub(crate) path: String,
    pub(crate) locator: String,
    /// Where the passage is, for the web app's evidence viewer.
    pub(crate) doc: usize,
    pub(crate) block: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

pub(crate) struct GapView {
    pub(crate) clause: String,
    pub(crate) title: String,
    pub(crate) severity: &'static str,
    pub(crate) description: String,
    pub(crate) remedy: String,
}

pub(crate) struct ClauseView {
    pub(crate) id: String,
    pub(crate) anchor: String,
    pub(crate) title: String,
    pub(crate) verdict: &'static str,
    pub(crate) verdict_label: &'static str,
    pub(crate) covered: usize,
    pub(crate) total: usize,
    pub(crate) requirement: String,
    pub(crate) confidence: &'static str,
    pub(crate) title_status: &'static str,
    pub(crate) justification: String,
    pub(crate) constraints: Vec<ConsView>,
    pub(crate) rejected: Vec<RejView>,
    pub(crate) gaps: Vec<GapView>,
    pub(crate) defense: Option<String>,
    pub(crate) maps: Vec<(String, String)>,
    /// The reviewer's decision, if any.
    pub(crate) decision: Option<DecisionView>,
}

impl ClauseView {
    /// The cited passages once each (a passage may be cited under several constraints), in citation order.
    pub(crate) fn distinct_passages(&self) -> Vec<&EvView> {
        let mut seen = std::collections::HashSet::new();
        self.constraints.iter().flat_map(|k| &k.evidence).filter(|e| seen.insert((&e.path, &e.locator))).collect()
    }
}

pub(crate) struct DecisionView {
    pub(crate) verdict: &'static str,
    pub(crate) verdict_label: &'static str,
    pub(crate) confirms: bool,
    pub(crate) reason: String,
    pub(crate) by: String,
    pub(crate) at: String,
    pub(crate) suspect: bool,
    pub(crate) changes: String,
}

struct GroupView {
    title: String,
    /// The numbered heading ("4 Organisational requirements"), as in the contents.
    heading: String,
    clauses: Vec<ClauseView>,
}

struct DocView {
    path: String,
    doc_id: String,
    revision: String,
    state: &'static str,
    format: &'static str,
    status: String,
    sha: String,
    /// Where it came from when not a plain folder (commit, Drive revision), with a link if any.
    origin: String,
    link: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    tool_version: &'static str,
    detail_full: bool,
    product: String,
    product_inferred: bool,
    manufacturer: Option<String>,
    cyber_device: Option<bool>,
    not_applicable: Vec<(String, String)>,
    root: String,
    started: String,
    finished: String,
    catalog_title: String,
    catalog_base: String,
    catalog_version: String,
    catalog_sha: String,
    judged_by: String,
    page_header_left: String,
    page_header_right: String,
    files_total: usize,
    files_read: usize,
    clause_count: usize,
    skipped: Vec<(String, String)>,
    /// Documents read in part: path, reason.
    cut: Vec<(String, String)>,
    limits: &'static str,
    notice: String,
    met: usize,
    partial: usize,
    missing: usize,
    not_applicable_count: usize,
    gap_count: usize,
    critical_count: usize,
    donut: String,
    group_chart: String,
    refusals: Vec<(&'static str, usize)>,
    groups: Vec<GroupView>,
    gaps: Vec<GapView>,
    documents: Vec<DocView>,
    /// A stable number for this review: the same inputs give the same number.
    report_number: String,
    /// Contents: anchor, title (the page number is filled in when printed to PDF).
    toc: Vec<(String, String)>,
    /// Every cited passage once, in order of first citation.
    cited: Vec<CitedView>,
    /// "Reviewed by" in the approval block: the reviewers who decided, and when they last did.
    reviewed_by: String,
    /// Dates (YYYY-MM-DD) for the approval block: when the tool finished, when a reviewer last decided.
    prepared_on: String,
    reviewed_at: String,
    decided: usize,
    suspect: usize,
}

struct CitedView {
    cite: String,
    quote: String,
    doc_id: String,
    path: String,
    locator: String,
    revision: String,
    link: String,
    /// The constraints that cite it.
    cited_for: String,
}

pub(crate) fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "met",
        Verdict::Partial => "partial",
        Verdict::Missing => "missing",
        Verdict::NotApplicable => "not applicable",
    }
}

/// A string safe inside a CSS string literal in a `<style>` element.
fn css_string(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\\' => "\\\\".to_string(),
            '"' => "\\\"".to_string(),
            '<' => "\\3C ".to_string(),
            '>' => "\\3E ".to_string(),
            c if c.is_control() => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

const COLORS: [(&str, &str); 4] = [("met", "#1f7a4d"), ("partial", "#b26b00"), ("missing", "#b3261e"), ("not applicable", "#9aa1ad")];

/// Donut chart of the verdict counts (numbers only: no document text reaches the SVG).
pub(crate) fn donut(counts: [usize; 4]) -> String {
    let total: usize = counts.iter().sum();
    let mut s = String::from(
        r##"<svg width="170" height="170" viewBox="0 0 42 42" role="img" aria-label="verdicts"><circle cx="21" cy="21" r="15.915" fill="transparent" stroke="#eef0f4" stroke-width="6"/>"##,
    );
    let mut offset = 25.0;
    for (i, n) in counts.iter().enumerate() {
        if *n == 0 || total == 0 {
            continue;
        }
        let pct = *n as f64 * 100.0 / total as f64;
        let _ = write!(
            s,
            r##"<circle cx="21" cy="21" r="15.915" fill="transparent" stroke="{}" stroke-width="6" stroke-dasharray="{pct:.2} {:.2}" stroke-dashoffset="{offset:.2}"/>"##,
            COLORS[i].1,
            100.0 - pct
        );
        offset -= pct;
    }
    let _ = write!(
        s,
        r##"<text x="21" y="22.5" text-anchor="middle" font-size="6" font-weight="700" fill="#1d2433">{total}</text><text x="21" y="27" text-anchor="middle" font-size="2.6" fill="#5b6478">clauses</text></svg>"##
    );
    s
}

/// Horizontal stacked bars per clause group.
pub(crate) fn group_chart(rows: &[(String, [usize; 4])]) -> String {
    let bar_w = 520.0;
    let h = 22 * rows.len() + 30;
    let mut s = format!(r##"<svg width="100%" viewBox="0 0 860 {h}" role="img" aria-label="verdicts per clause group">"##);
    for (i, (label, counts)) in rows.iter().enumerate() {
        let y = 6 + i * 22;
        let total: usize = counts.iter().sum();
        let label: String = label.chars().filter(|c| c.is_alphanumeric() || " .,-&/()".contains(*c)).collect();
        let _ = write!(s, r##"<text x="0" y="{}" font-size="12" fill="#1d2433">{label}</text>"##, y + 13);
        let mut x = 320.0;
        for (k, n) in counts.iter().enumerate() {
            if *n == 0 || total == 0 {
                continue;
            }
            let w = bar_w * *n as f64 / total as f64;
            let _ = write!(
                s,
                r##"<rect x="{x:.1}" y="{y}" width="{w:.1}" height="16" fill="{}"><title>{} {}</title></rect>"##,
                COLORS[k].1, n, COLORS[k].0
            );
            if w > 18.0 {
                let _ = write!(
                    s,
                    r##"<text x="{:.1}" y="{}" font-size="11" fill="#fff" text-anchor="middle">{n}</text>"##,
                    x + w / 2.0,
                    y + 12
                );
            }
            x += w;
        }
    }
    let ly = 6 + rows.len() * 22 + 10;
    for (k, (name, color)) in COLORS.iter().enumerate() {
        let lx = 320 + k * 120;
        let _ = write!(
            s,
            r##"<rect x="{lx}" y="{ly}" width="10" height="10" fill="{color}"/><text x="{}" y="{}" font-size="11" fill="#5b6478">{name}</text>"##,
            lx + 14,
            ly + 9
        );
    }
    s.push_str("</svg>");
    s
}

pub(crate) fn idx(v: Verdict) -> usize {
    match v {
        Verdict::Met => 0,
        Verdict::Partial => 1,
        Verdict::Missing => 2,
        Verdict::NotApplicable => 3,
    }
}

/// Characters of a quote shown under a constraint in the report; the appendix prints it whole.
const SHORT_QUOTE: usize = 240;

/// `text` cut to at most `max` characters at the end of a word, with an ellipsis when cut.
pub(crate) fn cut_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max).collect();
    let next = text.chars().nth(max);
    // Cut inside a word: go back to the last space.
    let cut = if next.is_some_and(|c| !c.is_whitespace()) {
        match head.rfind(char::is_whitespace) {
            Some(i) if i > max / 2 => head[..i].to_string(),
            _ => head,
        }
    } else {
        head
    };
    format!("{}…", cut.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':')))
}

/// The view of one clause result, shared by the HTML report and the web app; at most `quotes` quotes are
/// shown per constraint.
pub(crate) fn clause_view(review: &Review, catalog: &Catalog, c: &crate::review::ClauseResult, quotes: usize) -> ClauseView {
    let cl = catalog.clause(&c.id);
    let gaps: Vec<GapView> = c
        .gaps
        .iter()
        .map(|g| GapView {
            clause: c.id.clone(),
            title: g.title.clone(),
            severity: g.severity.as_str(),
            description: g.description.clone(),
            remedy: g.remedy.clone(),
        })
        .collect();
    ClauseView {
        id: c.id.clone(),
        anchor: format!("clause-{}", c.id.replace('.', "-")),
        title: c.title.clone(),
        verdict: c.verdict.as_str(),
        verdict_label: verdict_label(c.verdict),
        covered: c.constraints.iter().filter(|k| k.covered).count(),
        total: c.constraints.len(),
        requirement: cl.map(|x| x.requirement.clone()).unwrap_or_default(),
        confidence: cl.map(|x| x.confidence.as_str()).unwrap_or(""),
        title_status: cl.map(|x| x.title_status.as_str()).unwrap_or("confirmed"),
        justification: c.justification.clone(),
        constraints: c
            .constraints
            .iter()
            .map(|k| ConsView {
                id: k.id.clone(),
                text: k.text.clone(),
                covered: k.covered,
                more: k.evidence.len().saturating_sub(quotes),
                evidence: k
                    .evidence
                    .iter()
                    .take(quotes)
                    .map(|e| EvView {
                        quote: review.quote(e).to_string(),
                        short: cut_words(review.quote(e), SHORT_QUOTE),
                        cite: String::new(),
                        key: (e.doc, e.block, e.range.start, e.range.end),
                        doc_id: review.documents[e.doc].display_id(),
                        path: review.documents[e.doc].path.clone(),
                        locator: review.locator(e.doc, Some(e.block)),
                        score: format!("{:.2}", e.score),
                        strength: e.strength.as_str(),
                        kind: e.kind.as_str(),
                        revision: review.documents[e.doc].origin.revision_label().unwrap_or_default(),
                        link: review.documents[e.doc].origin.link().unwrap_or_default().to_string(),
                    })
                    .collect(),
            })
            .collect(),
        rejected: c
            .rejected
            .iter()
            .map(|r| RejView {
                quote: review.rejection_quote(r).to_string(),
                reason: r.explain_short(),
                explain: r.explain(),
                doc_id: review.documents[r.doc].display_id(),
                path: review.documents[r.doc].path.clone(),
                locator: review.locator(r.doc, r.block),
                doc: r.doc,
                block: r.block.unwrap_or(0),
                start: r.range.start,
                end: r.range.end,
            })
            .collect(),
        gaps,
        decision: review.decision(&c.id).map(|a| DecisionView {
            verdict: a.decision.verdict.as_str(),
            verdict_label: verdict_label(a.decision.verdict),
            confirms: a.decision.verdict == a.decision.machine_verdict,
            reason: a.decision.reason.clone(),
            by: a.decision.by.clone(),
            at: a.decision.at.clone(),
            suspect: a.suspect,
            changes: a.changes.join("; "),
        }),
        defense: c.audit_defense.clone(),
        maps: cl
            .map(|x| {
                FRAMEWORKS
                    .iter()
                    .filter_map(|(key, name)| x.crosswalk.get(*key).filter(|v| !v.is_empty()).map(|v| (name.to_string(), v.join(", "))))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

pub fn render(review: &Review, catalog: &Catalog, detail: Detail) -> String {
    let mut groups: Vec<GroupView> = Vec::new();
    let mut chart_rows: Vec<(String, [usize; 4])> = Vec::new();
    let mut all_gaps = Vec::new();
    let mut cited: Vec<CitedView> = Vec::new();
    let mut cited_index: std::collections::HashMap<(usize, usize, usize, usize), usize> = std::collections::HashMap::new();
    for c in &review.clauses {
        let group = catalog.top_group(&c.id);
        if groups.last().is_none_or(|g| g.title != group) {
            groups.push(GroupView { title: group.clone(), heading: String::new(), clauses: vec![] });
            chart_rows.push((group.clone(), [0; 4]));
        }
        if let Some(row) = chart_rows.last_mut() {
            row.1[idx(c.verdict)] += 1;
        }
        for g in &c.gaps {
            all_gaps.push((
                g.severity,
                c.id.clone(),
                GapView {
                    clause: c.id.clone(),
                    title: g.title.clone(),
                    severity: g.severity.as_str(),
                    description: g.description.clone(),
                    remedy: g.remedy.clone(),
                },
            ));
        }
        let mut view = clause_view(review, catalog, c, if detail == Detail::Full { usize::MAX } else { QUOTES_SHOWN });
        for k in &mut view.constraints {
            for e in &mut k.evidence {
                let n = match cited_index.get(&e.key) {
                    Some(&n) => n,
                    None => {
                        cited.push(CitedView {
                            cite: format!("E{}", cited.len() + 1),
                            quote: e.quote.clone(),
                            doc_id: e.doc_id.clone(),
                            path: e.path.clone(),
                            locator: e.locator.clone(),
                            revision: e.revision.clone(),
                            link: e.link.clone(),
                            cited_for: String::new(),
                        });
                        cited_index.insert(e.key, cited.len() - 1);
                        cited.len() - 1
                    }
                };
                let entry = &mut cited[n];
                if !entry.cited_for.is_empty() {
                    entry.cited_for.push_str(", ");
                }
                entry.cited_for.push_str(&k.id);
                e.cite = entry.cite.clone();
            }
        }
        if let Some(g) = groups.last_mut() {
            g.clauses.push(view);
        }
    }
    // Numbered sections: the numbers make each heading findable in the printed PDF (for the contents' page
    // numbers) and citable in an audit.
    let full = detail == Detail::Full;
    let mut toc: Vec<(String, String)> = vec![
        ("coverage".into(), "Coverage statement".into()),
        ("summary".into(), "Summary".into()),
        ("gaps".into(), "Gaps to close".into()),
    ];
    if full {
        toc.extend(groups.iter().enumerate().map(|(i, g)| (format!("group-{i}"), g.title.clone())));
        toc.push(("inventory".into(), "Document inventory".into()));
        toc.push(("cited".into(), "Cited passages".into()));
    }
    // A clause group's title carries its own number ("4 General requirements"); other sections are numbered
    // on from the last number used.
    let mut n = 0u32;
    for t in toc.iter_mut() {
        let own = t.1.split_whitespace().next().and_then(|w| w.parse::<u32>().ok());
        match own {
            Some(k) if t.0.starts_with("group-") && k > n => n = k,
            _ => {
                n += 1;
                t.1 = format!("{n} {}", t.1);
            }
        }
    }
    for (i, g) in groups.iter_mut().enumerate() {
        g.heading = toc.iter().find(|t| t.0 == format!("group-{i}")).map(|t| t.1.clone()).unwrap_or_else(|| g.title.clone());
    }
    all_gaps.sort_by(|a, b| a.0.cmp(&b.0).then(crate::catalog::clause_sort_key(&a.1).cmp(&crate::catalog::clause_sort_key(&b.1))));
    let critical_count = all_gaps.iter().filter(|g| g.0 == Severity::Critical).count();
    let s = &review.summary;
    let page = Page {
        tool_version: env!("CARGO_PKG_VERSION"),
        detail_full: detail == Detail::Full,
        product: review.product.clone(),
        product_inferred: review.product_inferred,
        manufacturer: review.manufacturer.clone(),
        cyber_device: review.cyber_device,
        not_applicable: review.not_applicable.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        root: review.source_line(),
        started: review.started.clone(),
        finished: review.finished.clone(),
        catalog_title: catalog.title.clone(),
        catalog_base: catalog.base_text.clone(),
        catalog_version: catalog.version.clone(),
        catalog_sha: review.catalog_sha256.clone(),
        judged_by: format!("{} · {}", review.model, review.judge),
        page_header_left: css_string(&format!("{} — {} review {}", review.product, catalog.title, review.report_number())),
        page_header_right: css_string(&format!(
            "{} · crosswalk {} · catalog {}",
            review.finished.get(..10).unwrap_or(""),
            env!("CARGO_PKG_VERSION"),
            catalog.version
        )),
        files_total: review.documents.len(),
        files_read: review.documents.iter().filter(|d| d.status == DocStatus::Ok).count(),
        clause_count: review.clauses.len(),
        skipped: review
            .documents
            .iter()
            .filter(|d| d.status != DocStatus::Ok)
            .map(|d| (d.path.clone(), d.reason.clone().unwrap_or_default()))
            .chain(review.source_problems.iter().map(|p| (p.path.clone(), p.reason.clone())))
            .collect(),
        cut: review.cut_documents().map(|(p, why)| (p.to_string(), why.to_string())).collect(),
        limits: super::LIMITS,
        notice: catalog.notice.clone(),
        met: s.met,
        partial: s.partial,
        missing: s.missing,
        not_applicable_count: s.not_applicable,
        gap_count: all_gaps.len(),
        critical_count,
        donut: donut([s.met, s.partial, s.missing, s.not_applicable]),
        group_chart: group_chart(&chart_rows),
        refusals: review.refusals_by_reason().into_iter().map(|(r, n)| (r.explain_short(), n)).collect(),
        groups,
        gaps: all_gaps.into_iter().map(|g| g.2).collect(),
        documents: review
            .documents
            .iter()
            .map(|d| DocView {
                path: d.path.clone(),
                doc_id: d.extracted.meta.doc_id.clone().unwrap_or_default(),
                revision: d.extracted.meta.revision.clone().unwrap_or_default(),
                state: d.extracted.meta.state.as_str(),
                format: d.format.as_str(),
                status: d.status_line(),
                sha: d.sha256.clone(),
                origin: d.origin.revision_label().unwrap_or_default(),
                link: d.origin.link().unwrap_or_default().to_string(),
            })
            .collect(),
        report_number: review.report_number(),
        toc,
        cited,
        reviewed_by: {
            let mut names: Vec<&str> = review.decisions.iter().map(|a| a.decision.by.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            names.join(", ")
        },
        prepared_on: review.finished.chars().take(10).collect(),
        reviewed_at: review.decisions.iter().map(|a| a.decision.at.as_str()).max().unwrap_or("").chars().take(10).collect(),
        decided: review.decisions.len(),
        suspect: review.decisions.iter().filter(|a| a.suspect).count(),
    };
    page.render().unwrap_or_else(|e| format!("<!DOCTYPE html><p>report could not be rendered: {}</p>", e.to_string().replace('<', "&lt;")))
}

impl Page {
    /// The numbered heading of a section of the contents.
    fn heading(&self, anchor: &str) -> String {
        self.toc.iter().find(|t| t.0 == anchor).map(|t| t.1.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_cut_at_word_ends() {
        assert_eq!(cut_words("short", 10), "short");
        assert_eq!(cut_words("the secure coding standard applies", 14), "the secure…");
        assert_eq!(cut_words("the secure, coding", 11), "the secure…");
        assert_eq!(cut_words("abcdefghijklmnop", 5), "abcde…", "one long word is cut where it must be");
    }

    #[test]
    fn css_strings_cannot_escape() {
        assert_eq!(css_string("a\"b</style>"), "a\\\"b\\3C /style\\3E ");
    }
}
