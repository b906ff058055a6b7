//! Request handlers and their askama templates (`templates/web/`). Every page is server-rendered; the
//! only script polls a running review's progress.

use super::store::ReviewId;
use super::{AppState, Job, upload};
use crate::catalog::{FRAMEWORKS, framework};
use crate::driver::{self, Progress, ReviewRequest};
use crate::evaluate::Settings;
use crate::extract::isolate::Isolation;
use crate::model::DocStatus;
use crate::report::html::{ClauseView, Detail, clause_view, verdict_label};
use crate::report::{ReportFormat, render};
use crate::review::Review;
use crate::sources::Spec;
use askama::Template;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::sync::Arc;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// An error page; internal causes are logged to stderr, never shown.
pub(crate) struct AppError(StatusCode, String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let page = ErrorPage { version: VERSION, status: self.0.to_string(), message: self.1 };
        (self.0, Html(page.render().unwrap_or_default())).into_response()
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    eprintln!("crosswalk serve: {e}");
    AppError(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on the server; the details are in its log.".into())
}

fn not_found_error(what: &str) -> AppError {
    AppError(StatusCode::NOT_FOUND, format!("{what} was not found."))
}

fn html(t: impl Template) -> Result<Response, AppError> {
    Ok(Html(t.render().map_err(internal)?).into_response())
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage {
    version: &'static str,
    status: String,
    message: String,
}

pub(crate) async fn not_found() -> AppError {
    not_found_error("This page")
}

pub(crate) async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], include_str!("../../assets/app.css"))
        .into_response()
}

pub(crate) async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")],
        include_str!("../../assets/app.js"),
    )
        .into_response()
}

// ---------------------------------------------------------------- catalog

struct ClauseItem {
    id: String,
    title: String,
    maps: String,
    /// Why it matched the search: the sentence holding the first query word.
    snippet: String,
}

#[derive(Template)]
#[template(path = "web/index.html")]
struct IndexPage {
    version: &'static str,
    catalog_title: String,
    clause_count: usize,
    q: String,
    framework: String,
    section: String,
    filtered: bool,
    shown: usize,
    frameworks: Vec<(&'static str, &'static str)>,
    groups: Vec<(String, Vec<ClauseItem>)>,
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !w.is_empty()).map(|w| w.to_lowercase()).collect()
}

/// A crude English stem, enough that "reviews", "reviewed" and "reviewing" find "review".
fn stem(w: &str) -> String {
    for (suffix, keep) in [("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")] {
        if let Some(base) = w.strip_suffix(suffix)
            && base.chars().count() >= 4
        {
            return format!("{base}{keep}");
        }
    }
    w.to_string()
}

/// Words of the field and their longer forms: a query word matches when it or one of these does.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("pentest", &["penetration"]),
    ("pen-test", &["penetration"]),
    ("sast", &["static"]),
    ("dast", &["dynamic"]),
    ("sbom", &["bill of materials", "sbom"]),
    ("soup", &["third-party", "off-the-shelf", "soup"]),
    ("ots", &["off-the-shelf"]),
    ("psirt", &["incident response", "vulnerability"]),
    ("cvd", &["coordinated", "disclosure"]),
    ("tara", &["threat", "risk assessment"]),
    ("threat-model", &["threat"]),
    ("cve", &["vulnerabilit"]),
    ("cvss", &["cvss", "severity"]),
    ("mfa", &["authentication"]),
    ("vex", &["exploitab", "vulnerabilit"]),
];

/// The clause's searchable text.
fn search_text(clause: &crate::catalog::Clause) -> String {
    let mut text = format!("{} {} {} {} {}", clause.id, clause.title, clause.requirement, clause.context, clause.content_match);
    for c in &clause.constraints {
        text.push_str(". ");
        text.push_str(&c.text);
    }
    for g in &clause.gaps {
        text.push_str(". ");
        text.push_str(&g.title);
        text.push_str(". ");
        text.push_str(&g.description);
    }
    text
}

/// Where a query word (or one of its synonyms) occurs in lower-cased `text`, as a word prefix of its stem.
fn find_word(text: &str, w: &str) -> Option<usize> {
    let mut forms: Vec<String> = vec![stem(w)];
    if let Some((_, alts)) = SYNONYMS.iter().find(|(k, _)| *k == w) {
        forms.extend(alts.iter().map(|a| a.to_string()));
    }
    forms
        .iter()
        .filter_map(|f| {
            text.match_indices(f.as_str()).find(|(i, _)| *i == 0 || !text[..*i].ends_with(char::is_alphanumeric)).map(|(i, _)| i)
        })
        .min()
}

/// The sentence around byte `at` of `text`, cut between words.
fn snippet(text: &str, at: usize) -> String {
    let start = text[..at].rfind(". ").map(|i| i + 2).unwrap_or(0);
    let end = text[at..].find(". ").map(|i| at + i + 1).unwrap_or(text.len());
    crate::report::html::cut_words(text[start..end].trim(), 180)
}

/// Full-text search: every query word must occur in the clause's text; hits ranked by occurrences.
fn search_score(clause: &crate::catalog::Clause, query: &[String]) -> Option<usize> {
    let text = search_text(clause).to_ascii_lowercase();
    let mut score = 0;
    for w in query {
        find_word(&text, w)?;
        score += text.matches(stem(w).as_str()).count().max(1);
    }
    Some(score)
}

