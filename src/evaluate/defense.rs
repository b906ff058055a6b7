//! Fill a clause's audit-defense template with the product, manufacturer and the IDs of the documents
//! actually cited; for a partial verdict, name the open gaps so the paragraph never overclaims.

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

pub(super) fn fill(
    clause: &Clause,
    settings: &super::Settings,
    docs: &[Document],
    cited: &[usize],
    constraints: &[ConstraintResult],
    gaps: &[GapFinding],
) -> String {
    let ids: Vec<String> = cited.iter().map(|d| docs[*d].display_id()).collect();
    let mut text = clause
        .audit_defense
        .replace("{product}", &settings.product)
        .replace("{documents}", &list(&ids))
        .replace("{manufacturer}", settings.manufacturer.as_deref().unwrap_or("the manufacturer"));
    let open: Vec<&ConstraintResult> = constraints.iter().filter(|c| !c.covered).collect();
    if !open.is_empty() {
        let titles: Vec<String> = gaps.iter().map(|g| format!("{} ({})", g.title, g.severity.as_str())).collect();
        text = format!("Only partly defensible today. {text}");
        text.push_str(&format!(
            " Not yet evidenced, to be closed before this defence is used: {}.",
            if titles.is_empty() { open.iter().map(|c| c.id.clone()).collect::<Vec<_>>().join(", ") } else { titles.join("; ") }
        ));
    }
    text
}
