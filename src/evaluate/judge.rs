//! The calibrated judge: does this passage cover this constraint? A logistic score over a few readable
//! features — how much of the constraint's concepts the passage states (in its text, its table header or
//! list lead-in, its heading path), its semantic similarity to the constraint, its question and the
//! catalog's exemplars (and counter-exemplars), the passage's kind, whether the document is about the
//! product's software at all — with weights and thresholds fitted on the labelled dev packs by
//! `calibrate` and shipped as data (`models/judge.toml`, sha256 named in every report). Refusals are not
//! learned: a refused passage never covers anything, whatever its score.

use super::passages::PassageKind;

/// The features, in the order of the weights in `models/judge.toml`.
pub const FEATURES: &[&str] = &[
    "bias",
    "concepts_in_text",
    "concepts_in_context",
    "all_concepts_near",
    "all_concepts_in_scope",
    "lead_concept_stated",
    "concepts_in_section",
    "similarity_constraint",
    "similarity_question",
    "similarity_examples",
    "similarity_counter_examples",
    "similarity_section",
    "kind_table_row",
    "kind_record",
    "kind_reference",
    "kind_fragment",
    "file_name_matches",
    "off_subject",
    "extra_terms",
];

pub const N_FEATURES: usize = 19;

/// One (constraint, passage) pair's features.
pub type Features = [f32; N_FEATURES];

/// The raw measurements the features are made from.
pub struct Measures {
    /// Share of the constraint's concept groups matched in the passage text.
    pub in_text: f32,
    /// Share matched in the text, header/lead-in, heading path or document title.
    pub in_context: f32,
    /// Every group matched (text, header or heading path), the text's matches within a few sentences.
    pub all_near: bool,
    /// Every group matched somewhere in the passage's scope (text, header, heading path or document
    /// title), with something stated in the passage itself.
    pub all_in_scope: bool,
    /// The constraint's first concept group (its defining act or subject) matches in the passage text or a
    /// table row's header, not only in headings.
    pub lead_stated: bool,
    /// Share of the groups matched in the text of the passage's section (passages under the same headings).
    pub in_section: f32,
    pub sim_constraint: f32,
    pub sim_question: f32,
    pub sim_examples: f32,
    pub sim_counter: f32,
    pub sim_section: f32,
    pub kind: PassageKind,
    pub file_match: bool,
    /// Positive when the document reads as another subject than product software.
    pub off_subject: f32,
    /// Distinct matched words beyond one per group (capped), a sign of a passage about the topic.
    pub extra_terms: f32,
}

/// Share of a constraint's concepts a passage must name (with its defining concept stated in its text) to
/// read as a mention of the constraint's subject: reported when refused or when it is the nearest miss.
pub const MENTION_SHARE: f32 = 0.6;

/// The passage states the constraint's defining concept and names most of the others (in its text,
/// header, headings or title): what a reader or a keyword tool would take for evidence.
pub fn mentions(f: &Features) -> bool {
    f[LEAD_CONCEPT_STATED] > 0.5 && f[CONCEPTS_IN_CONTEXT] >= MENTION_SHARE
}

/// Positions in [`FEATURES`] read by [`mentions`].
const CONCEPTS_IN_CONTEXT: usize = 2;
const LEAD_CONCEPT_STATED: usize = 5;

pub fn features(m: &Measures) -> Features {
    [
        1.0,
        m.in_text,
        m.in_context,
        if m.all_near { 1.0 } else { 0.0 },
        if m.all_in_scope { 1.0 } else { 0.0 },
        if m.lead_stated { 1.0 } else { 0.0 },
        m.in_section,
        m.sim_constraint,
        m.sim_question,
        m.sim_examples,
        m.sim_counter,
        m.sim_section,
        if m.kind == PassageKind::TableRow { 1.0 } else { 0.0 },
        if m.kind == PassageKind::Record { 1.0 } else { 0.0 },
        if m.kind == PassageKind::Reference { 1.0 } else { 0.0 },
        if m.kind == PassageKind::Fragment { 1.0 } else { 0.0 },
        if m.file_match { 1.0 } else { 0.0 },
        m.off_subject.max(0.0),
        m.extra_terms.min(3.0) / 3.0,
    ]
}

/// Weights and thresholds of the judge.
#[derive(Debug, Clone, PartialEq)]
pub struct Judge {
    pub name: String,
    pub weights: Features,
    /// A passage covers a constraint when its score reaches this.
    pub threshold: f32,
    /// Strength bands of cited passages: strong at or above `strong`, moderate at or above `moderate`,
    /// weak below (but at or above `threshold`).
    pub strong: f32,
    pub moderate: f32,
    /// Packs the parameters were fitted on.
    pub fitted_on: Vec<String>,
    /// sha256 of the parameter file (empty when built in code).
    pub sha256: String,
}

/// How convincing a cited passage is, from its calibrated score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Strength {
    Strong,
    Moderate,
    Weak,
}

