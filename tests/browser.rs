//! End to end in headless Chromium (Debian chromium + chromium-driver, driven over WebDriver by
//! fantoccini), as a reviewer works: browse a clause, start a review against it by uploading dev-set
//! documents, watch the live progress, filter the results by verdict and by gap severity, open a quote in
//! the evidence viewer, download the reports; then review an allowed folder in place, override a verdict
//! with a reason, change a cited document, read the folder again and see the decision marked suspect
//! (on the clause, the results table, the compare page and in the PDF). Screenshots of every step are
//! written to `target/screenshots/` for people to look at (the PDF's cover is rendered there too).

mod common;

use fantoccini::{Client, ClientBuilder, Locator};
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

/// The verdicts of the clause rows the filters leave visible.
async fn visible_rows(client: &Client, attr: &str) -> Vec<String> {
    let script = format!(
        "return Array.from(document.querySelectorAll('#clause-table tbody tr')).filter(r => !r.hidden).map(r => r.getAttribute('{attr}'));"
    );
    let v = client.execute(&script, vec![]).await.expect("script");
    v.as_array().expect("array").iter().map(|x| x.as_str().unwrap_or_default().to_string()).collect()
}

/// The element, once the page a click navigated to shows it (a click does not wait for the navigation).
async fn arrived(client: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    match client.wait().at_most(Duration::from_secs(30)).for_element(locator).await {
        Ok(e) => e,
        Err(e) => {
            let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            panic!("{locator:?} not found at {url}: {e}");
        }
    }
}

