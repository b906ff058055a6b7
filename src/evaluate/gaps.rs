//! Which of a clause's common gaps are listed: only those whose statement is true given what is covered.
//! A gap names the constraints it is about; it is listed when none of them is covered (a gap that names
//! "no static analysis or code review" is not listed beside a covered static-analysis constraint). A gap
//! that names no constraint speaks of the clause as a whole and is listed unless the clause is met.

use crate::catalog::Clause;
use crate::model::Verdict;
use crate::review::{ConstraintResult, GapFinding};

pub(super) fn listed(clause: &Clause, constraints: &[ConstraintResult], verdict: Verdict) -> Vec<GapFinding> {
    let covered = |id: &String| constraints.iter().any(|c| &c.id == id && c.covered);
    clause
        .gaps
        .iter()
        .filter(|g| if g.constraints.is_empty() { verdict != Verdict::Met } else { !g.constraints.iter().any(covered) })
        .map(|g| GapFinding {
            id: g.id.clone(),
            title: g.title.clone(),
            severity: g.severity,
            description: g.description.clone(),
            remedy: g.remedy.clone(),
            constraints: g.constraints.clone(),
        })
        .collect()
}
