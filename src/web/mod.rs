//! `crosswalk serve`: the web face. Browse the catalog (clause pages laid out like the clause page, a
//! filter by crosswalk, full-text search), start a review by upload or from an allowed folder, watch its
//! progress, read the summary and per-clause detail, download every report format, keep a history in
//! SQLite and compare two runs. Thin: it calls the driver and the report writers like the CLI does.
//!
//! Safe by default: binds 127.0.0.1; any other address needs a token that every request carries
//! (header, cookie or a first `?token=`); state-changing forms carry a CSRF token; every response has a
//! Content-Security-Policy and the usual security headers; templates escape all document text.

pub mod cache;
mod pages;
pub mod store;
pub use crate::sources::archive as upload;

use crate::catalog::Catalog;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// How the server was started.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub token: Option<String>,
    pub data_dir: PathBuf,
    /// Folders the browser may ask to review (read-only).
    pub allow_dirs: Vec<PathBuf>,
    /// The crosswalk binary, for contained extraction.
    pub exe: PathBuf,
    pub limits: upload::Limits,
    /// Host names (besides the bound address, and the localhost names on a loopback bind) that requests
    /// may name in their `Host` header: the defence against DNS rebinding.
    pub allow_hosts: Vec<String>,
}

/// Stored-record bytes of finished reviews kept in memory at most.
pub const REVIEW_CACHE_BYTES: u64 = 256 << 20;

/// Shortest accepted access token: 32 characters (128 bits as hex).
pub const MIN_TOKEN_CHARS: usize = 32;

/// Progress of a running review.
#[derive(Debug, Clone, Default)]
pub struct Job {
    pub total: usize,
    pub done: usize,
    pub current: String,
}

/// Shared by all requests.
pub struct AppState {
    pub catalog: Arc<Catalog>,
    pub store: store::Store,
    pub config: ServeConfig,
    pub csrf: String,
    pub jobs: Mutex<HashMap<String, Job>>,
    /// Finished reviews in memory, bounded by bytes; loaded from their stored records, never recomputed.
    pub reviews: cache::ReviewCache,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("binding {0} is not a loopback address: start with --token (or CROSSWALK_TOKEN) so every request must carry it")]
    NeedsToken(SocketAddr),
    #[error("the access token is {0} characters long: use at least {MIN_TOKEN_CHARS} random characters (e.g. `openssl rand -hex 16`)")]
    WeakToken(usize),
    #[error("{0}")]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub(crate) use crate::model::random_hex;

/// Compare secrets without an early exit.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl AppState {
    pub fn new(catalog: Catalog, config: ServeConfig) -> Result<Arc<AppState>, ServeError> {
        let store = store::Store::open(&config.data_dir)?;
        Ok(Arc::new(AppState {
            catalog: Arc::new(catalog),
            store,
            config,
            csrf: random_hex(),
            jobs: Mutex::new(HashMap::new()),
            reviews: cache::ReviewCache::new(REVIEW_CACHE_BYTES),
        }))
    }

    pub(crate) fn check_csrf(&self, token: &str) -> bool {
        same(token, &self.csrf)
    }
}

/// The application's routes; tests drive it without a socket.
pub fn app(state: Arc<AppState>) -> Router {
    let body_limit = usize::try_from(state.config.limits.max_total).unwrap_or(usize::MAX).saturating_add(1 << 20);
    Router::new()
        .route("/", get(pages::index))
        .route("/clause/{id}", get(pages::clause))
        .route("/review/new", get(pages::new_review))
        .route("/review", post(pages::start_review).layer(DefaultBodyLimit::max(body_limit)))
        .route("/reviews", get(pages::history))
        .route("/reviews/{id}", get(pages::review))
        .route("/reviews/{id}/status", get(pages::status))
        .route("/reviews/{id}/clause/{clause}", get(pages::review_clause))
        .route("/reviews/{id}/clause/{clause}/decide", post(pages::decide))
        .route("/reviews/{id}/decisions.toml", get(pages::decisions_file))
        .route("/reviews/{id}/doc/{n}", get(pages::document))
        .route("/reviews/{id}/download/{format}", get(pages::download))
        .route("/reviews/{id}/delete", post(pages::delete))
        .route("/reviews/{id}/again", post(pages::again))
        .route("/compare", get(pages::compare))
        .route("/assets/app.css", get(pages::css))
        .route("/assets/app.js", get(pages::js))
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(DefaultBodyLimit::max(64 << 10))
        .with_state(state)
}