pub(crate) async fn index(State(state): State<Arc<AppState>>, Query(params): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let q = params.get("q").cloned().unwrap_or_default();
    let fw_key = params.get("framework").and_then(|f| framework(f)).map(|f| f.0);
    let section = params.get("section").cloned().unwrap_or_default();
    let query = words(&q);
    let catalog = &state.catalog;
    // A clause number opens the clause.
    if let Some(c) = catalog.clause(q.trim()) {
        return Ok(Redirect::to(&format!("/clause/{}", c.id)).into_response());
    }
    if fw_key.is_none() && !section.trim().is_empty() {
        return Err(bad_request("a section filter needs a framework: choose one (62443-4-1, fda, 524b, mdr, 62304, 14971)"));
    }
    let mut groups: Vec<(String, Vec<ClauseItem>)> = Vec::new();
    let mut shown = 0;
    for c in &catalog.clauses {
        if !query.is_empty() && search_score(c, &query).is_none() {
            continue;
        }
        if let Some(key) = fw_key {
            let refs = c.crosswalk.get(key).cloned().unwrap_or_default();
            if refs.is_empty() || (!section.trim().is_empty() && !refs.iter().any(|r| r.eq_ignore_ascii_case(section.trim()))) {
                continue;
            }
        }
        shown += 1;
        let group = catalog.top_group(&c.id);
        if groups.last().is_none_or(|g| g.0 != group) {
            groups.push((group, vec![]));
        }
        let maps = match fw_key {
            Some(key) => c.crosswalk.get(key).map(|v| v.join(", ")).unwrap_or_default(),
            None => c.crosswalk.get("iec-62443-4-1").map(|v| v.join(", ")).unwrap_or_default(),
        };
        if let Some(g) = groups.last_mut() {
            let snippet = match query.first() {
                Some(w) => {
                    let text = search_text(c);
                    find_word(&text.to_ascii_lowercase(), w).map(|at| snippet(&text, at)).unwrap_or_default()
                }
                None => String::new(),
            };
            g.1.push(ClauseItem { id: c.id.clone(), title: c.title.clone(), maps, snippet });
        }
    }
    html(IndexPage {
        version: VERSION,
        catalog_title: catalog.title.clone(),
        clause_count: catalog.clauses.len(),
        filtered: !query.is_empty() || fw_key.is_some(),
        q,
        framework: fw_key.unwrap_or("").to_string(),
        section,
        shown,
        frameworks: FRAMEWORKS.to_vec(),
        groups,
    })
}

