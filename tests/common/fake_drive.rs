//! A loopback stand-in for Google Drive API v3 and Google's OAuth endpoints, for the one remote service the
//! tests cannot reach. It implements what crosswalk calls, with Google's shapes: `files.list` (paging,
//! `'<id>' in parents`, `trashed = false`), `files.get` (metadata and `alt=media`), `files.export` (with an
//! export size limit), the token endpoint (authorization code with PKCE S256, refresh, JWT bearer with an
//! RS256 signature check), the consent page (answers with the redirect) and revocation. Failures can be
//! injected per file: 429 with `Retry-After`, 5xx.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

pub(crate) const EXPORT_LIMIT: usize = 2 << 20;

#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) mime: String,
    pub(crate) parent: String,
    pub(crate) data: Vec<u8>,
    pub(crate) trashed: bool,
    pub(crate) target: Option<String>,
    pub(crate) version: u64,
}

#[derive(Default)]
pub(crate) struct Fake {
    pub(crate) items: Mutex<Vec<Item>>,
    pub(crate) access: Mutex<HashSet<String>>,
    pub(crate) refresh_ok: Mutex<bool>,
    /// Authorization code → (PKCE challenge, redirect URI).
    pub(crate) codes: Mutex<HashMap<String, (String, String)>>,
    /// File id → successful downloads and exports.
    pub(crate) downloads: Mutex<HashMap<String, usize>>,
    pub(crate) fail_429: Mutex<HashMap<String, u32>>,
    pub(crate) fail_500: Mutex<HashMap<String, u32>>,
    pub(crate) revoked: Mutex<Vec<String>>,
    /// A service account's RSA public key (PKCS#1 DER), to check JWT assertions.
    pub(crate) sa_public_key: Mutex<Option<Vec<u8>>>,
    /// The last PKCE check: (challenge, verifier) matched.
    pub(crate) pkce_checked: Mutex<bool>,
    pub(crate) next: Mutex<u64>,
}

pub(crate) const FOLDER: &str = "application/vnd.google-apps.folder";

impl Fake {
    pub(crate) fn add(&self, id: &str, name: &str, mime: &str, parent: &str, data: Vec<u8>) {
        let item = Item {
            id: id.into(),
            name: name.into(),
            mime: mime.into(),
            parent: parent.into(),
            data,
            trashed: false,
            target: None,
            version: 1,
        };
        self.items.lock().expect("lock").push(item);
    }

    pub(crate) fn edit(&self, id: &str, f: impl FnOnce(&mut Item)) {
        let mut items = self.items.lock().expect("lock");
        let item = items.iter_mut().find(|i| i.id == id).expect("item exists");
        f(item);
    }

    pub(crate) fn downloads_total(&self) -> usize {
        self.downloads.lock().expect("lock").values().sum()
    }

    fn token(&self) -> String {
        let mut n = self.next.lock().expect("lock");
        *n += 1;
        let t = format!("at-{n}");
        self.access.lock().expect("lock").insert(t.clone());
        t
    }
}

/// Start the fake on a loopback port; returns its base URL and state. It lives as long as the test process.
pub(crate) fn start() -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    *fake.refresh_ok.lock().expect("lock") = true;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).expect("nonblocking");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = Router::new()
        .route("/drive/v3/files", get(list))
        .route("/drive/v3/files/{id}", get(file))
        .route("/drive/v3/files/{id}/export", get(export))
        .route("/token", post(token))
        .route("/auth", get(consent))
        .route("/revoke", post(revoke))
        .with_state(fake.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    (base, fake)
}

fn error(status: StatusCode, reason: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "code": status.as_u16(), "message": message, "errors": [{ "reason": reason, "message": message }] } });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn authorised(fake: &Fake, headers: &HeaderMap) -> bool {
    let token = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    token.is_some_and(|t| fake.access.lock().expect("lock").contains(t))
}

