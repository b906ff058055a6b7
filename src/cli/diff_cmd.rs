//! `crosswalk diff OLD.json NEW.json`: what changed between two reviews.

use super::args::{DiffArgs, DiffFormat};
use anyhow::Context;

pub(crate) fn run(args: DiffArgs) -> anyhow::Result<i32> {
    let read = |p: &std::path::Path| -> anyhow::Result<serde_json::Value> {
        let text = std::fs::read_to_string(p).with_context(|| format!("{}: cannot read", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", p.display()))
    };
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let d = crosswalk::diff::diff(&old, &new, &args.old.display().to_string(), &args.new.display().to_string())?;
    let text = match args.format {
        DiffFormat::Text => d.render_text(),
        DiffFormat::Json => serde_json::to_string_pretty(&d)? + "\n",
    };
    super::emit(args.output.as_deref(), text.as_bytes())?;
    Ok(0)
}