#[derive(Template)]
#[template(path = "web/clause.html")]
struct ClausePage {
    version: &'static str,
    catalog_title: String,
    group: String,
    id: String,
    title: String,
    title_status: &'static str,
    confidence: &'static str,
    maps: Vec<(&'static str, String)>,
    requirement: String,
    context: String,
    constraints: Vec<(String, String, &'static str)>,
    gaps: Vec<(String, &'static str, String, String)>,
    file_exists: String,
    content_match: String,
    defense: String,
    notice: String,
}

pub(crate) async fn clause(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, AppError> {
    let catalog = &state.catalog;
    let c = catalog.clause(&id).ok_or_else(|| not_found_error(&format!("Clause {id}")))?;
    html(ClausePage {
        version: VERSION,
        catalog_title: catalog.title.clone(),
        group: catalog.parent_group(&c.id).unwrap_or_else(|| catalog.top_group(&c.id)),
        id: c.id.clone(),
        title: c.title.clone(),
        title_status: c.title_status.as_str(),
        confidence: c.confidence.as_str(),
        maps: FRAMEWORKS.iter().filter_map(|(k, n)| c.crosswalk.get(*k).filter(|v| !v.is_empty()).map(|v| (*n, v.join(", ")))).collect(),
        requirement: c.requirement.clone(),
        context: c.context.clone(),
        constraints: c.constraints.iter().map(|k| (k.id.clone(), k.text.clone(), k.confidence.as_str())).collect(),
        gaps: c.gaps.iter().map(|g| (g.title.clone(), g.severity.as_str(), g.description.clone(), g.remedy.clone())).collect(),
        file_exists: c.file_exists.as_str().to_string(),
        content_match: c.content_match.clone(),
        defense: c
            .audit_defense
            .replace("{product}", "[your product]")
            .replace("{documents}", "[your document IDs]")
            .replace("{manufacturer}", "[your company]"),
        notice: catalog.notice.clone(),
    })
}

// ---------------------------------------------------------------- starting a review

#[derive(Template)]
#[template(path = "web/new.html")]
struct NewPage {
    version: &'static str,
    csrf: String,
    clause: Option<String>,
    /// Allowed folders: path, and whether it is a git repository (a revision can then be named).
    allowed_dirs: Vec<(String, bool)>,
    any_repo: bool,
    /// Drive is authorised for this server's user (`crosswalk auth gdrive`, or a service account).
    drive_ready: bool,
    max_mb: u64,
    max_files: usize,
}

pub(crate) async fn new_review(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let clause = params.get("clause").filter(|c| state.catalog.clause(c).is_some()).cloned();
    let allowed_dirs: Vec<(String, bool)> =
        state.config.allow_dirs.iter().map(|d| (d.display().to_string(), crate::sources::is_repository(d))).collect();
    html(NewPage {
        version: VERSION,
        csrf: state.csrf.clone(),
        clause,
        any_repo: allowed_dirs.iter().any(|d| d.1),
        allowed_dirs,
        drive_ready: drive_client().is_some(),
        max_mb: state.config.limits.max_total >> 20,
        max_files: state.config.limits.max_files,
    })
}

/// A review id from the URL: parsed to the shape the app generates, else "not found" (never a path).
fn review_id(raw: &str) -> Result<ReviewId, AppError> {
    ReviewId::parse(raw).ok_or_else(|| not_found_error("This review"))
}

fn forged() -> AppError {
    AppError(StatusCode::FORBIDDEN, "The form has expired or did not come from this server; reload the page and try again.".into())
}

fn bad_request(msg: impl Into<String>) -> AppError {
    AppError(StatusCode::BAD_REQUEST, msg.into())
}

pub(crate) async fn start_review(State(state): State<Arc<AppState>>, mut form: Multipart) -> Result<Response, AppError> {
    let id = ReviewId::generate();
    let dir = state.store.review_dir(&id);
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).map_err(internal)?;
    let result = receive(&state, &mut form, &dir, &docs).await;
    let (label, product, clause, source) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    if !source.is_empty() {
        // Nothing uploaded: the allowed folder is the review's source.
        let _ = std::fs::remove_dir(&docs);
    }
    begin_run(&state, &id, &label, product, source)?;
    let target = match clause {
        Some(c) => format!("/reviews/{id}?focus={c}"),
        None => format!("/reviews/{id}"),
    };
    Ok(Redirect::to(&target).into_response())
}

/// Read the form: CSRF token first-class, files streamed to disk with limits.
async fn receive(
    state: &AppState,
    form: &mut Multipart,
    dir: &std::path::Path,
    docs: &std::path::Path,
) -> Result<(String, String, Option<String>, String), AppError> {
    let limits = state.config.limits;
    let mut budget = upload::Budget::default();
    let (mut label, mut product, mut clause, mut csrf, mut allowed) = (String::new(), String::new(), None, String::new(), None);
    let (mut rev, mut gdrive) = (String::new(), String::new());
    let mut zips = Vec::new();
    let mut uploaded = 0usize;
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The upload is larger than the {} MB this server accepts.", limits.max_total >> 20),
            )
        } else {
            bad_request(format!("the upload could not be read: {e}"))
        }
    };
    while let Some(mut field) = form.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "files" => {
                // The form puts the CSRF token first: no file is stored for a forged request.
                if !state.check_csrf(&csrf) {
                    return Err(forged());
                }
                let Some(file_name) = field.file_name().map(str::to_string).filter(|n| !n.is_empty()) else { continue };
                let rel = upload::safe_relative(&file_name)
                    .ok_or_else(|| bad_request(upload::UploadError::Escapes(file_name.clone()).to_string()))?;
                let is_zip = file_name.to_ascii_lowercase().ends_with(".zip");
                let target = if is_zip { dir.join(format!("upload-{}.zip", zips.len())) } else { docs.join(&rel) };
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(internal)?;
                }
                let mut out = std::fs::File::create(&target).map_err(internal)?;
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                    size += chunk.len() as u64;
                    if size > limits.max_file {
                        return Err(bad_request(format!("{file_name}: larger than {} MB", limits.max_file >> 20)));
                    }
                    std::io::Write::write_all(&mut out, &chunk).map_err(internal)?;
                }
                if is_zip {
                    zips.push(target);
                } else {
                    budget.add(&limits, &file_name, size).map_err(|e| bad_request(e.to_string()))?;
                }
                uploaded += 1;
            }
            _ => {
                let value = field.text().await.map_err(|e| bad_request(format!("the form could not be read: {e}")))?;
                let value: String = value.chars().filter(|c| !c.is_control()).take(200).collect();
                match name.as_str() {
                    "csrf" => csrf = value,
                    "label" => label = value.trim().to_string(),
                    "product" => product = value.trim().to_string(),
                    "clause" => clause = state.catalog.clause(&value).map(|c| c.id.clone()),
                    "dir" => allowed = value.parse::<usize>().ok(),
                    "rev" => rev = value.trim().to_string(),
                    "gdrive" => gdrive = value.trim().to_string(),
                    _ => {}
                }
            }
        }
    }
    if !state.check_csrf(&csrf) {
        return Err(forged());
    }
    let mut skipped = Vec::new();
    for z in &zips {
        skipped.extend(upload::unzip(z, docs, &limits, &mut budget).map_err(|e| bad_request(e.to_string()))?);
        let _ = std::fs::remove_file(z);
    }
    if !skipped.is_empty() {
        let lines: Vec<String> = skipped.iter().map(ToString::to_string).collect();
        std::fs::write(dir.join(SKIPPED_FILE), lines.join("\n")).map_err(internal)?;
    }
    let mut shown = format!("{uploaded} uploaded files");
    let mut source = String::new();
    if let Some(i) = allowed {
        let Some(src) = state.config.allow_dirs.get(i) else { return Err(bad_request("unknown folder")) };
        if uploaded > 0 {
            return Err(bad_request("choose either files to upload or an allowed folder, not both"));
        }
        // Read in place: the folder (or the repository at a revision) is the review's source; nothing is copied.
        shown = src.display().to_string();
        source = shown.clone();
        if !rev.is_empty() {
            if !crate::sources::is_repository(src) {
                return Err(bad_request(format!("{shown} is not a git repository: leave the revision empty")));
            }
            let spec = crate::sources::Spec::parse(&shown, Some(&rev)).map_err(|e| bad_request(e.to_string()))?;
            source = spec.display();
            shown = source.clone();
        }
        uploaded = 1;
    } else if !rev.is_empty() {
        return Err(bad_request("a revision needs a git repository among the allowed folders"));
    }
    if !gdrive.is_empty() {
        if uploaded > 0 {
            return Err(bad_request("choose one source: files, an allowed folder, or a Drive folder"));
        }
        if drive_client().is_none() {
            return Err(bad_request("Google Drive is not authorised on this computer: run `crosswalk auth gdrive` first"));
        }
        let arg = if gdrive.starts_with("gdrive://") { gdrive.clone() } else { format!("gdrive://{gdrive}") };
        let spec = crate::sources::Spec::parse(&arg, None).map_err(|e| bad_request(e.to_string()))?;
        source = spec.display();
        shown = source.clone();
        uploaded = 1;
    }
    if uploaded == 0 {
        return Err(bad_request(upload::UploadError::Empty.to_string()));
    }
    if label.is_empty() {
        label = format!("Review of {shown}");
    }
    Ok((label, product, clause, source))
}

struct JobProgress<'a> {
    state: &'a AppState,
    id: &'a ReviewId,
}

impl Progress for JobProgress<'_> {
    fn start(&self, total: usize) {
        if let Ok(mut jobs) = self.state.jobs.lock() {
            jobs.entry(self.id.to_string()).or_default().total = total;
        }
    }
    fn file_done(&self, path: &str) {
        if let Ok(mut jobs) = self.state.jobs.lock() {
            let j = jobs.entry(self.id.to_string()).or_default();
            j.done += 1;
            j.current = path.to_string();
        }
    }
    fn evaluating(&self) {
        if let Ok(mut jobs) = self.state.jobs.lock() {
            jobs.entry(self.id.to_string()).or_default().current = "indexing the passages…".to_string();
        }
    }
    fn clause_done(&self, done: usize, total: usize) {
        if let Ok(mut jobs) = self.state.jobs.lock() {
            jobs.entry(self.id.to_string()).or_default().current = format!("evaluating the clauses: {done} of {total}");
        }
    }
    fn finish(&self) {}
}

/// The Drive client of the user running the server, if Drive is authorised.
fn drive_client() -> Option<crate::sources::gdrive::Client> {
    crate::sources::gdrive::Client::from_environment(None).ok().flatten()
}

