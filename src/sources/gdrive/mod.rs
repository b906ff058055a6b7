//! Google Drive, read-only and in place (Drive API v3). A folder (or a shared drive) is listed recursively
//! with `files.list` (paging, `supportsAllDrives`, trashed files left out); stored files are downloaded with
//! `files.get?alt=media`, Google Docs, Sheets and Slides are exported with `files.export` to DOCX, XLSX and
//! PPTX (the formats whose extractors keep section, cell and slide locators); shortcuts are followed once.
//! Nothing is written to Drive: the only scope is `drive.readonly` and the only verbs are GET (and POST to
//! the token endpoint). Rate limits (429 with `Retry-After`) and server errors (5xx) are retried with
//! back-off; an expired access token is refreshed once; a revoked grant stops the review with a one-line
//! instruction. A file that cannot be read becomes that file's error, and the review goes on.

pub mod auth;

use super::{Source, SourceError, SourceFile, SourceInfo, SourceProblem};
use crate::model::Origin;
use auth::{Credentials, Endpoints, Secret};
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FOLDER: &str = "application/vnd.google-apps.folder";
const SHORTCUT: &str = "application/vnd.google-apps.shortcut";
const FIELDS: &str =
    "id,name,mimeType,size,modifiedTime,headRevisionId,version,md5Checksum,webViewLink,trashed,shortcutDetails(targetId,targetMimeType)";
/// Attempts per request before a rate limit or server error is given up.
const ATTEMPTS: u32 = 6;
/// Files listed at most (a guard against a runaway tree).
const MAX_FILES: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error("{0}")]
    Config(String),
    #[error("Google authorisation failed: {0}")]
    Auth(String),
    #[error("Google Drive access was revoked or has expired: run `crosswalk auth gdrive` again")]
    Revoked,
    #[error("cannot reach Google Drive: {0}")]
    Network(String),
    #[error("{0}")]
    Api(String),
}

/// Google-native type → the format it is exported to, and that format's extension.
const EXPORTS: &[(&str, &str, &str)] = &[
    ("application/vnd.google-apps.document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("application/vnd.google-apps.spreadsheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("application/vnd.google-apps.presentation", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
];

/// The export format for a Google-native type we read, with its file extension.
fn export_format(mime: &str) -> Option<(&'static str, &'static str)> {
    EXPORTS.iter().find(|e| e.0 == mime).map(|e| (e.1, e.2))
}

/// A Drive API client: one HTTP agent, the endpoints and the credentials (refreshed in place).
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    endpoints: Endpoints,
    credentials: Arc<Mutex<Credentials>>,
    /// Where a refreshed user token is saved again (none for a service account).
    token_path: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("endpoints", &self.endpoints).finish_non_exhaustive()
    }
}

