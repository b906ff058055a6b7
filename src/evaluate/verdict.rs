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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule() {
        assert_eq!(verdict_of(&[true, true]), Verdict::Met);
        assert_eq!(verdict_of(&[true, false]), Verdict::Partial);
        assert_eq!(verdict_of(&[false, false]), Verdict::Missing);
        assert_eq!(verdict_of(&[]), Verdict::Missing);
    }
}