/// The source a stored review reads: its uploaded documents, an allowed folder in place, an allowed git
/// repository at a revision, or a Drive folder. Checked again at every run: a folder must still be allowed.
fn source_of(state: &AppState, id: &ReviewId, source: &str) -> (Spec, String) {
    let uploaded = || (Spec::Folder(state.store.review_dir(id).join("docs")), "uploaded documents".to_string());
    if source.is_empty() {
        return uploaded();
    }
    if let Some(dir) = state.config.allow_dirs.iter().find(|d| d.as_os_str() == source) {
        return (Spec::Folder(dir.clone()), dir.display().to_string());
    }
    if source.starts_with("gdrive://")
        && let Ok(spec) = Spec::parse(source, None)
    {
        return (spec, source.to_string());
    }
    for dir in &state.config.allow_dirs {
        let prefix = format!("{}@", dir.display());
        if let Some(rev) = source.strip_prefix(&prefix)
            && let Ok(spec) = Spec::parse(&dir.display().to_string(), Some(rev))
        {
            return (spec, source.to_string());
        }
    }
    // No longer allowed: review nothing rather than something the server may not read.
    (Spec::Folder(state.store.review_dir(id).join("docs")), "a source this server no longer allows".to_string())
}

fn request_for(state: &AppState, id: &ReviewId, product: String, source: &str) -> ReviewRequest {
    let (spec, shown) = source_of(state, id, source);
    // The server's extraction cache lives in its data directory (never in an allowed folder).
    let cache = crosswalk_cache(&state.config.data_dir.join("cache"), spec.local_root());
    let drive = if matches!(spec, Spec::Gdrive { .. }) { drive_client() } else { None };
    ReviewRequest {
        root_display: shown,
        cache,
        source: spec,
        drive,
        catalog: (*state.catalog).clone(),
        settings: Settings { product, ..Settings::default() },
        isolation: Isolation::child(state.config.exe.clone()),
        jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
    }
}

fn crosswalk_cache(dir: &std::path::Path, root: Option<&std::path::Path>) -> Option<Arc<crate::extract::cache::Cache>> {
    match crate::extract::cache::Cache::open(dir, root) {
        Ok(c) => Some(Arc::new(c)),
        Err(e) => {
            eprintln!("crosswalk: warning: {e}; reviewing without a cache");
            None
        }
    }
}

/// Record a new run `id` (its folder exists) as started now, and run it.
fn begin_run(state: &Arc<AppState>, id: &ReviewId, label: &str, product: String, source: String) -> Result<(), AppError> {
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    state.store.insert(id, &created, label, &product, &source).map_err(internal)?;
    spawn_job(state, id, product, source);
    Ok(())
}

/// Run a review of `id`'s documents (uploaded, or an allowed folder read in place) on a blocking thread.
fn spawn_job(state: &Arc<AppState>, id: &ReviewId, product: String, source: String) {
    if let Ok(mut jobs) = state.jobs.lock() {
        jobs.insert(id.to_string(), Job::default());
    }
    let state2 = state.clone();
    let id2 = id.clone();
    tokio::task::spawn_blocking(move || run_job(&state2, &id2, product, &source));
}

/// "Review again": a run that was interrupted (the server stopped) or failed runs again in place; a finished
/// review of a folder, repository or Drive folder reads its source again as a new run (so the two can be
/// compared and decisions checked against the documents as they are now).
pub(crate) async fn again(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    let row = row_of(&state, &id)?;
    if !state.check_csrf(&form.csrf) {
        return Err(AppError(StatusCode::FORBIDDEN, "The form has expired; reload the page and try again.".into()));
    }
    if row.status == "done" {
        if row.source.is_empty() {
            return Err(AppError(
                StatusCode::CONFLICT,
                "Uploaded documents are reviewed as they were uploaded: upload the new versions with the same label to review them again."
                    .into(),
            ));
        }
        let id = ReviewId::generate();
        std::fs::create_dir_all(state.store.review_dir(&id)).map_err(internal)?;
        begin_run(&state, &id, &row.label, row.product.clone(), row.source.clone())?;
        return Ok(Redirect::to(&format!("/reviews/{id}")).into_response());
    }
    if row.source.is_empty() && !state.store.review_dir(&row.id).join("docs").is_dir() {
        return Err(AppError(StatusCode::CONFLICT, "The documents of this review are no longer stored; start a new review.".into()));
    }
    if !state.store.restart(&row.id).map_err(internal)? {
        return Err(AppError(StatusCode::CONFLICT, "Only an interrupted or failed review can be run again.".into()));
    }
    spawn_job(&state, &row.id, row.product.clone(), row.source.clone());
    Ok(Redirect::to(&format!("/reviews/{}", row.id)).into_response())
}

/// Entries of an uploaded archive that were not unpacked, one per line, beside the stored documents.
const SKIPPED_FILE: &str = "skipped.txt";

fn run_job(state: &AppState, id: &ReviewId, product: String, source: &str) {
    let request = request_for(state, id, product, source);
    let mut outcome = driver::run(&request, &JobProgress { state, id });
    if let (Ok(review), Ok(text)) = (&mut outcome, std::fs::read_to_string(state.store.review_dir(id).join(SKIPPED_FILE))) {
        for line in text.lines() {
            let (path, reason) = line.split_once(": ").unwrap_or((line, "skipped"));
            review.source_problems.push(crate::sources::SourceProblem::new(path, reason));
        }
    }
    // Decisions taken on earlier runs of the same technical file, checked against this run's documents.
    if let (Ok(review), Ok(Some(row))) = (&mut outcome, state.store.get(id))
        && let Ok(file) = state.store.decisions(&decision_key(state, &row))
    {
        review.decisions = crate::decisions::apply(&file, review);
    }
    match outcome {
        Ok(review) => {
            let json = crate::report::json::render(&review, &state.catalog);
            // Written whole or not at all: a crash never leaves half a report to serve.
            if let Err(e) = crate::fsutil::write_atomic(&state.store.review_dir(id).join("review.json"), json.as_bytes()) {
                eprintln!("crosswalk serve: {e}");
            }
            let mut record = review;
            record.compact(RECORD_NEIGHBOURS);
            // The record first, then the row: a review is "done" only once its record can be served.
            match state.store.save_record(id, &record).and_then(|()| state.store.finish(id, &record)) {
                Ok(()) => {}
                Err(e) => {
                    eprintln!("crosswalk serve: {e}");
                    let _ = state.store.fail(id, "the finished review could not be stored; see the server log");
                }
            }
        }
        Err(e) => {
            let _ = state.store.fail(id, &e.to_string());
        }
    }
    if let Ok(mut jobs) = state.jobs.lock() {
        jobs.remove(id.as_str());
    }
}

