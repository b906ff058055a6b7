//! Runs the stages in order for one review request: list the sources, extract every file in parallel
//! (contained, see `extract::isolate`), evaluate, and stamp the times. The only stage that touches the
//! clock and the file system.

use crate::catalog::Catalog;
use crate::evaluate::{Engine, Judge, Settings, evaluate_traced};
use crate::extract::{ExtractError, isolate};
use crate::model::{DocStatus, Document, Extracted, Format};
use crate::review::Review;
use crate::sources::{Source, SourceFile, Spec};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Files larger than this are listed as skipped, not read.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// A resolved review request: everything checked and loaded.
pub struct ReviewRequest {
    /// Where the documents are: a folder, a zip, a git repository at a revision, a Drive folder.
    pub source: Spec,
    /// The Drive API client, for a Drive source.
    pub drive: Option<crate::sources::gdrive::Client>,
    /// As the user gave it, for the report.
    pub root_display: String,
    pub catalog: Catalog,
    pub settings: Settings,
    pub isolation: isolate::Isolation,
    pub jobs: usize,
    /// The extraction cache, when one is used (`--no-cache` turns it off).
    pub cache: Option<std::sync::Arc<crate::extract::cache::Cache>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error(transparent)]
    Source(#[from] crate::sources::SourceError),
    #[error(transparent)]
    Model(#[from] &'static crate::index::embed::ModelError),
    #[error(transparent)]
    Judge(#[from] crate::evaluate::judge::JudgeError),
}

/// Progress events for a face to show (a bar on a terminal, live status in the web app).
pub trait Progress: Sync {
    fn start(&self, total: usize);
    fn file_done(&self, path: &str);
    /// Every file is read; the clauses are being evaluated.
    fn evaluating(&self) {}
    /// `done` of `total` clauses are judged.
    fn clause_done(&self, _done: usize, _total: usize) {}
    fn finish(&self);
}

/// Progress that shows nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: usize) {}
    fn file_done(&self, _: &str) {}
    fn finish(&self) {}
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Read and extract one file through the worker pool (or take what the cache holds for its bytes). Never
/// fails: problems become the document's status and reason.
pub fn read_document(
    file: &SourceFile,
    source: &dyn Source,
    pool: &isolate::Pool,
    cache: Option<&crate::extract::cache::Cache>,
) -> Document {
    let format = crate::extract::sniff(&file.rel, &[]);
    let mut doc = Document {
        path: file.rel.clone(),
        format,
        bytes: file.bytes,
        sha256: String::new(),
        status: DocStatus::Ok,
        reason: None,
        extracted: Extracted::default(),
        origin: file.origin.clone(),
    };
    if file.bytes > MAX_FILE_BYTES {
        doc.status = DocStatus::Skipped;
        doc.reason = Some(format!("too large: {} bytes (limit {MAX_FILE_BYTES})", file.bytes));
        return doc;
    }
    // A file known by an immutable revision (git blob, Drive revision) that was read before is neither
    // fetched nor hashed: the cache names its bytes.
    let known = cache.zip(file.revision_key.as_deref()).and_then(|(c, k)| {
        let (sha, bytes) = c.get_revision(k)?;
        Some((c.get(&sha, &file.rel)?, sha, bytes))
    });
    if let Some((outcome, sha, bytes)) = known {
        doc.bytes = bytes;
        doc.sha256 = sha;
        settle(&mut doc, file, outcome);
        return doc;
    }
    if let Err(reason) = source.fetch(file) {
        doc.status = DocStatus::Error;
        doc.reason = Some(reason);
        doc.extracted.meta = crate::extract::meta_from_name(&file.rel);
        return doc;
    }
    read_fetched(&mut doc, file, pool, cache);
    if file.revision_key.is_some() {
        // Staged bytes (a blob, a download) are not kept once read.
        let _ = std::fs::remove_file(&file.abs);
    }
    doc
}

/// Extract a file whose bytes are at `file.abs`.
fn read_fetched(doc: &mut Document, file: &SourceFile, pool: &isolate::Pool, cache: Option<&crate::extract::cache::Cache>) {
    let on_disk = std::fs::metadata(&file.abs).map(|m| m.len()).unwrap_or(file.bytes);
    doc.bytes = on_disk;
    if on_disk > MAX_FILE_BYTES {
        doc.status = DocStatus::Skipped;
        doc.reason = Some(format!("too large: {on_disk} bytes (limit {MAX_FILE_BYTES})"));
        return;
    }
    // The first bytes tell the format of a file without an extension (a PDF); the worker reads the rest.
    let mut head = [0u8; 1024];
    let n = std::fs::File::open(&file.abs).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).unwrap_or(0);
    doc.format = crate::extract::sniff(&file.rel, &head[..n]);
    let cached = cache.and_then(|c| {
        let sha = crate::extract::cache::hash_file(&file.abs).ok()?;
        let outcome = c.get(&sha, &file.rel);
        Some((sha, outcome))
    });
    let (outcome, sha) = match cached {
        Some((sha, Some(outcome))) => (outcome, Some(sha)),
        _ => {
            let (outcome, sha) = pool.extract(&file.abs, &file.rel, on_disk);
            if let (Some(c), Some(sha)) = (cache, &sha) {
                c.put(sha, &file.rel, &outcome);
            }
            (outcome, sha)
        }
    };
    if let (Some(c), Some(k), Some(sha)) = (cache, file.revision_key.as_deref(), &sha) {
        c.put_revision(k, sha, on_disk);
    }
    doc.sha256 = sha.unwrap_or_default();
    settle(doc, file, outcome);
}

/// Put an extraction outcome on the document: its text, or its status and one-line reason.
fn settle(doc: &mut Document, file: &SourceFile, outcome: isolate::Outcome) {
    match outcome {
        Ok((format, extracted)) => {
            doc.format = format;
            doc.extracted = extracted;
        }
        Err(e) => {
            doc.status = if e.is_skip() { DocStatus::Skipped } else { DocStatus::Error };
            if doc.format == Format::Unsupported && !matches!(e, ExtractError::Unsupported(_)) {
                doc.format = Format::Unsupported;
            }
            doc.reason = Some(e.to_string());
            // The name still tells us something (ID, revision, DRAFT), even when the content is unreadable.
            doc.extracted.meta = crate::extract::meta_from_name(&file.rel);
        }
    }
}

/// Run a review.
pub fn run(request: &ReviewRequest, progress: &dyn Progress) -> Result<Review, DriverError> {
    let judge = Judge::builtin()?;
    let read = read_all(request, progress)?;
    judge_documents(request, read, &judge, None, progress)
}

/// Every file of a request, read and extracted (on all cores), before any judgment.
pub struct ReadDocuments {
    pub documents: Vec<Document>,
    pub problems: Vec<crate::sources::SourceProblem>,
    pub source: crate::sources::SourceInfo,
    pub started: String,
}

/// List the sources and extract every file.
pub fn read_all(request: &ReviewRequest, progress: &dyn Progress) -> Result<ReadDocuments, DriverError> {
    let started = now();
    let source = request.source.open(request.drive.as_ref())?;
    let (mut files, problems) = source.list()?;
    // The review configuration is not a document of the product.
    files.retain(|f| f.rel != "crosswalk.toml" && f.rel != crate::decisions::FILE_NAME);
    progress.start(files.len());
    let next = AtomicUsize::new(0);
    let pool = isolate::Pool::new(&request.isolation);
    let results: Mutex<Vec<Option<Document>>> = Mutex::new(vec![None; files.len()]);
    let jobs = request.jobs.clamp(1, 64).min(files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(file) = files.get(i) else { break };
                    let doc = read_document(file, source.as_ref(), &pool, request.cache.as_deref());
                    progress.file_done(&file.rel);
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(doc);
                    }
                }
            });
        }
    });
    let documents: Vec<Document> = results.into_inner().unwrap_or_default().into_iter().flatten().collect();
    Ok(ReadDocuments { documents, problems, source: source.info(), started })
}

