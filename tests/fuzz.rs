//! Fuzzing on the stable toolchain: a mutation harness over a seed corpus of real files, run by CI for a
//! bounded time. The coverage-guided targets in `fuzz/` (cargo-fuzz, nightly) reach the same entry points;
//! this harness is what runs everywhere.
//!
//! For each target (one parser of untrusted input) the seeds are the format's files in `tests/data/formats`
//! and, when present, the team's shared corpora and dev packs (`../shared/corpora`, `../shared/devset`;
//! files of at most 256 KB, sorted, at most 12 per format). Each round takes a seed, applies one to four
//! mutations (bit flips, interesting bytes, deletions, duplications, long repeats, splices with another seed,
//! format tokens; for zip containers the mutation goes into one XML part and the archive is rebuilt) and
//! extracts the result in this process. A panic or an input slower than `SLOW` is a finding: the input is
//! written to `target/fuzz-findings/<target>/` and the test fails naming it. Every finding, once fixed, is
//! kept in `tests/data/fuzz/<target>/`, which is replayed first on every run.
//!
//! `CROSSWALK_FUZZ_SECS` sets the time per target (default 6), `CROSSWALK_FUZZ_SEED` the seed (default fixed,
//! so a CI failure reproduces; the seed is printed). A longer local run:
//! `CROSSWALK_FUZZ_SECS=120 CROSSWALK_FUZZ_SEED=$RANDOM cargo test --release --test fuzz -- --nocapture`.

use sha2::Digest as _;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One parser of untrusted input, reached through the file name it is dispatched on.
struct Target {
    name: &'static str,
    /// File name handed to the extractor (picks the parser).
    file: &'static str,
    /// Seed file extensions.
    exts: &'static [&'static str],
    /// Tokens worth inserting for this format.
    tokens: &'static [&'static str],
    /// Zip container: mutate an XML part, rebuild the archive.
    zipped: bool,
}

const TARGETS: &[Target] = &[
    Target {
        name: "html",
        file: "f.html",
        exts: &["html", "htm"],
        tokens: &["<div>", "</div>", "<!--", "-->", "<table><tr><td>", "<h1>", "<script>", "&amp;", "&#x0;", "<![CDATA[", "<em>["],
        zipped: false,
    },
    Target {
        name: "markdown",
        file: "f.md",
        exts: &["md"],
        tokens: &["```", "\n# ", "| a | b |\n|---|---|\n", "<!--", "-->", "> ", "* ", "1. ", "[x]", "[describe", "\t", "\r\n", "<div>"],
        zipped: false,
    },
    Target {
        name: "text",
        file: "f.txt",
        exts: &["txt"],
        tokens: &["\r\n", "\u{feff}", "\u{0}", "\u{202e}", "\x1b[31m", "..."],
        zipped: false,
    },
    Target { name: "csv", file: "f.csv", exts: &["csv"], tokens: &["\"", ",", ";", "\n", "\"\"", "=cmd|", "\r\n", "\t"], zipped: false },
    Target {
        name: "json",
        file: "f.json",
        exts: &["json", "sarif"],
        tokens: &["{", "}", "[", "]", "\"", ":", ",", "null", "1e999", "\\u0000"],
        zipped: false,
    },
    Target {
        name: "xml",
        file: "f.xml",
        exts: &["xml"],
        tokens: &["<a>", "</a>", "<!DOCTYPE a [<!ENTITY e \"x\">]>", "&e;", "<![CDATA[", "]]>", "<?xml version=\"1.0\"?>"],
        zipped: false,
    },
    Target {
        name: "pdf",
        file: "f.pdf",
        exts: &["pdf"],
        tokens: &["obj", "endobj", "stream", "endstream", "<<", ">>", "/Length 99999", "xref", "trailer", "(", ")"],
        zipped: false,
    },
    Target {
        name: "xlsx",
        file: "f.xlsx",
        exts: &["xlsx"],
        tokens: &["<c r=\"A1\" t=\"s\"><v>9999</v></c>", "<row>", "</row>", "<si><t>", "</t></si>", "r=\"XFD1048576\""],
        zipped: true,
    },
    Target {
        name: "docx",
        file: "f.docx",
        exts: &["docx", "odt", "pptx"],
        tokens: &["<w:p>", "</w:p>", "<w:t>", "</w:t>", "<w:tbl>", "<w:pStyle w:val=\"Heading1\"/>", "<text:p>"],
        zipped: true,
    },
];

