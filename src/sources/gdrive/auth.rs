//! Google authorisation for Drive, read-only. Two ways in:
//! - **Installed app** (a person): OAuth 2.0 authorisation code with a loopback redirect and PKCE (S256),
//!   with the user's own client id. The refresh token is stored in the user's configuration directory in a
//!   file only the user can read (0600), refreshed when the access token expires, and revoked on request.
//! - **Service account** (CI): a JWT signed with the account's key (RS256) is exchanged for an access token;
//!   nothing is stored.
//!
//! The only scope ever asked for is `drive.readonly`. Tokens and keys are never printed or logged: the types
//! that hold them print `[redacted]`.

use super::DriveError;
use base64::Engine as _;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const SCOPE: &str = "https://www.googleapis.com/auth/drive.readonly";
const TOKEN_FILE: &str = "gdrive-token.json";

/// Where Google is: the real endpoints, or a loopback stand-in named by `CROSSWALK_GDRIVE_ENDPOINT`
/// (tests). Anything but `https:` or a loopback `http:` address is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub api: String,
    pub token: String,
    pub auth: String,
    pub revoke: String,
}

impl Endpoints {
    pub fn google() -> Endpoints {
        Endpoints {
            api: "https://www.googleapis.com/drive/v3".into(),
            token: "https://oauth2.googleapis.com/token".into(),
            auth: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            revoke: "https://oauth2.googleapis.com/revoke".into(),
        }
    }

    /// One base for all four (`BASE/drive/v3`, `BASE/token`, `BASE/auth`, `BASE/revoke`).
    pub fn at(base: &str) -> Result<Endpoints, DriveError> {
        let base = base.trim_end_matches('/');
        let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"].iter().any(|p| base.starts_with(p));
        if !base.starts_with("https://") && !loopback {
            return Err(DriveError::Config(format!("{base}: Drive endpoints must be https (or http on the loopback address)")));
        }
        Ok(Endpoints {
            api: format!("{base}/drive/v3"),
            token: format!("{base}/token"),
            auth: format!("{base}/auth"),
            revoke: format!("{base}/revoke"),
        })
    }

    /// Google's, unless `CROSSWALK_GDRIVE_ENDPOINT` names another base.
    pub fn from_env() -> Result<Endpoints, DriveError> {
        match std::env::var("CROSSWALK_GDRIVE_ENDPOINT") {
            Ok(base) if !base.is_empty() => Endpoints::at(&base),
            _ => Ok(Endpoints::google()),
        }
    }
}

/// A secret string: usable, never shown.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What `crosswalk auth gdrive` stores: enough to get a fresh access token without the user.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StoredToken {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub refresh_token: Secret,
    pub access_token: Option<Secret>,
    /// Seconds since the epoch when the access token expires.
    pub expires_at: Option<u64>,
    pub scope: String,
}

/// How requests are authorised.
#[derive(Debug, Clone)]
pub enum Credentials {
    User(StoredToken),
    ServiceAccount { email: String, key: Secret, access_token: Option<Secret>, expires_at: Option<u64> },
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `$CROSSWALK_CONFIG_DIR`, `$XDG_CONFIG_HOME/crosswalk` or `~/.config/crosswalk`.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CROSSWALK_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("crosswalk"));
    }
    std::env::var_os("HOME").filter(|d| !d.is_empty()).map(|h| PathBuf::from(h).join(".config/crosswalk"))
}

/// Where the Drive token lives.
pub fn token_path() -> Result<PathBuf, DriveError> {
    config_dir().map(|d| d.join(TOKEN_FILE)).ok_or_else(|| DriveError::Config("no configuration directory (set HOME)".into()))
}

/// The stored token, if `crosswalk auth gdrive` was run.
pub fn load_token(path: &Path) -> Result<Option<StoredToken>, DriveError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            DriveError::Config(format!("{}: not a crosswalk Drive token ({e}); run `crosswalk auth gdrive` again", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(DriveError::Config(format!("{}: {e}", path.display()))),
    }
}