/// The HTTP agent every Google request goes through: bounded in time, status codes handled by us.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(300)))
        .timeout_connect(Some(Duration::from_secs(20)))
        .http_status_as_error(false)
        .user_agent(concat!("crosswalk/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

enum Call {
    Ok(ureq::http::Response<ureq::Body>),
    /// Status and Google's reason (`exportSizeLimitExceeded`, `notFound` …) with its message.
    Failed(u16, String, String),
}

impl Client {
    /// The client for this user: a service-account key when one is named (CI), else the token stored by
    /// `crosswalk auth gdrive`; `None` when neither exists.
    pub fn from_environment(service_account: Option<&std::path::Path>) -> Result<Option<Client>, DriveError> {
        let endpoints = Endpoints::from_env()?;
        let key = service_account
            .map(std::path::Path::to_path_buf)
            .or_else(|| std::env::var_os("CROSSWALK_GDRIVE_SERVICE_ACCOUNT").filter(|v| !v.is_empty()).map(Into::into));
        if let Some(key) = key {
            return Ok(Some(Client::new(endpoints, auth::read_service_account(&key)?, None)));
        }
        let path = auth::token_path()?;
        Ok(auth::load_token(&path)?.map(|t| Client::new(endpoints, Credentials::User(t), Some(path))))
    }

    pub fn new(endpoints: Endpoints, credentials: Credentials, token_path: Option<std::path::PathBuf>) -> Client {
        Client { agent: agent(), endpoints, credentials: Arc::new(Mutex::new(credentials)), token_path }
    }

    /// A valid access token, refreshed when it expires within a minute (or when `force`).
    fn access_token(&self, force: bool) -> Result<Secret, DriveError> {
        let mut creds = self.credentials.lock().map_err(|_| DriveError::Config("credentials lock poisoned".into()))?;
        let soon = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) + 60;
        match &mut *creds {
            Credentials::User(token) => {
                let fresh = token.access_token.is_some() && token.expires_at.is_some_and(|t| t > soon);
                if force || !fresh {
                    auth::refresh(&self.agent, &self.endpoints, token)?;
                    if let Some(path) = &self.token_path {
                        auth::save_token(path, token)?;
                    }
                }
                token.access_token.clone().ok_or(DriveError::Revoked)
            }
            Credentials::ServiceAccount { email, key, access_token, expires_at } => {
                if force || access_token.is_none() || expires_at.is_none_or(|t| t <= soon) {
                    let (t, exp) = auth::service_account_token(&self.agent, &self.endpoints, email, key)?;
                    *access_token = Some(t);
                    *expires_at = Some(exp);
                }
                access_token.clone().ok_or(DriveError::Revoked)
            }
        }
    }

    /// GET `url` with the query, authorised; rate limits and server errors retried, an expired token
    /// refreshed once.
    fn get(&self, url: &str, query: &[(&str, &str)]) -> Result<Call, DriveError> {
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let token = self.access_token(false)?;
            let mut req = self.agent.get(url).header("Authorization", &format!("Bearer {}", token.expose()));
            for (k, v) in query {
                req = req.query(*k, *v);
            }
            let mut resp = match req.call() {
                Ok(r) => r,
                Err(e) if attempt < ATTEMPTS => {
                    std::thread::sleep(backoff(attempt));
                    let _ = e;
                    continue;
                }
                Err(e) => return Err(DriveError::Network(e.to_string())),
            };
            let status = resp.status().as_u16();
            if (200..300).contains(&status) {
                return Ok(Call::Ok(resp));
            }
            let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
            let body = resp.body_mut().with_config().limit(1 << 20).read_to_string().unwrap_or_default();
            let (reason, message) = google_reason(&body);
            let rate_limited = status == 429 || (status == 403 && matches!(reason.as_str(), "rateLimitExceeded" | "userRateLimitExceeded"));
            if rate_limited && attempt < ATTEMPTS {
                std::thread::sleep(retry_after.map(|s| Duration::from_secs(s.min(60))).unwrap_or_else(|| backoff(attempt)));
                continue;
            }
            if status >= 500 && attempt < ATTEMPTS {
                std::thread::sleep(backoff(attempt));
                continue;
            }
            if status == 401 && !refreshed {
                refreshed = true;
                self.access_token(true)?;
                continue;
            }
            if status == 401 {
                return Err(DriveError::Revoked);
            }
            return Ok(Call::Failed(status, reason, message));
        }
    }

    /// The metadata of one file.
    fn file(&self, id: &str) -> Result<Result<Meta, String>, DriveError> {
        let url = format!("{}/files/{id}", self.endpoints.api);
        match self.get(&url, &[("fields", FIELDS), ("supportsAllDrives", "true")])? {
            Call::Ok(mut r) => Ok(read_json::<Meta>(&mut r, 1 << 20).map_err(|e| format!("unreadable answer from Drive: {e}"))),
            Call::Failed(status, reason, message) => Ok(Err(failure(status, &reason, &message))),
        }
    }
}

/// A JSON answer of at most `limit` bytes.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(resp: &mut ureq::http::Response<ureq::Body>, limit: u64) -> Result<T, String> {
    let bytes = resp.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64 << attempt.min(5))
}

/// Google's error body: `{"error": {"errors": [{"reason": …}], "message": …}}`.
fn google_reason(body: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let reason = v["error"]["errors"][0]["reason"].as_str().or_else(|| v["error"]["status"].as_str()).unwrap_or("").to_string();
    let message: String = v["error"]["message"].as_str().unwrap_or("").chars().filter(|c| !c.is_control()).take(200).collect();
    (reason, message)
}

