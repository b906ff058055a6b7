//! `crosswalk catalog show`: one clause laid out like the sample clause page (maps to, requirement, what
//! changed, atomic constraints, common gaps, evidence signals, audit defense), as plain text.

use crate::catalog::{Catalog, Clause, FRAMEWORKS};
use std::fmt::Write as _;

fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if line.chars().count() + word.chars().count() + 1 > 96 && !line.is_empty() {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

pub fn render(catalog: &Catalog, clause: &Clause) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}\n", clause.title);
    if clause.title_status != crate::catalog::TitleStatus::Confirmed {
        let _ = writeln!(s, "(title {}: check against a licensed copy)\n", clause.title_status.as_str());
    }
    let _ = writeln!(s, "Maps to\n\n  {}: §{}", catalog.title, clause.id);
    for (key, name) in FRAMEWORKS {
        if let Some(refs) = clause.crosswalk.get(*key).filter(|r| !r.is_empty()) {
            let _ = writeln!(s, "  {name}: {}", refs.join(", "));
        }
    }
    let _ = writeln!(s, "\nRequirement (in our words; confidence: {})\n", clause.confidence.as_str());
    s.push_str(&wrap(&clause.requirement, "  "));
    let _ = writeln!(s, "\nWhat changed\n");
    s.push_str(&wrap(&clause.context, "  "));
    let _ = writeln!(s, "\nAtomic constraints\n");
    for c in &clause.constraints {
        let conf = if c.confidence == crate::catalog::Confidence::Stated { String::new() } else { format!(" [{}]", c.confidence.as_str()) };
        s.push_str(&wrap(&format!("• {} {}{conf}", c.id, c.text), "  "));
    }
    let _ = writeln!(s, "\nCommon gaps\n");
    for g in &clause.gaps {
        let _ = writeln!(s, "  {} — {}", g.title, g.severity.as_str());
        s.push_str(&wrap(&g.description, "    "));
        s.push_str(&wrap(&format!("What to do: {}", g.remedy), "    "));
        s.push('\n');
    }
    let _ = writeln!(s, "Evidence signals\n\n  • FILE_EXISTS\n\n    {}\n\n  • CONTENT_MATCH\n", clause.file_exists.as_str());
    s.push_str(&wrap(&clause.content_match, "    "));
    let _ = writeln!(s, "\nAudit defense\n");
    let template = clause
        .audit_defense
        .replace("{product}", "[your product]")
        .replace("{documents}", "[your document IDs]")
        .replace("{manufacturer}", "[your company]");
    s.push_str(&wrap(&template, "  "));
    if !catalog.notice.is_empty() {
        let _ = writeln!(s);
        s.push_str(&wrap(&catalog.notice, ""));
    }
    s
}
