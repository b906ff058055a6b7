//! Each format, on real files made by LibreOffice and pandoc (`tests/data/formats/README.md` says how):
//! the known sentence is found with the right locator and context, document-control metadata is read, and
//! broken files give a one-line reason of the right kind.

mod common;

use crosswalk::extract::ExtractError;
use crosswalk::model::{DocState, Extracted, Format};

const SENTENCE: &str = "Static code analysis with Semgrep runs on every merge request against the secure coding standard.";

fn load(name: &str) -> Result<(Format, Extracted), ExtractError> {
    let path = common::manifest().join("tests/data/formats").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // As a review reads it: PDFs through poppler's layout when pdftotext is installed.
    crosswalk::extract::extract_file(name, &bytes, Some((&path, std::time::Duration::from_secs(60))))
}

/// The block holding the sentence: (locator, heading context, header).
fn find(name: &str) -> (Format, Extracted, String, String, String) {
    let (format, x) = load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let b = x.blocks.iter().find(|b| b.text.contains(SENTENCE)).unwrap_or_else(|| panic!("{name}: sentence not found in {:#?}", x.blocks));
    let (loc, ctx, hdr) = (b.locator.to_string(), b.context.clone(), b.header.clone());
    (format, x, loc, ctx, hdr)
}

fn assert_control_block(name: &str, x: &Extracted) {
    assert_eq!(x.meta.doc_id.as_deref(), Some("FX-TST-001"), "{name} doc id");
    assert_eq!(x.meta.revision.as_deref(), Some("1.3"), "{name} revision");
    assert_eq!(x.meta.state, DocState::Approved, "{name} state");
}

#[test]
fn prose_formats_locate_the_sentence_under_its_heading() {
    for (name, format, locator) in [
        ("sample.md", Format::Markdown, "§ 2 Evidence (line 15)"),
        ("sample.docx", Format::Docx, "§ 2 Evidence"),
        ("sample.odt", Format::Odt, "§ 2 Evidence"),
        ("sample.html", Format::Html, "§ 2 Evidence"),
        ("sample.pdf", Format::Pdf, "p. 1"),
        ("sample.txt", Format::Text, "§ 2 Evidence (line 3)"),
        ("sample.pptx", Format::Pptx, "slide 2"),
    ] {
        let (f, x, loc, ctx, _) = find(name);
        assert_eq!(f, format, "{name}");
        assert_eq!(loc, locator, "{name}");
        assert_eq!(ctx, "2 Evidence", "{name}");
        if !matches!(name, "sample.txt" | "sample.pptx") {
            assert_control_block(name, &x);
        }
    }
    let (_, x, _, _, _) = find("sample.html");
    assert_eq!(x.meta.title.as_deref(), Some("FX-TST-001 Sample"));
}

#[test]
fn spreadsheets_give_rows_with_cells_and_headers() {
    for (name, format) in [("sample.xlsx", Format::Xlsx), ("sample.ods", Format::Ods), ("sample.csv", Format::Csv)] {
        let (f, x, loc, ctx, hdr) = find(name);
        assert_eq!(f, format, "{name}");
        assert_eq!(loc, "sample!A7", "{name}");
        assert_eq!(ctx, "sample", "{name}");
        assert_eq!(hdr, "Req ID | Requirement | Phase", "{name}");
        assert_control_block(name, &x);
        let row = x.blocks.iter().find(|b| b.text.contains(SENTENCE)).expect("row");
        assert_eq!(row.text, format!("SR-002 | {SENTENCE} | Implementation"), "{name}");
    }
}

