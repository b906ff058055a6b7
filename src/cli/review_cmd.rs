//! `crosswalk review PATH`: resolve arguments and configuration into a request, run it, write the report.

use super::args::{FailOn, ReviewArgs};
use anyhow::{Context, bail};
use crosswalk::config::ReviewConfig;
use crosswalk::driver::{self, Progress, Quiet, ReviewRequest};
use crosswalk::evaluate::Settings;
use crosswalk::extract::isolate::Isolation;
use crosswalk::sources::Spec;
use std::io::IsTerminal as _;
use std::time::Duration;

pub(crate) fn run(args: ReviewArgs) -> anyhow::Result<i32> {
    let spec = Spec::parse(&args.path, args.rev.as_deref())?;
    // A local source must exist; its canonical path is where nothing may be written.
    let root = match spec.local_root() {
        Some(p) => Some(p.canonicalize().with_context(|| format!("{}: cannot open", p.display()))?),
        None => None,
    };
    let spec = match &root {
        Some(r) => spec.with_local_root(r.clone()),
        None => spec,
    };
    let config_path = match &args.config {
        Some(p) => Some(p.clone()),
        None => spec.folder().map(|f| f.join("crosswalk.toml")).filter(|p| p.is_file()),
    };
    let config = match &config_path {
        Some(p) => ReviewConfig::load(p)?,
        None => ReviewConfig::default(),
    };
    // The conformance route picks the built-in catalog (clauses 4–9, or Annex F); --catalog overrides.
    let catalog = match &args.catalog {
        Some(dir) => crosswalk::catalog::load_dir(dir).context("catalog")?,
        None => crosswalk::catalog::load_builtin(config.route.catalog_id()).context("catalog")?,
    };
    if let Some(p) = &config_path {
        config.validate(&catalog, &p.display().to_string())?;
    }
    if args.detail == crosswalk::report::html::Detail::Summary
        && !matches!(args.format, crosswalk::report::ReportFormat::Html | crosswalk::report::ReportFormat::Pdf)
    {
        bail!("--detail summary applies to --format html and pdf (the text format is the summary; the others carry everything)");
    }
    // The destination is checked (and proven writable) before any work, and can never be a reviewed file.
    let output = match &args.output {
        Some(out) => Some(crosswalk::fsutil::OutputFile::prepare(out, root.as_deref())?),
        None => None,
    };
    if output.is_none() && args.format.is_binary() && std::io::stdout().is_terminal() {
        bail!(
            "--format {} writes a binary file: add --output FILE",
            if args.format == crosswalk::report::ReportFormat::Pdf { "pdf" } else { "xlsx" }
        );
    }
    if args.format == crosswalk::report::ReportFormat::Pdf && crosswalk::report::pdf::find_chromium().is_none() {
        bail!("{}", crosswalk::report::pdf::PdfError::NoChromium);
    }
    let settings = Settings {
        product: args.product.clone().or(config.product.clone()).unwrap_or_default(),
        product_inferred: false,
        manufacturer: config.manufacturer.clone(),
        not_applicable: config.not_applicable.clone(),
        item_classes: config.item_class_set(),
        cyber_device: config.cyber_device,
        root: String::new(),
    };
    let exe = std::env::current_exe().context("cannot locate the crosswalk binary for contained extraction")?;
    let mut isolation = Isolation::child(exe);
    isolation.timeout = Duration::from_secs(args.timeout.max(1));
    isolation.memory_bytes = args.extract_memory.max(1) << 20;
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let cache = open_cache(args.no_cache, args.cache_dir.as_deref(), root.as_deref())?;
    let drive = match &spec {
        Spec::Gdrive { .. } => crosswalk::sources::gdrive::Client::from_environment(args.gdrive_service_account.as_deref())?,
        _ => None,
    };
    let request = ReviewRequest { source: spec, drive, root_display: args.path.clone(), catalog, settings, isolation, jobs, cache };
    let show_bar = !args.quiet && std::io::stderr().is_terminal();
    let bar = super::progress::Bar::new();
    let progress: &dyn Progress = if show_bar { &bar } else { &Quiet };
    let decisions_path = match &args.decisions {
        Some(p) => Some(p.clone()),
        None => request.source.folder().map(|f| f.join(crosswalk::decisions::FILE_NAME)).filter(|p| p.is_file()),
    };
    let decisions = match &decisions_path {
        Some(p) => Some(crosswalk::decisions::DecisionsFile::load(p)?),
        None => None,
    };
    let mut review = driver::run(&request, progress)?;
    if let Some(d) = &decisions {
        review.decisions = crosswalk::decisions::apply(d, &review);
    }
    // No readable document, no verdicts: 56 "missing" clauses would read as findings about the product.
    if !review.documents.iter().any(|d| d.status == crosswalk::model::DocStatus::Ok) {
        let shown = |s: &str| crosswalk::report::printable(s);
        for d in &review.documents {
            eprintln!("crosswalk: {}: {}", shown(&d.path), shown(d.reason.as_deref().unwrap_or("not read")));
        }
        for p in &review.source_problems {
            eprintln!("crosswalk: {}", shown(&p.to_string()));
        }
        bail!("nothing could be read in {}: {} files, none readable; no verdicts given", review.source_line(), review.documents.len());
    }
    let listed = output.is_none() && args.format == crosswalk::report::ReportFormat::Terminal;
    let to_terminal = output.is_none() && args.format == crosswalk::report::ReportFormat::Terminal && std::io::stdout().is_terminal();
    let bytes = if to_terminal {
        crosswalk::report::terminal::render_with(&review, terminal_look()).into_bytes()
    } else {
        crosswalk::report::render(args.format, &review, &request.catalog, args.detail)?
    };
    match output {
        Some(out) => {
            let path = out.commit(&bytes)?;
            if !args.quiet {
                eprintln!("crosswalk: wrote {}", path.display());
            }
        }
        None => super::print_bytes(&bytes)?,
    }
    // The text summary on stdout lists unreadable files already: each is reported once.
    for d in review.documents.iter().filter(|d| !listed && d.status == crosswalk::model::DocStatus::Error) {
        eprintln!(
            "crosswalk: {}: {}",
            crosswalk::report::printable(&d.path),
            crosswalk::report::printable(d.reason.as_deref().unwrap_or("unreadable"))
        );
    }
    Ok(gate(&review, args.fail_on))
}

