//! PDF by printing the HTML report with headless Chromium, when it is installed. The HTML goes to a
//! private temporary folder (never the reviewed folder); Chromium runs with networking features off and
//! a fresh profile, and is given two minutes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("PDF output needs Chromium: install it (Debian: apt-get install chromium) or set CROSSWALK_CHROMIUM to its path")]
    NoChromium,
    #[error("Chromium could not print the report: {0}")]
    Failed(String),
}

/// The Chromium binary: `CROSSWALK_CHROMIUM`, else the first of the usual names on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CROSSWALK_CHROMIUM") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Print `html` to PDF bytes. A report with a table of contents is printed twice: the first printing is read
/// back with poppler's `pdftotext` to find the page of each numbered section heading, and the numbers are
/// filled in before the second (without poppler the contents keep their links and no numbers).
pub fn html_to_pdf(html: &str) -> Result<Vec<u8>, PdfError> {
    let first = print_html(html)?;
    match fill_contents(html, &first) {
        Some(filled) => print_html(&filled),
        None => Ok(first),
    }
}

/// The text of each page of `pdf`, by poppler.
fn pages_text(pdf: &[u8]) -> Option<Vec<String>> {
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("first.pdf");
    std::fs::write(&path, pdf).ok()?;
    let out = Command::new("pdftotext").arg(&path).arg("-").stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.split('\x0c').map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")).collect())
}

/// `html` with the page number of each contents entry, found in the first printing `pdf`: entries are in
/// document order, so each is the first page, from the previous entry's page on, that holds its numbered
/// heading (a chart label or a summary table naming the same title earlier is passed over).
fn fill_contents(html: &str, pdf: &[u8]) -> Option<String> {
    const MARK: &str = "<span class=\"toc-page\" data-for=\"";
    if !html.contains(MARK) {
        return None;
    }
    let pages = pages_text(pdf)?;
    let contents = pages.iter().position(|p| p.contains("Contents"))?;
    let mut out = String::with_capacity(html.len() + 256);
    let mut from = contents + 1;
    let mut rest = html;
    while let Some(i) = rest.find(MARK) {
        let (before, tail) = rest.split_at(i);
        out.push_str(before);
        let end = tail.find("</span>")?;
        let span = &tail[..end];
        let title = span.split("data-title=\"").nth(1)?.split('"').next()?;
        let title = unescape(title).split_whitespace().collect::<Vec<_>>().join(" ");
        out.push_str(span);
        if let Some(i) = pages.iter().enumerate().skip(from).find(|(_, p)| p.contains(&title)).map(|(i, _)| i) {
            out.push_str(&(i + 1).to_string());
            from = i;
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    Some(out)
}

/// Undo askama's HTML escaping of an attribute value.
fn unescape(s: &str) -> String {
    [("&#39;", "'"), ("&quot;", "\""), ("&#34;", "\""), ("&lt;", "<"), ("&#60;", "<"), ("&gt;", ">"), ("&#62;", ">")]
        .iter()
        .fold(s.to_string(), |acc, (from, to)| acc.replace(from, to))
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

fn print_html(html: &str) -> Result<Vec<u8>, PdfError> {
    let chromium = find_chromium().ok_or(PdfError::NoChromium)?;
    let dir =
        tempfile::Builder::new().prefix("crosswalk-pdf-").tempdir().map_err(|e| PdfError::Failed(format!("temporary folder: {e}")))?;
    let html_path = dir.path().join("report.html");
    let pdf_path = dir.path().join("report.pdf");
    std::fs::write(&html_path, html).map_err(|e| PdfError::Failed(format!("temporary file: {e}")))?;
    print(&chromium, &html_path, &pdf_path, &dir.path().join("profile"))?;
    let bytes = std::fs::read(&pdf_path).map_err(|e| PdfError::Failed(format!("no PDF written: {e}")))?;
    if !bytes.starts_with(b"%PDF") {
        return Err(PdfError::Failed("output is not a PDF".into()));
    }
    Ok(bytes)
}

fn print(chromium: &Path, html: &Path, pdf: &Path, profile: &Path) -> Result<(), PdfError> {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--disable-extensions",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| PdfError::Failed(format!("cannot start {}: {e}", chromium.display())))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(PdfError::Failed(format!("exit status {status}"))),
            Ok(None) if start.elapsed() > Duration::from_secs(120) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PdfError::Failed("timed out after 120 s".into()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(PdfError::Failed(e.to_string())),
        }
    }
}
