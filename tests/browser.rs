//! End to end in headless Chromium (Debian chromium + chromium-driver, driven over WebDriver by
//! fantoccini): browse a clause, start a review against it by uploading dev-set documents, wait for the
//! live progress to finish, open a clause's detail and download a report. Screenshots are written to
//! `target/screenshots/` for people to look at.

mod common;

use fantoccini::{ClientBuilder, Locator};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn which(name: &str) -> std::path::PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed: run scripts/setup-test-deps"))
}

/// Plain HTTP/1.1 GET against the local server (the browser cannot hand downloads to the test).
fn http_get(url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).expect("path");
    let mut s = TcpStream::connect(host).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read");
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("headers") + 4;
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status");
    (status, buf[split..].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_in_the_browser() {
    let data = tempfile::tempdir().expect("tempdir");
    let mut server = Command::new(env!("CARGO_BIN_EXE_crosswalk"))
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout")).read_line(&mut line).expect("url line");
    let _server = Killed(server);
    let base = line.trim().rsplit(' ').next().expect("url").trim_end_matches('/').to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");

    let port = free_port();
    let driver = Killed(
        Command::new(which("chromedriver"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
    );
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let profile = tempfile::tempdir().expect("profile");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": which("chromium").display().to_string(),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-quic", "--window-size=1200,1400",
                     format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("WebDriver session");
    let shots = common::manifest().join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("mkdir");
    let shot = |name: &'static str, png: Vec<u8>| std::fs::write(shots.join(format!("{name}.png")), png).expect("screenshot");

    // Browse: the index, then clause 5.5.1.
    client.goto(&format!("{base}/")).await.expect("index");
    shot("1-index", client.screenshot().await.expect("png"));
    client.find(Locator::Css("a[href='/clause/5.5.1']")).await.expect("clause link").click().await.expect("click");
    let h1 = client.find(Locator::Css("h1")).await.expect("h1").text().await.expect("text");
    assert_eq!(h1, "Secure coding standards");
    shot("2-clause", client.screenshot().await.expect("png"));

    // "Review your documents against this clause": upload three dev-set documents.
    client.find(Locator::Css("a[href='/review/new?clause=5.5.1']")).await.expect("review link").click().await.expect("click");
    let docs = common::devset().join("docs").canonicalize().expect("dev set");
    let files: Vec<String> = [
        "Engineering/Standards/WI-ENG-020 Merge Request Review and Static Analysis v1.4.md",
        "Engineering/Standards/SOP-ENG-012 Secure Coding Standard v2.1.odt",
        "Engineering/Build Artefacts/dc-gateway-3.2.0-sast.sarif",
        "Security/Testing/VVR-SEC-012 Security Verification Report DialyConnect 3.2.pdf",
    ]
    .iter()
    .map(|f| docs.join(f).display().to_string())
    .collect();
    client.find(Locator::Css("input[name='label']")).await.expect("label").send_keys("Browser review").await.expect("type");
    client.find(Locator::Id("files")).await.expect("file input").send_keys(&files.join("\n")).await.expect("choose files");
    shot("3-new-review", client.screenshot().await.expect("png"));
    client.find(Locator::Id("start")).await.expect("start").click().await.expect("submit");

    // Live progress, then the summary.
    if client.wait().at_most(Duration::from_secs(120)).for_element(Locator::Id("summary")).await.is_err() {
        let page = client.source().await.unwrap_or_default();
        let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        panic!("no results at {url}:\n{page}");
    }
    let url = client.current_url().await.expect("url");
    assert!(url.as_str().contains("focus=5.5.1"), "{url}");
    shot("4-results", client.screenshot().await.expect("png"));
    let focused = client.find(Locator::Css("tr.focus td a")).await.expect("focused clause").text().await.expect("text");
    assert_eq!(focused, "5.5.1");

    // Detail of clause 5.5.1, on demand.
    client.find(Locator::Css("tr.focus td a")).await.expect("link").click().await.expect("click");
    let detail = client.source().await.expect("source");
    assert!(detail.contains("v-met") && detail.contains("WI-ENG-020") && detail.contains("<blockquote>"), "clause detail");
    shot("5-clause-detail", client.screenshot().await.expect("png"));
    client.back().await.expect("back");

    // Download the XLSX matrix and the HTML report.
    for fmt in ["xlsx", "html"] {
        let link = client.find(Locator::Css(&format!("a[href$='/download/{fmt}']"))).await.expect("download link");
        let href = link.attr("href").await.expect("attr").expect("href");
        let (status, body) = http_get(&format!("{base}{href}"));
        assert_eq!(status, 200, "{fmt}");
        match fmt {
            "xlsx" => assert!(body.starts_with(b"PK")),
            _ => assert!(String::from_utf8_lossy(&body).contains("Browser review") || String::from_utf8_lossy(&body).contains("5.5.1")),
        }
    }
    client.close().await.expect("close");
    drop(driver);
}