/// One line for a failed file request.
fn failure(status: u16, reason: &str, message: &str) -> String {
    match (status, reason) {
        (403, "exportSizeLimitExceeded") => {
            "export too large: Drive exports at most 10 MB of a Google file; download it as DOCX/XLSX, upload that to the folder, and review again".into()
        }
        (403 | 404, "notFound") | (404, _) => "no access: Drive says the file does not exist or is not shared with this account".into(),
        (403, "insufficientFilePermissions" | "forbidden" | "cannotDownloadAbusiveFile" | "cannotCopyFile") | (403, _) => {
            format!("no access: Drive refused ({})", if message.is_empty() { reason } else { message })
        }
        (429, _) | (_, "rateLimitExceeded" | "userRateLimitExceeded") => "rate limited by Drive: try again later".into(),
        (s, _) if s >= 500 => format!("Drive kept failing ({s}): try again later"),
        (s, _) => format!("Drive answered {s}{}", if message.is_empty() { String::new() } else { format!(": {message}") }),
    }
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    mime_type: String,
    size: Option<String>,
    modified_time: Option<String>,
    head_revision_id: Option<String>,
    version: Option<String>,
    web_view_link: Option<String>,
    #[serde(default)]
    trashed: bool,
    shortcut_details: Option<ShortcutDetails>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShortcutDetails {
    target_id: Option<String>,
}

/// One page of `files.list`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    #[serde(default)]
    files: Vec<Meta>,
    next_page_token: Option<String>,
}

impl Page {
    /// Read a page of `files.list` (untrusted bytes from the network).
    pub fn parse(bytes: &[u8]) -> Result<Page, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("unreadable file list from Drive: {e}"))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// A Drive folder (or shared drive) as a source.
pub struct DriveSource {
    client: Client,
    id: String,
    shared_drive: bool,
    dir: tempfile::TempDir,
}

impl DriveSource {
    pub fn new(client: Client, id: &str, shared_drive: bool) -> Result<DriveSource, SourceError> {
        Ok(DriveSource { client, id: id.to_string(), shared_drive, dir: super::staging()? })
    }

    fn location(&self) -> String {
        if self.shared_drive { format!("gdrive://drive/{}", self.id) } else { format!("gdrive://{}", self.id) }
    }

    /// Every child of `folder`, all pages.
    fn children(&self, folder: &str) -> Result<Vec<Meta>, DriveError> {
        let url = format!("{}/files", self.client.endpoints.api);
        let q = format!("'{folder}' in parents and trashed = false");
        let fields = format!("nextPageToken,files({FIELDS})");
        let mut out = Vec::new();
        let mut page_token = String::new();
        loop {
            let mut query = vec![
                ("q", q.as_str()),
                ("fields", fields.as_str()),
                ("pageSize", "1000"),
                ("supportsAllDrives", "true"),
                ("includeItemsFromAllDrives", "true"),
                ("orderBy", "name"),
            ];
            if self.shared_drive {
                query.extend([("corpora", "drive"), ("driveId", self.id.as_str())]);
            }
            if !page_token.is_empty() {
                query.push(("pageToken", page_token.as_str()));
            }
            let page: Page = match self.client.get(&url, &query)? {
                Call::Ok(mut r) => {
                    let bytes = r.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(|e| DriveError::Network(e.to_string()))?;
                    Page::parse(&bytes).map_err(DriveError::Api)?
                }
                Call::Failed(status, reason, message) => {
                    return Err(DriveError::Api(format!("{}: {}", self.location(), failure(status, &reason, &message))));
                }
            };
            out.extend(page.files);
            if out.len() > MAX_FILES {
                return Err(DriveError::Api(format!("{}: more than {MAX_FILES} files", self.location())));
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => page_token = t,
                None => return Ok(out),
            }
        }
    }
}

/// A Drive name as one path segment (Drive allows `/` in names).
fn segment(name: &str) -> String {
    let s: String = name.chars().map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c }).collect();
    let s = s.trim().to_string();
    if s.is_empty() || s == "." || s == ".." { "_".to_string() } else { s }
}

impl Source for DriveSource {
    fn info(&self) -> SourceInfo {
        SourceInfo { kind: "gdrive".into(), location: self.location(), ..Default::default() }
    }

