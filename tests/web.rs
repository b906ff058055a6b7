//! The web app at the HTTP level, without a socket: every route, the security headers, the token and
//! CSRF checks, upload limits and escaping archive paths, background reviews, downloads, history, compare
//! and delete.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use crosswalk::web::{AppState, ServeConfig, app, upload::Limits};
use http_body_util::BodyExt;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

fn state(data: &Path, token: Option<&str>) -> Arc<AppState> {
    let catalog = crosswalk::catalog::load_builtin("iec-81001-5-1").expect("catalog");
    let config = ServeConfig {
        addr: "127.0.0.1:0".parse().expect("addr"),
        token: token.map(str::to_string),
        data_dir: data.to_path_buf(),
        allow_dirs: vec![common::devset().join("docs").canonicalize().expect("devset")],
        exe: env!("CARGO_BIN_EXE_crosswalk").into(),
        limits: Limits { max_total: 8 << 20, max_file: 4 << 20, max_files: 50, max_ratio: 100 },
        allow_hosts: vec![],
    };
    AppState::new(catalog, config).expect("state")
}

/// Send a request as a browser on this machine would: with a `Host` header naming the server.
async fn send(state: &Arc<AppState>, mut req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    if !req.headers().contains_key(header::HOST) {
        req.headers_mut().insert(header::HOST, "127.0.0.1:8080".parse().expect("host"));
    }
    let resp = app(state.clone()).oneshot(req).await.expect("response");
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

async fn get(state: &Arc<AppState>, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let (s, h, b) = send(state, Request::get(uri).body(Body::empty()).expect("request")).await;
    (s, h, String::from_utf8_lossy(&b).into_owned())
}

/// A multipart form: text fields, then files (name, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "crosswalk-test-boundary-7c1e";
    let mut body = Vec::new();
    for (k, v) in fields {
        write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").expect("write");
    }
    for (name, bytes) in files {
        write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").expect("write");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").expect("write");
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_form(
    state: &Arc<AppState>,
    uri: &str,
    fields: &[(&str, &str)],
    files: &[(&str, Vec<u8>)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    let (ctype, body) = multipart(fields, files);
    let (s, h, b) = send(state, Request::post(uri).header(header::CONTENT_TYPE, ctype).body(Body::from(body)).expect("request")).await;
    (s, h, String::from_utf8_lossy(&b).into_owned())
}

fn csrf_of(page: &str) -> String {
    let i = page.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    page[i..].split('"').next().expect("value").to_string()
}

async fn wait_done(state: &Arc<AppState>, id: &str) {
    for _ in 0..600 {
        let (_, _, body) = get(state, &format!("/reviews/{id}/status")).await;
        let v: serde_json::Value = serde_json::from_str(&body).expect("status json");
        if v["status"] != "running" {
            assert_eq!(v["status"], "done", "{body}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("review {id} did not finish");
}

fn doc(rel: &str) -> Vec<u8> {
    std::fs::read(common::devset().join("docs").join(rel)).expect("devset file")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_the_catalog_with_security_headers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let st = state(tmp.path(), None);
    let (s, h, body) = get(&st, "/").await;
    assert_eq!(s, StatusCode::OK);
    for name in ["content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"] {
        assert!(h.contains_key(name), "missing {name}");
    }
    assert!(h[header::CONTENT_SECURITY_POLICY].to_str().expect("csp").contains("default-src 'none'"));
    assert_eq!(body.matches("href=\"/clause/").count(), 56);
    let (_, _, body) = get(&st, "/?q=penetration+test").await;
    assert!(body.contains("href=\"/clause/5.7.4\"") && !body.contains("href=\"/clause/4.1.1\""));
    let (_, _, body) = get(&st, "/?framework=62443-4-1&section=SI-2").await;
    let hits: Vec<&str> = body.match_indices("href=\"/clause/").map(|(i, _)| body[i + 14..].split('"').next().unwrap_or("")).collect();
    assert_eq!(hits, vec!["5.1.3", "5.5.1"]);
    let (s, _, page) = get(&st, "/clause/5.5.1").await;
    assert_eq!(s, StatusCode::OK);
    for part in [
        "Maps to",
        "Requirement",
        "What changed",
        "Atomic constraints",
        "Common gaps",
        "Evidence signals",
        "FILE_EXISTS",
        "Audit defense",
        "/review/new?clause=5.5.1",
    ] {
        assert!(page.contains(part), "clause page lacks {part}");
    }
    assert_eq!(get(&st, "/clause/99.1").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&st, "/no/such/page").await.0, StatusCode::NOT_FOUND);
    let (s, h, css) = get(&st, "/assets/app.css").await;
    assert_eq!(s, StatusCode::OK);
    assert!(h[header::CONTENT_TYPE].to_str().expect("ct").starts_with("text/css") && css.contains("--accent"));
    assert_eq!(get(&st, "/assets/app.js").await.0, StatusCode::OK);
    let (_, _, new) = get(&st, "/review/new?clause=5.5.1").await;
    assert!(new.contains("Focused on clause") && new.contains("name=\"clause\" value=\"5.5.1\""));
    assert!(new.contains("acme-dialysis/docs"), "allowed folders are offered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_is_required_when_configured() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let st = state(tmp.path(), Some("s3cret-token-0123456789abcdef0123"));
    let (s, _, _) = get(&st, "/").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = send(&st, Request::get("/").header(header::AUTHORIZATION, "Bearer wrong").body(Body::empty()).expect("req")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = send(
        &st,
        Request::get("/").header(header::AUTHORIZATION, "Bearer s3cret-token-0123456789abcdef0123").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, h, _) = get(&st, "/?token=s3cret-token-0123456789abcdef0123").await;
    assert_eq!(s, StatusCode::OK);
    let cookie = h[header::SET_COOKIE].to_str().expect("cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let (s, _, _) = send(
        &st,
        Request::get("/reviews")
            .header(header::COOKIE, "crosswalk_token=s3cret-token-0123456789abcdef0123")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_review_download_compare_and_delete() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let st = state(tmp.path(), None);
    let (_, _, new) = get(&st, "/review/new").await;
    let csrf = csrf_of(&new);

    // Without the CSRF token: refused, nothing stored.
    let (s, _, _) = post_form(&st, "/review", &[("csrf", "forged")], &[("a.md", b"# A".to_vec())]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(st.store.list().expect("list").is_empty());

    // A zip whose path climbs out of the upload folder is refused.
    let mut z = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut z);
        w.start_file("../../escape.md", zip::write::SimpleFileOptions::default()).expect("start");
        w.write_all(b"# escape").expect("write");
        w.finish().expect("finish");
    }
    let (s, _, body) = post_form(&st, "/review", &[("csrf", &csrf)], &[("pack.zip", z.into_inner())]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("leaves the upload folder"), "{body}");
    assert!(!tmp.path().join("escape.md").exists() && !tmp.path().parent().expect("parent").join("escape.md").exists());

    // Too large for the limits.
    let (s, _, body) = post_form(&st, "/review", &[("csrf", &csrf)], &[("big.txt", vec![b'a'; 5 << 20])]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("larger than"), "{body}");

    // A real review: three dev-set documents, uploaded; one in a zip with a folder.
    let mut z = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut z);
        w.start_file("Build/dc-gateway-3.2.0-sast.sarif", zip::write::SimpleFileOptions::default()).expect("start");
        w.write_all(&doc("Engineering/Build Artefacts/dc-gateway-3.2.0-sast.sarif")).expect("write");
        w.finish().expect("finish");
    }
    let files = vec![
        (
            "WI-ENG-020 Merge Request Review and Static Analysis v1.4.md",
            doc("Engineering/Standards/WI-ENG-020 Merge Request Review and Static Analysis v1.4.md"),
        ),
        ("SOP-ENG-012 Secure Coding Standard v2.1.odt", doc("Engineering/Standards/SOP-ENG-012 Secure Coding Standard v2.1.odt")),
        ("build.zip", z.into_inner()),
    ];
    let (s, h, _) = post_form(
        &st,
        "/review",
        &[("csrf", &csrf), ("label", "Coding <b>pack</b>"), ("product", "DialyConnect"), ("clause", "5.5.1")],
        &files,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let location = h[header::LOCATION].to_str().expect("location").to_string();
    assert!(location.ends_with("?focus=5.5.1"), "{location}");
    let id = location.trim_start_matches("/reviews/").split('?').next().expect("id").to_string();
    wait_done(&st, &id).await;
    let (s, _, page) = get(&st, &location).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Coding &#60;b&#62;pack&#60;/b&#62;") && !page.contains("<b>pack</b>"), "labels are escaped");
    assert!(page.contains("class=\"focus\""), "the focused clause is highlighted");
    let (_, _, detail) = get(&st, &format!("/reviews/{id}/clause/5.5.1")).await;
    assert!(detail.contains("MET") || detail.contains("v-met"), "5.5.1 is met by WI-ENG-020, SOP-ENG-012 and the SARIF");
    assert!(detail.contains("WI-ENG-020") && detail.contains("<blockquote>"));
    assert_eq!(get(&st, &format!("/reviews/{id}/clause/99.9")).await.0, StatusCode::NOT_FOUND);
    for (fmt, magic) in [
        ("json", &b"{"[..]),
        ("md", b"# "),
        ("html", b"<!DOCTYPE html>"),
        ("summary.html", b"<!DOCTYPE html>"),
        ("xlsx", b"PK"),
        ("csv", b"Clause,"),
        ("oscal", b"{"),
        ("sarif", b"{"),
    ] {
        let (s, h, body) = send(&st, Request::get(format!("/reviews/{id}/download/{fmt}")).body(Body::empty()).expect("req")).await;
        assert_eq!(s, StatusCode::OK, "{fmt}");
        assert!(body.starts_with(magic), "{fmt}");
        assert!(h[header::CONTENT_DISPOSITION].to_str().expect("cd").contains("attachment"), "{fmt}");
    }
    assert_eq!(get(&st, &format!("/reviews/{id}/download/exe")).await.0, StatusCode::NOT_FOUND);

    // A second run from an allowed folder, then compare.
    let (s, h, _) = post_form(&st, "/review", &[("csrf", &csrf), ("dir", "0"), ("label", "Full dev set")], &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let id2 = h[header::LOCATION].to_str().expect("location").trim_start_matches("/reviews/").to_string();
    wait_done(&st, &id2).await;
    let (_, _, hist) = get(&st, "/reviews").await;
    assert!(hist.contains(&id) && hist.contains(&id2));
    let (s, _, cmp) = get(&st, &format!("/compare?a={id}&b={id2}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(cmp.contains("Verdicts") && cmp.contains("added: "), "{cmp}");

    // Delete: needs the CSRF token; removes the row and the stored files.
    let dir = tmp.path().join("reviews").join(&id);
    assert!(dir.join("docs").is_dir());
    let form = |t: &str| {
        Request::post(format!("/reviews/{id}/delete"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={t}")))
            .expect("req")
    };
    assert_eq!(send(&st, form("nope")).await.0, StatusCode::FORBIDDEN);
    let (s, h, _) = send(&st, form(&csrf)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/reviews");
    assert!(!dir.exists(), "stored files removed");
    assert_eq!(get(&st, &format!("/reviews/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(st.store.list().expect("list").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_ids_from_the_url_never_reach_the_file_system() {
    // Reproduces the reported attack: a delete whose id climbs out of the data folder removed any folder.
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let victim = tmp.path().join("victim");
    std::fs::create_dir_all(&victim).expect("mkdir");
    std::fs::write(victim.join("keep.txt"), "precious").expect("write");
    let st = state(&data, None);
    let csrf = csrf_of(&get(&st, "/review/new").await.2);
    for id in ["..%2F..%2Fvictim", "%2e%2e", "..", "..%2F", "20261204171552-0123abcd%2F..%2F..%2F..%2Fvictim"] {
        let req = Request::post(format!("/reviews/{id}/delete"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}")))
            .expect("req");
        let (s, _, _) = send(&st, req).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{id}");
        for page in ["", "/status", "/clause/5.5.1", "/download/json"] {
            assert_eq!(get(&st, &format!("/reviews/{id}{page}")).await.0, StatusCode::NOT_FOUND, "{id}{page}");
        }
    }
    assert_eq!(std::fs::read_to_string(victim.join("keep.txt")).expect("victim intact"), "precious");
    assert!(data.join("crosswalk.sqlite3").is_file() && data.join("reviews").is_dir(), "data folder intact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_hosts_and_cross_site_posts_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let st = state(tmp.path(), None);
    // DNS rebinding: a page on attacker.example resolving to 127.0.0.1 sends its own Host.
    let req = Request::get("/review/new").header(header::HOST, "attacker.example:8080").body(Body::empty()).expect("req");
    let (s, _, body) = send(&st, req).await;
    assert_eq!(s, StatusCode::MISDIRECTED_REQUEST);
    assert!(!String::from_utf8_lossy(&body).contains("csrf"), "no token leaks to a foreign host");
    for host in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080"] {
        let req = Request::get("/").header(header::HOST, host).body(Body::empty()).expect("req");
        assert_eq!(send(&st, req).await.0, StatusCode::OK, "{host}");
    }
    let csrf = csrf_of(&get(&st, "/review/new").await.2);
    let post = |origin: Option<&str>, site: Option<&str>| {
        let mut r =
            Request::post("/reviews/20261204171552-0123abcd/delete").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            r = r.header(header::ORIGIN, o);
        }
        if let Some(s) = site {
            r = r.header("sec-fetch-site", s);
        }
        r.body(Body::from(format!("csrf={csrf}"))).expect("req")
    };
    assert_eq!(send(&st, post(Some("http://attacker.example"), None)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&st, post(Some("null"), None)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&st, post(None, Some("cross-site"))).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&st, post(None, Some("same-site"))).await.0, StatusCode::FORBIDDEN);
    // Our own page: passes the perimeter (and finds no such review).
    assert_eq!(send(&st, post(Some("http://127.0.0.1:8080"), Some("same-origin"))).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_tokens_are_refused_at_start() {
    let catalog = crosswalk::catalog::load_builtin("iec-81001-5-1").expect("catalog");
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = ServeConfig {
        addr: "127.0.0.1:0".parse().expect("addr"),
        token: Some("x".into()),
        data_dir: tmp.path().to_path_buf(),
        allow_dirs: vec![],
        exe: env!("CARGO_BIN_EXE_crosswalk").into(),
        limits: Limits::default(),
        allow_hosts: vec![],
    };
    let err = crosswalk::web::serve(catalog, config).await.expect_err("a one-character token is refused");
    assert!(err.to_string().contains("at least 32"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_runs_are_marked_and_can_run_again() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let id = {
        // A server that dies mid-review leaves its row `running` (simulated: the row and the stored
        // documents exist, no job runs).
        let st = state(tmp.path(), None);
        let id = crosswalk::web::store::ReviewId::generate();
        st.store.insert(&id, "2026-12-04T00:00:00Z", "Killed run", "DialyConnect", "").expect("insert");
        let docs = st.store.review_dir(&id).join("docs");
        std::fs::create_dir_all(&docs).expect("mkdir");
        std::fs::write(docs.join("a.md"), "# Code review\nEvery merge request is reviewed by a second engineer.").expect("write");
        id
    };
    // The restarted server marks it interrupted: the page stops polling and offers to review again.
    let st = state(tmp.path(), None);
    let (_, _, status) = get(&st, &format!("/reviews/{id}/status")).await;
    assert!(status.contains("\"interrupted\""), "{status}");
    let (_, _, page) = get(&st, &format!("/reviews/{id}")).await;
    assert!(page.contains("Interrupted") && page.contains("Review again") && !page.contains("data-status-url"), "{page}");
    assert_eq!(get(&st, &format!("/reviews/{id}/download/json")).await.0, StatusCode::CONFLICT, "nothing partial is served");
    let csrf = csrf_of(&get(&st, "/review/new").await.2);
    let req = Request::post(format!("/reviews/{id}/again"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={csrf}")))
        .expect("req");
    assert_eq!(send(&st, req).await.0, StatusCode::SEE_OTHER);
    wait_done(&st, id.as_str()).await;
    assert_eq!(get(&st, &format!("/reviews/{id}/download/json")).await.0, StatusCode::OK);
}

/// A zip whose central directory names the same compressed bytes many times (the "overlapping" zip bomb).
fn overlapping_zip(copies: usize) -> Vec<u8> {
    let mut z = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut z);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        w.start_file("a00.txt", opts).expect("start");
        w.write_all(&vec![b'a'; 100_000]).expect("write");
        w.finish().expect("finish");
    }
    let bytes = z.into_inner();
    // Split into local part, central directory entry and end record.
    let eocd = bytes.windows(4).rposition(|w| w == [0x50, 0x4b, 0x05, 0x06]).expect("eocd");
    let cd = bytes.windows(4).position(|w| w == [0x50, 0x4b, 0x01, 0x02]).expect("central directory");
    let (local, entry, end) = (&bytes[..cd], &bytes[cd..eocd], &bytes[eocd..]);
    let mut out = local.to_vec();
    let cd_start = out.len() as u32;
    for i in 0..copies {
        let mut e = entry.to_vec();
        let name = format!("a{i:02}.txt");
        let at = 46;
        e[at..at + name.len()].copy_from_slice(name.as_bytes());
        out.extend_from_slice(&e);
    }
    let cd_size = out.len() as u32 - cd_start;
    let mut end = end.to_vec();
    end[8..10].copy_from_slice(&(copies as u16).to_le_bytes());
    end[10..12].copy_from_slice(&(copies as u16).to_le_bytes());
    end[12..16].copy_from_slice(&cd_size.to_le_bytes());
    end[16..20].copy_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&end);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_archives_and_oversized_uploads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let st = state(tmp.path(), None);
    let csrf = csrf_of(&get(&st, "/review/new").await.2);
    // Overlapping entries: refused before anything is unpacked.
    let bomb = overlapping_zip(40);
    assert!(bomb.len() < 10_000, "{}", bomb.len());
    let (s, _, body) = post_form(&st, "/review", &[("csrf", &csrf)], &[("bomb.zip", bomb)]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("zip bomb"), "{body}");
    assert!(st.store.list().expect("list").is_empty());
    let stored: u64 = walk_size(&tmp.path().join("reviews"));
    assert!(stored < 1 << 20, "{stored} bytes written for a refused archive");

    // A symbolic link inside an archive is never unpacked, as a link or as a file; the review lists it.
    let mut z = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut z);
        w.start_file("a.md", zip::write::SimpleFileOptions::default()).expect("start");
        w.write_all(b"# Code review\nEvery merge request is reviewed by a second engineer.").expect("write");
        w.add_symlink("secret.md", "/etc/passwd", zip::write::SimpleFileOptions::default()).expect("link");
        w.finish().expect("finish");
    }
    let (s, h, body) = post_form(&st, "/review", &[("csrf", &csrf)], &[("pack.zip", z.into_inner())]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let id = h[header::LOCATION].to_str().expect("location").trim_start_matches("/reviews/").to_string();
    wait_done(&st, &id).await;
    let docs = tmp.path().join("reviews").join(&id).join("docs");
    assert!(docs.join("a.md").is_file() && std::fs::symlink_metadata(docs.join("secret.md")).is_err());
    let (_, _, json) = get(&st, &format!("/reviews/{id}/download/json")).await;
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["skipped"][0]["path"], "secret.md", "{}", v["skipped"]);

    // Larger than the server accepts: a plain message with the limit, not a parser error.
    let big = vec![b'x'; 10 << 20];
    let (s, _, body) = post_form(&st, "/review", &[("csrf", &csrf)], &[("a.txt", big.clone()), ("b.txt", big)]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.contains("larger than the 8 MB"), "{body}");
}

fn walk_size(dir: &Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let m = e.metadata().expect("meta");
        n += if m.is_dir() { walk_size(&e.path()) } else { m.len() };
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_reviews_are_served_from_their_record_under_a_request_storm() {
    // Reproduces the reported storm: many parallel GETs of a review no longer in memory used to recompute
    // it each time (115 s, 11 GB). Now: one read of the stored record, memory bounded, nothing recomputed
    // (the documents are even deleted first), and allowed folders are read in place, not copied.
    let tmp = tempfile::tempdir().expect("tempdir");
    let st = state(tmp.path(), None);
    let csrf = csrf_of(&get(&st, "/review/new").await.2);
    let (s, h, _) = post_form(&st, "/review", &[("csrf", &csrf), ("dir", "0")], &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let id = h[header::LOCATION].to_str().expect("location").trim_start_matches("/reviews/").to_string();
    wait_done(&st, &id).await;
    let dir = tmp.path().join("reviews").join(&id);
    assert!(!dir.join("docs").exists(), "an allowed folder is read in place, not copied");
    assert!(dir.join("review.record.json").is_file());
    st.reviews.remove(&id);
    let mut tasks = Vec::new();
    for i in 0..60 {
        let st = st.clone();
        let uri = format!("/reviews/{id}/{}", if i % 2 == 0 { "download/html".to_string() } else { "clause/5.5.1".to_string() });
        tasks.push(tokio::spawn(async move { get(&st, &uri).await.0 }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::OK);
    }
    let held = st.reviews.held();
    assert!(held > 0 && held <= crosswalk::web::REVIEW_CACHE_BYTES, "{held}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_with_nothing_readable_gives_no_verdicts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let st = state(tmp.path(), None);
    let (_, _, page) = get(&st, "/review/new").await;
    assert!(page.contains("Start the review") && !page.to_lowercase().contains("free"), "our own words on the start page");
    let csrf = csrf_of(&page);
    let (s, h, _) =
        post_form(&st, "/review", &[("csrf", &csrf), ("label", "Only a binary")], &[("setup.exe", b"MZ\x90\x00\x03\x00".to_vec())]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let id = h[header::LOCATION].to_str().expect("location").trim_start_matches("/reviews/").to_string();
    wait_done(&st, &id).await;
    let (_, _, page) = get(&st, &format!("/reviews/{id}")).await;
    assert!(page.contains("No document could be read, so this review gives no verdicts."), "{page}");
    assert!(page.contains("setup.exe: unsupported format (.exe)"), "{page}");
    assert!(!page.contains("id=\"summary\"") && !page.contains("Gaps to close"), "no verdict tiles, no gaps: {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewer_decisions_survive_re_reviews_and_go_suspect() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let folder = tmp.path().join("technical-file");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let sop = "# WI-ENG-001 Code review\n\n| Document ID | WI-ENG-001 |\n|---|---|\n| Status | Approved |\n\n## 3 Static analysis\n\nEvery merge request runs Semgrep with rules mapped to the secure coding standard SOP-ENG-002.\n";
    std::fs::write(folder.join("WI-ENG-001 Code review.md"), sop).expect("write");
    let catalog = crosswalk::catalog::load_builtin("iec-81001-5-1").expect("catalog");
    let config = ServeConfig {
        addr: "127.0.0.1:0".parse().expect("addr"),
        token: None,
        data_dir: tmp.path().join("data"),
        allow_dirs: vec![folder.canonicalize().expect("folder")],
        exe: env!("CARGO_BIN_EXE_crosswalk").into(),
        limits: Limits::default(),
        allow_hosts: vec![],
    };
    let st = AppState::new(catalog, config).expect("state");
    let (_, _, page) = get(&st, "/review/new").await;
    let csrf = csrf_of(&page);
    let start = |st: Arc<AppState>, csrf: String| async move {
        let (s, h, _) = post_form(&st, "/review", &[("csrf", &csrf), ("dir", "0"), ("label", "Technical file")], &[]).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let id = h[header::LOCATION].to_str().expect("location").trim_start_matches("/reviews/").to_string();
        wait_done(&st, &id).await;
        id
    };
    let first = start(st.clone(), csrf.clone()).await;
    let (_, _, clause) = get(&st, &format!("/reviews/{first}/clause/5.5.1")).await;
    assert!(clause.contains("No one has confirmed or changed this verdict yet") && clause.contains("id=\"decide\""), "{clause}");
    let decide = |body: String| {
        Request::post(format!("/reviews/{first}/clause/5.5.1/decide"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("req")
    };
    // Forged, and without a reason: refused.
    assert_eq!(send(&st, decide("csrf=nope&verdict=met&reason=x&by=y".into())).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&st, decide(format!("csrf={csrf}&verdict=met&reason=&by=Dana"))).await.0, StatusCode::BAD_REQUEST);
    let (s, _, _) =
        send(&st, decide(format!("csrf={csrf}&verdict=met&reason=Sampled+the+Semgrep+records+at+audit&by=Dana+Reviewer"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, clause) = get(&st, &format!("/reviews/{first}/clause/5.5.1")).await;
    assert!(clause.contains("by <b>Dana Reviewer</b>") && clause.contains("Sampled the Semgrep records at audit"), "{clause}");
    assert!(!clause.contains("id=\"suspect\""));
    let (_, _, summary) = get(&st, &format!("/reviews/{first}")).await;
    assert!(summary.contains("by Dana Reviewer"), "the clause table shows the decision");
    // The dashboard: chart, filterable rows, exports at the top.
    assert!(summary.contains("<svg") && summary.contains("id=\"f-severity\"") && summary.contains("data-verdict=\"met\""), "dashboard");
    assert!(summary.find("id=\"exports\"") < summary.find("id=\"clause-table\""), "exports above the table");
    // The evidence viewer: a quote opens the document's text at the passage, highlighted, with its hash.
    let link = clause.split("<a class=\"quote\" href=\"").nth(1).and_then(|l| l.split('"').next()).expect("a quote links to the viewer");
    let (s, _, viewer) = get(&st, &link.replace("&amp;", "&")).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    assert!(viewer.contains("<mark>") && viewer.contains("class=\"passage focus"), "the passage is highlighted: {viewer}");
    assert!(viewer.contains("SHA-256") && viewer.contains("approved"), "status and hash shown");

    // The cited document changes; reading the same folder again ("Read the source again" on the finished
    // review: a new run) carries the decision, marked suspect.
    std::fs::write(folder.join("WI-ENG-001 Code review.md"), format!("{sop}\nSemgrep now runs nightly only.\n")).expect("write");
    let again = Request::post(format!("/reviews/{first}/again"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={csrf}")))
        .expect("req");
    let (s, h, _) = send(&st, again).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let second = h[header::LOCATION].to_str().expect("location").trim_start_matches("/reviews/").to_string();
    assert_ne!(second, first, "a new run, the first one kept for comparison");
    wait_done(&st, &second).await;
    let (_, _, clause) = get(&st, &format!("/reviews/{second}/clause/5.5.1")).await;
    assert!(clause.contains("id=\"suspect\"") && clause.contains("changed since the decision"), "{clause}");
    let (s, _, json) = get(&st, &format!("/reviews/{second}/download/json")).await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let c = v["clauses"].as_array().expect("clauses").iter().find(|c| c["id"] == "5.5.1").expect("5.5.1");
    assert_eq!(c["decision"]["suspect"], true, "the JSON of the re-review says so");
    // Compare: counts per verdict, and the decision made suspect.
    let (s, _, cmp) = get(&st, &format!("/compare?a={first}&b={second}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        cmp.contains("id=\"counts\"") && cmp.contains("Reviewer decisions made suspect") && cmp.contains("5.5.1 (Dana Reviewer"),
        "{cmp}"
    );
    // The decisions file the CLI reads.
    let (s, _, toml) = get(&st, &format!("/reviews/{second}/decisions.toml")).await;
    assert_eq!(s, StatusCode::OK);
    let path = tmp.path().join("decisions.toml");
    std::fs::write(&path, &toml).expect("write");
    let file = crosswalk::decisions::DecisionsFile::load(&path).expect("a valid decisions file");
    assert_eq!(file.decisions.len(), 1);
    assert_eq!(file.decisions[0].by, "Dana Reviewer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_understands_the_field() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let st = state(tmp.path(), None);
    let count = |page: &str| page.matches("<span class=\"cid\">").count();
    let (_, _, pentest) = get(&st, "/?q=pentest").await;
    assert!(count(&pentest) > 0 && pentest.contains("class=\"muted snippet\""), "an abbreviation finds clauses, with a snippet");
    assert!(pentest.to_lowercase().contains("penetration"), "the snippet says why");
    for q in ["SBOM", "SOUP", "PSIRT", "SAST", "CVD", "TARA"] {
        let (_, _, page) = get(&st, &format!("/?q={q}")).await;
        assert!(count(&page) > 0, "{q} finds nothing");
    }
    let (_, _, a) = get(&st, "/?q=code+reviews").await;
    let (_, _, b) = get(&st, "/?q=code+review").await;
    assert!(count(&a) > 0 && count(&a) == count(&b), "plural and singular agree: {} vs {}", count(&a), count(&b));
    let (s, h, _) = get(&st, "/?q=5.5.1").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/clause/5.5.1");
    let (s, _, page) = get(&st, "/?section=7.2").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("needs a framework"), "{page}");
}
