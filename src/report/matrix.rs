//! The traceability matrix auditors ask for: clause → verdict → constraint → evidence document →
//! locator → quote, plus gaps, refused passages and the document inventory. XLSX (rust_xlsxwriter: frozen
//! headers, filters) and CSV (the matrix sheet; cells that a spreadsheet would run as formulas are
//! defused).

use crate::catalog::Catalog;
use crate::review::Review;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

type Row = Vec<String>;
/// A sheet: name, (header, rows), column widths.
type Sheet<'a> = (&'a str, (Row, Vec<Row>), &'a [f64]);

fn matrix(review: &Review) -> (Row, Vec<Row>) {
    let header = [
        "Clause",
        "Title",
        "Verdict",
        "Constraint",
        "Constraint text",
        "Status",
        "Document",
        "Document ID",
        "Revision",
        "Locator",
        "Quote",
        "Score",
        "Strength",
        "Passage",
        "Source revision",
    ];
    let mut rows = Vec::new();
    for c in &review.clauses {
        for k in &c.constraints {
            let base = vec![
                c.id.clone(),
                c.title.clone(),
                c.verdict.as_str().to_string(),
                k.id.clone(),
                k.text.clone(),
                if k.covered { "covered" } else { "not_covered" }.to_string(),
            ];
            if k.evidence.is_empty() {
                let mut r = base.clone();
                r.extend(std::iter::repeat_n(String::new(), 9));
                rows.push(r);
            }
            for e in &k.evidence {
                let d = &review.documents[e.doc];
                let mut r = base.clone();
                r.extend([
                    d.path.clone(),
                    d.display_id(),
                    d.extracted.meta.revision.clone().unwrap_or_default(),
                    review.locator(e.doc, Some(e.block)),
                    review.quote(e).to_string(),
                    format!("{:.2}", e.score),
                    e.strength.as_str().to_string(),
                    e.kind.as_str().to_string(),
                    source_revision(d),
                ]);
                rows.push(r);
            }
        }
    }
    (header.iter().map(|s| s.to_string()).collect(), rows)
}

fn decisions(review: &Review) -> (Row, Vec<Row>) {
    let header = ["Clause", "Machine verdict", "Reviewer verdict", "Reason", "By", "At", "Suspect", "What changed"];
    let rows = review
        .decisions
        .iter()
        .map(|a| {
            let d = &a.decision;
            vec![
                d.clause.clone(),
                d.machine_verdict.as_str().into(),
                d.verdict.as_str().into(),
                d.reason.clone(),
                d.by.clone(),
                d.at.clone(),
                if a.suspect { "suspect".into() } else { String::new() },
                a.changes.join("; "),
            ]
        })
        .collect();
    (header.iter().map(|s| s.to_string()).collect(), rows)
}

fn gaps(review: &Review) -> (Row, Vec<Row>) {
    let header = ["Clause", "Title", "Verdict", "Gap", "Gap title", "Severity", "Description", "What to do"];
    let rows = review
        .clauses
        .iter()
        .flat_map(|c| {
            c.gaps.iter().map(move |g| {
                vec![
                    c.id.clone(),
                    c.title.clone(),
                    c.verdict.as_str().into(),
                    g.id.clone(),
                    g.title.clone(),
                    g.severity.as_str().into(),
                    g.description.clone(),
                    g.remedy.clone(),
                ]
            })
        })
        .collect();
    (header.iter().map(|s| s.to_string()).collect(), rows)
}

fn refused(review: &Review) -> (Row, Vec<Row>) {
    let header = ["Clause", "Constraint", "Reason", "Explanation", "Document", "Locator", "Quote"];
    let rows = review
        .clauses
        .iter()
        .flat_map(|c| {
            c.rejected.iter().map(move |r| {
                vec![
                    c.id.clone(),
                    r.constraint.clone().unwrap_or_default(),
                    r.reason.as_str().into(),
                    r.explain().into(),
                    review.documents[r.doc].path.clone(),
                    review.locator(r.doc, r.block),
                    review.rejection_quote(r).to_string(),
                ]
            })
        })
        .collect();
    (header.iter().map(|s| s.to_string()).collect(), rows)
}

/// The full revision at the source (a commit id, a Drive revision), or empty for a folder.
fn source_revision(d: &crate::model::Document) -> String {
    d.origin.revision().map(str::to_string).or_else(|| d.origin.revision_label()).unwrap_or_default()
}