const SLOW: Duration = Duration::from_secs(if cfg!(debug_assertions) { 20 } else { 5 });
const MAX_SEED: u64 = 256 * 1024;
const SEEDS_PER_SOURCE: usize = 12;

/// xorshift64*: small, deterministic, enough for choosing mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_with(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let Ok(md) = std::fs::symlink_metadata(&p) else { continue };
        if md.is_dir() {
            files_with(&p, exts, out);
        } else if md.is_file() && md.len() <= MAX_SEED {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            if exts.is_empty() || exts.contains(&ext.as_str()) {
                out.push(p);
            }
        }
    }
}

fn seeds(t: &Target) -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for dir in [root().join("tests/data/formats"), root().join("../shared/corpora"), root().join("../shared/devset")] {
        let mut found = Vec::new();
        files_with(&dir, t.exts, &mut found);
        // Spread the picks over the sorted list rather than taking one folder's first files.
        let step = (found.len() / SEEDS_PER_SOURCE).max(1);
        seeds.extend(found.iter().step_by(step).take(SEEDS_PER_SOURCE).filter_map(|p| std::fs::read(p).ok()));
    }
    if seeds.is_empty() {
        seeds.push(t.tokens.concat().into_bytes());
    }
    seeds
}

fn mutate_bytes(rng: &mut Rng, data: &mut Vec<u8>, t: &Target, other: &[u8]) {
    const INTERESTING: &[u8] = &[0, 0xff, 0x7f, 0x80, b'<', b'>', b'"', b'\n', b'[', b']', b'{', b'}', b'\\', b'|', b'#'];
    for _ in 0..1 + rng.below(4) {
        let len = data.len();
        match rng.below(9) {
            0 if len > 0 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(len);
                    data[i] ^= 1 << rng.below(8);
                }
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(256)).min(len);
                data.drain(a..b);
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(512)).min(len);
                let chunk = data[a..b].to_vec();
                let at = rng.below(len + 1);
                data.splice(at..at, chunk);
            }
            4 if len > 0 => data.truncate(rng.below(len)),
            5 if !other.is_empty() => {
                let a = rng.below(other.len());
                let b = (a + 1 + rng.below(4096)).min(other.len());
                let at = rng.below(len + 1);
                data.splice(at..at, other[a..b].iter().copied());
            }
            6 | 7 => {
                let tok = t.tokens[rng.below(t.tokens.len())].as_bytes();
                let at = rng.below(len + 1);
                data.splice(at..at, tok.iter().copied());
            }
            _ => {
                // A token or a slice repeated many times: deep nesting, long lines, wide tables.
                let unit: Vec<u8> = if len > 0 && rng.below(2) == 0 {
                    let a = rng.below(len);
                    data[a..(a + 1 + rng.below(16)).min(len)].to_vec()
                } else {
                    t.tokens[rng.below(t.tokens.len())].as_bytes().to_vec()
                };
                let times = 1 + rng.below(20_000);
                let at = rng.below(len + 1);
                let rep: Vec<u8> = unit.iter().copied().cycle().take((unit.len() * times).min(512 * 1024)).collect();
                data.splice(at..at, rep);
            }
        }
    }
}

