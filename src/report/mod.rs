//! Review → bytes, one module per format. Reports read verdicts, never recompute them; document-derived
//! text is escaped for the target format.

pub mod clause_page;
pub mod json;
pub mod markdown;
pub mod terminal;

/// Output formats of `crosswalk review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// A summary for the terminal.
    Terminal,
    /// The `crosswalk.review/1` contract.
    Json,
    /// A detailed report in Markdown.
    Md,
}

/// Render `review` in `format`.
pub fn render(format: ReportFormat, review: &crate::review::Review, catalog: &crate::catalog::Catalog) -> String {
    match format {
        ReportFormat::Terminal => terminal::render(review),
        ReportFormat::Json => json::render(review, catalog),
        ReportFormat::Md => markdown::render(review, catalog),
    }
}

/// What an automated review cannot judge; stated in every detailed report.
pub const LIMITS: &str = "crosswalk reads the documents it is given and checks that passages state each practice is in place. \
It cannot tell whether the practice is actually followed, whether records are complete, or whether a document it was not \
given exists. Verdicts rest on the catalog's paraphrase of IEC 81001-5-1, not on the licensed text. A qualified reviewer \
must confirm every verdict before it is relied on at audit.";