fn meta(i: &Item) -> serde_json::Value {
    let native = i.mime.starts_with("application/vnd.google-apps.");
    let mut v = serde_json::json!({
        "id": i.id, "name": i.name, "mimeType": i.mime, "trashed": i.trashed,
        "modifiedTime": format!("2026-11-{:02}T10:00:00.000Z", i.version.min(28)),
        "version": i.version.to_string(),
        "webViewLink": format!("https://drive.google.com/file/d/{}/view", i.id),
    });
    if !native {
        v["size"] = serde_json::json!(i.data.len().to_string());
        v["headRevisionId"] = serde_json::json!(format!("rev-{}", i.version));
    }
    if let Some(t) = &i.target {
        v["shortcutDetails"] = serde_json::json!({ "targetId": t });
    }
    v
}

/// Injected failures for a file: 429 (with Retry-After) or 503, while the counters last.
fn injected(fake: &Fake, id: &str) -> Option<Response> {
    if let Some(n) = fake.fail_429.lock().expect("lock").get_mut(id).filter(|n| **n > 0) {
        *n -= 1;
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "rateLimitExceeded", "Rate limit exceeded");
        r.headers_mut().insert(header::RETRY_AFTER, "1".parse().expect("header"));
        return Some(r);
    }
    if let Some(n) = fake.fail_500.lock().expect("lock").get_mut(id).filter(|n| **n > 0) {
        *n -= 1;
        return Some(error(StatusCode::SERVICE_UNAVAILABLE, "backendError", "Backend Error"));
    }
    None
}

