//! Fitting the judge on labelled packs, and measuring it honestly: leave-one-pack-out (fit on the other
//! packs, score this one). Used by `crosswalk eval`, never by `review`.
//!
//! Labels give a verdict per clause and the documents an auditor would cite, not a truth per constraint,
//! so the fit is multiple-instance: for a clause labelled met, each constraint that decides the verdict
//! must be covered by *some* passage of the labelled evidence documents (the best-scoring one is taken as
//! the positive, re-chosen as the weights move); for a clause labelled missing, every candidate of every
//! constraint is a negative (the hardest few per constraint weigh most). Weights come from L2-regularised
//! logistic regression by gradient descent; the threshold is then chosen on the training packs' clause
//! verdicts, with a false "met" costing far more than any other error. Deterministic: no randomness.

use crate::evaluate::judge::{FEATURES, Features, Judge, N_FEATURES};
use crate::evaluate::{Trace, held_open, verdict_of};
use crate::labels::Labels;
use crate::model::Verdict;
use std::collections::{BTreeMap, BTreeSet};

/// One pack's judge inputs: its labels and the candidates the judge scored, per constraint.
pub struct PackTrace {
    pub name: String,
    pub labels: Labels,
    /// What labels put before review-relative paths (`docs/`).
    pub prefix: String,
    pub trace: Trace,
}

/// How a false "met" weighs against other verdict errors when the threshold is chosen.
const FALSE_MET_COST: f64 = 6.0;
/// Hardest negatives kept per constraint of a clause labelled missing.
const HARD_NEGATIVES: usize = 8;
const L2: f32 = 0.2;
const ROUNDS: usize = 6;
const STEPS: usize = 400;

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn dot(w: &Features, x: &Features) -> f32 {
    w.iter().zip(x).map(|(a, b)| a * b).sum()
}

/// Verdicts a judge gives a pack, from its trace alone (no review needed).
/// (The same rules as a review: coverage at the threshold, then the weak-evidence rule.)
pub fn verdicts(judge: &Judge, pack: &PackTrace) -> BTreeMap<String, Verdict> {
    let mut per_clause: BTreeMap<String, Vec<Option<(f32, bool)>>> = BTreeMap::new();
    for c in &pack.trace.constraints {
        let best = c
            .candidates
            .iter()
            .filter(|k| !k.refused)
            .map(|k| judge.score(&k.features))
            .filter(|s| *s >= judge.threshold)
            .reduce(f32::max)
            .map(|s| (s, s < judge.moderate));
        let e = per_clause.entry(c.clause.clone()).or_default();
        if c.required {
            e.push(best);
        }
    }
    per_clause
        .into_iter()
        .map(|(id, best)| {
            let mut covered: Vec<bool> = best.iter().map(Option::is_some).collect();
            if let Some(k) = held_open(&best) {
                covered[k] = false;
            }
            (id, verdict_of(&covered))
        })
        .collect()
}

fn label_of(labels: &Labels, clause: &str) -> Option<Verdict> {
    let l = labels.clauses.iter().find(|c| c.id == clause)?;
    Some(match l.verdict.as_str() {
        "met" => Verdict::Met,
        "partial" => Verdict::Partial,
        "missing" => Verdict::Missing,
        _ => Verdict::NotApplicable,
    })
}

/// Training cost of a judge's verdicts on packs: errors, a false met counting `FALSE_MET_COST`.
fn cost(judge: &Judge, packs: &[&PackTrace]) -> f64 {
    let mut c = 0.0;
    for p in packs {
        for (clause, got) in verdicts(judge, p) {
            let Some(want) = label_of(&p.labels, &clause) else { continue };
            if got == want {
                continue;
            }
            c += if got == Verdict::Met && want == Verdict::Missing {
                FALSE_MET_COST
            } else if got == Verdict::Met {
                FALSE_MET_COST / 2.0
            } else {
                1.0
            };
        }
    }
    c
}