impl Strength {
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Strong => "strong",
            Strength::Moderate => "moderate",
            Strength::Weak => "weak",
        }
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("judge parameters: {0}")]
    Format(String),
}

const BUILTIN: &str = include_str!("../../models/judge.toml");
const PRIOR: &str = include_str!("../../models/judge-prior.toml");

impl Judge {
    /// Probability-like score in [0, 1].
    pub fn score(&self, f: &Features) -> f32 {
        sigmoid(self.weights.iter().zip(f).map(|(w, x)| w * x).sum())
    }

    /// Set the threshold, with the strength bands at a third and two thirds of the way from it to 1.
    pub fn set_threshold(&mut self, t: f32) {
        self.threshold = t;
        self.moderate = t + (1.0 - t) / 3.0;
        self.strong = t + 2.0 * (1.0 - t) / 3.0;
    }

    pub fn strength(&self, score: f32) -> Strength {
        if score >= self.strong {
            Strength::Strong
        } else if score >= self.moderate {
            Strength::Moderate
        } else {
            Strength::Weak
        }
    }

    /// The judge shipped with the binary.
    pub fn builtin() -> Result<Judge, JudgeError> {
        Judge::parse(BUILTIN)
    }

    /// The hand-set prior every fit starts from and is regularised towards.
    pub fn prior() -> Result<Judge, JudgeError> {
        Judge::parse(PRIOR)
    }

    /// Read parameters from `models/judge.toml` syntax; the feature names must be ours, in our order.
    pub fn parse(text: &str) -> Result<Judge, JudgeError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| JudgeError::Format(e.message().to_string()))?;
        let get_f = |k: &str| -> Result<f32, JudgeError> {
            match table.get(k) {
                Some(toml::Value::Float(f)) => Ok(*f as f32),
                Some(toml::Value::Integer(i)) => Ok(*i as f32),
                _ => Err(JudgeError::Format(format!("{k} must be a number"))),
            }
        };
        let names: Vec<String> = match table.get("features") {
            Some(toml::Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => return Err(JudgeError::Format("features must list the feature names".into())),
        };
        if names != FEATURES {
            return Err(JudgeError::Format(format!("features {names:?} are not this version's {FEATURES:?}")));
        }
        let weights: Vec<f32> = match table.get("weights") {
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|v| v.as_float().map(|f| f as f32).or_else(|| v.as_integer().map(|i| i as f32)))
                .collect::<Option<Vec<f32>>>()
                .ok_or_else(|| JudgeError::Format("weights must be numbers".into()))?,
            _ => return Err(JudgeError::Format("weights missing".into())),
        };
        let weights: Features =
            weights.try_into().map_err(|w: Vec<f32>| JudgeError::Format(format!("{} weights for {N_FEATURES} features", w.len())))?;
        let fitted_on = match table.get("fitted-on") {
            Some(toml::Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => vec![],
        };
        Ok(Judge {
            name: table.get("name").and_then(|v| v.as_str()).unwrap_or("judge").to_string(),
            weights,
            threshold: get_f("threshold")?,
            strong: get_f("strong")?,
            moderate: get_f("moderate")?,
            fitted_on,
            sha256: crate::model::sha256_hex(text.as_bytes()),
        })
    }

    /// The parameter file for these weights (what `crosswalk eval --fit` writes).
    pub fn to_toml(&self, comment: &str) -> String {
        let mut s = String::new();
        for line in comment.lines() {
            s.push_str(&format!("# {line}\n"));
        }
        s.push_str(&format!("name = {:?}\n", self.name));
        s.push_str(&format!("fitted-on = [{}]\n", self.fitted_on.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().join(", ")));
        s.push_str(&format!("threshold = {:.4}\nstrong = {:.4}\nmoderate = {:.4}\n", self.threshold, self.strong, self.moderate));
        s.push_str("features = [\n");
        for f in FEATURES {
            s.push_str(&format!("  {f:?},\n"));
        }
        s.push_str("]\nweights = [\n");
        for (w, f) in self.weights.iter().zip(FEATURES) {
            s.push_str(&format!("  {w:.5}, # {f}\n"));
        }
        s.push_str("]\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_feature_positions() {
        assert_eq!(FEATURES[CONCEPTS_IN_CONTEXT], "concepts_in_context");
        assert_eq!(FEATURES[LEAD_CONCEPT_STATED], "lead_concept_stated");
    }

    #[test]
    fn builtin_parameters_load_and_round_trip() {
        let j = Judge::builtin().expect("the shipped judge parses");
        assert!(j.threshold > 0.0 && j.threshold < 1.0);
        assert!(j.moderate >= j.threshold && j.strong >= j.moderate);
        let again = Judge::parse(&j.to_toml("test")).expect("round trip");
        assert_eq!(again.weights, j.weights.map(|w| (w * 1e5).round() / 1e5));
        assert!(Judge::parse("features = [\"bias\"]\nweights = [1.0]\nthreshold = 0.5\nstrong = 0.9\nmoderate = 0.7").is_err());
    }
}