/// Wait for a review started in the browser to finish, or fail with the page it stopped on.
async fn wait_for_results(client: &Client, log: &std::path::Path) {
    if client.wait().at_most(Duration::from_secs(180)).for_element(Locator::Id("summary")).await.is_err() {
        let page = client.source().await.unwrap_or_default();
        let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        let log = std::fs::read_to_string(log).unwrap_or_default();
        panic!("no results at {url}:\n{page}\nserver log:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_in_the_browser() {
    let data = tempfile::tempdir().expect("tempdir");
    // A technical file the server may read in place: a copy of four dev-set documents.
    let docs = common::devset().join("docs").canonicalize().expect("dev set");
    let chosen = [
        "Engineering/Standards/WI-ENG-020 Merge Request Review and Static Analysis v1.4.md",
        "Engineering/Standards/SOP-ENG-012 Secure Coding Standard v2.1.odt",
        "Engineering/Build Artefacts/dc-gateway-3.2.0-sast.sarif",
        "Security/Testing/VVR-SEC-012 Security Verification Report DialyConnect 3.2.pdf",
    ];
    let folder = tempfile::tempdir().expect("folder");
    for f in chosen {
        let name = std::path::Path::new(f).file_name().expect("name");
        std::fs::copy(docs.join(f), folder.path().join(name)).expect("copy");
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_crosswalk"))
        .args(["serve", "--port", "0", "--allow-dir"])
        .arg(folder.path())
        .arg("--data-dir")
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(data.path().join("server.log")).expect("log"))
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
    // Only this run's screenshots: an old one left beside them would mislead whoever looks.
    for old in std::fs::read_dir(&shots).expect("screenshots").flatten() {
        if old.path().extension().is_some_and(|e| e == "png") {
            let _ = std::fs::remove_file(old.path());
        }
    }
    let shot = |name: &'static str, png: Vec<u8>| std::fs::write(shots.join(format!("{name}.png")), png).expect("screenshot");

    // Browse: the index, then clause 5.5.1.
    client.goto(&format!("{base}/")).await.expect("index");
    shot("01-index", client.screenshot().await.expect("png"));
    client.find(Locator::Css("a[href='/clause/5.5.1']")).await.expect("clause link").click().await.expect("click");
    arrived(&client, Locator::Css("a[href='/review/new?clause=5.5.1']")).await;
    let h1 = client.find(Locator::Css("h1")).await.expect("h1").text().await.expect("text");
    assert_eq!(h1, "Secure coding standards");
    shot("02-clause", client.screenshot().await.expect("png"));

    // "Review your documents against this clause": upload three dev-set documents.
    client.find(Locator::Css("a[href='/review/new?clause=5.5.1']")).await.expect("review link").click().await.expect("click");
    arrived(&client, Locator::Id("files")).await;
    let files: Vec<String> = chosen.iter().map(|f| docs.join(f).display().to_string()).collect();
    client.find(Locator::Css("input[name='label']")).await.expect("label").send_keys("Browser review").await.expect("type");
    client.find(Locator::Id("files")).await.expect("file input").send_keys(&files.join("\n")).await.expect("choose files");
    shot("03-new-review", client.screenshot().await.expect("png"));
    client.find(Locator::Id("start")).await.expect("start").click().await.expect("submit");

    // Live progress, then the summary.
    wait_for_results(&client, &data.path().join("server.log")).await;
    let url = client.current_url().await.expect("url");
    assert!(url.as_str().contains("focus=5.5.1"), "{url}");
    shot("04-results", client.screenshot().await.expect("png"));
    let focused = client.find(Locator::Css("tr.focus td a")).await.expect("focused clause").text().await.expect("text");
    assert_eq!(focused, "5.5.1");

    // Filter by verdict: the "met" tile leaves only met clauses; then by gap severity.
    let all = visible_rows(&client, "data-verdict").await;
    client.find(Locator::Css("button.tile[data-verdict='met']")).await.expect("met tile").click().await.expect("click");
    let met = visible_rows(&client, "data-verdict").await;
    assert!(!met.is_empty() && met.len() < all.len(), "met {} of {}", met.len(), all.len());
    assert!(met.iter().all(|v| v == "met"), "{met:?}");
    shot("05-filter-met", client.screenshot().await.expect("png"));
    client.find(Locator::Id("f-verdict")).await.expect("verdict select").select_by_value("").await.expect("all verdicts");
    client.find(Locator::Id("f-severity")).await.expect("severity select").select_by_value("critical").await.expect("critical");
    let critical = visible_rows(&client, "data-severities").await;
    assert!(!critical.is_empty() && critical.len() < all.len(), "critical {} of {}", critical.len(), all.len());
    assert!(critical.iter().all(|s| s.split_whitespace().any(|x| x == "critical")), "{critical:?}");
    let count = client.find(Locator::Id("f-count")).await.expect("count").text().await.expect("text");
    assert!(count.starts_with(&format!("{} of {} clauses", critical.len(), all.len())), "{count}");
    // The gap list follows the same filter: only critical gaps are left.
    let script = "return Array.from(document.querySelectorAll('#gap-table tbody tr')).filter(r => !r.hidden).map(r => r.getAttribute('data-severities'));";
    let gaps = client.execute(script, vec![]).await.expect("script");
    let gaps: Vec<&str> = gaps.as_array().expect("array").iter().filter_map(|x| x.as_str()).collect();
    assert!(!gaps.is_empty() && gaps.iter().all(|s| *s == "critical"), "{gaps:?}");
    shot("06-filter-critical", client.screenshot().await.expect("png"));

    // Clear the filter; then the detail of clause 5.5.1, on demand.
    client.find(Locator::Id("f-severity")).await.expect("severity select").select_by_value("").await.expect("any");
    assert_eq!(visible_rows(&client, "data-verdict").await.len(), all.len());
    client.find(Locator::Css("tr.focus td a")).await.expect("link").click().await.expect("click");
    arrived(&client, Locator::Id("decide")).await;
    let detail = client.source().await.expect("source");
    assert!(detail.contains("v-met") && detail.contains("WI-ENG-020") && detail.contains("<blockquote>"), "clause detail");
    shot("07-clause-detail", client.screenshot().await.expect("png"));

    // A quote opens the evidence viewer: the passage highlighted among its neighbours, the document's hash.
    let quote = client.find(Locator::Css("a.quote")).await.expect("quote");
    let quoted = quote.text().await.expect("text");
    quote.click().await.expect("click");
    let marked = arrived(&client, Locator::Css(".passage.focus mark")).await.text().await.expect("text");
    let head: String = quoted.trim_matches(|c| c == '“' || c == '”').chars().take(30).collect();
    assert!(!head.is_empty() && marked.contains(head.trim()), "quote {quoted:?} not highlighted in {marked:?}");
    let passages = client.find_all(Locator::Css(".viewer .passage")).await.expect("passages").len();
    assert!(passages > 1, "only the passage itself is shown");
    let meta = client.find(Locator::Id("doc-meta")).await.expect("meta").text().await.expect("text");
    assert!(meta.split_whitespace().any(|w| w.len() == 64 && w.chars().all(|c| c.is_ascii_hexdigit())), "{meta}");
    shot("08-evidence-viewer", client.screenshot().await.expect("png"));
    client.goto(url.as_str()).await.expect("back to the results");

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

    // The same documents as an allowed folder, read in place.
    client.goto(&format!("{base}/review/new")).await.expect("new review");
    client.find(Locator::Css("input[name='label']")).await.expect("label").send_keys("Folder review").await.expect("type");
    client.find(Locator::Css("input[name='dir'][value='0']")).await.expect("allowed folder").click().await.expect("choose");
    client.find(Locator::Id("start")).await.expect("start").click().await.expect("submit");
    wait_for_results(&client, &data.path().join("server.log")).await;
    let first_run = client.current_url().await.expect("url").to_string();

    // Override 5.5.1's verdict with a reason and a name.
    client.find(Locator::Css("#row-5\\.5\\.1 td a")).await.expect("5.5.1 row").click().await.expect("click");
    arrived(&client, Locator::Id("decide")).await;
    let cited: Vec<String> = {
        let mut v = Vec::new();
        for s in client.find_all(Locator::Css("blockquote .src")).await.expect("sources") {
            v.push(s.text().await.expect("text"));
        }
        v
    };
    let changed = "WI-ENG-020 Merge Request Review and Static Analysis v1.4.md";
    assert!(cited.iter().any(|s| s.contains(changed)), "the Markdown work instruction is not cited: {cited:?}");
    client.find(Locator::Id("verdict")).await.expect("verdict").select_by_value("partial").await.expect("partial");
    client
        .find(Locator::Id("reason"))
        .await
        .expect("reason")
        .send_keys("Static analysis findings are not triaged in the cited record.")
        .await
        .expect("type");
    client.find(Locator::Id("by")).await.expect("by").send_keys("R. Reviewer").await.expect("type");
    client.execute("document.getElementById('decide').scrollIntoView();", vec![]).await.expect("scroll");
    shot("09-decision-form", client.screenshot().await.expect("png"));
    client.find(Locator::Id("save-decision")).await.expect("save").click().await.expect("submit");
    let decision = arrived(&client, Locator::Id("decision")).await.text().await.expect("text");
    assert!(decision.contains("Changed to") && decision.contains("R. Reviewer") && decision.contains("not triaged"), "{decision}");
    assert!(client.find(Locator::Id("suspect")).await.is_err(), "a fresh decision is not suspect");
    shot("10-decision", client.screenshot().await.expect("png"));

    // A cited document changes; reading the folder again makes the decision suspect.
    let mut md = std::fs::read_to_string(folder.path().join(changed)).expect("read");
    md.push_str("\n\nRevision 1.5: the merge request template gained a security checklist.\n");
    std::fs::write(folder.path().join(changed), md).expect("change a cited document");
    client.goto(&first_run).await.expect("first run");
    client.find(Locator::Css("#again button")).await.expect("read again").click().await.expect("submit");
    // The old page has results too: wait until the browser is on the new run's page.
    for _ in 0..200 {
        if client.current_url().await.expect("url").as_str() != first_run {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(client.current_url().await.expect("url").to_string(), first_run, "a new run");
    wait_for_results(&client, &data.path().join("server.log")).await;
    let reviewer = client.find(Locator::Css("#row-5\\.5\\.1 td.suspect")).await.expect("suspect in the table").text().await.expect("text");
    assert!(reviewer.contains("R. Reviewer"), "{reviewer}");
    let note = client.find(Locator::Id("suspect-note")).await.expect("suspect decisions named at the top").text().await.expect("text");
    assert!(note.contains("5.5.1"), "{note}");
    shot("11-results-after-change", client.screenshot().await.expect("png"));
    client.find(Locator::Css("#row-5\\.5\\.1 td a")).await.expect("5.5.1 row").click().await.expect("click");
    arrived(&client, Locator::Id("suspect")).await;
    let top = client.find(Locator::Id("decision-top")).await.expect("decision named under the title").text().await.expect("text");
    assert!(top.contains("suspect"), "{top}");
    let suspect = client.find(Locator::Id("suspect")).await.expect("decision marked suspect").text().await.expect("text");
    assert!(suspect.contains(changed), "{suspect}");
    shot("12-suspect", client.screenshot().await.expect("png"));
    client.back().await.expect("back");

    // Compare the two runs: the decision made suspect is listed.
    let first_id = first_run.rsplit('/').next().expect("id").to_string();
    client.find(Locator::Css("form[action='/compare'] select")).await.expect("runs").select_by_value(&first_id).await.expect("first run");
    client.find(Locator::Css("form[action='/compare'] button")).await.expect("compare").click().await.expect("submit");
    let listed = arrived(&client, Locator::Css("ul#suspect")).await.text().await.expect("text");
    assert!(listed.contains("5.5.1"), "{listed}");
    shot("13-compare", client.screenshot().await.expect("png"));
    client.back().await.expect("back");

    // Download the PDF: the decision and its suspect mark are in the auditor's report.
    let link = client.find(Locator::Css("a[href$='/download/pdf']")).await.expect("PDF link");
    let href = link.attr("href").await.expect("attr").expect("href");
    let (status, body) = http_get(&format!("{base}{href}"));
    assert_eq!(status, 200);
    assert!(body.starts_with(b"%PDF"), "not a PDF");
    let out = tempfile::tempdir().expect("tempdir");
    let pdf = out.path().join("report.pdf");
    std::fs::write(&pdf, &body).expect("write");
    let text = Command::new("pdftotext").args(["-layout"]).arg(&pdf).arg("-").output().expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("R. Reviewer") && text.contains("Suspect"), "the decision is not in the PDF");
    let cover = Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(shots.join("14-pdf-cover"))
        .status()
        .expect("pdftoppm");
    assert!(cover.success());
    client.close().await.expect("close");
    drop(driver);
}