/// Judge read documents with `judge`, recording the judge's candidates into `trace` when given
/// (calibration), and stamp the times.
pub fn judge_documents(
    request: &ReviewRequest,
    read: ReadDocuments,
    judge: &Judge,
    trace: Option<&mut crate::evaluate::Trace>,
    progress: &dyn Progress,
) -> Result<Review, DriverError> {
    let model = crate::index::embed::Model::get()?;
    progress.evaluating();
    let ReadDocuments { documents, problems, source, started } = read;
    let mut settings = request.settings.clone();
    if settings.product.trim().is_empty() {
        settings.product = infer_product(&documents).unwrap_or_else(|| "the product".to_string());
        settings.product_inferred = true;
    }
    settings.root = request.root_display.clone();
    let engine = Engine { model, judge };
    // Evaluation is pure: an unchanged store, catalog, model, judge and configuration give the stored review.
    let cache = request.cache.as_deref().filter(|_| trace.is_none());
    let key = cache.map(|_| judged_key(&request.catalog, &documents, &settings, &engine));
    let stored = cache.zip(key.as_deref()).and_then(|(c, k)| c.get_judged(k)).and_then(|b| serde_json::from_slice::<Review>(&b).ok());
    let mut review = match stored {
        Some(mut r) => {
            r.documents = documents;
            r
        }
        None => {
            let tell = |done: usize, total: usize| progress.clause_done(done, total);
            let mut r = evaluate_traced(&request.catalog, documents, &settings, &engine, trace, Some(&tell));
            if let (Some(c), Some(k)) = (cache, key.as_deref()) {
                let documents = std::mem::take(&mut r.documents);
                if let Ok(body) = serde_json::to_vec(&r) {
                    c.put_judged(k, &body);
                }
                r.documents = documents;
            }
            r
        }
    };
    progress.finish();
    review.source_problems = problems;
    review.source = source;
    review.started = started;
    review.finished = now();
    Ok(review)
}

