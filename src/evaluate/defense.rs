//! The audit-defense paragraph. It asserts only what the cited evidence shows: for a met clause the
//! catalog's template (every constraint it speaks of is covered), filled with the product, manufacturer
//! and the IDs of the documents actually cited; for a partial clause a paragraph built from the covered
//! constraints alone, each with the documents that evidence it, followed by what is still open.

use crate::catalog::Clause;
use crate::model::Document;
use crate::review::{ConstraintResult, GapFinding};

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A constraint's text as a clause of a sentence: without its obligation tag ("O2: ", "a) ") and final stop.
fn as_claim(text: &str) -> String {
    let t = text.trim();
    let t = match t.split_once(": ") {
        Some((tag, rest)) if tag.len() <= 4 && tag.starts_with('O') => rest,
        _ => t,
    };
    let t = match t.split_once(") ") {
        Some((tag, rest)) if tag.len() == 1 && tag.chars().all(|c| c.is_ascii_lowercase()) => rest,
        _ => t,
    };
    let t = t.trim_end_matches('.');
    let mut c = t.chars();
    match c.next() {
        // Keep acronyms ("SBOM", "PSIRT") as written; lower-case an ordinary first word.
        Some(f) if f.is_uppercase() && !c.clone().next().is_some_and(|n| n.is_uppercase()) => f.to_lowercase().chain(c).collect(),
        _ => t.to_string(),
    }
}

pub(super) fn fill(
    clause: &Clause,
    settings: &super::Settings,
    docs: &[Document],
    cited: &[usize],
    constraints: &[ConstraintResult],
    gaps: &[GapFinding],
) -> String {
    let manufacturer = settings.manufacturer.as_deref().unwrap_or("the manufacturer");
    let open: Vec<&ConstraintResult> = constraints.iter().filter(|c| c.required && !c.covered).collect();
    if open.is_empty() {
        let ids: Vec<String> = cited.iter().map(|d| docs[*d].display_id()).collect();
        return clause
            .audit_defense
            .replace("{product}", &settings.product)
            .replace("{documents}", &list(&ids))
            .replace("{manufacturer}", manufacturer);
    }
    let mut claims = Vec::new();
    for c in constraints.iter().filter(|c| c.covered) {
        let mut ids: Vec<String> = Vec::new();
        for e in &c.evidence {
            let id = docs[e.doc].display_id();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        claims.push(format!("{} ({})", as_claim(&c.text), list(&ids)));
    }
    let mut text =
        format!("Only partly defensible today. For {}, {manufacturer}'s documents show that {}.", settings.product, list(&claims));
    let titles: Vec<String> = gaps.iter().map(|g| format!("{} ({})", g.title, g.severity.as_str())).collect();
    let open_list: Vec<String> = open.iter().map(|c| as_claim(&c.text)).collect();
    text.push_str(&format!(" Not yet evidenced, to be closed before this defence is used: {}.", list(&open_list)));
    if !titles.is_empty() {
        text.push_str(&format!(" Open gaps: {}.", titles.join("; ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::as_claim;

    #[test]
    fn constraint_texts_read_as_claims() {
        assert_eq!(as_claim("O1: each report is investigated in a timely way."), "each report is investigated in a timely way");
        assert_eq!(
            as_claim("c) Static code analysis is run against the secure coding standard."),
            "static code analysis is run against the secure coding standard"
        );
        assert_eq!(as_claim("SBOM is kept per release."), "SBOM is kept per release");
    }
}