/// Passages kept around each cited or refused passage in a stored record (for the evidence viewer).
const RECORD_NEIGHBOURS: usize = 3;

/// A finished review, from its stored record (through the bounded cache), never recomputed.
fn load_review(state: &AppState, row: &super::store::ReviewRow) -> Result<Arc<Review>, AppError> {
    state.reviews.get_or_load(row.id.as_str(), || match state.store.load_record(&row.id) {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(AppError(
            StatusCode::CONFLICT,
            "This review was stored by an earlier version of crosswalk without its record; review the documents again.".into(),
        )),
        Err(e) => Err(internal(e)),
    })
}

/// [`load_review`] on a blocking thread (the record is read and parsed from disk on a miss).
async fn load_review_blocking(state: &Arc<AppState>, row: &super::store::ReviewRow) -> Result<Arc<Review>, AppError> {
    let (state, row) = (state.clone(), row.clone());
    tokio::task::spawn_blocking(move || load_review(&state, &row)).await.map_err(internal)?
}

fn row_of(state: &AppState, id: &str) -> Result<super::store::ReviewRow, AppError> {
    let id = review_id(id)?;
    state.store.get(&id).map_err(internal)?.ok_or_else(|| not_found_error(&format!("Review {id}")))
}

// ---------------------------------------------------------------- results

struct ClauseRow {
    id: String,
    title: String,
    verdict: &'static str,
    verdict_label: &'static str,
    covered: String,
    gaps: usize,
    focus: bool,
    /// The reviewer's decision in a few words ("confirmed by Dana", "met by Dana", "suspect"), or empty.
    decision: String,
    suspect: bool,
    /// The clause group ("5 Software development process"), for the group filter.
    group: String,
    /// The severities of its gaps, space-separated, for the severity filter.
    severities: String,
}