/// Mutate one XML part of a zip container and rebuild it; anything that is not a readable zip is mutated
/// as bytes.
fn mutate_zip(rng: &mut Rng, data: &[u8], t: &Target, other: &[u8]) -> Vec<u8> {
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(data)) else {
        let mut d = data.to_vec();
        mutate_bytes(rng, &mut d, t, other);
        return d;
    };
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let Ok(mut f) = archive.by_index(i) else { continue };
        let Ok(name) = f.name().map(|n| n.to_string()) else { continue };
        let mut buf = Vec::new();
        if f.size() > 4 * MAX_SEED || f.read_to_end(&mut buf).is_err() {
            continue;
        }
        parts.push((name, buf));
    }
    let xml: Vec<usize> = (0..parts.len()).filter(|&i| parts[i].0.ends_with(".xml")).collect();
    if let Some(&i) = xml.get(rng.below(xml.len().max(1))) {
        mutate_bytes(rng, &mut parts[i].1, t, other);
    }
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, buf) in &parts {
        if out.start_file(name.as_str(), opts).is_err() || out.write_all(buf).is_err() {
            break;
        }
    }
    out.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// Extract `input` as the target's format; `Err` is the finding (a panic or a slow input), with its reason.
fn run_one(t: &Target, input: &[u8]) -> Result<(), String> {
    let start = Instant::now();
    let outcome = std::panic::catch_unwind(|| {
        if let Ok((_, ex)) = crosswalk::extract::extract(t.file, input) {
            // What every reader promises, whatever the bytes: bounded output.
            assert!(ex.blocks.len() <= 25_000, "{} passages", ex.blocks.len());
            assert!(ex.chars() <= 3_100_000, "{} characters", ex.chars());
        }
    });
    let took = start.elapsed();
    match outcome {
        Err(p) => {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            Err(format!("panicked: {}", msg.unwrap_or_default()))
        }
        Ok(()) if took > SLOW => Err(format!("took {took:.1?} (limit {SLOW:?})")),
        Ok(()) => Ok(()),
    }
}

fn save_finding(t: &Target, input: &[u8]) -> PathBuf {
    let dir = root().join("target/fuzz-findings").join(t.name);
    let _ = std::fs::create_dir_all(&dir);
    let hash = sha2::Sha256::digest(input);
    let name: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let path = dir.join(name);
    let _ = std::fs::write(&path, input);
    path
}