    fn list(&self) -> Result<(Vec<SourceFile>, Vec<SourceProblem>), SourceError> {
        let mut files: Vec<SourceFile> = Vec::new();
        let mut problems = Vec::new();
        let mut seen_folders = HashSet::from([self.id.clone()]);
        let mut seen_paths = HashSet::new();
        let mut queue = VecDeque::from([(self.id.clone(), String::new())]);
        if !self.shared_drive {
            match self.client.file(&self.id)? {
                Ok(m) if m.mime_type == FOLDER => {}
                Ok(_) => return Err(SourceError::open(self.location(), "not a Drive folder")),
                Err(why) => return Err(SourceError::open(self.location(), why)),
            }
        }
        while let Some((folder, prefix)) = queue.pop_front() {
            for item in self.children(&folder)? {
                let mut meta = item;
                let shown = format!("{prefix}{}", segment(&meta.name));
                if meta.mime_type == SHORTCUT {
                    // Followed once: a shortcut to a shortcut is not followed again.
                    let Some(target) = meta.shortcut_details.as_ref().and_then(|d| d.target_id.clone()) else {
                        problems.push(SourceProblem::new(&shown, "skipped: a shortcut without a target"));
                        continue;
                    };
                    match self.client.file(&target)? {
                        Ok(t) if t.mime_type == SHORTCUT => {
                            problems.push(SourceProblem::new(&shown, "skipped: a shortcut to a shortcut (followed once only)"));
                            continue;
                        }
                        Ok(t) if t.trashed => continue,
                        Ok(t) => {
                            let name = meta.name.clone();
                            meta = t;
                            meta.name = name;
                        }
                        Err(why) => {
                            problems.push(SourceProblem::new(&shown, format!("shortcut not followed: {why}")));
                            continue;
                        }
                    }
                }
                if meta.trashed {
                    continue;
                }
                if meta.mime_type == FOLDER {
                    if seen_folders.insert(meta.id.clone()) {
                        queue.push_back((meta.id.clone(), format!("{shown}/")));
                    }
                    continue;
                }
                let exported = export_format(&meta.mime_type);
                if exported.is_none() && meta.mime_type.starts_with("application/vnd.google-apps.") {
                    let kind = meta.mime_type.trim_start_matches("application/vnd.google-apps.");
                    problems.push(SourceProblem::new(&shown, format!("skipped: a Google {kind}, which has no document export")));
                    continue;
                }
                let mut rel = match exported {
                    Some((_, ext)) if !shown.to_ascii_lowercase().ends_with(&format!(".{ext}")) => format!("{shown}.{ext}"),
                    _ => shown,
                };
                // Drive allows two files of one name in a folder; the second is told apart by its id.
                if !seen_paths.insert(rel.clone()) {
                    rel = format!("{rel} ({})", meta.id);
                    seen_paths.insert(rel.clone());
                }
                let revision = meta.head_revision_id.clone().or_else(|| meta.version.clone());
                let key = revision.as_ref().map(|r| format!("gdrive:{}:{r}:{}", meta.id, meta.modified_time.as_deref().unwrap_or("")));
                let i = files.len();
                files.push(SourceFile {
                    rel,
                    abs: super::staged(self.dir.path(), i),
                    bytes: meta.size.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0),
                    origin: Origin::Gdrive {
                        file_id: meta.id.clone(),
                        revision,
                        modified: meta.modified_time.clone(),
                        link: meta.web_view_link.clone(),
                        exported_as: exported.map(|(_, ext)| ext.to_string()),
                    },
                    revision_key: key,
                });
                if files.len() > MAX_FILES {
                    return Err(SourceError::open(self.location(), format!("more than {MAX_FILES} files")));
                }
            }
        }
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        problems.sort();
        Ok((files, problems))
    }

    fn fetch(&self, file: &SourceFile) -> Result<(), String> {
        let Origin::Gdrive { file_id, exported_as, .. } = &file.origin else { return Err("not a Drive file".into()) };
        let api = &self.client.endpoints.api;
        let call = match exported_as.as_deref() {
            Some(ext) => {
                let mime = EXPORTS.iter().find(|e| e.2 == ext).map(|e| e.1).ok_or("unknown export format")?;
                self.client.get(&format!("{api}/files/{file_id}/export"), &[("mimeType", mime)])
            }
            None => self.client.get(&format!("{api}/files/{file_id}"), &[("alt", "media"), ("supportsAllDrives", "true")]),
        };
        let mut resp = match call.map_err(|e| e.to_string())? {
            Call::Ok(r) => r,
            Call::Failed(status, reason, message) => return Err(failure(status, &reason, &message)),
        };
        let limit = crate::driver::MAX_FILE_BYTES + 1;
        let mut out = std::fs::File::create(&file.abs).map_err(|e| format!("cannot stage: {e}"))?;
        let mut reader = resp.body_mut().with_config().limit(limit).reader();
        match std::io::copy(&mut reader, &mut out) {
            Ok(_) => Ok(()),
            Err(e) if e.to_string().contains("limit") => {
                Err(format!("too large: more than {} bytes (limit {})", crate::driver::MAX_FILE_BYTES, crate::driver::MAX_FILE_BYTES))
            }
            Err(e) => Err(format!("download interrupted: {e}")),
        }
    }
}