/// Write the token so that only the user can read it: folder 0700, file 0600, replaced atomically.
pub fn save_token(path: &Path, token: &StoredToken) -> Result<(), DriveError> {
    let io = |e: std::io::Error| DriveError::Config(format!("{}: {e}", path.display()));
    let dir = path.parent().ok_or_else(|| DriveError::Config(format!("{}: no folder", path.display())))?;
    std::fs::create_dir_all(dir).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    let body = serde_json::to_vec_pretty(token).map_err(|e| DriveError::Config(e.to_string()))?;
    let tmp = dir.join(format!(".{TOKEN_FILE}.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let _ = std::fs::remove_file(&tmp);
    let mut f = options.open(&tmp).map_err(io)?;
    f.write_all(&body).and_then(|()| f.sync_all()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn random(n: usize) -> Result<Vec<u8>, DriveError> {
    let mut buf = vec![0u8; n];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut buf)
        .map_err(|_| DriveError::Config("no system random source".into()))?;
    Ok(buf)
}

/// A PKCE pair: the verifier kept here, the S256 challenge sent with the authorisation request.
pub fn pkce() -> Result<(Secret, String), DriveError> {
    let verifier = b64url(&random(32)?);
    let challenge = b64url(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref());
    Ok((Secret(verifier), challenge))
}

/// A client id (and secret) from Google's downloaded `client_secret_….json` (`installed` or `web`).
pub fn read_client_file(path: &Path) -> Result<(String, Option<Secret>), DriveError> {
    let bad = |why: &str| DriveError::Config(format!("{}: {why}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| bad(&e.to_string()))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad("not a JSON client file"))?;
    let c = v.get("installed").or_else(|| v.get("web")).ok_or_else(|| bad("no \"installed\" client in the file"))?;
    let id = c["client_id"].as_str().ok_or_else(|| bad("no client_id"))?.to_string();
    Ok((id, c["client_secret"].as_str().map(Secret::new)))
}

/// The token endpoint's answer.
#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    scope: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn post_token(agent: &ureq::Agent, endpoints: &Endpoints, form: &[(&str, &str)]) -> Result<TokenAnswer, DriveError> {
    let mut resp = agent.post(&endpoints.token).send_form(form.iter().copied()).map_err(|e| DriveError::Network(e.to_string()))?;
    let status = resp.status().as_u16();
    let answer: TokenAnswer = super::read_json(&mut resp, 1 << 20)
        .map_err(|_| DriveError::Auth(format!("the token endpoint answered {status} without a token")))?;
    if let Some(err) = &answer.error {
        return Err(if err == "invalid_grant" {
            DriveError::Revoked
        } else {
            DriveError::Auth(format!("{err}: {}", answer.error_description.as_deref().unwrap_or("no description")))
        });
    }
    if status >= 400 || answer.access_token.is_none() {
        return Err(DriveError::Auth(format!("the token endpoint answered {status} without a token")));
    }
    Ok(answer)
}

/// What the person sees and does during `crosswalk auth gdrive`.
pub struct Interactive<'a> {
    /// Told the URL to open in a browser.
    pub show_url: &'a dyn Fn(&str),
    /// How long to wait for the browser to come back.
    pub wait: Duration,
}

/// The installed-app flow: open the consent page, receive the code on a loopback port, exchange it with the
/// PKCE verifier, and return the token to store.
pub fn authorise_installed(
    agent: &ureq::Agent,
    endpoints: &Endpoints,
    client_id: &str,
    client_secret: Option<&Secret>,
    ui: &Interactive<'_>,
) -> Result<StoredToken, DriveError> {
    let listener =
        std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(|e| DriveError::Config(format!("cannot listen on loopback: {e}")))?;
    let port = listener.local_addr().map_err(|e| DriveError::Config(e.to_string()))?.port();
    let redirect = format!("http://127.0.0.1:{port}/");
    let (verifier, challenge) = pkce()?;
    let state = b64url(&random(16)?);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("response_type", "code")
        .append_pair("scope", SCOPE)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", &state)
        .append_pair("access_type", "offline")
        .append_pair("prompt", "consent")
        .finish();
    (ui.show_url)(&format!("{}?{query}", endpoints.auth));
    let code = receive_code(&listener, &state, ui.wait)?;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("code_verifier", verifier.expose()),
        ("client_id", client_id),
        ("redirect_uri", &redirect),
    ];
    if let Some(s) = client_secret {
        form.push(("client_secret", s.expose()));
    }
    let answer = post_token(agent, endpoints, &form)?;
    let refresh = answer.refresh_token.ok_or_else(|| DriveError::Auth("Google returned no refresh token".into()))?;
    let scope = answer.scope.unwrap_or_else(|| SCOPE.to_string());
    if scope.split_whitespace().any(|s| s != SCOPE && s.contains("/auth/drive")) {
        return Err(DriveError::Auth(format!("Google granted more than read-only Drive access ({scope}); refusing to keep it")));
    }
    Ok(StoredToken {
        client_id: client_id.to_string(),
        client_secret: client_secret.cloned(),
        refresh_token: Secret(refresh),
        access_token: answer.access_token.map(Secret),
        expires_at: answer.expires_in.map(|s| now() + s),
        scope,
    })
}

/// Wait for the browser's redirect to the loopback port and return the code, checking `state`.
fn receive_code(listener: &std::net::TcpListener, state: &str, wait: Duration) -> Result<Secret, DriveError> {
    listener.set_nonblocking(true).map_err(|e| DriveError::Config(e.to_string()))?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        let (mut stream, _) = match listener.accept() {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if std::time::Instant::now() > deadline {
                    return Err(DriveError::Auth("no answer from the browser in time; run `crosswalk auth gdrive` again".into()));
                }
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(e) => return Err(DriveError::Config(e.to_string())),
        };
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut line = String::new();
        let mut reader = std::io::BufReader::new(std::io::Read::take(&mut stream, 8192));
        if reader.read_line(&mut line).is_err() {
            continue;
        }
        let (status, message, result) = match read_redirect(&line, state) {
            Redirect::Other => {
                // A favicon, a probe, or a request that is not this sign-in's (wrong state): answered, ignored.
                let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                continue;
            }
            Redirect::Refused(err) => ("200 OK", "Authorisation was refused.", Err(DriveError::Auth(format!("Google refused: {err}")))),
            Redirect::Code(code) => ("200 OK", "crosswalk may now read your Drive (read-only). You can close this tab.", Ok(code)),
        };
        let body = format!("<!doctype html><meta charset=utf-8><title>crosswalk</title><p>{message}</p>");
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return result;
    }
}

/// What one request to the loopback port is.
#[derive(Debug)]
pub enum Redirect {
    /// Not this sign-in's redirect (no query, or a `state` that is not ours): ignored.
    Other,
    /// Google's answer with an error (the person refused).
    Refused(String),
    /// Google's answer with the authorisation code.
    Code(Secret),
}

/// Read the request line the browser sends to the loopback port (untrusted: any local process or web page
/// can send one), checking `state`.
pub fn read_redirect(request_line: &str, state: &str) -> Redirect {
    let target = request_line.split_whitespace().nth(1).unwrap_or("");
    let Some((_, query)) = target.split_once('?') else { return Redirect::Other };
    let pairs: std::collections::HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    if state.is_empty() || pairs.get("state").map(String::as_str) != Some(state) {
        return Redirect::Other;
    }
    match (pairs.get("error"), pairs.get("code")) {
        (Some(err), _) => Redirect::Refused(err.chars().filter(|c| !c.is_control()).take(100).collect()),
        (None, Some(code)) if !code.is_empty() => Redirect::Code(Secret(code.clone())),
        _ => Redirect::Other,
    }
}

/// A fresh access token from the stored refresh token.
pub fn refresh(agent: &ureq::Agent, endpoints: &Endpoints, token: &mut StoredToken) -> Result<(), DriveError> {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token.refresh_token.expose()), ("client_id", &token.client_id)];
    if let Some(s) = &token.client_secret {
        form.push(("client_secret", s.expose()));
    }
    let answer = post_token(agent, endpoints, &form)?;
    token.access_token = answer.access_token.map(Secret);
    token.expires_at = answer.expires_in.map(|s| now() + s);
    if let Some(r) = answer.refresh_token {
        token.refresh_token = Secret(r);
    }
    Ok(())
}