fn documents(review: &Review) -> (Row, Vec<Row>) {
    let header =
        ["Path", "Document ID", "Title", "Revision", "State", "Format", "Status", "Reason", "Bytes", "SHA-256", "Source revision", "Link"];
    let rows = review
        .documents
        .iter()
        .map(|d| {
            let m = &d.extracted.meta;
            vec![
                d.path.clone(),
                m.doc_id.clone().unwrap_or_default(),
                d.title(),
                m.revision.clone().unwrap_or_default(),
                m.state.as_str().into(),
                d.format.as_str().into(),
                d.status.as_str().into(),
                d.reason.clone().unwrap_or_default(),
                d.bytes.to_string(),
                d.sha256.clone(),
                source_revision(d),
                d.origin.link().unwrap_or_default().to_string(),
            ]
        })
        .collect();
    (header.iter().map(|s| s.to_string()).collect(), rows)
}

/// The workbook: sheets Matrix, Gaps, Refused, Documents, About.
pub fn xlsx(review: &Review, catalog: &Catalog) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("DDE2EA");
    let wrap = Format::new().set_text_wrap();
    let sheets: [Sheet<'_>; 5] = [
        ("Matrix", matrix(review), &[8.0, 30.0, 10.0, 12.0, 45.0, 12.0, 40.0, 16.0, 9.0, 24.0, 70.0, 7.0]),
        ("Gaps", gaps(review), &[8.0, 30.0, 10.0, 12.0, 40.0, 10.0, 60.0, 60.0]),
        ("Refused", refused(review), &[8.0, 12.0, 12.0, 45.0, 40.0, 24.0, 70.0]),
        ("Decisions", decisions(review), &[8.0, 14.0, 14.0, 60.0, 20.0, 22.0, 9.0, 50.0]),
        ("Documents", documents(review), &[55.0, 16.0, 40.0, 9.0, 11.0, 10.0, 9.0, 40.0, 10.0, 66.0, 42.0, 40.0]),
    ];
    for (name, (header, rows), widths) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        for (c, h) in header.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            ws.write_string_with_format(0, col, h, &bold)?;
            ws.set_column_width(col, widths.get(c).copied().unwrap_or(15.0))?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, v) in row.iter().enumerate() {
                ws.write_string_with_format(r, u16::try_from(c).unwrap_or(u16::MAX), v, &wrap)?;
            }
        }
        let last_row = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        let last_col = u16::try_from(header.len().saturating_sub(1)).unwrap_or(0);
        ws.autofilter(0, 0, last_row.max(1), last_col)?;
        ws.set_freeze_panes(1, 0)?;
    }
    let about = wb.add_worksheet();
    about.set_name("About")?;
    let lines = [
        ("Product", review.product.clone()),
        ("Reviewed folder", review.root.clone()),
        ("Started", review.started.clone()),
        ("Finished", review.finished.clone()),
        ("Tool", format!("crosswalk {}", env!("CARGO_PKG_VERSION"))),
        ("Catalog", format!("{} {} ({})", catalog.title, catalog.version, catalog.base_text)),
        ("Catalog SHA-256", review.catalog_sha256.clone()),
        (
            "Summary",
            format!(
                "{} met, {} partial, {} missing, {} not applicable",
                review.summary.met, review.summary.partial, review.summary.missing, review.summary.not_applicable
            ),
        ),
        ("Limits", super::LIMITS.to_string()),
    ];
    about.set_column_width(0, 18.0)?;
    about.set_column_width(1, 110.0)?;
    for (i, (k, v)) in lines.iter().enumerate() {
        let r = u32::try_from(i).unwrap_or(0);
        about.write_string_with_format(r, 0, *k, &bold)?;
        about.write_string_with_format(r, 1, v, &wrap)?;
    }
    wb.save_to_buffer()
}

/// Keep a spreadsheet from running a cell as a formula (CSV injection).
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_string() }
}

fn csv_cell(cell: &str) -> String {
    let cell = defuse(cell);
    if cell.contains([',', '"', '\n', '\r']) { format!("\"{}\"", cell.replace('"', "\"\"")) } else { cell }
}

/// The matrix sheet as RFC 4180 CSV.
pub fn csv(review: &Review) -> String {
    let (header, rows) = matrix(review);
    let mut s = String::new();
    for row in std::iter::once(&header).chain(rows.iter()) {
        s.push_str(&row.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        s.push_str("\r\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