const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn cookie_token(req: &Request) -> Option<String> {
    let cookies = req.headers().get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|c| c.trim().strip_prefix("crosswalk_token=").map(str::to_string))
}

fn query_token(req: &Request) -> Option<String> {
    req.uri().query()?.split('&').find_map(|kv| kv.strip_prefix("token=").map(str::to_string))
}

fn refuse(status: StatusCode, message: &'static str) -> Response {
    let mut r = (status, message).into_response();
    secure_headers(&mut r);
    r
}

/// Is `host` (a `Host` header value) a name this server answers to? IP literals of the bound address (any
/// IP literal when bound to all interfaces), the localhost names on a loopback bind, and `--allow-host`
/// names; the port must be the bound one. A page on another name that resolves here (DNS rebinding) is
/// refused.
fn host_allowed(config: &ServeConfig, host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) if !n.is_empty() && !p.contains(']') => (n, p.parse::<u16>().ok()),
        _ => (host, None),
    };
    if let Some(p) = port
        && config.addr.port() != 0
        && p != config.addr.port()
    {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let bound = config.addr.ip();
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        return ip == bound || bound.is_unspecified() || (bound.is_loopback() && ip.is_loopback());
    }
    (bound.is_loopback() && name == "localhost") || config.allow_hosts.iter().any(|h| h.eq_ignore_ascii_case(&name))
}

/// A state-changing request from a browser must come from one of our own pages: `Sec-Fetch-Site` (when
/// sent) is same-origin or none, and `Origin` (when sent) is this server's origin. (Pages are served with
/// `Referrer-Policy: same-origin`: under `no-referrer` browsers send `Origin: null` even from our own
/// forms.)
fn same_origin(req: &Request, host: &str) -> bool {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match h.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("")) {
        None => true,
        Some(origin) => origin.eq_ignore_ascii_case(&format!("http://{host}")),
    }
}

/// Host and origin checks, the token (when configured) and security headers on every response.
async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if !host_allowed(&state.config, &host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "crosswalk: this server does not answer to that host name (start it with --allow-host NAME to add one)\n",
        );
    }
    let changes_state = !matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS);
    if changes_state && !same_origin(&req, &host) {
        return refuse(StatusCode::FORBIDDEN, "crosswalk: a request that changes data must come from this server's own pages\n");
    }
    let mut set_cookie = None;
    if let Some(token) = &state.config.token {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string);
        let from_query = query_token(&req);
        let ok = [bearer, cookie_token(&req), from_query.clone()].into_iter().flatten().any(|t| same(&t, token));
        if !ok {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "crosswalk: this server needs its access token (Authorization: Bearer …, or open the link with ?token=…)\n",
            );
        }
        if from_query.is_some() {
            set_cookie = Some(format!("crosswalk_token={token}; HttpOnly; SameSite=Strict; Path=/"));
        }
    }
    let mut response = next.run(req).await;
    if let Some(c) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, c);
    }
    secure_headers(&mut response);
    response
}

fn secure_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    h.insert(header::HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Start the server and serve until Ctrl-C. Prints the URL it listens on (first line of stdout).
pub async fn serve(catalog: Catalog, config: ServeConfig) -> Result<(), ServeError> {
    if !config.addr.ip().is_loopback() && config.token.is_none() {
        return Err(ServeError::NeedsToken(config.addr));
    }
    if let Some(t) = &config.token
        && t.chars().count() < MIN_TOKEN_CHARS
    {
        return Err(ServeError::WeakToken(t.chars().count()));
    }
    let mut config = config;
    let addr = config.addr;
    let token = config.token.clone();
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr()?;
    // Host checks compare against the port actually bound (port 0 picks one).
    config.addr = local;
    let state = AppState::new(catalog, config)?;
    match token {
        // The token is the user's own secret: printed once so they can open the page, never logged.
        Some(t) => println!("crosswalk: serving on http://{local}/?token={t}"),
        None => println!("crosswalk: serving on http://{local}/"),
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