/// Colour when stdout is a colour terminal and `NO_COLOR` is not set; the terminal's width.
fn terminal_look() -> crosswalk::report::terminal::Look {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    let width = console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| usize::from(cols))
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .unwrap_or(100);
    crosswalk::report::terminal::Look { colour: !no_color && !dumb, width }
}

/// `--fail-on`: 1 when the review has findings at or above the level, with one line saying why.
fn gate(review: &crosswalk::review::Review, fail_on: Option<FailOn>) -> i32 {
    use crosswalk::catalog::Severity;
    use crosswalk::model::Verdict;
    let Some(level) = fail_on else { return 0 };
    let count_verdicts = |vs: &[Verdict]| review.clauses.iter().filter(|c| vs.contains(&c.verdict)).count();
    let count_gaps = |ss: &[Severity]| review.clauses.iter().flat_map(|c| &c.gaps).filter(|g| ss.contains(&g.severity)).count();
    let (n, what) = match level {
        FailOn::Missing => (count_verdicts(&[Verdict::Missing]), "clauses missing"),
        FailOn::Partial => (count_verdicts(&[Verdict::Missing, Verdict::Partial]), "clauses partial or missing"),
        FailOn::Critical => (count_gaps(&[Severity::Critical]), "critical gaps"),
        FailOn::Major => (count_gaps(&[Severity::Critical, Severity::Major]), "major or critical gaps"),
    };
    if n > 0 {
        eprintln!("crosswalk: gate failed: {n} {what}");
        1
    } else {
        0
    }
}

/// The extraction cache for a review of `root`: none with `--no-cache`; an explicit `--cache-dir` that
/// cannot be used is an error; the default one that cannot be used is a warning (the review runs without).
pub(crate) fn open_cache(
    no_cache: bool,
    dir: Option<&std::path::Path>,
    root: Option<&std::path::Path>,
) -> anyhow::Result<Option<std::sync::Arc<crosswalk::extract::cache::Cache>>> {
    use crosswalk::extract::cache::{Cache, default_dir};
    if no_cache {
        return Ok(None);
    }
    match dir {
        Some(dir) => Ok(Some(std::sync::Arc::new(Cache::open(dir, root)?))),
        None => match default_dir().map(|d| Cache::open(&d, root)) {
            Some(Ok(c)) => Ok(Some(std::sync::Arc::new(c))),
            Some(Err(e)) => {
                eprintln!("crosswalk: warning: {e}; reviewing without a cache");
                Ok(None)
            }
            None => Ok(None),
        },
    }
}
