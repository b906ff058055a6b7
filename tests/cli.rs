//! The binary end to end: exit codes, one-line errors, read-only sources, skip-and-continue on bad files,
//! contained extraction, and the `crosswalk.review/1` JSON contract on the labelled dev set.

mod common;

use common::*;
use serde_json::Value;
use std::io::Write as _;

fn write(dir: &std::path::Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, bytes).expect("write");
}

const GOOD: &str = "# WI-ENG-001 Code review\n\n| Field | Value |\n|---|---|\n| Document ID | WI-ENG-001 |\n| Status | Approved |\n\n## 3 Static analysis\n\nEvery merge request runs Semgrep with rules mapped to the secure coding standard SOP-ENG-002.\n";

#[test]
fn corrupt_files_are_listed_and_the_review_goes_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "good.md", GOOD.as_bytes());
    write(tmp.path(), "Reports/Static Analysis summary.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer <<>>\n%%EOF");
    write(tmp.path(), "Reports/not-a-docx.docx", b"this is plain text, not a zip");
    write(tmp.path(), "Reports/empty.md", b"");
    write(tmp.path(), "photo.png", &[0x89, b'P', b'N', b'G', 13, 10, 26, 10]);
    let out = run(&["review", tmp.path().to_str().expect("utf-8"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let docs = v["documents"].as_array().expect("documents");
    let status = |path: &str| docs.iter().find(|d| d["path"] == path).unwrap_or_else(|| panic!("{path} listed"));
    assert_eq!(status("good.md")["status"], "ok");
    assert_eq!(status("Reports/Static Analysis summary.pdf")["status"], "error");
    assert_eq!(status("Reports/not-a-docx.docx")["status"], "error");
    assert_eq!(status("Reports/empty.md")["status"], "skipped");
    assert_eq!(status("photo.png")["status"], "skipped");
    assert_eq!(status("photo.png")["reason"], "unsupported format (.png)");
    for d in docs.iter().filter(|d| d["status"] != "ok") {
        let reason = d["reason"].as_str().expect("reason");
        assert!(!reason.is_empty() && !reason.contains('\n'), "one-line reason for {}: {reason:?}", d["path"]);
    }
    // The errors are also one line each on stderr, naming the file.
    let err = stderr(&out);
    assert!(err.lines().any(|l| l.contains("Reports/Static Analysis summary.pdf") && l.contains("PDF")), "{err}");
    // The good document still evidences its constraint.
    let c = v["clauses"].as_array().expect("clauses").iter().find(|c| c["id"] == "5.5.1").expect("5.5.1");
    let c5 = c["constraints"].as_array().expect("constraints").iter().find(|k| k["id"] == "5.5.1-c5").expect("c5");
    assert_eq!(c5["status"], "covered");
    // A file whose name matches the clause but that cannot be read is refused as no_text.
    assert!(
        c["rejected"]
            .as_array()
            .expect("rejected")
            .iter()
            .any(|r| r["document"] == "Reports/Static Analysis summary.pdf" && r["reason"] == "no_text")
    );
}

#[test]
fn the_extraction_cache_is_reused_verified_and_never_stale() {
    let docs = tempfile::tempdir().expect("tempdir");
    let cache = tempfile::tempdir().expect("tempdir");
    write(docs.path(), "WI-ENG-001.md", GOOD.as_bytes());
    write(docs.path(), "notes.txt", b"Penetration testing is planned for next year.\n");
    let dir = cache.path().to_str().expect("utf-8");
    let strip = |mut v: Value| {
        v["started"] = Value::Null;
        v["finished"] = Value::Null;
        v
    };
    let cold = strip(review_json(docs.path(), &["--cache-dir", dir]));
    let db = cache.path().join("extract-v1.sqlite");
    assert!(db.is_file(), "no cache file written");
    let warm = strip(review_json(docs.path(), &["--cache-dir", dir]));
    assert_eq!(cold, warm, "a warm review must equal the cold one");
    let none = strip(review_json(docs.path(), &["--no-cache"]));
    assert_eq!(cold, none, "the cache must not change a review");

    // A changed document is read again: its new content is what the review sees.
    write(docs.path(), "notes.txt", b"Static analysis is not yet performed on the gateway.\n");
    let changed = review_json(docs.path(), &["--cache-dir", dir]);
    // A field of notes.txt in a review.
    let notes = |v: &Value, key: &str| {
        v["documents"].as_array().expect("documents").iter().find(|d| d["path"] == "notes.txt").map(|d| d[key].clone())
    };
    assert_ne!(notes(&changed, "sha256"), notes(&cold, "sha256"), "the changed file must be hashed and read again");
    assert_eq!(
        notes(&changed, "chars"),
        Some(Value::from("Static analysis is not yet performed on the gateway.".len())),
        "stale extraction served from the cache"
    );
    assert_ne!(notes(&changed, "chars"), notes(&cold, "chars"));

    // A cache file that is not a database is set aside and rebuilt; the review is the same.
    let _ = std::fs::remove_file(cache.path().join("extract-v1.sqlite-wal"));
    let _ = std::fs::remove_file(cache.path().join("extract-v1.sqlite-shm"));
    std::fs::write(&db, b"garbage, not SQLite").expect("corrupt");
    let rebuilt = review_json(docs.path(), &["--cache-dir", dir]);
    assert_eq!(strip(rebuilt), strip(changed));
    assert!(cache.path().join("extract-v1.sqlite.corrupt").exists());

    // A cache inside the reviewed folder is refused before anything is written there.
    let before = snapshot(docs.path());
    let inside = docs.path().join("cache");
    let out = run(&["review", docs.path().to_str().expect("utf-8"), "--quiet", "--cache-dir", inside.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("inside the reviewed folder"), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
    assert_eq!(snapshot(docs.path()), before, "the reviewed folder was written");
}

#[test]
fn a_zip_bomb_is_refused_with_a_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("[Content_Types].xml", opts).expect("start");
        zip.write_all(b"<Types/>").expect("write");
        zip.start_file("word/document.xml", opts).expect("start");
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..80 {
            zip.write_all(&chunk).expect("write");
        }
        zip.finish().expect("finish");
    }
    write(tmp.path(), "bomb.docx", buf.get_ref());
    // Beside a readable document (a review in which nothing can be read gives no verdicts at all).
    write(tmp.path(), "good.md", GOOD.as_bytes());
    let v = review_json(tmp.path(), &[]);
    let d = v["documents"].as_array().expect("documents").iter().find(|d| d["path"] == "bomb.docx").expect("bomb listed");
    assert_eq!(d["status"], "error");
    let reason = d["reason"].as_str().expect("reason");
    assert!(reason.contains("zip bomb") || reason.contains("limit"), "{reason}");
}

#[test]
fn sources_are_never_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "docs/good.md", GOOD.as_bytes());
    write(tmp.path(), "docs/crosswalk.toml", b"product = \"Widget\"\n");
    let before = snapshot(tmp.path());
    let docs = tmp.path().join("docs");
    let inside = docs.join("report.json");
    let out = run(&["review", docs.to_str().expect("utf-8"), "--format", "json", "--output", inside.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("refusing to write inside the reviewed folder"), "{}", stderr(&out));
    let outside = tempfile::tempdir().expect("tempdir");
    let report = outside.path().join("r.json");
    let out = run(&["review", docs.to_str().expect("utf-8"), "--format", "json", "--quiet", "--output", report.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&std::fs::read(&report).expect("report written")).expect("json");
    assert_eq!(v["product"], "Widget", "crosswalk.toml in the reviewed folder is read");
    assert_eq!(snapshot(tmp.path()), before, "the reviewed folder changed");
}

#[test]
fn the_report_never_replaces_a_reviewed_document() {
    // Reproduces the reported defects: `review a.md -o a.md` replaced a.md; an output path that is a link
    // into the reviewed folder overwrote the document it points to; an unwritable -o was reported only
    // after the whole review.
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "docs/a.md", GOOD.as_bytes());
    let a = tmp.path().join("docs/a.md");
    let a_str = a.to_str().expect("utf-8");
    let out = run(&["review", a_str, "--format", "json", "-o", a_str]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("it is the reviewed document itself"), "{}", stderr(&out));
    let link = tmp.path().join("report.json");
    std::os::unix::fs::symlink(&a, &link).expect("link");
    let docs = tmp.path().join("docs");
    for root in [docs.to_str().expect("utf-8"), a_str] {
        let out = run(&["review", root, "--format", "json", "-o", link.to_str().expect("utf-8")]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("inside the reviewed folder"), "{}", stderr(&out));
    }
    assert_eq!(std::fs::read_to_string(&a).expect("a.md"), GOOD, "the document is untouched");
    // An output folder that does not exist: one line, before the review runs.
    let out = run(&["review", docs.to_str().expect("utf-8"), "--format", "json", "-o", "/nonexistent-dir/r.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("/nonexistent-dir/r.json"), "{}", stderr(&out));
}

#[test]
fn usage_catalog_and_config_errors_exit_2_with_one_line() {
    let out = run(&["review", "/definitely/not/here"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("/definitely/not/here"));

    let out = run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));

    // A catalog with a bad regex: the error names the file and the key.
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = tmp.path().join("cat");
    std::fs::create_dir(&cat).expect("mkdir");
    for name in ["catalog.toml", "5.5.1.toml"] {
        std::fs::copy(manifest().join("catalog/iec-81001-5-1").join(name), cat.join(name)).expect("copy");
    }
    let clause = std::fs::read_to_string(cat.join("5.5.1.toml")).expect("read");
    std::fs::write(cat.join("5.5.1.toml"), clause.replace("file-exists = '", "file-exists = '(unclosed")).expect("write");
    let out = run(&["catalog", "check", "--catalog", cat.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("5.5.1.toml") && err.contains("signals.file-exists"), "{err}");

    // Unknown key in a clause file.
    std::fs::write(cat.join("5.5.1.toml"), clause.replace("title-status", "title-stauts")).expect("write");
    let err = stderr(&run(&["catalog", "check", "--catalog", cat.to_str().expect("utf-8")]));
    assert!(err.contains("5.5.1.toml") && err.contains("title-stauts"), "{err}");

    // Dangling constraint reference in a gap.
    std::fs::write(cat.join("5.5.1.toml"), clause.replace("constraints = [\"5.5.1-c4\"]", "constraints = [\"5.5.1-c99\"]")).expect("write");
    let err = stderr(&run(&["catalog", "check", "--catalog", cat.to_str().expect("utf-8")]));
    assert!(err.contains("5.5.1-c99") && err.contains("gap["), "{err}");

    // Bad configuration: the key is named.
    let pack = tmp.path().join("pack");
    write(&pack, "a.md", GOOD.as_bytes());
    write(&pack, "crosswalk.toml", b"product = \"X\"\nprodcut-family = \"Y\"\n");
    let out = run(&["review", pack.to_str().expect("utf-8"), "--quiet"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("prodcut-family"), "{}", stderr(&out));
    write(&pack, "crosswalk.toml", b"[not-applicable]\n\"5.8.7\" = \"\"\n");
    let out = run(&["review", pack.to_str().expect("utf-8"), "--quiet"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not-applicable.\"5.8.7\""), "{}", stderr(&out));
}

#[test]
fn catalog_commands() {
    let out = run(&["catalog", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("is valid"));
    let out = run(&["catalog", "show", "5.5.1"]);
    let page = stdout(&out);
    for part in [
        "Maps to",
        "Requirement",
        "What changed",
        "Atomic constraints",
        "Common gaps",
        "Evidence signals",
        "FILE_EXISTS",
        "CONTENT_MATCH",
        "Audit defense",
    ] {
        assert!(page.contains(part), "clause page lacks {part}");
    }
    // The sample page's FILE_EXISTS pattern, verbatim.
    assert!(page.contains("Code.*Review|Implementation.*Review|Static.*Analysis|SCA|Secure.*Coding.*Review"));
    let out = run(&["catalog", "show", "99.9"]);
    assert_eq!(out.status.code(), Some(2));
    let list = stdout(&run(&["catalog", "list"]));
    assert!(list.lines().next().expect("a line").starts_with("4.1.1"));
}

#[test]
fn the_extractor_child_answers_for_unreadable_input() {
    let out = run(&["__extract", "--name", "x.pdf", "/definitely/not/here.pdf"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["Err"]["Corrupt"].as_str().expect("error").contains("cannot read"));
}

/// The JSON contract, on the labelled dev set.
#[test]
fn json_contract_on_the_dev_set() {
    let docs = devset().join("docs");
    assert!(docs.is_dir(), "the dev set is expected at {}", docs.display());
    let v = review_json(&docs, &[]);
    assert_eq!(v["schema"], "crosswalk.review/1");
    assert_eq!(v["tool"]["name"], "crosswalk");
    assert_eq!(v["catalog"]["id"], "iec-81001-5-1");
    assert_eq!(v["catalog"]["sha256"].as_str().expect("sha").len(), 64);
    for key in ["product", "started", "finished", "root", "documents", "summary", "clauses"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    // One entry per catalog clause, in catalog order.
    let listed: Vec<String> = stdout(&run(&["catalog", "list"]))
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|t| t.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    let ids: Vec<String> = v["clauses"].as_array().expect("clauses").iter().map(|c| c["id"].as_str().expect("id").to_string()).collect();
    assert_eq!(ids, listed);
    // Documents sorted by path, with the contract's fields.
    let paths: Vec<&str> = v["documents"].as_array().expect("docs").iter().map(|d| d["path"].as_str().expect("path")).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert!(paths.contains(&"Engineering/Build Artefacts/dc-gateway-3.2.0-sast.sarif"), "paths are relative with /");
    let mut texts = std::collections::BTreeMap::new();
    for d in v["documents"].as_array().expect("docs") {
        for key in ["format", "bytes", "sha256", "status", "reason", "doc_id", "title", "revision", "state", "chars"] {
            assert!(d.get(key).is_some(), "document lacks {key}");
        }
        let path = d["path"].as_str().expect("path");
        let bytes = std::fs::read(docs.join(path)).expect("read doc");
        // The same reading as the review's (PDFs through poppler's layout when it is installed).
        let on_disk = docs.join(path);
        if let Ok((_, ex)) = crosswalk::extract::extract_file(path, &bytes, Some((&on_disk, std::time::Duration::from_secs(60)))) {
            texts.insert(path.to_string(), ex.blocks.iter().map(|b| b.text.clone()).collect::<Vec<_>>().join("\n"));
        }
    }
    // Summary counts agree with verdicts; verdicts agree with constraint statuses; quotes are verbatim.
    let mut counts = std::collections::BTreeMap::new();
    for c in v["clauses"].as_array().expect("clauses") {
        let verdict = c["verdict"].as_str().expect("verdict");
        *counts.entry(verdict.to_string()).or_insert(0) += 1;
        let statuses: Vec<&str> =
            c["constraints"].as_array().expect("constraints").iter().map(|k| k["status"].as_str().expect("status")).collect();
        let covered = statuses.iter().filter(|s| **s == "covered").count();
        let expected = if covered == 0 {
            "missing"
        } else if covered == statuses.len() {
            "met"
        } else {
            "partial"
        };
        assert_eq!(verdict, expected, "verdict rule for {}", c["id"]);
        for k in c["constraints"].as_array().expect("constraints") {
            for e in k["evidence"].as_array().expect("evidence") {
                let doc = e["document"].as_str().expect("document");
                let quote = e["quote"].as_str().expect("quote");
                assert!(!quote.is_empty());
                assert!(texts.get(doc).is_some_and(|t| t.contains(quote)), "quote not verbatim in {doc}: {quote:?}");
                let score = e["score"].as_f64().expect("score");
                assert!((0.0..=1.0).contains(&score));
                assert!(!e["locator"].as_str().expect("locator").is_empty());
            }
        }
        for r in c["rejected"].as_array().expect("rejected") {
            let reason = r["reason"].as_str().expect("reason");
            assert!(["negated", "placeholder", "future", "draft", "superseded", "glossary", "name_only", "no_text"].contains(&reason));
        }
        for g in c["gaps"].as_array().expect("gaps") {
            assert!(["critical", "major", "minor"].contains(&g["severity"].as_str().expect("severity")));
        }
        assert_eq!(c["signals"][0]["kind"], "file_exists");
        assert_eq!(c["signals"][1]["kind"], "content_match");
        if verdict == "missing" {
            assert!(c["audit_defense"].is_null());
        } else {
            let d = c["audit_defense"].as_str().expect("defense");
            assert!(d.contains("DialyConnect") && !d.contains("{product}") && !d.contains("{documents}"), "{d}");
        }
    }
    for key in ["met", "partial", "missing", "not_applicable"] {
        assert_eq!(v["summary"][key].as_u64().expect("count"), *counts.get(key).unwrap_or(&0) as u64, "summary.{key}");
    }
    assert_eq!(v["summary"]["clauses"].as_u64(), Some(ids.len() as u64));
    // Same input → identical output apart from the timestamps.
    let mut a = v.clone();
    let mut b = review_json(&docs, &[]);
    for x in [&mut a, &mut b] {
        x["started"] = Value::Null;
        x["finished"] = Value::Null;
    }
    assert_eq!(a, b, "the review is not deterministic");
}

/// One small document per kind of false evidence; each must be refused with its reason and none may
/// evidence the clause (5.5.1, static analysis against the coding standard).
#[test]
fn every_kind_of_false_evidence_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    let para = "Every merge request runs Semgrep with rules mapped to the secure coding standard.";
    write(p, "negated.md", b"# WI-1 Build\n\n## Static analysis\n\nStatic code analysis with Semgrep against the secure coding standard is not yet performed.\n");
    write(p, "future.md", b"# WI-2 Build\n\n## Static analysis\n\nFrom Q3 2027 every merge request will run Semgrep with rules mapped to the secure coding standard.\n");
    write(
        p,
        "placeholder.md",
        b"# WI-3 Build\n\n## Static analysis\n\n[Describe how static analysis is run against your secure coding standard]\n",
    );
    write(
        p,
        "WI-4 Build v0.2 DRAFT.md",
        format!("# WI-4 Build\n\n| Status | Draft |\n|---|---|\n\n## Static analysis\n\n{para}\n").as_bytes(),
    );
    write(
        p,
        "WI-5 Build.md",
        format!("# WI-5 Build\n\n| Status | Superseded by WI-9 |\n|---|---|\n\n## Static analysis\n\n{para}\n").as_bytes(),
    );
    write(p, "GL-1 Glossary.md", b"# GL-1 Glossary\n\n## Terms and definitions\n\nStatic analysis means examining source code against the secure coding standard without running it, e.g. with Semgrep.\n");
    write(p, "Static Analysis Report.md", b"# Cafeteria menu\n\nSoup of the day: tomato. Dessert: apple pie.\n");
    write(p, "Code Review Checklist.pdf", b"");
    let v = review_json(p, &[]);
    let c = v["clauses"].as_array().expect("clauses").iter().find(|c| c["id"] == "5.5.1").expect("5.5.1");
    let c5 = c["constraints"].as_array().expect("constraints").iter().find(|k| k["id"] == "5.5.1-c5").expect("c5");
    assert_eq!(c5["status"], "not_covered", "{c5:#}");
    let rejected = c["rejected"].as_array().expect("rejected");
    for (doc, reason) in [
        ("negated.md", "negated"),
        ("future.md", "future"),
        ("placeholder.md", "placeholder"),
        ("WI-4 Build v0.2 DRAFT.md", "draft"),
        ("WI-5 Build.md", "superseded"),
        ("GL-1 Glossary.md", "glossary"),
        ("Static Analysis Report.md", "name_only"),
        ("Code Review Checklist.pdf", "no_text"),
    ] {
        assert!(
            rejected.iter().any(|r| r["document"] == doc && r["reason"] == reason),
            "{doc} should be refused as {reason}: {rejected:#?}"
        );
    }
}

/// A constraint nothing covers: the passage that came nearest while only naming its subject is reported,
/// with its quote and a plain reason, and is not cited.
#[test]
fn a_passage_that_only_names_the_subject_is_reported_not_cited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pack = tmp.path().join("pack");
    let talk = "The keynote asked whether penetration testing of medical devices should become mandatory.";
    write(&pack, "newsletter.md", format!("# Engineering newsletter, spring issue\n\n## Talks\n\n{talk}\n").as_bytes());
    let v = common::review_json(&pack, &["--no-cache"]);
    let c = v["clauses"].as_array().expect("clauses").iter().find(|c| c["id"] == "5.7.4").expect("5.7.4");
    assert_eq!(c["verdict"], "missing", "{c:#}");
    let rejected = c["rejected"].as_array().expect("rejected");
    assert!(rejected.iter().any(|r| r["reason"] == "name_only" && r["quote"] == talk), "{rejected:#?}");
    assert!(c["justification"].as_str().expect("justification").contains("names the subject only"), "{c:#}");
    let html = tmp.path().join("r.html");
    let out = common::run(&[
        "review",
        pack.to_str().expect("utf-8"),
        "--format",
        "html",
        "--no-cache",
        "--quiet",
        "-o",
        html.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains("the judge did not read it as the practice carried out"), "the reason in words");
}

/// A passage that hands its substance to another document ("… are defined in IRP-009 §7") is worth what
/// that place holds: an unfilled template section makes the reference a placeholder; a filled one is evidence.
#[test]
fn a_reference_to_an_unfilled_section_is_a_placeholder() {
    let plan = "# CMP-002 Cybersecurity Management Plan\n\n| Document ID | CMP-002 |\n|---|---|\n| Status | Approved |\n\n## 6 Remediation\n\nVulnerabilities are fixed in maintenance releases. Target timelines for delivering security fixes are defined in IRP-009 §7.\n";
    let procedure = |section7: &str| {
        format!(
            "# IRP-009 Incident Response Procedure\n\n| Document ID | IRP-009 |\n|---|---|\n| Status | Approved |\n\n## 6. Analysis\n\nThe PSIRT analyses every report.\n\n## 7. Remediation timelines\n\n{section7}\n\n## 8. Records\n\nRecords are kept in Jira.\n"
        )
    };
    let c1 = |section7: &str| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let pack = tmp.path().join("pack");
        write(&pack, "CMP-002 Cybersecurity Management Plan.md", plan.as_bytes());
        write(&pack, "IRP-009 Incident Response Procedure.md", procedure(section7).as_bytes());
        let v = common::review_json(&pack, &["--no-cache"]);
        v["clauses"].as_array().expect("clauses").iter().find(|c| c["id"] == "6.1.1").expect("6.1.1").clone()
    };
    let unfilled = c1("[Define target timelines for delivering security fixes by severity, e.g. Critical / High / Medium / Low.]");
    let k = unfilled["constraints"].as_array().expect("constraints").iter().find(|k| k["id"] == "6.1.1-c1").expect("c1");
    let cites_plan =
        k["evidence"].as_array().expect("evidence").iter().any(|e| e["document"].as_str().is_some_and(|d| d.starts_with("CMP-002")));
    assert!(!cites_plan, "the reference to an unfilled section is not evidence: {k:#}");
    let refused = unfilled["rejected"].as_array().expect("rejected");
    assert!(
        refused.iter().any(|r| r["reason"] == "placeholder" && r["document"].as_str().is_some_and(|d| d.starts_with("CMP-002"))),
        "the reference is reported as a placeholder: {refused:#?}"
    );
    let filled = c1("Security fixes are delivered within 30 days for Critical and High findings, within 90 days for the others.");
    let k = filled["constraints"].as_array().expect("constraints").iter().find(|k| k["id"] == "6.1.1-c1").expect("c1");
    assert_eq!(k["status"], "covered", "a filled section is evidence: {k:#}");
}

/// A section about a practice that says what is not needed in one case and what is done in the others
/// does not deny the practice: its own supporting sentence still counts.
#[test]
fn a_denial_does_not_outweigh_its_own_section() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pack = tmp.path().join("pack");
    let wi = "# WI-ENG-031 Code review\n\n| Document ID | WI-ENG-031 |\n|---|---|\n| Status | Approved |\n\n## 3 Recording and passing on security issues\n\nA security issue that is not fixed in the merge request is raised in Jira.\n\nEach finding of the code review that stays open is logged in Jira and passed to problem resolution.\n";
    write(&pack, "WI-ENG-031 Code review.md", wi.as_bytes());
    let v = common::review_json(&pack, &["--no-cache"]);
    let c = v["clauses"].as_array().expect("clauses").iter().find(|c| c["id"] == "5.5.2").expect("5.5.2");
    let k = c["constraints"].as_array().expect("constraints").iter().find(|k| k["id"] == "5.5.2-c6").expect("c6");
    assert_eq!(k["status"], "covered", "{c:#}");
    assert!(k["evidence"][0]["quote"].as_str().is_some_and(|q| q.starts_with("Each finding of the code review")), "{k:#}");
}

/// Applicability from `crosswalk.toml`: ISH1 item classes and declared not-applicable clauses, with the
/// justification in every report; the route picks the catalog; a bad key is named.
#[test]
fn applicability_from_the_configuration() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pack = tmp.path().join("pack");
    write(&pack, "a.md", GOOD.as_bytes());
    write(
        &pack,
        "crosswalk.toml",
        b"product = \"Widget\"\nmanufacturer = \"Widget Co\"\ncyber-device = true\nitem-classes = [\"supported\", \"required\"]\n\n[not-applicable]\n\"5.8.7\" = \"Cloud-only service: nothing is installed at the customer, so there is nothing to decommission.\"\n",
    );
    let v = review_json(&pack, &[]);
    let clause = |id: &str| v["clauses"].as_array().expect("clauses").iter().find(|c| c["id"] == id).cloned().expect("clause");
    assert_eq!(clause("5.8.7")["verdict"], "not_applicable");
    assert!(clause("5.8.7")["justification"].as_str().expect("j").starts_with("Cloud-only service"));
    for id in ["6.3.2", "6.3.3"] {
        assert_eq!(clause(id)["verdict"], "not_applicable", "{id} applies to maintained items only");
        assert!(clause(id)["justification"].as_str().expect("j").contains("maintained"));
    }
    assert_ne!(clause("6.3.1")["verdict"], "not_applicable", "6.3.1 applies to supported items");
    assert_eq!(v["summary"]["not_applicable"], 3);
    let md = stdout(&run(&["review", pack.to_str().expect("utf-8"), "--quiet", "--format", "md"]));
    assert!(md.contains("FDA cyber device | yes") && md.contains("Not applicable: 5.8.7 | Cloud-only service"), "{md}");
    let term = stdout(&run(&["review", pack.to_str().expect("utf-8"), "--quiet"]));
    assert!(term.contains("Not applicable 5.8.7: Cloud-only service"), "{term}");

    // The Annex F route reviews against the transitional-software catalog.
    write(&pack, "crosswalk.toml", b"route = \"annex-f\"\n");
    let v = review_json(&pack, &[]);
    assert_eq!(v["catalog"]["id"], "iec-81001-5-1-annex-f");
    let ids: Vec<&str> = v["clauses"].as_array().expect("clauses").iter().map(|c| c["id"].as_str().expect("id")).collect();
    assert_eq!(ids, vec!["F.2.1", "F.2.2", "F.3", "F.4"]);

    write(&pack, "crosswalk.toml", b"route = \"annex-g\"\n");
    let o = run(&["review", pack.to_str().expect("utf-8"), "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("crosswalk.toml: route:") || stderr(&o).contains("annex-g"), "{}", stderr(&o));
}

/// `serve` on a non-loopback address without a token is refused before anything listens.
#[test]
fn serve_refuses_an_open_bind_without_a_token() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = bin()
        .args(["serve", "--bind", "0.0.0.0", "--port", "0", "--data-dir"])
        .arg(tmp.path())
        .env_remove("CROSSWALK_TOKEN")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--token"), "{err}");
}

/// A memory blow-up in one file's extraction costs that file only: with a 128 MiB address-space limit the
/// worker parsing a 48 MB JSON file dies, the file is reported, the other documents are reviewed by a
/// fresh worker.
#[test]
fn a_crashing_extractor_costs_one_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "good.md", GOOD.as_bytes());
    let mut big = String::from("[");
    for i in 0..300_000 {
        big.push_str(&format!(
            "{{\"key\": \"{}\", \"n\": {i}, \"list\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}},",
            "v".repeat(60)
        ));
    }
    big.push_str("{}]");
    write(tmp.path(), "big.json", big.as_bytes());
    let out = run(&["review", tmp.path().to_str().expect("utf-8"), "--format", "json", "--quiet", "--extract-memory", "128"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let doc = |p: &str| v["documents"].as_array().expect("docs").iter().find(|d| d["path"] == p).cloned().expect("doc");
    assert_eq!(doc("big.json")["status"], "error");
    let reason = doc("big.json")["reason"].as_str().expect("reason").to_string();
    assert!(reason.starts_with("extractor failed") && reason.contains("memory"), "{reason}");
    assert_eq!(doc("good.md")["status"], "ok");
    assert!(stderr(&out).contains("big.json: extractor failed"), "{}", stderr(&out));
}

#[test]
fn one_grammar_for_every_command() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Nothing readable: no verdicts, each file once on stderr with its reason, exit 2, nothing on stdout.
    let junk = tmp.path().join("junk");
    write(&junk, "setup.exe", b"MZ\x90\x00\x03\x00\x00\x00");
    write(&junk, "empty.md", b"");
    let out = run(&["review", junk.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no report: {}", stdout(&out));
    let err = stderr(&out);
    assert!(err.lines().last().expect("a line").contains("nothing could be read in folder") && err.contains("no verdicts given"), "{err}");
    assert_eq!(err.matches("setup.exe").count(), 1, "{err}");
    assert_eq!(err.matches("empty.md").count(), 1, "{err}");

    // An unreadable file beside a good one is reported once: in the text summary on stdout, not again on stderr.
    let mixed = tmp.path().join("mixed");
    write(&mixed, "good.md", GOOD.as_bytes());
    write(&mixed, "broken.docx", b"not a zip");
    let out = run(&["review", mixed.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(format!("{}{}", stdout(&out), stderr(&out)).matches("broken.docx").count(), 1);
    // The summary lists the critical gaps with their clause.
    let text = stdout(&out);
    let critical: usize = text.lines().find_map(|l| l.strip_suffix(" critical)")?.rsplit('(').next()?.parse().ok()).expect("gap count");
    assert!(critical > 0);
    assert_eq!(text.lines().filter(|l| l.trim_start().starts_with("critical ")).count(), critical, "{text}");

    // One name per format: `text` everywhere (review still takes `terminal`).
    for f in ["text", "terminal"] {
        let out = run(&["review", mixed.to_str().expect("utf-8"), "--format", f, "--quiet"]);
        assert_eq!(out.status.code(), Some(0), "{f}: {}", stderr(&out));
    }
    let out = run(&["review", mixed.to_str().expect("utf-8"), "--format", "md", "--detail", "summary"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--detail summary applies to --format html and pdf"), "{}", stderr(&out));

    // Every command that writes a result takes -o.
    let a = tmp.path().join("a.json");
    let out = run(&["review", mixed.to_str().expect("utf-8"), "--format", "json", "--quiet", "-o", a.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d = tmp.path().join("d.json");
    let out = run(&["diff", a.to_str().expect("utf-8"), a.to_str().expect("utf-8"), "--format", "json", "-o", d.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(serde_json::from_slice::<Value>(&std::fs::read(&d).expect("diff written")).expect("json")["schema"], "crosswalk.diff/1");
    let c = tmp.path().join("catalog.json");
    let out = run(&["catalog", "export", "-o", c.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(serde_json::from_slice::<Value>(&std::fs::read(&c).expect("export written")).expect("json")["catalog"].is_object());

    // No raw Rust values in messages.
    let not_review = tmp.path().join("x.json");
    std::fs::write(&not_review, b"{}").expect("write");
    let out = run(&["diff", not_review.to_str().expect("utf-8"), a.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("it has no schema field") && !stderr(&out).contains("None"), "{}", stderr(&out));

    // Each command's help ends with examples.
    for cmd in ["review", "diff", "eval", "catalog", "serve", "auth"] {
        let help = stdout(&run(&[cmd, "--help"]));
        let tail: Vec<&str> = help.lines().rev().take(5).collect();
        assert!(help.contains("Examples:") && tail.iter().any(|l| l.trim_start().starts_with("crosswalk ")), "{cmd} --help:\n{help}");
    }
}

/// Colour and width on a real terminal (a pseudo-terminal made by `script`), and none with NO_COLOR.
#[test]
fn the_text_summary_uses_colour_and_the_terminal_width() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "good.md", GOOD.as_bytes());
    let on_tty = |no_color: bool, cols: usize| {
        let cmd =
            format!("stty rows 40 cols {cols}; {} review {} --quiet --no-cache", env!("CARGO_BIN_EXE_crosswalk"), tmp.path().display());
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"]).env("TERM", "xterm-256color").env_remove("NO_COLOR");
        if no_color {
            c.env("NO_COLOR", "1");
        }
        let out = c.output().expect("script runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = on_tty(false, 200);
    assert!(coloured.contains("\x1b[31;1mmissing"), "verdicts in colour:\n{coloured}");
    // Titles are cut only to the terminal's width: whole on 200 columns, cut on 60.
    assert!(!coloured.contains('…'), "{coloured}");
    let narrow = on_tty(false, 60);
    assert!(narrow.lines().any(|l| l.ends_with('…')), "{narrow}");
    let plain = on_tty(true, 200);
    assert!(!plain.contains("\x1b["), "NO_COLOR: no escapes:\n{plain}");
    // Piped: no colour either.
    let out = run(&["review", tmp.path().to_str().expect("utf-8"), "--quiet"]);
    assert!(!stdout(&out).contains("\x1b["));
}

#[test]
fn reviewer_decisions_show_in_every_report_and_go_suspect_when_a_document_changes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let docs = tmp.path().join("docs");
    write(&docs, "good.md", GOOD.as_bytes());
    let first = review_json(&docs, &[]);
    let c = first["clauses"].as_array().expect("clauses").iter().find(|c| c["id"] == "5.5.1").expect("5.5.1");
    let machine = c["verdict"].as_str().expect("verdict").to_string();
    let sha = first["documents"][0]["sha256"].as_str().expect("sha").to_string();
    let decisions = format!(
        "[[decision]]\nclause = \"5.5.1\"\nverdict = \"met\"\nmachine-verdict = \"{machine}\"\nreason = \"Code review records for release 3.2 were sampled at the audit.\"\nby = \"Dana Reviewer\"\nat = \"2026-12-05T09:00:00Z\"\n[[decision.evidence]]\ndocument = \"good.md\"\nsha256 = \"{sha}\"\n[[decision.passage]]\ndocument = \"good.md\"\nlocator = \"§ 3 Static analysis\"\naccept = true\n"
    );
    let file = tmp.path().join("decisions.toml");
    std::fs::write(&file, &decisions).expect("write");
    let arg = file.to_str().expect("utf-8");
    let with = review_json(&docs, &["--decisions", arg]);
    let c = with["clauses"].as_array().expect("clauses").iter().find(|c| c["id"] == "5.5.1").expect("5.5.1");
    assert_eq!(c["verdict"], machine.as_str(), "the machine verdict is kept");
    assert_eq!(c["decision"]["verdict"], "met");
    assert_eq!(c["decision"]["by"], "Dana Reviewer");
    assert_eq!(c["decision"]["suspect"], false);
    let render_to = |format: &str, out: &std::path::Path| {
        let o = run(&[
            "review",
            docs.to_str().expect("utf-8"),
            "--quiet",
            "--decisions",
            arg,
            "--format",
            format,
            "-o",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    let html = tmp.path().join("r.html");
    render_to("html", &html);
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains("Reviewer decision:") && page.contains("Code review records for release 3.2 were sampled"), "decision shown");
    assert!(page.contains("<td>Dana Reviewer (1 clause decision)</td>"), "approval block filled from the decisions");
    let xlsx = tmp.path().join("m.xlsx");
    render_to("xlsx", &xlsx);
    let (_, ex) = crosswalk::extract::extract("m.xlsx", &std::fs::read(&xlsx).expect("xlsx")).expect("xlsx reads");
    assert!(ex.blocks.iter().any(|b| b.text.contains("Dana Reviewer") && b.text.contains("met")), "Decisions sheet");

    // The document changes: the decision goes suspect, in the reports and in diff.
    let old = tmp.path().join("old.json");
    std::fs::write(&old, serde_json::to_vec(&with).expect("json")).expect("write");
    write(&docs, "good.md", format!("{GOOD}\nRevised: static analysis now runs nightly only.\n").as_bytes());
    let later = review_json(&docs, &["--decisions", arg]);
    let c = later["clauses"].as_array().expect("clauses").iter().find(|c| c["id"] == "5.5.1").expect("5.5.1");
    assert_eq!(c["decision"]["suspect"], true);
    assert_eq!(c["decision"]["changes"][0], "good.md: changed since the decision");
    let new = tmp.path().join("new.json");
    std::fs::write(&new, serde_json::to_vec(&later).expect("json")).expect("write");
    let text = stdout(&run(&["diff", old.to_str().expect("utf-8"), new.to_str().expect("utf-8")]));
    assert!(
        text.contains("Reviewer decisions made suspect") && text.contains("5.5.1 (Dana Reviewer, 2026-12-05T09:00:00Z): good.md: changed"),
        "{text}"
    );
    let summary = stdout(&run(&["review", docs.to_str().expect("utf-8"), "--quiet", "--decisions", arg]));
    assert!(summary.contains("Reviewer decisions: 1 (1 suspect)"), "{summary}");

    // A decisions file in the reviewed folder is used by default and is not a document; a bad one is one line.
    std::fs::write(docs.join("crosswalk-decisions.toml"), &decisions).expect("write");
    let v = review_json(&docs, &[]);
    assert!(v["documents"].as_array().expect("docs").iter().all(|d| d["path"] != "crosswalk-decisions.toml"));
    assert_eq!(v["clauses"].as_array().expect("c").iter().find(|c| c["id"] == "5.5.1").expect("5.5.1")["decision"]["by"], "Dana Reviewer");
    std::fs::write(&file, decisions.replace("by = \"Dana Reviewer\"\n", "")).expect("write");
    let out = run(&["review", docs.to_str().expect("utf-8"), "--quiet", "--decisions", arg]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("decisions.toml"), "{}", stderr(&out));
}