#[test]
fn machine_readable_evidence_becomes_readable_records() {
    let (f, x) = load("sample.sarif").expect("sarif");
    assert_eq!(f, Format::Sarif);
    assert!(x.blocks.iter().any(|b| b.text.starts_with("Static analysis results (SARIF 2.1.0) from Semgrep")), "{:#?}", x.blocks);
    assert!(x.blocks.iter().any(|b| b.text.contains("Suppressed") && b.text.contains("DEV-0007")));

    let (f, x) = load("sample.cdx.json").expect("cyclonedx");
    assert_eq!(f, Format::Cyclonedx);
    assert!(x.blocks.iter().any(|b| b.text.starts_with("SBOM (CycloneDX 1.5) for FixtureApp 1.0.0")), "{:#?}", x.blocks);
    assert_eq!(x.blocks.iter().filter(|b| b.text.starts_with("Component ")).count(), 3);
    assert!(x.blocks.iter().any(|b| b.text.contains("analysis state not_affected")));

    let (f, x) = load("sample.spdx.json").expect("spdx");
    assert_eq!(f, Format::Spdx);
    assert_eq!(x.blocks.iter().filter(|b| b.text.starts_with("Package ")).count(), 2);

    let (f, x) = load("sample-junit.xml").expect("junit");
    assert_eq!(f, Format::Junit);
    let cases: Vec<&str> = x.blocks.iter().filter(|b| b.text.starts_with("Test case ")).map(|b| b.text.as_str()).collect();
    assert_eq!(cases.len(), 3);
    assert_eq!(cases.iter().filter(|c| c.contains(": failed")).count(), 1);
    assert_eq!(cases.iter().filter(|c| c.contains(": skipped")).count(), 1);
    assert!(cases.iter().all(|c| c.contains("requirements: SR-")), "{cases:#?}");

    let (f, x) = load("sample.yaml").expect("yaml");
    assert_eq!(f, Format::Yaml);
    assert!(x.blocks.iter().any(|b| b.text.contains("semgrep scan")));
}

#[test]
fn broken_files_give_one_line_reasons() {
    type Check = fn(&ExtractError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("truncated.pdf", |e| matches!(e, ExtractError::Corrupt(_))),
        ("encrypted.pdf", |e| matches!(e, ExtractError::Encrypted)),
        ("blank.pdf", |e| matches!(e, ExtractError::NoText(m) if m.contains("no text layer"))),
        ("empty.md", |e| matches!(e, ExtractError::NoText(_))),
        ("not-really.docx", |e| matches!(e, ExtractError::Corrupt(m) if m.contains("not a valid DOCX"))),
        ("legacy.doc", |e| matches!(e, ExtractError::Unsupported(m) if m.contains(".doc"))),
        ("image.png", |e| matches!(e, ExtractError::Unsupported(_))),
        ("invalid.json", |e| matches!(e, ExtractError::Corrupt(m) if m.contains("invalid JSON"))),
    ];
    for (name, ok) in cases {
        let err = load(name).err().unwrap_or_else(|| panic!("{name} should not extract"));
        assert!(ok(&err), "{name}: unexpected {err:?}");
        assert!(!err.to_string().contains('\n'), "{name}: reason must be one line");
    }
}

#[test]
fn the_contained_extractor_agrees_with_in_process_extraction() {
    let dir = common::manifest().join("tests/data/formats");
    let out = common::run(&["review", dir.to_str().expect("utf-8"), "--format", "json", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let docs = v["documents"].as_array().expect("documents");
    let get = |p: &str| docs.iter().find(|d| d["path"] == p).unwrap_or_else(|| panic!("{p}"));
    for name in ["sample.pdf", "sample.docx", "sample.odt", "sample.pptx", "sample.xlsx", "sample.ods"] {
        let d = get(name);
        assert_eq!(d["status"], "ok", "{name}");
        let (_, x) = load(name).expect("extracts");
        assert_eq!(d["chars"].as_u64(), Some(x.chars() as u64), "{name}: child and in-process extraction differ");
    }
    assert_eq!(get("encrypted.pdf")["status"], "skipped");
    assert_eq!(get("encrypted.pdf")["reason"], "encrypted or password-protected");
    assert_eq!(get("truncated.pdf")["status"], "error");
    assert_eq!(get("blank.pdf")["status"], "skipped");
}