async fn list(State(fake): State<Arc<Fake>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if !authorised(&fake, &headers) {
        return error(StatusCode::UNAUTHORIZED, "authError", "Invalid Credentials");
    }
    let query = q.get("q").cloned().unwrap_or_default();
    let parent = query.split('\'').nth(1).unwrap_or("").to_string();
    let skip_trashed = query.contains("trashed = false");
    // Small pages, so that paging is exercised.
    let page_size = 3usize;
    let start: usize = q.get("pageToken").and_then(|t| t.strip_prefix("p")).and_then(|t| t.parse().ok()).unwrap_or(0);
    let items: Vec<Item> =
        fake.items.lock().expect("lock").iter().filter(|i| i.parent == parent && !(skip_trashed && i.trashed)).cloned().collect();
    let page: Vec<serde_json::Value> = items.iter().skip(start).take(page_size).map(meta).collect();
    let mut body = serde_json::json!({ "files": page });
    if start + page_size < items.len() {
        body["nextPageToken"] = serde_json::json!(format!("p{}", start + page_size));
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The file `id`, for an authorised request; otherwise Drive's 401 or 404.
fn item_for(fake: &Fake, headers: &HeaderMap, id: &str) -> Result<Item, Box<Response>> {
    if !authorised(fake, headers) {
        return Err(Box::new(error(StatusCode::UNAUTHORIZED, "authError", "Invalid Credentials")));
    }
    fake.items
        .lock()
        .expect("lock")
        .iter()
        .find(|i| i.id == id)
        .cloned()
        .ok_or_else(|| Box::new(error(StatusCode::NOT_FOUND, "notFound", &format!("File not found: {id}."))))
}

async fn file(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let item = match item_for(&fake, &headers, &id) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    if q.get("alt").map(String::as_str) != Some("media") {
        return (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], meta(&item).to_string()).into_response();
    }
    if item.mime.starts_with("application/vnd.google-apps.") {
        return error(StatusCode::FORBIDDEN, "fileNotDownloadable", "Only files with binary content can be downloaded. Use Export.");
    }
    if let Some(r) = injected(&fake, &id) {
        return r;
    }
    *fake.downloads.lock().expect("lock").entry(id).or_default() += 1;
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/octet-stream")], item.data).into_response()
}

async fn export(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let item = match item_for(&fake, &headers, &id) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let want = match item.mime.as_str() {
        "application/vnd.google-apps.document" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.google-apps.spreadsheet" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.google-apps.presentation" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => return error(StatusCode::BAD_REQUEST, "badRequest", "Export only supports Docs Editors files."),
    };
    if q.get("mimeType").map(String::as_str) != Some(want) {
        return error(StatusCode::BAD_REQUEST, "badRequest", "The requested conversion is not supported.");
    }
    if item.data.len() > EXPORT_LIMIT {
        return error(StatusCode::FORBIDDEN, "exportSizeLimitExceeded", "This file is too large to be exported.");
    }
    if let Some(r) = injected(&fake, &id) {
        return r;
    }
    *fake.downloads.lock().expect("lock").entry(id).or_default() += 1;
    (StatusCode::OK, [(header::CONTENT_TYPE, want)], item.data).into_response()
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn token_answer(access: String, refresh: Option<&str>) -> Response {
    let mut body = serde_json::json!({ "access_token": access, "expires_in": 3599, "token_type": "Bearer",
        "scope": "https://www.googleapis.com/auth/drive.readonly" });
    if let Some(r) = refresh {
        body["refresh_token"] = serde_json::json!(r);
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn grant_error(what: &str) -> Response {
    let body = serde_json::json!({ "error": what, "error_description": "Token has been expired or revoked." });
    (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn token(State(fake): State<Arc<Fake>>, axum::Form(form): axum::Form<HashMap<String, String>>) -> Response {
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            let Some((challenge, redirect)) = fake.codes.lock().expect("lock").remove(&code) else { return grant_error("invalid_grant") };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let computed = b64url(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref());
            if computed != challenge || form.get("redirect_uri") != Some(&redirect) {
                return grant_error("invalid_grant");
            }
            *fake.pkce_checked.lock().expect("lock") = true;
            token_answer(fake.token(), Some("rt-secret-7Q"))
        }
        Some("refresh_token") => {
            if *fake.refresh_ok.lock().expect("lock") && form.get("refresh_token").map(String::as_str) == Some("rt-secret-7Q") {
                token_answer(fake.token(), None)
            } else {
                grant_error("invalid_grant")
            }
        }
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
            let assertion = form.get("assertion").cloned().unwrap_or_default();
            let parts: Vec<&str> = assertion.split('.').collect();
            let Some(key) = fake.sa_public_key.lock().expect("lock").clone() else { return grant_error("invalid_client") };
            if parts.len() != 3 {
                return grant_error("invalid_grant");
            }
            let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[2]).unwrap_or_default();
            let signed = format!("{}.{}", parts[0], parts[1]);
            let ok = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &key)
                .verify(signed.as_bytes(), &signature)
                .is_ok();
            let claims: serde_json::Value =
                serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).unwrap_or_default())
                    .unwrap_or_default();
            if !ok || claims["scope"] != "https://www.googleapis.com/auth/drive.readonly" {
                return grant_error("invalid_grant");
            }
            token_answer(fake.token(), None)
        }
        _ => grant_error("unsupported_grant_type"),
    }
}

/// The consent page, as if the person clicked "Allow": redirect to the loopback URI with a code.
async fn consent(State(fake): State<Arc<Fake>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    let ok = q.get("code_challenge_method").map(String::as_str) == Some("S256")
        && q.get("scope").map(String::as_str) == Some("https://www.googleapis.com/auth/drive.readonly")
        && redirect.starts_with("http://127.0.0.1:");
    if !ok {
        return (StatusCode::BAD_REQUEST, "bad authorisation request").into_response();
    }
    let code = format!("code-{}", fake.token());
    fake.codes.lock().expect("lock").insert(code.clone(), (q.get("code_challenge").cloned().unwrap_or_default(), redirect.clone()));
    let state = q.get("state").cloned().unwrap_or_default();
    let location = format!("{redirect}?state={state}&code={code}&scope=https://www.googleapis.com/auth/drive.readonly");
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

async fn revoke(State(fake): State<Arc<Fake>>, axum::Form(form): axum::Form<HashMap<String, String>>) -> Response {
    fake.revoked.lock().expect("lock").push(form.get("token").cloned().unwrap_or_default());
    *fake.refresh_ok.lock().expect("lock") = false;
    StatusCode::OK.into_response()
}
