//! The at-a-glance summary printed on a terminal: one line per clause, the counts, what was refused and
//! which files could not be read.

use crate::model::{DocStatus, Verdict};
use crate::review::Review;
use std::fmt::Write as _;

/// How the summary is laid out: plain (a file, a pipe) or for a colour terminal of a given width.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    /// ANSI colours for verdicts and severities.
    pub colour: bool,
    /// Columns available; titles are cut to fit.
    pub width: usize,
}

impl Default for Look {
    fn default() -> Self {
        Look { colour: false, width: 100 }
    }
}

/// `text` in the colour of a verdict or severity name, when colour is on.
fn paint(look: Look, key: &str, text: &str) -> String {
    if !look.colour {
        return text.to_string();
    }
    let code = match key {
        "met" => "32",
        "partial" | "major" => "33",
        "missing" | "critical" => "31;1",
        "minor" => "36",
        _ => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

pub fn render(review: &Review) -> String {
    render_with(review, Look::default())
}

/// The summary laid out for `look`.
pub fn render_with(review: &Review, look: Look) -> String {
    let mut s = String::new();
    let ok = review.documents.iter().filter(|d| d.status == DocStatus::Ok).count();
    let _ = writeln!(
        s,
        "crosswalk {} · {} (catalog {}) · product: {}{}",
        env!("CARGO_PKG_VERSION"),
        review.catalog_title,
        review.catalog_version,
        review.product,
        if review.product_inferred { " (inferred from document titles; set `product` in crosswalk.toml)" } else { "" }
    );
    let _ = writeln!(
        s,
        "Judged by {} · {}\nReviewed {}: {} files, {} read, {} skipped or unreadable\n",
        review.model,
        review.judge,
        review.source_line(),
        review.documents.len(),
        ok,
        review.documents.len() - ok
    );
    for (path, why) in review.cut_documents() {
        let _ = writeln!(s, "Read in part: {} — {}", super::printable(path), why);
    }
    let _ = writeln!(s, "{:<8} {:<15} {:>7}  Title", "Clause", "Verdict", "Covered");
    for c in &review.clauses {
        let covered = c.constraints.iter().filter(|k| k.covered).count();
        let cov = if c.verdict == Verdict::NotApplicable { "-".to_string() } else { format!("{covered}/{}", c.constraints.len()) };
        // 8 + 1 + 15 + 1 + 7 + 2 columns precede the title.
        let room = look.width.saturating_sub(34).max(20);
        let mut title = c.title.clone();
        if title.chars().count() > room {
            title = format!("{}…", title.chars().take(room - 1).collect::<String>());
        }
        let verdict = paint(look, c.verdict.as_str(), &format!("{:<15}", c.verdict.as_str()));
        let _ = writeln!(s, "{:<8} {verdict} {:>7}  {}", c.id, cov, title);
    }
    let m = &review.summary;
    let _ = writeln!(
        s,
        "\n{} clauses: {} met, {} partial, {} missing, {} not applicable",
        m.clauses, m.met, m.partial, m.missing, m.not_applicable
    );
    let gaps: usize = review.clauses.iter().map(|c| c.gaps.len()).sum();
    let critical: usize = review.clauses.iter().flat_map(|c| &c.gaps).filter(|g| g.severity == crate::catalog::Severity::Critical).count();
    let _ = writeln!(s, "{gaps} gaps ({critical} critical)");
    for c in &review.clauses {
        for g in c.gaps.iter().filter(|g| g.severity == crate::catalog::Severity::Critical) {
            let _ = writeln!(s, "  {} {:<8} {}", paint(look, "critical", "critical"), c.id, g.title);
        }
    }
    if let Some(cd) = review.cyber_device {
        let _ = writeln!(
            s,
            "FDA cyber device: {}",
            if cd { "yes — FD&C Act §524B applies (see `crosswalk catalog map --to 524b`)" } else { "no (declared)" }
        );
    }
    for (id, why) in &review.not_applicable {
        let _ = writeln!(s, "Not applicable {id}: {why}");
    }
    if !review.decisions.is_empty() {
        let suspect = review.decisions.iter().filter(|a| a.suspect).count();
        let _ = writeln!(s, "Reviewer decisions: {} ({suspect} suspect)", review.decisions.len());
        for a in review.decisions.iter().filter(|a| a.suspect) {
            let _ = writeln!(
                s,
                "  {} suspect {:<8} {} ({})",
                paint(look, "critical", "!"),
                a.decision.clause,
                a.decision.by,
                a.changes.join("; ")
            );
        }
    }
    let refusals = review.refusals_by_reason();
    if !refusals.is_empty() {
        let parts: Vec<String> = refusals.iter().map(|(r, n)| format!("{n} {}", r.explain_short())).collect();
        let _ = writeln!(s, "Passages refused as evidence: {}", parts.join(", "));
    }
    let bad: Vec<_> = review.documents.iter().filter(|d| d.status != DocStatus::Ok).collect();
    if !bad.is_empty() || !review.source_problems.is_empty() {
        let _ = writeln!(s, "\nNot read:");
        for d in bad {
            let _ = writeln!(s, "  {}: {}", super::printable(&d.path), super::printable(d.reason.as_deref().unwrap_or("")));
        }
        for p in &review.source_problems {
            let _ = writeln!(s, "  {}", super::printable(&p.to_string()));
        }
    }
    let _ = writeln!(s, "\nDetailed report with quotes, gaps and audit-defense text: add `--format md --output report.md`.");
    s
}
