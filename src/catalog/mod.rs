//! The catalog: clauses of a standard as data. `schema` holds the TOML as typed by a person
//! (`deny_unknown_fields`); `load` validates it into [`Catalog`], whose term groups are compiled regexes.
//! Errors name the file and the key. No clause id appears in Rust code outside tests.

mod load;
mod schema;
mod terms;

pub use load::{CatalogError, builtin_ids, load_builtin, load_dir};
pub use terms::{TermGroup, compile_group};

use std::collections::BTreeMap;

/// Which software item classes (IEC 81001-5-1 ISH1:2025) a clause concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemClass {
    Maintained,
    Supported,
    Required,
}

impl ItemClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemClass::Maintained => "maintained",
            ItemClass::Supported => "supported",
            ItemClass::Required => "required",
        }
    }
}

/// How firmly a statement rests on the standard (see the reference's source tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Paraphrased from a secondary source that states the clause's content.
    Stated,
    /// Inferred from the IEC 62443-4-1 parallel or the title: a hypothesis.
    Inferred,
    /// From ISH1:2025, official IEC text.
    Ish,
    /// Some constraints stated, some inferred.
    Mixed,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Stated => "stated",
            Confidence::Inferred => "inferred",
            Confidence::Ish => "ish",
            Confidence::Mixed => "mixed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize, serde::Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Major,
    Minor,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TitleStatus {
    Confirmed,
    NumberConfirmed,
    Unconfirmed,
}

impl TitleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TitleStatus::Confirmed => "confirmed",
            TitleStatus::NumberConfirmed => "number-confirmed",
            TitleStatus::Unconfirmed => "unconfirmed",
        }
    }
}

/// The frameworks a clause can be crosswalked to, in display order.
pub const FRAMEWORKS: &[(&str, &str)] = &[
    ("iec-62443-4-1", "IEC 62443-4-1:2018"),
    ("fda-premarket", "FDA premarket cybersecurity guidance"),
    ("fdca-524b", "FD&C Act §524B"),
    ("eu-mdr", "EU MDR Annex I / MDCG 2019-16"),
    ("iec-62304", "IEC 62304:2006+A1:2015"),
    ("iso-14971", "ISO 14971:2019"),
];

/// Resolve a framework name as users type it (`fda`, `524b`, `62443-4-1`, `mdr`, `62304`, `14971`, or
/// the full key) to its key and display name.
pub fn framework(name: &str) -> Option<(&'static str, &'static str)> {
    let n = name.trim().to_ascii_lowercase();
    let key = match n.as_str() {
        "62443-4-1" | "iec-62443-4-1" | "62443" => "iec-62443-4-1",
        "fda" | "fda-premarket" => "fda-premarket",
        "524b" | "fdca-524b" => "fdca-524b",
        "mdr" | "eu-mdr" | "mdcg" => "eu-mdr",
        "62304" | "iec-62304" => "iec-62304",
        "14971" | "iso-14971" => "iso-14971",
        _ => return None,
    };
    FRAMEWORKS.iter().find(|(k, _)| *k == key).copied()
}

/// Natural ordering key for section ids ("V.A.4(b)" after "V.A.4", "App. 1 D" last, "5.10" after "5.9").
fn natural_key(s: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut num = String::new();
    let mut text = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !text.is_empty() {
                out.push((u64::MAX, std::mem::take(&mut text)));
            }
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push((num.parse().unwrap_or(u64::MAX), String::new()));
                num.clear();
            }
            text.push(c);
        }
    }
    if !num.is_empty() {
        out.push((num.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !text.is_empty() {
        out.push((u64::MAX, text));
    }
    out
}

/// The other framework's sections, each with the clauses of `catalog` that map to it.
pub fn map_to(catalog: &Catalog, framework_key: &str) -> Vec<(String, Vec<String>)> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in &catalog.clauses {
        for section in c.crosswalk.get(framework_key).into_iter().flatten() {
            map.entry(section.clone()).or_default().push(c.id.clone());
        }
    }
    let mut out: Vec<(String, Vec<String>)> = map.into_iter().collect();
    out.sort_by_key(|(s, _)| natural_key(s));
    out
}

/// An atomic obligation of a clause, with the concepts a passage must contain to evidence it.
#[derive(Debug, Clone)]
pub struct Constraint {
    pub id: String,
    pub text: String,
    pub confidence: Confidence,
    pub question: String,
    /// Passages that evidence the constraint, in several idioms: the judge's semantic exemplars.
    pub examples: Vec<String>,
    /// Passages that share its words but are about something else: the judge's counter-exemplars.
    pub counter_examples: Vec<String>,
    /// Every group must match a passage (or its heading) for the passage to count.
    pub require: Vec<TermGroup>,
    /// A passage matching any of these terms does not count.
    pub exclude: Option<TermGroup>,
    /// The evidence is itself a record of what is absent (a gap-assessment row "5.7.4 | not performed"):
    /// negated wording is its content, so the negation refusal does not apply. Every other refusal does.
    pub negation_is_content: bool,
}

#[derive(Debug, Clone)]
pub struct Gap {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub constraints: Vec<String>,
    pub description: String,
    pub remedy: String,
}

#[derive(Debug, Clone)]
pub struct Clause {
    pub id: String,
    pub title: String,
    pub title_status: TitleStatus,
    pub confidence: Confidence,
    pub requirement: String,
    pub context: String,
    /// Empty: the clause applies whatever the item classes.
    pub applies_to: Vec<ItemClass>,
    pub constraints: Vec<Constraint>,
    pub gaps: Vec<Gap>,
    pub file_exists: regex::Regex,
    pub content_match: String,
    pub audit_defense: String,
    /// Framework key (see [`FRAMEWORKS`]) → that framework's section ids.
    pub crosswalk: BTreeMap<String, Vec<String>>,
}

impl Clause {
    /// The number parts used for ordering (`5.10` after `5.9`).
    pub fn sort_key(&self) -> Vec<u32> {
        clause_sort_key(&self.id)
    }
}

pub fn clause_sort_key(id: &str) -> Vec<u32> {
    id.split('.').map(|p| p.parse().unwrap_or(u32::MAX)).collect()
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub id: String,
    pub title: String,
    pub base_text: String,
    pub version: String,
    pub notice: String,
    /// SHA-256 over the catalog files, in name order: names which catalog content a review used.
    pub sha256: String,
    /// Group number → heading (e.g. "5.5" → "Software unit implementation and verification").
    pub groups: BTreeMap<String, String>,
    /// In clause-number order.
    pub clauses: Vec<Clause>,
}

impl Catalog {
    pub fn clause(&self, id: &str) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.id == id)
    }

    /// The heading of the clause's top-level group ("5 Software development process").
    pub fn top_group(&self, clause_id: &str) -> String {
        let top = clause_id.split('.').next().unwrap_or(clause_id);
        match self.groups.get(top) {
            Some(title) => format!("{top} {title}"),
            None => top.to_string(),
        }
    }

    /// The heading of the clause's parent group, if the catalog names one ("5.5 Software unit …").
    pub fn parent_group(&self, clause_id: &str) -> Option<String> {
        let (parent, _) = clause_id.rsplit_once('.')?;
        self.groups.get(parent).map(|t| format!("{parent} {t}"))
    }
}
