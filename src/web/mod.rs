//! `crosswalk serve`: the web face. Browse the catalog (clause pages laid out like the clause page, a
//! filter by crosswalk, full-text search), start a review by upload or from an allowed folder, watch its
//! progress, read the summary and per-clause detail, download every report format, keep a history in
//! SQLite and compare two runs. Thin: it calls the driver and the report writers like the CLI does.
//!
//! Safe by default: binds 127.0.0.1; any other address needs a token that every request carries
//! (header, cookie or a first `?token=`); state-changing forms carry a CSRF token; every response has a
//! Content-Security-Policy and the usual security headers; templates escape all document text.

mod pages;
pub mod store;
pub mod upload;

use crate::catalog::Catalog;
use crate::review::Review;
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
}

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
    /// Finished reviews kept in memory (the documents stay on disk; a review evicted from here is
    /// recomputed from them).
    pub reviews: Mutex<HashMap<String, Arc<Review>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("binding {0} is not a loopback address: start with --token (or CROSSWALK_TOKEN) so every request must carry it")]
    NeedsToken(SocketAddr),
    #[error("{0}")]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// 16 random bytes from the OS, hex-encoded.
pub(crate) fn random_hex() -> String {
    use std::io::Read;
    let mut buf = [0u8; 16];
    let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).is_ok();
    if !ok {
        // Fall back on time and address entropy (still unique per start; never used as a secret alone).
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        buf.copy_from_slice(&(t ^ u128::from(std::process::id()) << 64).to_le_bytes());
    }
    crate::model::hex(&buf)
}

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
            reviews: Mutex::new(HashMap::new()),
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
        .route("/reviews/{id}/download/{format}", get(pages::download))
        .route("/reviews/{id}/delete", post(pages::delete))
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

/// Token check (when configured) and security headers on every response.
async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
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
            let mut r = (
                StatusCode::UNAUTHORIZED,
                "crosswalk: this server needs its access token (Authorization: Bearer …, or open the link with ?token=…)\n",
            )
                .into_response();
            secure_headers(&mut r);
            return r;
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
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
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
    let addr = config.addr;
    let token = config.token.clone();
    let state = AppState::new(catalog, config)?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr()?;
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
