//! The one place that turns constraint coverage into a verdict. Reports never recompute it.

use crate::model::Verdict;

/// met = every constraint covered; partial = some; missing = none (or no constraints).
pub fn verdict_of(covered: &[bool]) -> Verdict {
    let k = covered.iter().filter(|c| **c).count();
    if k == 0 {
        Verdict::Missing
    } else if k == covered.len() {
        Verdict::Met
    } else {
        Verdict::Partial
    }
}

/// The weak-evidence rule. `best` holds, per decisive constraint, the score of its best accepted passage
/// and whether that passage is weak (`None` when nothing covers it). A clause is called met only when at least one of its constraints is
/// evidenced by a passage the judge scores moderate or strong: when every constraint is covered and each
/// rests on weak passages only, the weakest is held open (its index is returned) for a reviewer to confirm.
/// A wrong "met" is the worst error a review can make; a run of weak matches is how loose wording makes one.
pub fn held_open(best: &[Option<(f32, bool)>]) -> Option<usize> {
    let scores: Vec<(f32, bool)> = best.iter().copied().collect::<Option<Vec<_>>>()?;
    if scores.is_empty() || scores.iter().any(|(_, weak)| !weak) {
        return None;
    }
    scores.iter().enumerate().min_by(|a, b| a.1.0.total_cmp(&b.1.0).then(b.0.cmp(&a.0))).map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_evidence_throughout_holds_the_weakest_open() {
        assert_eq!(held_open(&[Some((0.93, true)), Some((0.925, true))]), Some(1));
        // One constraint stated plainly carries the others.
        assert_eq!(held_open(&[Some((0.93, true)), Some((0.97, false))]), None);
        // Not all covered: the verdict is partial or missing anyway.
        assert_eq!(held_open(&[Some((0.93, true)), None]), None);
        assert_eq!(held_open(&[]), None);
        assert_eq!(held_open(&[Some((0.93, true))]), Some(0));
    }

    #[test]
    fn rule() {
        assert_eq!(verdict_of(&[true, true]), Verdict::Met);
        assert_eq!(verdict_of(&[true, false]), Verdict::Partial);
        assert_eq!(verdict_of(&[false, false]), Verdict::Missing);
        assert_eq!(verdict_of(&[]), Verdict::Missing);
    }
}
