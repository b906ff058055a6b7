//! Load and validate a catalog, from the copy embedded at build time or from a folder. Every error
//! names the file and the key, in one line.

use super::schema::{RawCatalog, RawClause};
use super::{Catalog, Clause, Constraint, FRAMEWORKS, Gap, compile_group};
use regex::Regex;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/builtin_catalog.rs"));

/// A catalog that cannot be used, with the file and key at fault.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {field}: {message}")]
pub struct CatalogError {
    pub file: String,
    pub field: String,
    pub message: String,
}

fn err(file: &str, field: impl Into<String>, message: impl Into<String>) -> CatalogError {
    CatalogError { file: file.to_string(), field: field.into(), message: message.into() }
}

/// The ids of the catalogs shipped inside the binary.
pub fn builtin_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = BUILTIN.iter().map(|(cat, _, _)| *cat).collect();
    ids.dedup();
    ids
}

/// The catalog shipped inside the binary (`catalog/<id>/`).
pub fn load_builtin(id: &str) -> Result<Catalog, CatalogError> {
    let files: Vec<(String, String)> = BUILTIN
        .iter()
        .filter(|(cat, _, _)| *cat == id)
        .map(|(_, name, text)| (format!("catalog/{id}/{name}"), (*text).to_string()))
        .collect();
    if files.is_empty() {
        return Err(err(&format!("catalog/{id}"), "id", "no built-in catalog with this id"));
    }
    build(files)
}

