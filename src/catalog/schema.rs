//! The catalog files exactly as written: serde structs with `deny_unknown_fields`, so a typo in a key
//! is an error rather than a silent default. `load` turns them into validated types.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawCatalog {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) base_text: String,
    pub(super) version: String,
    #[serde(default)]
    pub(super) notice: String,
    #[serde(default)]
    pub(super) groups: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawClause {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) title_status: super::TitleStatus,
    pub(super) confidence: super::Confidence,
    pub(super) requirement: String,
    pub(super) context: String,
    #[serde(default)]
    pub(super) applies_to: Vec<super::ItemClass>,
    #[serde(default)]
    pub(super) constraint: Vec<RawConstraint>,
    #[serde(default)]
    pub(super) gap: Vec<RawGap>,
    pub(super) signals: RawSignals,
    pub(super) audit_defense: RawDefense,
    pub(super) crosswalk: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawConstraint {
    pub(super) id: String,
    pub(super) text: String,
    pub(super) confidence: super::Confidence,
    pub(super) question: String,
    #[serde(default)]
    pub(super) examples: Vec<String>,
    #[serde(default)]
    pub(super) counter_examples: Vec<String>,
    pub(super) require: Vec<Vec<String>>,
    #[serde(default)]
    pub(super) exclude: Vec<String>,
    #[serde(default)]
    pub(super) negation_is_content: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawGap {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) severity: super::Severity,
    #[serde(default)]
    pub(super) constraints: Vec<String>,
    pub(super) description: String,
    pub(super) remedy: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSignals {
    pub(super) file_exists: String,
    pub(super) content_match: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawDefense {
    pub(super) template: String,
}
