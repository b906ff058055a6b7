//! `crosswalk eval PACK`: review a labelled pack and print agreement with its labels, refused traps,
//! evidence recall and throughput. The accuracy figures of closing notes come from here.

use super::args::EvalArgs;
use super::catalog_cmd;
use anyhow::Context;
use crosswalk::driver::{self, Quiet, ReviewRequest};
use crosswalk::evaluate::Settings;
use crosswalk::extract::isolate::Isolation;
use crosswalk::labels::{Labels, review_root, score};
use std::time::Instant;

pub(crate) fn run(args: EvalArgs) -> anyhow::Result<i32> {
    let catalog = catalog_cmd::load(args.catalog.as_deref()).context("catalog")?;
    let labels = Labels::load(&args.pack.join("labels.toml")).map_err(anyhow::Error::msg)?;
    let (root, prefix) = review_root(&args.pack);
    let root = root.canonicalize().with_context(|| format!("{}: cannot open", root.display()))?;
    let exe = std::env::current_exe()?;
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let settings =
        Settings { product: labels.product.clone().unwrap_or_default(), manufacturer: labels.manufacturer.clone(), ..Settings::default() };
    let request =
        ReviewRequest { root_display: root.display().to_string(), root, catalog, settings, isolation: Isolation::child(exe), jobs };
    let start = Instant::now();
    let review = driver::run(&request, &Quiet)?;
    let secs = start.elapsed().as_secs_f64();
    let s = score(&review, &labels, &prefix);
    let files = review.documents.len();
    super::print(&format!(
        "pack {} · catalog {} {} ({} clauses)\n{}files: {files} in {secs:.2} s ({:.1} files/s, {} jobs)\n",
        labels.pack,
        request.catalog.id,
        request.catalog.version,
        request.catalog.clauses.len(),
        s.render(),
        files as f64 / secs.max(1e-9),
        request.jobs
    ))?;
    Ok(0)
}
