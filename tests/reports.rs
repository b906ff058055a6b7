//! Every report format, produced from the dev set and checked by a real consumer: compliance-trestle
//! parses the OSCAL, the OASIS schema validates the SARIF, LibreOffice opens the XLSX, Chromium prints the
//! PDF (read back with pdftotext). `scripts/setup-test-deps` installs them.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> PathBuf {
    let p = manifest().join(".ci/venv/bin/python");
    assert!(p.is_file(), "{} is missing: run scripts/setup-test-deps", p.display());
    p
}

fn tool(name: &str) -> PathBuf {
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if dir.join(name).is_file() {
            return dir.join(name);
        }
    }
    panic!("{name} is not installed: run scripts/setup-test-deps");
}

fn review_to(format: &str, out: &Path, extra: &[&str]) {
    let docs = devset().join("docs");
    let mut args = vec!["review", docs.to_str().expect("utf-8"), "--quiet", "--format", format, "--output", out.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
}

fn py(script: &str, args: &[&Path]) -> String {
    let out = Command::new(python()).arg("-c").arg(script).args(args).output().expect("python runs");
    assert!(
        out.status.success(),
        "python check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn oscal_catalog_results_and_mappings_parse_with_trestle() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ar = tmp.path().join("ar.json");
    review_to("oscal", &ar, &[]);
    let cat = tmp.path().join("catalog.json");
    let map = tmp.path().join("mapping.json");
    for (fmt, path) in [("oscal", &cat), ("oscal-mapping", &map)] {
        let o = run(&["catalog", "export", "--format", fmt]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        std::fs::write(path, &o.stdout).expect("write");
    }
    let script = r##"
import json, sys
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.catalog import Catalog
from trestle.oscal.mapping import MappingCollection
ar = AssessmentResults.model_validate(json.load(open(sys.argv[1]))["assessment-results"])
cat = Catalog.model_validate(json.load(open(sys.argv[2]))["catalog"])
mc = MappingCollection.model_validate(json.load(open(sys.argv[3]))["mapping-collection"])
parts = set()
for g in cat.groups:
    for c in g.controls:
        for p in c.parts or []:
            parts.add(p.id)
res = ar.results[0]
targets = [f.target.target_id for f in res.findings]
missing = [t for t in targets if t not in parts]
assert not missing, missing
resources = {str(r.uuid) for r in ar.back_matter.resources}
cited = [e.href for o in res.observations for e in (o.relevant_evidence or [])]
assert cited and all(h.startswith("#") and h[1:] in resources for h in cited), cited[:3]
print(len(res.findings), len(cited), sum(len(m.maps) for m in mc.mappings))
"##;
    let out = py(script, &[&ar, &cat, &map]);
    let counts: Vec<usize> = out.split_whitespace().map(|n| n.parse().expect("number")).collect();
    assert_eq!(counts[0], 56, "one finding per clause");
    assert!(counts[1] > 50, "observations cite evidence");
    assert!(counts[2] > 100, "crosswalk maps");
    // UUIDs are v4/v5 and ids are NCName tokens.
    let v: Value = serde_json::from_slice(&std::fs::read(&ar).expect("read")).expect("json");
    let text = v.to_string();
    let uuid = regex::Regex::new(r#""uuid":"([0-9a-f-]{36})""#).expect("regex");
    for m in uuid.captures_iter(&text) {
        assert_eq!(&m[1][14..15], "5", "uuid v5: {}", &m[1]);
    }
    assert!(!text.contains(r#""control-id":"5."#));
}

#[test]
fn sarif_validates_against_the_oasis_schema_and_is_stable() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = tmp.path().join("a.sarif");
    let b = tmp.path().join("b.sarif");
    review_to("sarif", &a, &[]);
    review_to("sarif", &b, &[]);
    let schema = shared().join("reference/schemas/sarif-schema-2.1.0.json");
    let script = r#"
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
schema = json.load(open(sys.argv[2]))
jsonschema.validate(doc, schema)
run = doc["runs"][0]
rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
for r in run["results"]:
    assert r["ruleId"] in rules, r["ruleId"]
    assert len(r["locations"]) >= 1
    assert r["partialFingerprints"]
print(len(run["results"]))
"#;
    let n: usize = py(script, &[&a, &schema]).trim().parse().expect("count");
    let gaps: usize = {
        let v = review_json(&devset().join("docs"), &[]);
        v["clauses"].as_array().expect("clauses").iter().map(|c| c["gaps"].as_array().map(Vec::len).unwrap_or(0)).sum()
    };
    assert_eq!(n, gaps, "one SARIF result per gap");
    let strip = |p: &Path| {
        let mut v: Value = serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json");
        v["runs"][0]["invocations"] = Value::Null;
        v
    };
    assert_eq!(strip(&a), strip(&b), "rule ids, fingerprints and results are stable across runs");
    let text = std::fs::read_to_string(&a).expect("read");
    assert!(text.contains("no file associated with this alert"), "missing clauses use the sentinel location");
}

#[test]
fn xlsx_opens_in_libreoffice_with_filters_and_frozen_headers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let x = tmp.path().join("matrix.xlsx");
    review_to("xlsx", &x, &[]);
    // LibreOffice converts the first sheet (the matrix) to CSV: it opened the workbook.
    let out = Command::new(tool("soffice"))
        .args(["--headless", "--norestore", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir"])
        .arg(tmp.path())
        .arg(&x)
        .env("HOME", tmp.path())
        .output()
        .expect("soffice runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8_lossy(&std::fs::read(tmp.path().join("matrix.csv")).expect("LibreOffice wrote the CSV")).into_owned();
    assert!(csv.starts_with("Clause,Title,Verdict,Constraint,Constraint text,Status,Document"), "{}", &csv[..200.min(csv.len())]);
    assert!(csv.contains("5.5.1-c5") && csv.contains("WI-ENG-020"));
    // Filters and frozen header rows on every data sheet.
    let bytes = std::fs::read(&x).expect("read");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    for i in 1..=4 {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(&format!("xl/worksheets/sheet{i}.xml")).expect("sheet"), &mut s).expect("read");
        assert!(s.contains("<autoFilter") && s.contains(r#"state="frozen""#), "sheet{i} lacks filter or frozen pane");
    }
    // Our own reader sees the five sheets.
    let (_, ex) = crosswalk::extract::extract("matrix.xlsx", &std::fs::read(&x).expect("read")).expect("extracts");
    let sheets: std::collections::BTreeSet<String> = ex.blocks.iter().map(|b| b.context.clone()).collect();
    for s in ["Matrix", "Gaps", "Refused", "Documents", "About"] {
        assert!(sheets.contains(s), "sheet {s}");
    }
}

#[test]
fn csv_matrix_matches_the_xlsx_header() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = tmp.path().join("m.csv");
    review_to("csv", &c, &[]);
    let text = std::fs::read_to_string(&c).expect("read");
    assert!(text.starts_with(
        "Clause,Title,Verdict,Constraint,Constraint text,Status,Document,Document ID,Revision,Locator,Quote,Score,Strength,Passage,Source revision\r\n"
    ));
    assert!(text.lines().count() > 200);
}

#[test]
fn pdf_is_printed_by_chromium() {
    let _ = tool("chromium");
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path().join("r.pdf");
    review_to("pdf", &p, &["--detail", "summary"]);
    let bytes = std::fs::read(&p).expect("read");
    assert!(bytes.starts_with(b"%PDF"));
    let out = Command::new(tool("pdftotext")).arg(&p).arg("-").output().expect("pdftotext");
    let text = String::from_utf8_lossy(&out.stdout);
    for s in ["DialyConnect", "Coverage statement", "Gaps to close", "crosswalk"] {
        assert!(text.contains(s), "PDF lacks {s:?}");
    }
}

#[test]
fn html_is_self_contained_and_escapes_document_text() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pack = tmp.path().join("pack");
    std::fs::create_dir(&pack).expect("mkdir");
    std::fs::write(
        pack.join("WI-1 Review.txt"),
        "WI-1 Review\n\n4 Static analysis\n\nEvery merge request runs Semgrep <script>alert(1)</script> with rules mapped to the secure coding standard.\n",
    )
    .expect("write");
    let out = tmp.path().join("r.html");
    let o = run(&[
        "review",
        pack.to_str().expect("utf-8"),
        "--quiet",
        "--format",
        "html",
        "--output",
        out.to_str().expect("utf-8"),
        "--product",
        "Evil<b>Product",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(&out).expect("read");
    assert!(!html.contains("<script"), "no script, and document text is escaped");
    let escaped = |s: &str| s.replace('<', "&#60;").replace('>', "&#62;");
    assert!(html.contains(&escaped("<script>alert(1)</script>")), "the quote is shown, escaped");
    assert!(html.contains(&escaped("Evil<b>Product")) && !html.contains("Evil<b>Product"));
    for fetch in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
        assert!(!html.contains(fetch), "the report must not fetch anything ({fetch})");
    }
    let summary = tmp.path().join("s.html");
    run(&[
        "review",
        pack.to_str().expect("utf-8"),
        "--quiet",
        "--format",
        "html",
        "--detail",
        "summary",
        "--output",
        summary.to_str().expect("utf-8"),
    ]);
    let s = std::fs::read_to_string(&summary).expect("read");
    assert!(s.contains("Gaps to close") && !s.contains("Document inventory"));
    assert!(html.contains("Document inventory"));
}

#[test]
fn diff_names_lost_evidence_and_changed_verdicts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let copy = tmp.path().join("docs");
    copy_dir(&devset().join("docs"), &copy);
    let old = tmp.path().join("old.json");
    let new = tmp.path().join("new.json");
    let o = run(&["review", copy.to_str().expect("utf-8"), "--quiet", "--format", "json", "--output", old.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0));
    std::fs::remove_file(copy.join("Engineering/Standards/WI-ENG-020 Merge Request Review and Static Analysis v1.4.md")).expect("rm");
    let o = run(&["review", copy.to_str().expect("utf-8"), "--quiet", "--format", "json", "--output", new.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&run(&["diff", old.to_str().expect("utf-8"), new.to_str().expect("utf-8")]));
    assert!(text.contains("WI-ENG-020 rev 1.4 no longer evidences 5.5.2"), "{text}");
    assert!(text.contains("removed: Engineering/Standards/WI-ENG-020"), "{text}");
    let v: Value =
        serde_json::from_slice(&run(&["diff", old.to_str().expect("utf-8"), new.to_str().expect("utf-8"), "--format", "json"]).stdout)
            .expect("json");
    assert_eq!(v["schema"], "crosswalk.diff/1");
    assert!(v["evidence"].as_array().expect("evidence").iter().any(|e| e["change"] == "lost" && e["clause"] == "5.5.1"));
    // Same review twice: no change.
    let same = stdout(&run(&["diff", old.to_str().expect("utf-8"), old.to_str().expect("utf-8")]));
    assert!(same.contains("No change"), "{same}");
    // Not a review.
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{}").expect("write");
    let o = run(&["diff", bad.to_str().expect("utf-8"), old.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.json"));
}

#[test]
fn fail_on_gates_exit_1_only_when_findings_reach_the_level() {
    let docs = devset().join("docs");
    let d = docs.to_str().expect("utf-8");
    for level in ["missing", "partial", "critical", "major"] {
        let o = run(&["review", d, "--quiet", "--format", "json", "--fail-on", level]);
        assert_eq!(o.status.code(), Some(1), "--fail-on {level}: {}", stderr(&o));
        assert!(stderr(&o).contains("gate failed"), "{}", stderr(&o));
    }
    // With a catalog of one clause the dev set meets, nothing trips the gate.
    let tmp = tempfile::tempdir().expect("tempdir");
    for name in ["catalog.toml", "5.5.1.toml"] {
        std::fs::copy(manifest().join("catalog/iec-81001-5-1").join(name), tmp.path().join(name)).expect("copy");
    }
    for level in ["missing", "partial", "critical", "major"] {
        let o = run(&["review", d, "--quiet", "--format", "json", "--catalog", tmp.path().to_str().expect("utf-8"), "--fail-on", level]);
        assert_eq!(o.status.code(), Some(0), "--fail-on {level}: {}", stderr(&o));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// What an auditor is handed: a cover with the report number and an approval block, contents with page numbers,
/// table headers repeated on every page a table continues on, the full SHA-256 of every document, every cited
/// passage once in the appendix, quotes cut only between words.
#[test]
fn auditor_pdf_is_a_controlled_document() {
    let _ = tool("chromium");
    let tmp = tempfile::tempdir().expect("tempdir");
    let pdf = tmp.path().join("r.pdf");
    review_to("pdf", &pdf, &[]);
    let out = Command::new(tool("pdftotext")).args(["-layout"]).arg(&pdf).arg("-").output().expect("pdftotext");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let pages: Vec<&str> = text.split('\x0c').collect();
    let v = review_json(&devset().join("docs"), &[]);
    let number = v["report_number"].as_str().expect("report number");
    assert!(pages[0].contains(number), "the cover names report {number}");
    for role in ["Prepared by", "Reviewed by", "Approved by"] {
        assert!(pages[0].contains(role), "approval block lacks {role}");
    }
    // Contents: each entry ends with the page its heading is printed on.
    let contents = pages.iter().position(|p| p.contains("Contents")).expect("contents page");
    let entries: Vec<(String, usize)> = pages[contents]
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let (title, page) = l.rsplit_once(' ')?;
            Some((title.trim().to_string(), page.parse().ok()?))
        })
        .filter(|(t, _)| t.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect();
    assert!(entries.len() >= 8, "contents with page numbers: {:?}", pages[contents]);
    for (title, page) in &entries {
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(norm(pages[page - 1]).contains(&norm(title)), "{title} is on page {page}");
    }
    // The full hash of every document, unbroken.
    for d in v["documents"].as_array().expect("documents") {
        let sha = d["sha256"].as_str().expect("sha");
        assert!(text.contains(sha), "full SHA-256 of {}", d["path"]);
    }
    // Every page the inventory continues on repeats its header.
    let first = pages.iter().position(|p| p.contains("Document inventory") && p.contains("Rev.")).expect("inventory");
    let last = pages.iter().position(|p| p.contains("Cited passages") && p.contains("Every passage cited above")).expect("appendix");
    assert!(last > first + 1 || pages[first].contains("SHA-256"), "inventory printed");
    for p in &pages[first..last] {
        if p.contains("SHA-256 ") {
            assert!(p.lines().any(|l| l.contains("Document") && l.contains("Rev.") && l.contains("Status")), "header repeated:\n{p}");
        }
    }
    assert!(!text.contains("name_only") && !text.contains("more cited passages in the XLSX"), "no internal codes, self-contained");
}

#[test]
fn every_cited_passage_appears_once_and_quotes_end_between_words() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let html = tmp.path().join("r.html");
    review_to("html", &html, &[]);
    let page = std::fs::read_to_string(&html).expect("read");
    let unescape =
        |s: &str| s.replace("&#34;", "\"").replace("&#39;", "'").replace("&#60;", "<").replace("&#62;", ">").replace("&#38;", "&");
    // The appendix: id → full quote.
    let mut full = std::collections::HashMap::new();
    for part in page.split("<li id=\"E").skip(1) {
        let id = format!("E{}", part.split('"').next().expect("id"));
        let quote = part.split("<blockquote class=\"full\">“").nth(1).and_then(|q| q.split("”</blockquote>").next()).expect("full quote");
        assert!(full.insert(id.clone(), unescape(quote)).is_none(), "{id} listed twice");
    }
    assert!(full.len() > 50, "{} cited passages", full.len());
    let mut cut = 0;
    for part in page.split("<q class=\"short\" data-e=\"").skip(1) {
        let id = part.split('"').next().expect("id");
        let short = unescape(part.split("\">").nth(1).and_then(|q| q.split("</q>").next()).expect("short quote"));
        let whole = full.get(id).unwrap_or_else(|| panic!("{id} is in the appendix"));
        if let Some(head) = short.strip_suffix('…') {
            cut += 1;
            assert!(whole.starts_with(head), "{id}: {head:?} is the start of {whole:?}");
            let next = whole[head.len()..].chars().next().expect("more text after the cut");
            let last = head.chars().last().expect("text before the cut");
            assert!(!(last.is_alphanumeric() && next.is_alphanumeric()), "{id} cut inside a word: {short:?}");
        } else {
            assert_eq!(&short, whole);
        }
    }
    assert!(cut > 0, "some quotes are long enough to be cut");
}