#[test]
fn extractors_survive_mutated_real_files() {
    let secs: u64 = std::env::var("CROSSWALK_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    let seed: u64 = std::env::var("CROSSWALK_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_c0de);
    let mut findings = Vec::new();
    for t in TARGETS {
        // Regressions first: every input once found stays fixed.
        let mut replayed = 0;
        let mut regressions = Vec::new();
        files_with(&root().join("tests/data/fuzz").join(t.name), &[], &mut regressions);
        for p in regressions {
            let input = std::fs::read(&p).unwrap_or_default();
            replayed += 1;
            if let Err(why) = run_one(t, &input) {
                findings.push(format!("{}: regression {} {why}", t.name, p.display()));
            }
        }
        let seeds = seeds(t);
        let mut rng = Rng(seed ^ (t.name.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 1);
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut rounds = 0u64;
        while Instant::now() < deadline {
            let base = &seeds[rng.below(seeds.len())];
            let other = &seeds[rng.below(seeds.len())];
            let input = if t.zipped {
                mutate_zip(&mut rng, base, t, other)
            } else {
                let mut d = base.clone();
                mutate_bytes(&mut rng, &mut d, t, other);
                d
            };
            rounds += 1;
            if let Err(why) = run_one(t, &input) {
                let path = save_finding(t, &input);
                findings.push(format!("{}: {why} — input kept at {}", t.name, path.display()));
                if findings.len() > 20 {
                    break;
                }
            }
        }
        println!(
            "fuzz {:<9} seed {seed:#x}: {} seeds, {replayed} regressions replayed, {rounds} mutated inputs in {secs} s",
            t.name,
            seeds.len()
        );
    }
    assert!(findings.is_empty(), "fuzz findings (fix each, then keep the input in tests/data/fuzz/<target>/):\n{}", findings.join("\n"));
}

#[test]
fn upload_names_stay_relative() {
    let seed: u64 = std::env::var("CROSSWALK_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_c0de);
    let mut rng = Rng(seed | 1);
    const PIECES: &[&str] = &["..", ".", "/", "\\", "a", "C:", "\u{0}", "%2e%2e", "\u{202e}", "~", "//", "con", " ", "\n", "é"];
    for _ in 0..200_000 {
        let name: String = (0..1 + rng.below(8)).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        if let Some(p) = crosswalk::web::upload::safe_relative(&name) {
            assert!(p.components().all(|c| matches!(c, std::path::Component::Normal(_))), "{name:?} became {p:?}");
        }
    }
}

/// What Drive and the browser send back are untrusted bytes too: a `files.list` page (JSON from the network)
/// and the request line that reaches the OAuth loopback port (any local process or page can send one). Mutated
/// real-shaped inputs must never panic, and no line without our `state` may yield a code.
#[test]
fn drive_pages_and_loopback_requests_survive_mutation() {
    use crosswalk::sources::gdrive::{Page, auth};
    let seed: u64 = std::env::var("CROSSWALK_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_c0de);
    let secs: u64 = std::env::var("CROSSWALK_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    let page = Target {
        name: "drive-page",
        file: "page.json",
        exts: &[],
        tokens: &[
            "{",
            "}",
            "[",
            "]",
            "\"files\":",
            "\"nextPageToken\":",
            "\"shortcutDetails\":{\"targetId\":",
            "null",
            "\\u0000",
            "1e999",
            "\"size\":\"-1\"",
        ],
        zipped: false,
    };
    let seeds: Vec<Vec<u8>> = vec![
        br#"{"files":[{"id":"1a","name":"SOP-012 Code Review.docx","mimeType":"application/vnd.google-apps.document","version":"41","modifiedTime":"2026-11-28T10:00:00.000Z","webViewLink":"https://drive.google.com/file/d/1a/view","trashed":false}],"nextPageToken":"p3"}"#.to_vec(),
        br#"{"files":[{"id":"2b","name":"scan.pdf","mimeType":"application/pdf","size":"48211","headRevisionId":"0B9x","md5Checksum":"d41d8cd98f00b204e9800998ecf8427e"},{"id":"3c","name":"Loop","mimeType":"application/vnd.google-apps.shortcut","shortcutDetails":{"targetId":"2b"}}]}"#.to_vec(),
        br#"{"error":{"code":429,"message":"Rate limit exceeded","errors":[{"reason":"rateLimitExceeded"}]}}"#.to_vec(),
    ];
    let line = Target {
        name: "oauth-line",
        file: "line.txt",
        exts: &[],
        tokens: &["?", "&", "=", "state=", "code=", "error=", "%00", "%", "+", " HTTP/1.1", "\r\n", "state=s3cret&state=x"],
        zipped: false,
    };
    let lines: Vec<Vec<u8>> = vec![
        b"GET /?state=s3cret&code=4/0Ab-x&scope=https://www.googleapis.com/auth/drive.readonly HTTP/1.1\r\n".to_vec(),
        b"GET /?state=s3cret&error=access_denied HTTP/1.1\r\n".to_vec(),
        b"GET /favicon.ico HTTP/1.1\r\n".to_vec(),
    ];
    let mut rng = Rng(seed ^ 0xd71e);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut rounds = 0u64;
    while Instant::now() < deadline {
        let (base, other) = (&seeds[rng.below(seeds.len())], &seeds[rng.below(seeds.len())]);
        let mut d = base.clone();
        mutate_bytes(&mut rng, &mut d, &page, other);
        let _ = Page::parse(&d).map(|p| p.len());
        let (base, other) = (&lines[rng.below(lines.len())], &lines[rng.below(lines.len())]);
        let mut l = base.clone();
        mutate_bytes(&mut rng, &mut l, &line, other);
        let text = String::from_utf8_lossy(&l);
        if let auth::Redirect::Code(_) = auth::read_redirect(&text, "s3cret") {
            let query = text.split_whitespace().nth(1).and_then(|t| t.split_once('?')).map(|q| q.1).unwrap_or("");
            assert!(
                form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "state" && v == "s3cret"),
                "a code without our state: {text:?}"
            );
        }
        assert!(matches!(auth::read_redirect(&text, ""), auth::Redirect::Other), "an empty state never matches");
        rounds += 1;
    }
    println!("fuzz drive-page + oauth-line seed {seed:#x}: {rounds} mutated pairs in {secs} s");
    assert!(rounds > 100);
}
