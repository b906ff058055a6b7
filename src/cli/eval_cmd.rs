//! `crosswalk eval PACK…`: review labelled packs and print agreement with their labels (accuracy, false
//! "met", traps refused, labelled evidence cited, citation precision, throughput); `--loo` adds
//! leave-one-pack-out figures (the judge fitted on the other packs); `--fit` fits the judge on all of them
//! and writes its parameters. The accuracy figures of closing notes come from here.

use super::args::{EvalArgs, EvalFormat};
use super::catalog_cmd;
use anyhow::{Context, bail};
use crosswalk::calibrate::{self, PackTrace};
use crosswalk::driver::{self, Quiet, ReadDocuments, ReviewRequest};
use crosswalk::evaluate::{Judge, Settings, Trace};
use crosswalk::extract::isolate::Isolation;
use crosswalk::labels::{Labels, Score, review_root, score};
use std::fmt::Write as _;
use std::time::Instant;

/// A pack read once: its request, documents and labels.
struct Pack {
    name: String,
    labels: Labels,
    prefix: String,
    request: ReviewRequest,
    read: ReadDocuments,
    read_secs: f64,
}

fn load_pack(args: &EvalArgs, dir: &std::path::Path) -> anyhow::Result<Pack> {
    let catalog = catalog_cmd::load(args.catalog.as_deref()).context("catalog")?;
    let labels = Labels::load(&dir.join("labels.toml")).map_err(anyhow::Error::msg)?;
    let (root, prefix) = review_root(dir);
    let root = root.canonicalize().with_context(|| format!("{}: cannot open", root.display()))?;
    let exe = std::env::current_exe()?;
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let settings =
        Settings { product: labels.product.clone().unwrap_or_default(), manufacturer: labels.manufacturer.clone(), ..Settings::default() };
    let request = ReviewRequest {
        root_display: root.display().to_string(),
        cache: super::review_cmd::open_cache(false, None, Some(&root))?,
        source: crosswalk::sources::Spec::Folder(root),
        drive: None,
        catalog,
        settings,
        isolation: Isolation::child(exe),
        jobs,
    };
    let start = Instant::now();
    let read = driver::read_all(&request, &Quiet)?;
    Ok(Pack { name: labels.pack.clone(), labels, prefix, request, read, read_secs: start.elapsed().as_secs_f64() })
}

/// Review a pack with `judge` (documents already read) and score it.
fn score_with(pack: &Pack, judge: &Judge, trace: Option<&mut Trace>) -> anyhow::Result<(Score, f64)> {
    let start = Instant::now();
    let read = ReadDocuments {
        documents: pack.read.documents.clone(),
        problems: pack.read.problems.clone(),
        source: pack.read.source.clone(),
        started: String::new(),
    };
    let review = driver::judge_documents(&pack.request, read, judge, trace, &Quiet)?;
    Ok((score(&review, &pack.labels, &pack.prefix), start.elapsed().as_secs_f64()))
}

fn line(s: &mut String, label: &str, sc: &Score) {
    let (refused, traps) = sc.traps();
    let _ = writeln!(
        s,
        "  {label:<10} accuracy {:.3}  false met {}  traps refused {refused}/{traps}  evidence cited {:.3}  citation precision {:.3}",
        sc.agreement(),
        sc.missing_reported_met().len(),
        sc.evidence_recall(),
        sc.citation_precision()
    );
}