/// A digest of everything evaluation reads: this build, the catalog, the model, the judge, the settings and
/// every extracted document (streamed into the hash, never held twice).
fn judged_key(catalog: &Catalog, documents: &[Document], settings: &Settings, engine: &Engine<'_>) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    // The code that judged, not only its version number: a patched or development build never reuses
    // another build's verdicts.
    h.update(env!("CROSSWALK_SOURCE_ID").as_bytes());
    for part in [&catalog.sha256, &engine.model.sha256, &engine.judge.sha256] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(format!("{settings:?}").as_bytes());
    for d in documents {
        // The hasher is an `io::Write`: the document is serialised straight into it.
        let _ = serde_json::to_writer(&mut h, d);
        h.update([0]);
    }
    crate::model::hex(&h.finalize())
}

/// Guess the product name when none is configured: the distinctive word most document titles share
/// ("InfuSync Security Architecture", "InfuSync Release Record" → InfuSync).
pub fn infer_product(documents: &[Document]) -> Option<String> {
    const GENERIC: &[&str] = &[
        "security",
        "product",
        "software",
        "system",
        "plan",
        "procedure",
        "standard",
        "report",
        "record",
        "review",
        "manual",
        "quality",
        "requirements",
        "requirement",
        "risk",
        "register",
        "management",
        "development",
        "architecture",
        "test",
        "tests",
        "testing",
        "verification",
        "release",
        "update",
        "guide",
        "policy",
        "minutes",
        "the",
        "and",
        "for",
        "of",
        "secure",
        "coding",
        "threat",
        "model",
        "interface",
        "design",
        "document",
        "documents",
        "specification",
        "process",
        "handling",
        "vulnerability",
        "disclosure",
        "monitoring",
        "control",
        "glossary",
        "terms",
        "draft",
        "approved",
        "sbom",
        "analysis",
        "static",
        "results",
        "summary",
        "integrity",
        "version",
        "instructions",
        "use",
        "technical",
        "file",
        "cybersecurity",
        "medical",
        "device",
        "health",
        "clinical",
        "user",
        "users",
        "maintenance",
        "support",
        "training",
    ];
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for d in documents {
        let title = d.title();
        let mut seen = std::collections::BTreeSet::new();
        for word in title.split(|c: char| !c.is_alphanumeric()) {
            if word.len() < 3 || !word.chars().next().is_some_and(char::is_uppercase) || word.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            if GENERIC.contains(&word.to_lowercase().as_str()) || word.chars().any(|c| c.is_ascii_digit()) {
                continue;
            }
            if seen.insert(word.to_string()) {
                *counts.entry(word.to_string()).or_insert(0) += 1;
            }
        }
    }
    let (word, n) = counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    (n >= 3).then_some(word)
}
