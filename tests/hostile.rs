//! Hostile inputs, each built in a temp folder beside ordinary documents. For each: the review finishes
//! within its time limit, the peak memory of the whole process tree (crosswalk and its extraction workers,
//! sampled from /proc) stays under 1 GiB, the bad file gets one line with a reason (or is read in part and
//! says so), every other document is still reviewed, and nothing outside or inside the reviewed folder is
//! written. The figures are printed (`cargo test --test hostile -- --nocapture`).

mod common;

use common::proctree::tree_rss_kb;
use common::*;
use serde_json::Value;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

const GOOD: &str = "# Code review\n\nEvery merge request is reviewed by a second engineer against the secure coding standard.\n";
const ONE_GIB_KB: u64 = 1 << 20;

struct Measured {
    json: Value,
    stderr: String,
    peak_kb: u64,
    secs: f64,
}

/// Review `dir` to JSON with a per-file timeout, sampling the process tree's memory.
fn review_measured(dir: &Path, timeout_s: u32) -> Measured {
    let out_file = tempfile::NamedTempFile::new().expect("temp");
    let start = Instant::now();
    let mut child = bin()
        .args([
            "review",
            dir.to_str().expect("utf-8"),
            "--format",
            "json",
            "--quiet",
            "--no-cache",
            "--timeout",
            &timeout_s.to_string(),
            "-o",
        ])
        .arg(out_file.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr_pipe, &mut s);
        s
    });
    let mut peak = 0;
    let status = loop {
        peak = peak.max(tree_rss_kb(child.id()));
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "the review did not finish");
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().expect("stderr");
    assert_eq!(status.code(), Some(0), "{stderr}");
    let json = serde_json::from_slice(&std::fs::read(out_file.path()).expect("report")).expect("json");
    Measured { json, stderr, peak_kb: peak, secs: start.elapsed().as_secs_f64() }
}

fn doc<'a>(v: &'a Value, path: &str) -> &'a Value {
    v["documents"].as_array().expect("documents").iter().find(|d| d["path"] == path).unwrap_or_else(|| panic!("{path} not listed"))
}

/// One hostile file beside a good document: bounded, reported, the rest reviewed, nothing written.
fn check(name: &str, make: impl FnOnce(&Path), timeout_s: u32, expect: impl FnOnce(&Value, &str)) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("docs");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(root.join("good.md"), GOOD).expect("write");
    make(&root);
    // To inspect a case by hand: CROSSWALK_HOSTILE_KEEP=DIR keeps a copy of the hostile folder.
    if let Some(keep) = std::env::var_os("CROSSWALK_HOSTILE_KEEP") {
        let _ = std::process::Command::new("cp").arg("-r").arg(&root).arg(Path::new(&keep).join(name.replace(' ', "_"))).status();
    }
    let before = snapshot(tmp.path());
    let m = review_measured(&root, timeout_s);
    println!("{name}: {:.1} s, peak RSS of the process tree {} MiB", m.secs, m.peak_kb / 1024);
    assert!(m.peak_kb < ONE_GIB_KB, "{name}: peak RSS {} MiB", m.peak_kb / 1024);
    assert_eq!(doc(&m.json, "good.md")["status"], "ok", "{name}: the good document was not reviewed");
    expect(&m.json, &m.stderr);
    assert_eq!(snapshot(tmp.path()), before, "{name}: something under the temp folder changed");
}

fn big_file(path: &Path, bytes: usize, mut chunk: impl FnMut(usize) -> Vec<u8>) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut written = 0;
    let mut i = 0;
    while written < bytes {
        let c = chunk(i);
        written += c.len();
        f.write_all(&c).expect("write");
        i += 1;
    }
}

#[test]
fn a_200_mb_text_file_is_read_in_part() {
    check(
        "200 MB .txt",
        |root| {
            big_file(&root.join("huge.txt"), 200 << 20, |i| {
                format!("Line {i}: the quick brown fox jumps over the lazy dog.\n").into_bytes()
            })
        },
        60,
        |v, _| {
            let d = doc(v, "huge.txt");
            assert_eq!(d["status"], "ok");
            assert!(d["cut"].as_str().is_some_and(|c| c.contains("only part")), "{d}");
        },
    );
}

#[test]
fn a_50_mb_one_line_markdown_file_is_bounded() {
    check(
        "50 MB one-line .md",
        |root| big_file(&root.join("line.md"), 50 << 20, |_| b"word *emphasis* [link](http://x) ".to_vec()),
        60,
        |v, _| {
            let d = doc(v, "line.md");
            assert!(d["status"] == "ok" && d["cut"].is_string() || d["status"] == "error", "{d}");
        },
    );
}