/// Fit a judge on `packs`, starting from `start`'s weights.
pub fn fit(packs: &[&PackTrace], start: &Judge, name: &str) -> Judge {
    // Bags: positives (one must cover) and negatives (none may cover), over unrefused candidates.
    let mut positive_bags: Vec<Vec<Features>> = Vec::new();
    let mut negative_bags: Vec<Vec<Features>> = Vec::new();
    for p in packs {
        for c in &p.trace.constraints {
            let Some(want) = label_of(&p.labels, &c.clause) else { continue };
            let open: Vec<&crate::evaluate::TracedCandidate> = c.candidates.iter().filter(|k| !k.refused).collect();
            match want {
                Verdict::Met if c.required => {
                    let evidence: BTreeSet<&str> = p
                        .labels
                        .clauses
                        .iter()
                        .find(|l| l.id == c.clause)
                        .map(|l| l.evidence.iter().map(String::as_str).collect())
                        .unwrap_or_default();
                    let bag: Vec<Features> =
                        open.iter().filter(|k| evidence.contains(format!("{}{}", p.prefix, k.doc).as_str())).map(|k| k.features).collect();
                    if !bag.is_empty() {
                        positive_bags.push(bag);
                    }
                }
                Verdict::Missing if !open.is_empty() => negative_bags.push(open.iter().map(|k| k.features).collect()),
                _ => {}
            }
        }
    }
    let mut w = start.weights;
    for _ in 0..ROUNDS {
        // Positive instance per bag: the best-scoring candidate under the current weights.
        let pos: Vec<Features> =
            positive_bags.iter().filter_map(|bag| bag.iter().max_by(|a, b| dot(&w, a).total_cmp(&dot(&w, b))).copied()).collect();
        let mut neg: Vec<Features> = Vec::new();
        for bag in &negative_bags {
            let mut sorted = bag.clone();
            sorted.sort_by(|a, b| dot(&w, b).total_cmp(&dot(&w, a)));
            neg.extend(sorted.into_iter().take(HARD_NEGATIVES));
        }
        if pos.is_empty() || neg.is_empty() {
            break;
        }
        // Class-balanced logistic regression by full-batch gradient descent.
        let (wp, wn) = (0.5 / pos.len() as f32, 0.5 / neg.len() as f32);
        for step in 0..STEPS {
            let lr = 2.0 / (1.0 + step as f32 / 100.0);
            let mut grad = [0f32; N_FEATURES];
            for (x, y, weight) in pos.iter().map(|x| (x, 1.0, wp)).chain(neg.iter().map(|x| (x, 0.0, wn))) {
                let err = sigmoid(dot(&w, x)) - y;
                for (g, v) in grad.iter_mut().zip(x) {
                    *g += weight * err * v;
                }
            }
            // L2 towards the starting judge (the hand-set concept rule): the fit departs from it only as
            // far as the labelled packs pull.
            for (i, (wi, g)) in w.iter_mut().zip(grad).enumerate() {
                let reg = if i == 0 { 0.0 } else { L2 * (*wi - start.weights[i]) };
                *wi -= lr * (g + reg);
            }
        }
    }
    let mut judge = Judge {
        name: name.to_string(),
        weights: w,
        threshold: 0.5,
        strong: 0.9,
        moderate: 0.7,
        fitted_on: packs.iter().map(|p| p.name.clone()).collect(),
        sha256: String::new(),
    };
    // The threshold: lowest training cost; ties go to the higher (more cautious) threshold.
    let mut best = (f64::INFINITY, 0.5f32);
    for step in 10..=95 {
        let t = step as f32 / 100.0;
        judge.set_threshold(t);
        let c = cost(&judge, packs);
        if c <= best.0 {
            best = (c, t);
        }
    }
    judge.set_threshold(best.1);
    judge
}

/// The packs' traces as JSON lines (one candidate per line), for inspecting features outside the tool.
pub fn dump(packs: &[&PackTrace]) -> String {
    let mut out = String::new();
    for p in packs {
        for c in &p.trace.constraints {
            let label = p.labels.clauses.iter().find(|l| l.id == c.clause);
            for k in &c.candidates {
                let evidence = label.is_some_and(|l| l.evidence.iter().any(|e| *e == format!("{}{}", p.prefix, k.doc)));
                let line = serde_json::json!({
                    "pack": p.name, "clause": c.clause, "constraint": c.constraint, "required": c.required,
                    "label": label.map(|l| l.verdict.as_str()).unwrap_or(""), "doc": k.doc, "labelled_evidence": evidence,
                    "refused": k.refused, "features": k.features.to_vec(), "text": k.text,
                });
                out.push_str(&line.to_string());
                out.push('\n');
            }
        }
    }
    out
}

/// A comment for a fitted parameter file: what it was fitted on and how to reproduce it.
pub fn provenance(judge: &Judge) -> String {
    format!(
        "Judge parameters fitted by `crosswalk eval --fit {}` (multiple-instance logistic regression, see src/calibrate).\nFeatures: {}.",
        judge.fitted_on.iter().map(|p| format!("../shared/devset/{p}")).collect::<Vec<_>>().join(" "),
        FEATURES.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{TracedCandidate, TracedConstraint};
    use crate::labels::LabelledClause;

    fn feats(near: f32, sim: f32) -> Features {
        let mut f = [0f32; N_FEATURES];
        f[0] = 1.0;
        f[3] = near;
        f[8] = sim;
        f
    }

    /// A synthetic pack: met clauses have one strong candidate in the labelled document among weak ones
    /// elsewhere; missing clauses have only weak candidates. The fit must separate them and call no
    /// missing clause met.
    #[test]
    fn fit_separates_positive_bags_from_negatives() {
        let mut labels = Labels { pack: "synthetic".into(), product: None, manufacturer: None, clauses: vec![] };
        let mut trace = Trace::default();
        for i in 0..20 {
            let met = i % 2 == 0;
            let id = format!("9.{i}");
            labels.clauses.push(LabelledClause {
                id: id.clone(),
                verdict: if met { "met" } else { "missing" }.into(),
                evidence: if met { vec!["docs/good.md".into()] } else { vec![] },
                trap: String::new(),
                note: String::new(),
            });
            let mut candidates =
                vec![TracedCandidate { doc: "other.md".into(), text: String::new(), features: feats(0.0, 0.3), refused: false }];
            if met {
                candidates.push(TracedCandidate { doc: "good.md".into(), text: String::new(), features: feats(1.0, 0.6), refused: false });
            } else {
                // A keyword-rich passage that is refused (negated) never counts either way.
                candidates.push(TracedCandidate { doc: "bad.md".into(), text: String::new(), features: feats(1.0, 0.6), refused: true });
                candidates.push(TracedCandidate { doc: "bad.md".into(), text: String::new(), features: feats(0.0, 0.45), refused: false });
            }
            trace.constraints.push(TracedConstraint { clause: id.clone(), constraint: format!("{id}-c1"), required: true, candidates });
        }
        let pack = PackTrace { name: "synthetic".into(), labels, prefix: "docs/".into(), trace };
        let start = Judge::builtin().expect("judge");
        let judge = fit(&[&pack], &start, "test");
        let v = verdicts(&judge, &pack);
        for l in &pack.labels.clauses {
            assert_eq!(v[&l.id].as_str(), l.verdict, "{}: weights {:?} threshold {}", l.id, judge.weights, judge.threshold);
        }
    }
}