pub(crate) fn run(args: EvalArgs) -> anyhow::Result<i32> {
    let shipped = match &args.judge {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("{}: cannot read", p.display()))?;
            Judge::parse(&text).with_context(|| p.display().to_string())?
        }
        None => Judge::builtin()?,
    };
    if args.loo && args.packs.len() < 2 {
        bail!("--loo needs at least two packs (each is scored by a judge fitted on the others)");
    }
    let packs: Vec<Pack> = args.packs.iter().map(|d| load_pack(&args, d)).collect::<anyhow::Result<_>>()?;
    let mut text = String::new();
    let mut fitted_json = Vec::new();
    let mut traces: Vec<PackTrace> = Vec::new();
    let _ = writeln!(text, "judge: {} (sha256 {}), fitted on: {}", shipped.name, shipped.sha256, fitted_on(&shipped));
    for pack in &packs {
        let mut trace = Trace::default();
        let (sc, secs) = score_with(pack, &shipped, (args.loo || args.fit || args.dump_trace.is_some()).then_some(&mut trace))?;
        fitted_json.push(sc.figures(&pack.name));
        let files = pack.read.documents.len();
        let _ = writeln!(
            text,
            "\npack {} · catalog {} {} ({} clauses)",
            pack.name,
            pack.request.catalog.id,
            pack.request.catalog.version,
            pack.request.catalog.clauses.len()
        );
        text.push_str(&sc.render());
        let _ = writeln!(
            text,
            "files: {files} read in {:.2} s ({:.1} files/s, {} jobs); judged in {secs:.2} s",
            pack.read_secs,
            files as f64 / pack.read_secs.max(1e-9),
            pack.request.jobs
        );
        traces.push(PackTrace { name: pack.name.clone(), labels: pack.labels.clone(), prefix: pack.prefix.clone(), trace });
    }
    if let Some(path) = &args.dump_trace {
        let all: Vec<&PackTrace> = traces.iter().collect();
        crosswalk::fsutil::write_atomic(path, calibrate::dump(&all).as_bytes())?;
    }
    let prior = Judge::prior()?;
    if args.fit {
        let all: Vec<&PackTrace> = traces.iter().collect();
        let mut judge = calibrate::fit(&all, &prior, "judge-fitted");
        judge.name = format!("judge-fitted-{}", all.len());
        let toml = judge.to_toml(&calibrate::provenance(&judge));
        // Report the fitted judge's own figures on the packs it was fitted on.
        let fitted = Judge::parse(&toml)?;
        let mut s = String::from("fitted judge on its training packs:\n");
        for pack in &packs {
            let (sc, _) = score_with(pack, &fitted, None)?;
            line(&mut s, &pack.name, &sc);
        }
        eprint!("{s}");
        return write(&args, &toml).map(|_| 0);
    }
    let mut loo_json = Vec::new();
    if args.loo {
        let _ = writeln!(text, "\nleave-one-pack-out (judge fitted on the other packs, this pack unseen):");
        for (i, pack) in packs.iter().enumerate() {
            let others: Vec<&PackTrace> = traces.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, t)| t).collect();
            // From the prior, never from the shipped judge (fitted on this pack too).
            let judge = calibrate::fit(&others, &prior, &format!("loo-{}", pack.name));
            let (sc, _) = score_with(pack, &judge, None)?;
            line(&mut text, &pack.name, &sc);
            let mut figures = sc.figures(&pack.name);
            figures["fitted_on"] = serde_json::json!(judge.fitted_on);
            figures["threshold"] = serde_json::json!((f64::from(judge.threshold) * 1000.0).round() / 1000.0);
            loo_json.push(figures);
        }
    }
    match args.format {
        EvalFormat::Text => write(&args, &text)?,
        EvalFormat::Json => {
            let v = serde_json::json!({
                "judge": { "name": shipped.name, "sha256": shipped.sha256, "fitted_on": shipped.fitted_on },
                "packs": fitted_json,
                "loo": loo_json,
            });
            write(&args, &(serde_json::to_string_pretty(&v)? + "\n"))?;
        }
    }
    Ok(0)
}

fn fitted_on(j: &Judge) -> String {
    if j.fitted_on.is_empty() { "nothing (hand-set)".into() } else { j.fitted_on.join(", ") }
}

fn write(args: &EvalArgs, text: &str) -> anyhow::Result<()> {
    super::emit(args.output.as_deref(), text.as_bytes())
}