/// A catalog from a folder holding `catalog.toml` and one `<clause>.toml` per clause.
pub fn load_dir(dir: &Path) -> Result<Catalog, CatalogError> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| err(&shown, "folder", format!("cannot read: {e}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err(&shown, "folder", format!("cannot read: {e}")))?;
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") || !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| err(&path.display().to_string(), "file", format!("cannot read: {e}")))?;
        files.push((path.display().to_string(), text));
    }
    files.sort();
    build(files)
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn build(files: Vec<(String, String)>) -> Result<Catalog, CatalogError> {
    let mut hasher = Sha256::new();
    for (path, text) in &files {
        hasher.update(file_name(path).as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    let sha256 = crate::model::hex(&hasher.finalize());

    let (meta_path, meta_text) = files.iter().find(|(p, _)| file_name(p) == "catalog.toml").ok_or_else(|| {
        err(&files.first().map(|f| f.0.clone()).unwrap_or_default(), "catalog.toml", "missing catalog.toml beside the clause files")
    })?;
    let meta: RawCatalog = toml::from_str(meta_text).map_err(|e| toml_err(meta_path, &e))?;

    let mut clauses = Vec::new();
    let mut clause_ids = BTreeSet::new();
    let mut constraint_ids = BTreeSet::new();
    for (path, text) in &files {
        if file_name(path) == "catalog.toml" {
            continue;
        }
        let raw: RawClause = toml::from_str(text).map_err(|e| toml_err(path, &e))?;
        let clause = validate_clause(path, raw, &mut constraint_ids)?;
        if !clause_ids.insert(clause.id.clone()) {
            return Err(err(path, "id", format!("duplicate clause id {}", clause.id)));
        }
        clauses.push(clause);
    }
    if clauses.is_empty() {
        return Err(err(meta_path, "clauses", "the catalog has no clause files"));
    }
    clauses.sort_by_key(|c| c.sort_key());
    Ok(Catalog {
        id: meta.id,
        title: meta.title,
        base_text: meta.base_text,
        version: meta.version,
        notice: meta.notice.trim().to_string(),
        sha256,
        groups: meta.groups,
        clauses,
    })
}

fn toml_err(path: &str, e: &toml::de::Error) -> CatalogError {
    let message = e.message().to_string();
    let field = match e.span() {
        Some(span) => format!("at byte {}", span.start),
        None => "toml".to_string(),
    };
    err(path, field, message.replace('\n', " "))
}

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The shapes of section ids per framework; a reference must match its framework's shape.
fn crosswalk_shape(framework: &str) -> Option<&'static str> {
    Some(match framework {
        "iec-62443-4-1" => r"^(SM|SR|SD|SI|SVV|DM|SUM|SG)-\d{1,2}$",
        "fda-premarket" => r"^((IV|V|VI|VII)(\.[A-D](\.\d{1,2})?(\([a-d]\))?)?|App\. [1-5]( [A-G])?)$",
        "fdca-524b" => r"^\([a-c]\)(\(\d\))?(\([A-B]\))?$",
        "eu-mdr" => {
            r"^(\d{1,2}(\.\d{1,2})?(\([a-z]{1,2}\))?|MDCG \d(\.\d{1,2}){0,2}|MDCG Annex (I|II|III|IV)|Arts?\. \d{1,3}(\(\d{1,2}\))?(-\d{1,3})?)$"
        }
        "iec-62304" => r"^\d{1,2}(\.\d{1,2}){0,3}( [a-z]\))?$",
        "iso-14971" => r"^\d{1,2}(\.\d{1,2}){0,2}( [a-z]\))?$",
        _ => return None,
    })
}

const PLACEHOLDERS: &[&str] = &["{product}", "{documents}", "{manufacturer}"];

fn validate_clause(path: &str, raw: RawClause, constraint_ids: &mut BTreeSet<String>) -> Result<Clause, CatalogError> {
    let id_shape = Regex::new(r"^(\d{1,2}|[A-H])(\.\d{1,2}){0,3}$").expect("static regex");
    if !id_shape.is_match(&raw.id) {
        return Err(err(path, "id", format!("{:?} is not a clause number like 5.5.1 or F.2", raw.id)));
    }
    let stem = file_name(path).trim_end_matches(".toml");
    if stem != raw.id {
        return Err(err(path, "id", format!("clause {} must be in a file named {}.toml", raw.id, raw.id)));
    }
    for (field, value) in [("title", &raw.title), ("requirement", &raw.requirement), ("context", &raw.context)] {
        if value.trim().is_empty() {
            return Err(err(path, field, "must not be empty"));
        }
    }
    if raw.constraint.is_empty() {
        return Err(err(path, "constraint", "a clause needs at least one constraint"));
    }
    let mut local = BTreeSet::new();
    let mut constraints = Vec::new();
    for (i, c) in raw.constraint.into_iter().enumerate() {
        let field = format!("constraint[{i}]");
        if !c.id.starts_with(&format!("{}-c", raw.id)) {
            return Err(err(path, format!("{field}.id"), format!("{:?} must start with {}-c", c.id, raw.id)));
        }
        if !constraint_ids.insert(c.id.clone()) {
            return Err(err(path, format!("{field}.id"), format!("duplicate constraint id {}", c.id)));
        }
        local.insert(c.id.clone());
        if c.text.trim().is_empty() || c.question.trim().is_empty() {
            return Err(err(path, field, "text and question must not be empty"));
        }
        if c.require.is_empty() {
            return Err(err(path, format!("{field}.require"), "needs at least one term group"));
        }
        let mut require = Vec::new();
        for (j, group) in c.require.iter().enumerate() {
            require.push(compile_group(group).map_err(|m| err(path, format!("{field}.require[{j}]"), m))?);
        }
        let exclude = if c.exclude.is_empty() {
            None
        } else {
            Some(compile_group(&c.exclude).map_err(|m| err(path, format!("{field}.exclude"), m))?)
        };
        for (j, e) in c.examples.iter().chain(&c.counter_examples).enumerate() {
            if e.trim().is_empty() {
                return Err(err(path, format!("{field}.examples[{j}]"), "must not be empty"));
            }
        }
        constraints.push(Constraint {
            id: c.id,
            text: clean(&c.text),
            confidence: c.confidence,
            question: clean(&c.question),
            examples: c.examples.iter().map(|e| clean(e)).collect(),
            counter_examples: c.counter_examples.iter().map(|e| clean(e)).collect(),
            require,
            exclude,
            negation_is_content: c.negation_is_content,
        });
    }
    if raw.gap.is_empty() {
        return Err(err(path, "gap", "a clause needs at least one common gap"));
    }
    let mut gap_ids = BTreeSet::new();
    let mut gaps = Vec::new();
    for (i, g) in raw.gap.into_iter().enumerate() {
        let field = format!("gap[{i}]");
        if !g.id.starts_with(&format!("{}-g", raw.id)) || !gap_ids.insert(g.id.clone()) {
            return Err(err(path, format!("{field}.id"), format!("{:?} must be unique and start with {}-g", g.id, raw.id)));
        }
        for c in &g.constraints {
            if !local.contains(c) {
                return Err(err(path, format!("{field}.constraints"), format!("{c} is not a constraint of this clause")));
            }
        }
        gaps.push(Gap {
            id: g.id,
            title: clean(&g.title),
            severity: g.severity,
            constraints: g.constraints,
            description: clean(&g.description),
            remedy: clean(&g.remedy),
        });
    }
    let file_exists =
        regex::RegexBuilder::new(&raw.signals.file_exists).case_insensitive(true).size_limit(1 << 20).build().map_err(|e| {
            err(path, "signals.file-exists", format!("invalid regex: {}", e.to_string().lines().last().unwrap_or("").trim()))
        })?;
    let template = clean(&raw.audit_defense.template);
    for needed in ["{product}", "{documents}"] {
        if !template.contains(needed) {
            return Err(err(path, "audit-defense.template", format!("must contain the placeholder {needed}")));
        }
    }
    let brace = Regex::new(r"\{[^{}]*\}").expect("static regex");
    for m in brace.find_iter(&template) {
        if !PLACEHOLDERS.contains(&m.as_str()) {
            return Err(err(path, "audit-defense.template", format!("unknown placeholder {}", m.as_str())));
        }
    }
    let mut crosswalk = BTreeMap::new();
    for (framework, refs) in raw.crosswalk {
        let Some(shape) = crosswalk_shape(&framework) else {
            let known: Vec<&str> = FRAMEWORKS.iter().map(|f| f.0).collect();
            return Err(err(path, format!("crosswalk.{framework}"), format!("unknown framework (known: {})", known.join(", "))));
        };
        let shape = Regex::new(shape).expect("static regex");
        for r in &refs {
            if !shape.is_match(r) {
                return Err(err(path, format!("crosswalk.{framework}"), format!("{r:?} is not a well-formed section reference")));
            }
        }
        crosswalk.insert(framework, refs);
    }
    Ok(Clause {
        id: raw.id,
        title: clean(&raw.title),
        title_status: raw.title_status,
        confidence: raw.confidence,
        requirement: clean(&raw.requirement),
        context: clean(&raw.context),
        applies_to: raw.applies_to,
        constraints,
        gaps,
        file_exists,
        content_match: clean(&raw.signals.content_match),
        audit_defense: template,
        crosswalk,
    })
}