/// Read a service-account key file (`type: service_account`).
pub fn read_service_account(path: &Path) -> Result<Credentials, DriveError> {
    let bad = |why: &str| DriveError::Config(format!("{}: {why}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| bad(&e.to_string()))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad("not a JSON key file"))?;
    if v["type"].as_str() != Some("service_account") {
        return Err(bad("not a service-account key (type is not service_account)"));
    }
    let email = v["client_email"].as_str().ok_or_else(|| bad("no client_email"))?.to_string();
    let key = v["private_key"].as_str().ok_or_else(|| bad("no private_key"))?;
    Ok(Credentials::ServiceAccount { email, key: Secret::new(key), access_token: None, expires_at: None })
}

/// Exchange a signed assertion for a service account's access token (RFC 7523).
pub fn service_account_token(
    agent: &ureq::Agent,
    endpoints: &Endpoints,
    email: &str,
    key_pem: &Secret,
) -> Result<(Secret, u64), DriveError> {
    let der = pem_body(key_pem.expose()).ok_or_else(|| DriveError::Auth("the service-account key is not a PEM private key".into()))?;
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&der)
        .map_err(|_| DriveError::Auth("the service-account key is not an RSA PKCS#8 key".into()))?;
    let iat = now();
    let header = b64url(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = serde_json::json!({ "iss": email, "scope": SCOPE, "aud": endpoints.token, "iat": iat, "exp": iat + 3600 });
    let claims = b64url(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{claims}");
    let mut signature = vec![0u8; pair.public().modulus_len()];
    pair.sign(&ring::signature::RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), signing_input.as_bytes(), &mut signature)
        .map_err(|_| DriveError::Auth("could not sign with the service-account key".into()))?;
    let assertion = format!("{signing_input}.{}", b64url(&signature));
    let answer = post_token(agent, endpoints, &[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", &assertion)])?;
    let token = answer.access_token.ok_or_else(|| DriveError::Auth("no access token for the service account".into()))?;
    Ok((Secret(token), iat + answer.expires_in.unwrap_or(3600)))
}

fn pem_body(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Revoke the stored grant at Google and delete the token file. The file goes even when Google cannot be
/// reached (the grant can also be removed at myaccount.google.com/permissions).
pub fn revoke(agent: &ureq::Agent, endpoints: &Endpoints, path: &Path) -> Result<bool, DriveError> {
    let Some(token) = load_token(path)? else { return Ok(false) };
    let outcome = agent.post(&endpoints.revoke).send_form([("token", token.refresh_token.expose())]);
    std::fs::remove_file(path).map_err(|e| DriveError::Config(format!("{}: {e}", path.display())))?;
    match outcome {
        Ok(r) if r.status().is_success() || r.status().as_u16() == 400 => Ok(true),
        Ok(r) => Err(DriveError::Auth(format!("the token file is deleted, but Google answered {} to the revocation", r.status().as_u16()))),
        Err(e) => Err(DriveError::Network(format!("the token file is deleted, but Google could not be reached to revoke it: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier() {
        let (verifier, challenge) = pkce().expect("pkce");
        assert_eq!(verifier.expose().len(), 43);
        assert_eq!(challenge, b64url(ring::digest::digest(&ring::digest::SHA256, verifier.expose().as_bytes()).as_ref()));
        assert_ne!(pkce().expect("pkce").0.expose(), verifier.expose(), "verifiers are random");
        assert_eq!(format!("{verifier:?}"), "[redacted]");
    }

    #[test]
    fn endpoints_are_https_or_loopback() {
        assert!(Endpoints::at("http://127.0.0.1:9/").is_ok());
        assert!(Endpoints::at("https://example.org").is_ok());
        assert!(Endpoints::at("http://example.org").is_err());
        assert!(Endpoints::at("http://127.0.0.1.example.org").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn token_file_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("conf/gdrive-token.json");
        let token = StoredToken {
            client_id: "id".into(),
            client_secret: None,
            refresh_token: Secret::new("r-secret"),
            access_token: Some(Secret::new("a-secret")),
            expires_at: Some(1),
            scope: SCOPE.into(),
        };
        save_token(&path, &token).expect("save");
        assert_eq!(std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(path.parent().expect("dir")).expect("meta").permissions().mode() & 0o777, 0o700);
        let back = load_token(&path).expect("load").expect("some");
        assert_eq!(back.refresh_token.expose(), "r-secret");
        let shown = format!("{back:?}");
        assert!(!shown.contains("r-secret") && !shown.contains("a-secret"), "{shown}");
    }
}