#[derive(Template)]
#[template(path = "web/review.html")]
struct ReviewPage {
    version: &'static str,
    csrf: String,
    row: super::store::ReviewRow,
    done: usize,
    total: usize,
    skipped: Vec<(String, String)>,
    clauses: Vec<ClauseRow>,
    /// Gaps, most severe first: (clause, gap title, severity, the clause's verdict and group for the filters).
    gaps: Vec<(String, String, &'static str, &'static str, String)>,
    /// Clauses whose reviewer decision is suspect: (clause, who decided).
    suspects: Vec<(String, String)>,
    downloads: Vec<(&'static str, &'static str)>,
    others: Vec<(String, String)>,
    /// What was read, with its revision ("git repository … at v3.2 (commit …)").
    source_line: String,
    /// No document could be read: no verdicts are shown, only the files and why.
    nothing_read: bool,
    donut: String,
    group_chart: String,
    groups: Vec<String>,
    /// The clause asked for with `?focus=`, with its verdict, to open from the top of the page.
    focus: Option<(String, &'static str)>,
}

const DOWNLOADS: &[(&str, &str)] = &[
    ("html", "Detailed report (HTML)"),
    ("summary.html", "At-a-glance summary (HTML)"),
    ("pdf", "Detailed report (PDF)"),
    ("xlsx", "Traceability matrix (XLSX)"),
    ("csv", "Traceability matrix (CSV)"),
    ("md", "Report (Markdown)"),
    ("json", "Review data (crosswalk JSON)"),
    ("oscal", "OSCAL assessment results"),
    ("sarif", "SARIF (one result per gap)"),
];

pub(crate) async fn review(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let row = row_of(&state, &id)?;
    let (mut done, mut total) = (0, 0);
    if let Some(j) = state.jobs.lock().ok().and_then(|j| j.get(row.id.as_str()).cloned()) {
        (done, total) = (j.done, j.total);
    }
    let (mut skipped, mut clauses, mut others, mut gaps, mut suspects) = (vec![], vec![], vec![], vec![], vec![]);
    let mut source_line = String::new();
    let mut nothing_read = false;
    let (mut donut, mut group_chart, mut groups, mut focus_clause) = (String::new(), String::new(), Vec::new(), None);
    if row.status == "done" {
        let review = load_review_blocking(&state, &row).await?;
        let review = with_decisions(&state, &row, &review)?;
        let focus = params.get("focus").cloned().unwrap_or_default();
        source_line = if row.source.is_empty() {
            format!("{} uploaded files, stored with this review", review.documents.len())
        } else {
            review.source_line()
        };
        suspects = review.decisions.iter().filter(|a| a.suspect).map(|a| (a.decision.clause.clone(), a.decision.by.clone())).collect();
        nothing_read = !review.documents.iter().any(|d| d.status == DocStatus::Ok);
        let mut rows: Vec<(String, [usize; 4])> = Vec::new();
        for c in &review.clauses {
            let g = state.catalog.top_group(&c.id);
            if rows.last().is_none_or(|r| r.0 != g) {
                rows.push((g.clone(), [0; 4]));
            }
            if let Some(r) = rows.last_mut() {
                r.1[crate::report::html::idx(c.verdict)] += 1;
            }
        }
        let s = &review.summary;
        donut = crate::report::html::donut([s.met, s.partial, s.missing, s.not_applicable]);
        group_chart = crate::report::html::group_chart(&rows);
        groups = rows.into_iter().map(|r| r.0).collect();
        focus_clause = review.clauses.iter().find(|c| c.id == focus).map(|c| (c.id.clone(), verdict_label(c.verdict)));
        skipped = review
            .documents
            .iter()
            .filter(|d| d.status != DocStatus::Ok)
            .map(|d| (d.path.clone(), d.reason.clone().unwrap_or_default()))
            .collect();
        clauses = review
            .clauses
            .iter()
            .map(|c| ClauseRow {
                id: c.id.clone(),
                title: c.title.clone(),
                verdict: c.verdict.as_str(),
                verdict_label: verdict_label(c.verdict),
                covered: format!("{}/{}", c.constraints.iter().filter(|k| k.covered).count(), c.constraints.len()),
                gaps: c.gaps.len(),
                focus: c.id == focus,
                decision: review
                    .decision(&c.id)
                    .map(|a| {
                        let what = if a.decision.verdict == c.verdict {
                            "confirmed".to_string()
                        } else {
                            verdict_label(a.decision.verdict).to_lowercase()
                        };
                        format!("{what} by {}{}", a.decision.by, if a.suspect { " — suspect" } else { "" })
                    })
                    .unwrap_or_default(),
                suspect: review.decision(&c.id).is_some_and(|a| a.suspect),
                group: state.catalog.top_group(&c.id),
                severities: c.gaps.iter().map(|g| g.severity.as_str()).collect::<Vec<_>>().join(" "),
            })
            .collect();
        let mut all: Vec<(crate::catalog::Severity, Vec<u32>, String, String, &'static str)> = review
            .clauses
            .iter()
            .flat_map(|c| c.gaps.iter().map(move |g| (g.severity, c.sort_key(), c.id.clone(), g.title.clone(), c.verdict.as_str())))
            .collect();
        all.sort();
        gaps = all
            .into_iter()
            .map(|(s, _, id, title, verdict)| {
                let group = state.catalog.top_group(&id);
                (id, title, s.as_str(), verdict, group)
            })
            .collect();
        others = state
            .store
            .list()
            .map_err(internal)?
            .into_iter()
            .filter(|r| r.id != row.id && r.status == "done")
            .map(|r| (r.id.to_string(), format!("{} ({})", r.label, r.created)))
            .collect();
    }
    html(ReviewPage {
        version: VERSION,
        csrf: state.csrf.clone(),
        row,
        done,
        total,
        skipped,
        clauses,
        gaps,
        suspects,
        downloads: DOWNLOADS.to_vec(),
        others,
        source_line,
        nothing_read,
        donut,
        group_chart,
        groups,
        focus: focus_clause,
    })
}

pub(crate) async fn status(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, AppError> {
    let row = row_of(&state, &id)?;
    let job = state.jobs.lock().ok().and_then(|j| j.get(row.id.as_str()).cloned()).unwrap_or_default();
    let body = serde_json::json!({"status": row.status, "done": job.done, "total": job.total, "current": job.current});
    Ok(([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response())
}

#[derive(Template)]
#[template(path = "web/review_clause.html")]
struct ReviewClausePage {
    version: &'static str,
    csrf: String,
    review_id: String,
    label: String,
    c: ClauseView,
}

#[derive(Template)]
#[template(path = "web/document.html")]
struct DocumentPage {
    version: &'static str,
    review_id: String,
    label: String,
    path: String,
    doc_id: String,
    title: String,
    state: &'static str,
    sha256: String,
    status: String,
    origin: String,
    link: String,
    /// The passages kept in the review's record (cited and refused ones with their neighbours), in order.
    blocks: Vec<ViewerBlock>,
}

struct ViewerBlock {
    n: usize,
    locator: String,
    heading: bool,
    /// Text before, inside and after the highlighted range (all in `before` when not highlighted).
    before: String,
    marked: String,
    after: String,
    focus: bool,
    /// Why passages of this block were refused as evidence, and for which clause.
    refused: Vec<String>,
    /// The constraints this block evidences.
    cited_for: Vec<String>,
}

/// The evidence viewer: a document's extracted text around the cited and refused passages, the requested one
/// highlighted (`?b=BLOCK&s=START&e=END`), with the document's status and hash.
pub(crate) async fn document(
    State(state): State<Arc<AppState>>,
    Path((id, n)): Path<(String, usize)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let row = row_of(&state, &id)?;
    if row.status != "done" {
        return Ok(Redirect::to(&format!("/reviews/{}", row.id)).into_response());
    }
    let review = load_review_blocking(&state, &row).await?;
    let d = review.documents.get(n).ok_or_else(|| not_found_error("Document"))?;
    let num = |k: &str| params.get(k).and_then(|v| v.parse::<usize>().ok());
    let (focus, start, end) = (num("b"), num("s"), num("e"));
    let mut refused: HashMap<usize, Vec<String>> = HashMap::new();
    let mut cited: HashMap<usize, Vec<String>> = HashMap::new();
    for c in &review.clauses {
        for r in c.rejected.iter().filter(|r| r.doc == n) {
            if let Some(b) = r.block {
                // Name the sentences refused when they are only part of the passage: a paragraph can be
                // cited for one clause and refused, for another sentence of it, under another.
                let quote = review.rejection_quote(r);
                let whole = review.block(n, b).is_some_and(|x| x.text.trim() == quote.trim());
                let which = if quote.is_empty() || whole {
                    String::new()
                } else {
                    format!(" “{}”", crate::report::html::cut_words(quote, 160))
                };
                refused.entry(b).or_default().push(format!("{} ({}){which}: {}", r.explain_short(), c.id, r.explain()));
            }
        }
        for k in &c.constraints {
            for e in k.evidence.iter().filter(|e| e.doc == n) {
                cited.entry(e.block).or_default().push(k.id.clone());
            }
        }
    }
    let blocks = d
        .extracted
        .blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.text.is_empty())
        .map(|(i, b)| {
            let is_focus = focus == Some(i);
            let (mut before, mut marked, mut after) = (b.text.clone(), String::new(), String::new());
            if is_focus
                && let (Some(s), Some(e)) = (start, end)
                && s < e
                && e <= b.text.len()
                && b.text.is_char_boundary(s)
                && b.text.is_char_boundary(e)
            {
                before = b.text[..s].to_string();
                marked = b.text[s..e].to_string();
                after = b.text[e..].to_string();
            } else if is_focus {
                marked = std::mem::take(&mut before);
            }
            let mut refused_here = refused.remove(&i).unwrap_or_default();
            refused_here.dedup();
            let mut cited_here = cited.remove(&i).unwrap_or_default();
            cited_here.dedup();
            ViewerBlock {
                n: i,
                locator: b.locator.to_string(),
                heading: b.kind == crate::model::BlockKind::Heading,
                before,
                marked,
                after,
                focus: is_focus,
                refused: refused_here,
                cited_for: cited_here,
            }
        })
        .collect();
    html(DocumentPage {
        version: VERSION,
        review_id: row.id.to_string(),
        label: row.label.clone(),
        path: d.path.clone(),
        doc_id: d.display_id(),
        title: d.title(),
        state: d.extracted.meta.state.as_str(),
        sha256: d.sha256.clone(),
        status: d.status_line(),
        origin: d.origin.revision_label().unwrap_or_default(),
        link: d.origin.link().unwrap_or_default().to_string(),
        blocks,
    })
}

/// The technical file a review belongs to, for its reviewer decisions: its source (a git repository without
/// the revision, so decisions carry over to the next tag), or for uploads its label.
fn decision_key(state: &AppState, row: &super::store::ReviewRow) -> String {
    if row.source.is_empty() {
        return format!("upload:{}", row.label);
    }
    for dir in &state.config.allow_dirs {
        let shown = dir.display().to_string();
        if row.source == shown || row.source.starts_with(&format!("{shown}@")) {
            return shown;
        }
    }
    row.source.clone()
}

/// The review with the decisions kept for its technical file, checked against its documents.
fn with_decisions(state: &AppState, row: &super::store::ReviewRow, review: &Review) -> Result<Review, AppError> {
    let file = state.store.decisions(&decision_key(state, row)).map_err(internal)?;
    let mut r = review.clone();
    r.decisions = crate::decisions::apply(&file, &r);
    Ok(r)
}

/// A reviewer confirms or overrides a clause's verdict, with a reason and a name; cited passages can be
/// rejected. Stored for the technical file, with the documents the decision rests on.
pub(crate) async fn decide(
    State(state): State<Arc<AppState>>,
    Path((id, clause)): Path<(String, String)>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let row = row_of(&state, &id)?;
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    if !state.check_csrf(&field("csrf")) {
        return Err(forged());
    }
    if row.status != "done" {
        return Err(AppError(StatusCode::CONFLICT, "The review is still running.".into()));
    }
    let clean = |s: String| -> String { s.chars().filter(|c| !c.is_control() || *c == '\n').take(2000).collect() };
    let (reason, by) = (clean(field("reason")), clean(field("by")));
    if reason.is_empty() || by.is_empty() {
        return Err(bad_request("a decision needs a reason and your name"));
    }
    let review = load_review_blocking(&state, &row).await?;
    let result = review.clauses.iter().find(|c| c.id == clause).ok_or_else(|| not_found_error(&format!("Clause {clause}")))?;
    let verdict = match field("verdict").as_str() {
        "" | "confirm" => result.verdict,
        "met" => crate::model::Verdict::Met,
        "partial" => crate::model::Verdict::Partial,
        "missing" => crate::model::Verdict::Missing,
        "not_applicable" => crate::model::Verdict::NotApplicable,
        _ => return Err(bad_request("unknown verdict")),
    };
    let rejected: Vec<&String> = form.iter().filter(|(n, _)| n == "reject").map(|(_, v)| v).collect();
    let mut passages = Vec::new();
    for k in &result.constraints {
        for e in &k.evidence {
            let document = review.documents[e.doc].path.clone();
            let locator = review.locator(e.doc, Some(e.block));
            let token = format!("{document}|{locator}");
            if passages.iter().any(|p: &crate::decisions::PassageDecision| p.document == document && p.locator == locator) {
                continue;
            }
            let accept = !rejected.contains(&&token);
            passages.push(crate::decisions::PassageDecision { document, locator, accept, reason: String::new() });
        }
    }
    let decision = crate::decisions::Decision {
        clause: result.id.clone(),
        verdict,
        machine_verdict: result.verdict,
        reason,
        by,
        at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        evidence: crate::decisions::evidence_of(&review, &result.id),
        passages,
    };
    state.store.add_decision(&decision_key(&state, &row), &decision).map_err(internal)?;
    // Back to the clause, scrolled to the decision just recorded.
    Ok(Redirect::to(&format!("/reviews/{}/clause/{}#decision", row.id, result.id)).into_response())
}

/// The decisions of this review's technical file as a decisions file, for `crosswalk review --decisions`.
pub(crate) async fn decisions_file(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, AppError> {
    let row = row_of(&state, &id)?;
    let file = state.store.decisions(&decision_key(&state, &row)).map_err(internal)?;
    Response::builder()
        .header(header::CONTENT_TYPE, "application/toml; charset=utf-8")
        .header(header::CONTENT_DISPOSITION, "attachment; filename=\"crosswalk-decisions.toml\"")
        .body(Body::from(file.to_toml()))
        .map_err(internal)
}

pub(crate) async fn review_clause(
    State(state): State<Arc<AppState>>,
    Path((id, clause)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let row = row_of(&state, &id)?;
    if row.status != "done" {
        return Ok(Redirect::to(&format!("/reviews/{}", row.id)).into_response());
    }
    let review = load_review_blocking(&state, &row).await?;
    let review = with_decisions(&state, &row, &review)?;
    let result = review.clauses.iter().find(|c| c.id == clause).ok_or_else(|| not_found_error(&format!("Clause {clause}")))?;
    html(ReviewClausePage {
        version: VERSION,
        csrf: state.csrf.clone(),
        review_id: row.id.to_string(),
        label: row.label,
        c: clause_view(&review, &state.catalog, result, usize::MAX),
    })
}

pub(crate) async fn download(State(state): State<Arc<AppState>>, Path((id, format)): Path<(String, String)>) -> Result<Response, AppError> {
    let row = row_of(&state, &id)?;
    if row.status != "done" {
        return Err(AppError(StatusCode::CONFLICT, "The review is still running.".into()));
    }
    let (fmt, detail, ext, mime) = match format.as_str() {
        "html" => (ReportFormat::Html, Detail::Full, "html", "text/html; charset=utf-8"),
        "summary.html" => (ReportFormat::Html, Detail::Summary, "summary.html", "text/html; charset=utf-8"),
        "pdf" => (ReportFormat::Pdf, Detail::Full, "pdf", "application/pdf"),
        "xlsx" => (ReportFormat::Xlsx, Detail::Full, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "csv" => (ReportFormat::Csv, Detail::Full, "csv", "text/csv; charset=utf-8"),
        "md" => (ReportFormat::Md, Detail::Full, "md", "text/markdown; charset=utf-8"),
        "json" => (ReportFormat::Json, Detail::Full, "json", "application/json"),
        "oscal" => (ReportFormat::Oscal, Detail::Full, "oscal.json", "application/json"),
        "sarif" => (ReportFormat::Sarif, Detail::Full, "sarif", "application/sarif+json"),
        _ => return Err(not_found_error(&format!("Format {format}"))),
    };
    // The JSON contract as it was written when the review finished (the record behind the other formats
    // is compacted).
    if fmt == ReportFormat::Json {
        let bytes = std::fs::read(state.store.review_dir(&row.id).join("review.json")).map_err(internal)?;
        return Response::builder()
            .header(header::CONTENT_TYPE, mime)
            .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"crosswalk-{}.{ext}\"", row.id))
            .body(Body::from(bytes))
            .map_err(internal);
    }
    let state2 = state.clone();
    let review = tokio::task::spawn_blocking(move || {
        let r = load_review(&state2, &row)?;
        let r = with_decisions(&state2, &row, &r)?;
        render(fmt, &r, &state2.catalog, detail).map_err(|e| AppError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))
    })
    .await
    .map_err(internal)??;
    let file = format!("crosswalk-{id}.{ext}");
    Response::builder()
        .header(header::CONTENT_TYPE, mime)
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\""))
        .body(Body::from(review))
        .map_err(internal)
}

#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    let id = review_id(&id)?;
    if !state.check_csrf(&form.csrf) {
        return Err(AppError(StatusCode::FORBIDDEN, "The form has expired; reload the page and try again.".into()));
    }
    if state.jobs.lock().is_ok_and(|j| j.contains_key(id.as_str())) {
        return Err(AppError(StatusCode::CONFLICT, "The review is still running.".into()));
    }
    if !state.store.delete(&id).map_err(internal)? {
        return Err(not_found_error(&format!("Review {id}")));
    }
    state.reviews.remove(id.as_str());
    Ok(Redirect::to("/reviews").into_response())
}

#[derive(Template)]
#[template(path = "web/history.html")]
struct HistoryPage {
    version: &'static str,
    rows: Vec<super::store::ReviewRow>,
}

pub(crate) async fn history(State(state): State<Arc<AppState>>) -> Result<Response, AppError> {
    html(HistoryPage { version: VERSION, rows: state.store.list().map_err(internal)? })
}

#[derive(Template)]
#[template(path = "web/compare.html")]
struct ComparePage {
    version: &'static str,
    a_id: String,
    a_label: String,
    a_created: String,
    b_id: String,
    b_label: String,
    b_created: String,
    verdicts: Vec<(String, String, String, String)>,
    evidence: Vec<String>,
    documents: Vec<String>,
    /// Per verdict: name, count before, count after, change ("+2", "−1", "").
    counts: Vec<(&'static str, u64, u64, String)>,
    /// Gaps opened and closed: clause, gap title, severity.
    opened: Vec<(String, String, String)>,
    closed: Vec<(String, String, String)>,
    /// Reviewer decisions made suspect: one line each.
    suspect: Vec<String>,
}

/// The gaps of a `crosswalk.review/1` JSON review: (clause, gap id) → (title, severity).
fn gaps_of(v: &serde_json::Value) -> std::collections::BTreeMap<(String, String), (String, String)> {
    v["clauses"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| {
            let clause = c["id"].as_str().unwrap_or("").to_string();
            c["gaps"].as_array().into_iter().flatten().map(move |g| {
                (
                    (clause.clone(), g["id"].as_str().unwrap_or("").to_string()),
                    (g["title"].as_str().unwrap_or("").to_string(), g["severity"].as_str().unwrap_or("").to_string()),
                )
            })
        })
        .collect()
}

pub(crate) async fn compare(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (Some(a), Some(b)) = (params.get("a"), params.get("b")) else { return Err(bad_request("choose two reviews to compare")) };
    let (ra, rb) = (row_of(&state, a)?, row_of(&state, b)?);
    let read = |id: &ReviewId| -> Result<serde_json::Value, AppError> {
        let text = std::fs::read_to_string(state.store.review_dir(id).join("review.json")).map_err(internal)?;
        serde_json::from_str(&text).map_err(internal)
    };
    let (va, vb) = (read(&ra.id)?, read(&rb.id)?);
    let d = crate::diff::diff(&va, &vb, &ra.label, &rb.label).map_err(internal)?;
    let counts = ["met", "partial", "missing", "not_applicable"]
        .into_iter()
        .map(|k| {
            let (x, y) = (va["summary"][k].as_u64().unwrap_or(0), vb["summary"][k].as_u64().unwrap_or(0));
            let change = match y.cmp(&x) {
                std::cmp::Ordering::Greater => format!("+{}", y - x),
                std::cmp::Ordering::Less => format!("−{}", x - y),
                std::cmp::Ordering::Equal => String::new(),
            };
            (k, x, y, change)
        })
        .collect();
    let (ga, gb) = (gaps_of(&va), gaps_of(&vb));
    let row = |k: &(String, String), v: &(String, String)| (k.0.clone(), v.0.clone(), v.1.clone());
    let opened = gb.iter().filter(|(k, _)| !ga.contains_key(*k)).map(|(k, v)| row(k, v)).collect();
    let closed = ga.iter().filter(|(k, _)| !gb.contains_key(*k)).map(|(k, v)| row(k, v)).collect();
    let suspect = d.suspect.iter().map(|x| format!("{} ({}, {}): {}", x.clause, x.by, x.at, x.changes.join("; "))).collect();
    html(ComparePage {
        counts,
        opened,
        closed,
        suspect,
        version: VERSION,
        a_id: ra.id.to_string(),
        a_label: ra.label,
        a_created: ra.created,
        b_id: rb.id.to_string(),
        b_label: rb.label,
        b_created: rb.created,
        verdicts: d.verdicts.iter().map(|v| (v.clause.clone(), v.title.clone(), v.old.clone(), v.new.clone())).collect(),
        evidence: d
            .evidence
            .iter()
            .map(|e| {
                let verb = if e.change == "lost" { "no longer evidences" } else { "now evidences" };
                match &e.revisions {
                    Some(r) => format!("{}: {r}, {verb} {}", e.name, e.clause),
                    None => format!("{} {verb} {}", e.name, e.clause),
                }
            })
            .collect(),
        documents: d.documents.iter().map(|x| format!("{}: {}", x.change, x.path)).collect(),
    })
}
