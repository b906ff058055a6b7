//! The review configuration a user writes (`crosswalk.toml` in the reviewed folder, or `--config FILE`):
//! product, manufacturer, FDA cyber-device status, conformance route, software item classes and clauses
//! declared not applicable with their justification. Unknown keys are errors naming the key.

use crate::catalog::{Catalog, ItemClass};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The conformance route of IEC 81001-5-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum Route {
    /// Clauses 4 to 9.
    #[default]
    #[serde(rename = "clauses-4-9")]
    Clauses4To9,
    /// Annex F, for transitional health software.
    #[serde(rename = "annex-f")]
    AnnexF,
}

impl Route {
    /// The built-in catalog that implements the route.
    pub fn catalog_id(self) -> &'static str {
        match self {
            Route::Clauses4To9 => "iec-81001-5-1",
            Route::AnnexF => "iec-81001-5-1-annex-f",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReviewConfig {
    pub product: Option<String>,
    pub manufacturer: Option<String>,
    pub cyber_device: Option<bool>,
    #[serde(default)]
    pub route: Route,
    pub item_classes: Option<Vec<ItemClass>>,
    #[serde(default)]
    pub not_applicable: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{file}: {key}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub key: String,
    pub message: String,
}

impl ReviewConfig {
    pub fn load(path: &Path) -> Result<ReviewConfig, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            key: "file".into(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&text, &file)
    }

    pub fn parse(text: &str, file: &str) -> Result<ReviewConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().to_string();
            // serde names the key in "unknown field `x`"; keep it as the key.
            let key = message.split('`').nth(1).unwrap_or("toml").to_string();
            ConfigError { file: file.to_string(), key, message: message.replace('\n', " ") }
        })
    }

    /// Check against the catalog: every not-applicable clause exists and has a justification.
    pub fn validate(&self, catalog: &Catalog, file: &str) -> Result<(), ConfigError> {
        for (id, why) in &self.not_applicable {
            let key = format!("not-applicable.\"{id}\"");
            if catalog.clause(id).is_none() {
                return Err(ConfigError {
                    file: file.into(),
                    key,
                    message: format!("clause {id} is not in the catalog {}", catalog.title),
                });
            }
            if why.trim().len() < 10 {
                return Err(ConfigError {
                    file: file.into(),
                    key,
                    message: "a justification (at least a sentence) is required for every clause declared not applicable".into(),
                });
            }
        }
        if let Some(p) = &self.product
            && p.trim().is_empty()
        {
            return Err(ConfigError { file: file.into(), key: "product".into(), message: "must not be empty".into() });
        }
        Ok(())
    }

    pub fn item_class_set(&self) -> Option<BTreeSet<ItemClass>> {
        self.item_classes.as_ref().map(|v| v.iter().copied().collect())
    }
}
