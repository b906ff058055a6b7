//! `crosswalk catalog list|show|check`.

use super::args::{CatalogArgs, CatalogCommand};
use anyhow::{Context, bail};
use crosswalk::catalog::{Catalog, load_builtin, load_dir};
use std::fmt::Write as _;

pub(crate) const DEFAULT_CATALOG: &str = "iec-81001-5-1";

pub(crate) fn load(dir: Option<&std::path::Path>) -> anyhow::Result<Catalog> {
    Ok(match dir {
        Some(d) => load_dir(d)?,
        None => load_builtin(DEFAULT_CATALOG)?,
    })
}

pub(crate) fn run(args: CatalogArgs) -> anyhow::Result<i32> {
    let catalog = load(args.catalog.as_deref()).context("catalog")?;
    match args.command {
        CatalogCommand::List => {
            let mut s = String::new();
            for c in &catalog.clauses {
                let covered_by: Vec<&str> =
                    c.crosswalk.get("iec-62443-4-1").map(|v| v.iter().map(String::as_str).collect()).unwrap_or_default();
                let _ = writeln!(s, "{:<7} {:<70} {}", c.id, c.title, covered_by.join(", "));
            }
            let _ = writeln!(s, "— {} clauses · {} {}", catalog.clauses.len(), catalog.title, catalog.version);
            super::print(&s)?;
        }
        CatalogCommand::Show { id } => {
            let Some(clause) = catalog.clause(&id) else {
                bail!("clause {id} is not in the catalog (try `crosswalk catalog list`)");
            };
            super::print(&crosswalk::report::clause_page::render(&catalog, clause))?;
        }
        CatalogCommand::Export { format, output } => {
            let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
            let text = match format {
                super::args::ExportFormat::Oscal => crosswalk::report::oscal::catalog(&catalog, &now),
                super::args::ExportFormat::OscalMapping => crosswalk::report::oscal::mapping_collection(&catalog, &now),
            };
            super::emit(output.as_deref(), text.as_bytes())?;
        }
        CatalogCommand::Map { to } => {
            let Some((key, name)) = crosswalk::catalog::framework(&to) else {
                bail!("unknown framework {to:?}: use 62443-4-1, fda, 524b, mdr, 62304 or 14971");
            };
            let mut s = format!("{name} → {}\n", catalog.title);
            for (section, clauses) in crosswalk::catalog::map_to(&catalog, key) {
                let _ = writeln!(s, "{section:<14} {}", clauses.join(", "));
            }
            super::print(&s)?;
        }
        CatalogCommand::Check => {
            let constraints: usize = catalog.clauses.iter().map(|c| c.constraints.len()).sum();
            let gaps: usize = catalog.clauses.iter().map(|c| c.gaps.len()).sum();
            super::print(&format!(
                "catalog {} {} is valid: {} clauses, {} constraints, {} gaps (sha256 {})\n",
                catalog.id,
                catalog.version,
                catalog.clauses.len(),
                constraints,
                gaps,
                &catalog.sha256[..16]
            ))?;
        }
    }
    Ok(0)
}