#[test]
fn deeply_nested_html_is_bounded() {
    check(
        "HTML, 5,000 and 200,000 nested <div>",
        |root| {
            for (name, depth) in [("nested-5k.html", 5_000), ("nested-200k.html", 200_000)] {
                let html = format!("<html><body>{}<p>deep</p>{}</body></html>", "<div>".repeat(depth), "</div>".repeat(depth));
                std::fs::write(root.join(name), html).expect("write");
            }
        },
        10,
        |v, stderr| {
            assert_eq!(doc(v, "nested-5k.html")["status"], "ok");
            // Far deeper nesting is quadratic in html5ever: the per-file deadline stops it, with a reason.
            let d = doc(v, "nested-200k.html");
            if d["status"] != "ok" {
                assert!(d["reason"].as_str().is_some_and(|r| r.contains("timed out")), "{d}");
                assert_eq!(stderr.lines().filter(|l| l.contains("nested-200k.html")).count(), 1, "{stderr}");
            }
        },
    );
}

#[test]
fn three_large_spreadsheets_stay_within_memory() {
    check(
        "three 9 MB XLSX",
        |root| {
            for n in 0..3 {
                let mut book = rust_xlsxwriter::Workbook::new();
                let sheet = book.add_worksheet();
                for r in 0..60_000u32 {
                    for c in 0..12u16 {
                        sheet.write_string(r, c, format!("cell {r}-{c} security requirement trace {n}")).expect("cell");
                    }
                }
                book.save(root.join(format!("big-{n}.xlsx"))).expect("save");
            }
        },
        120,
        |v, _| {
            for n in 0..3 {
                let d = doc(v, &format!("big-{n}.xlsx"));
                assert!(d["status"] == "ok" || d["status"] == "error", "{d}");
                if d["status"] == "ok" {
                    assert!(d["cut"].is_string(), "a 720,000-cell workbook is cut at the passage cap: {d}");
                }
            }
        },
    );
}

#[test]
fn deep_json_and_xml_and_entity_bombs_are_refused() {
    check(
        "deep JSON, deep XML, billion laughs, XXE",
        |root| {
            std::fs::write(root.join("deep.json"), format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))).expect("write");
            std::fs::write(root.join("deep.xml"), format!("<r>{}{}</r>", "<a>".repeat(100_000), "</a>".repeat(100_000))).expect("write");
            let mut laughs = String::from("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY l0 \"ha\">");
            for i in 1..10 {
                laughs.push_str(&format!("<!ENTITY l{i} \"{}\">", format!("&l{};", i - 1).repeat(10)));
            }
            laughs.push_str("]><testsuite name=\"x\"><testcase name=\"&l9;\"/></testsuite>");
            std::fs::write(root.join("laughs.xml"), laughs).expect("write");
            std::fs::write(
                root.join("xxe.xml"),
                "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>",
            )
            .expect("write");
        },
        20,
        |v, _| {
            for name in ["deep.json", "deep.xml"] {
                let d = doc(v, name);
                assert_eq!(d["status"], "error", "{d}");
                assert!(!d["reason"].as_str().unwrap_or("").contains('\n'));
            }
            let text = serde_json::to_string(v).expect("json");
            assert!(!text.contains("root:x:0:0"), "an external entity was read");
            assert!(!text.contains(&"ha".repeat(1000)), "entities were expanded");
        },
    );
}

#[test]
fn links_out_of_the_folder_loops_and_pipes_are_named_never_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("docs");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(root.join("good.md"), GOOD).expect("write");
    std::fs::write(tmp.path().join("secret.txt"), "TOP-SECRET-TOKEN").expect("write");
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), root.join("escape.md")).expect("link");
    std::os::unix::fs::symlink(root.join("b"), root.join("a")).expect("link");
    std::os::unix::fs::symlink(root.join("a"), root.join("b")).expect("link");
    assert!(std::process::Command::new("mkfifo").arg(root.join("pipe.md")).status().expect("mkfifo").success());
    let m = review_measured(&root, 10);
    let skipped: Vec<String> =
        m.json["skipped"].as_array().expect("skipped").iter().map(|s| format!("{}: {}", s["path"], s["reason"])).collect();
    assert!(skipped.iter().any(|s| s.contains("escape.md") && s.contains("outside")), "{skipped:?}");
    assert!(skipped.iter().any(|s| s.contains("\"a\"") && s.contains("loop")), "{skipped:?}");
    assert!(skipped.iter().any(|s| s.contains("pipe.md") && s.contains("pipe")), "{skipped:?}");
    assert!(!serde_json::to_string(&m.json).expect("json").contains("TOP-SECRET-TOKEN"));
    assert_eq!(doc(&m.json, "good.md")["status"], "ok");
}

#[test]
fn file_names_cannot_drive_the_terminal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("docs");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(root.join("good.md"), GOOD).expect("write");
    std::fs::write(root.join("evil\n\u{1b}[31mname.pdf"), b"%PDF-1.4 broken").expect("write");
    let out = run(&["review", root.to_str().expect("utf-8")]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains('\u{1b}'), "an escape sequence reached the terminal: {all:?}");
    assert!(all.contains("evil\\n\\u{1b}[31mname.pdf"), "{all}");
}
