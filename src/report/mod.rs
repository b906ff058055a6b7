//! Review → bytes, one module per format. Reports read verdicts, never recompute them; document-derived
//! text is escaped for the target format.

pub mod clause_page;
pub mod html;
pub mod json;
pub mod markdown;
pub mod matrix;
pub mod oscal;
pub mod pdf;
pub mod sarif;
pub mod terminal;

/// Output formats of `crosswalk review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The at-a-glance summary as text (what a terminal shows); `terminal` is accepted too.
    #[value(name = "text", alias = "terminal")]
    Terminal,
    /// The `crosswalk.review/1` contract.
    Json,
    /// A detailed report in Markdown.
    Md,
    /// A self-contained, printable HTML report.
    Html,
    /// The HTML report printed to PDF by headless Chromium.
    Pdf,
    /// Traceability matrix workbook (matrix, gaps, refused passages, documents).
    Xlsx,
    /// The traceability matrix as CSV.
    Csv,
    /// OSCAL 1.2 assessment-results JSON.
    Oscal,
    /// SARIF 2.1.0, one result per gap.
    Sarif,
}

impl ReportFormat {
    /// Bytes that are not text: written to a file, never to a terminal.
    pub fn is_binary(self) -> bool {
        matches!(self, ReportFormat::Pdf | ReportFormat::Xlsx)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Pdf(#[from] pdf::PdfError),
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// A relative path as a URI reference (each byte outside the unreserved set percent-encoded).
pub(crate) fn uri_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Render `review` in `format`.
pub fn render(
    format: ReportFormat,
    review: &crate::review::Review,
    catalog: &crate::catalog::Catalog,
    detail: html::Detail,
) -> Result<Vec<u8>, ReportError> {
    Ok(match format {
        ReportFormat::Terminal => terminal::render(review).into_bytes(),
        ReportFormat::Json => json::render(review, catalog).into_bytes(),
        ReportFormat::Md => markdown::render(review, catalog).into_bytes(),
        ReportFormat::Html => html::render(review, catalog, detail).into_bytes(),
        ReportFormat::Pdf => pdf::html_to_pdf(&html::render(review, catalog, detail))?,
        ReportFormat::Xlsx => matrix::xlsx(review, catalog)?,
        ReportFormat::Csv => matrix::csv(review).into_bytes(),
        ReportFormat::Oscal => oscal::assessment_results(review).into_bytes(),
        ReportFormat::Sarif => sarif::render(review, catalog).into_bytes(),
    })
}

/// What an automated review cannot judge; stated in every detailed report.
pub const LIMITS: &str = "crosswalk reads the documents it is given and checks that passages state each practice is in place. \
It cannot tell whether the practice is actually followed, whether records are complete, or whether a document it was not \
given exists. Verdicts rest on the catalog's paraphrase of IEC 81001-5-1, not on the licensed text. A qualified reviewer \
must confirm every verdict before it is relied on at audit.";

/// Text from a document store (a file name, a reason naming one) made safe for a terminal: control
/// characters — newlines, escape sequences that would recolour or rewrite the screen — are shown as
/// escapes instead of acting.
pub fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars().flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect()
}

#[cfg(test)]
mod printable_tests {
    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(super::printable("a\nb\u{1b}[31mred.md"), "a\\nb\\u{1b}[31mred.md");
        assert_eq!(super::printable("plain name.pdf"), "plain name.pdf");
    }
}
