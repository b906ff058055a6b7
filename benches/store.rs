//! A whole document store: speed, CPU and memory of `crosswalk review` at 100, 500 and 2,000 documents,
//! cold (empty extraction cache), warm (unchanged store, cache filled) and after one document changed, beside
//! the extraction floor measured in the same run (poppler's `pdftotext` for PDFs, `unzip -p` for office
//! containers, a plain read for text formats; the same files, the same number of parallel jobs).
//!
//! The store is generated, deterministically (seeded), from the documents in `../shared/devset/*/docs` and
//! `../shared/corpora`: each document is a copy of a seed file (a format drawn first, each equally likely,
//! then a file of it) under a new name in one of a few department folders; text formats get a distinct
//! revision line, so that their content differs too.
//!
//! `cargo bench --bench store` (all three sizes; about 10 minutes on 2 cores), or
//! `CROSSWALK_BENCH_SIZES=100,500 cargo bench --bench store`. Measured, never asserted: the table goes into
//! closing notes and the CHANGELOG.

#[path = "../tests/common/proctree.rs"]
mod proctree;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SEED: u64 = 0x00C0_FFEE_2026;
const JOBS: usize = 2;
const MAX_SEED_BYTES: u64 = 8 << 20;
const EXTS: &[&str] = &["pdf", "docx", "odt", "pptx", "xlsx", "ods", "md", "html", "txt", "csv", "json", "yaml", "yml", "xml"];

fn shared() -> PathBuf {
    std::env::var_os("CROSSWALK_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn ext_of(p: &Path) -> String {
    p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let Ok(md) = std::fs::symlink_metadata(&p) else { continue };
        if md.is_dir() && !p.ends_with(".git") {
            collect(&p, out);
        } else if md.is_file() && md.len() > 0 && md.len() <= MAX_SEED_BYTES && EXTS.contains(&ext_of(&p).as_str()) {
            out.push(p);
        }
    }
}

fn seeds() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let devset = shared().join("devset");
    if let Ok(rd) = std::fs::read_dir(&devset) {
        let mut packs: Vec<PathBuf> = rd.flatten().map(|e| e.path().join("docs")).collect();
        packs.sort();
        for p in packs {
            collect(&p, &mut out);
        }
    }
    collect(&shared().join("corpora"), &mut out);
    out
}

/// Generate a store of `n` documents in `dir` (deterministic for a seed).
fn generate(n: usize, dir: &Path, seeds: &[PathBuf]) -> u64 {
    let _ = std::fs::remove_dir_all(dir);
    let mut rng = Rng(SEED ^ n as u64);
    let depts = ["quality", "engineering", "security", "regulatory", "operations", "clinical"];
    let mut bytes = 0;
    // Mixed formats as a technical file holds them: a format first (each equally likely), then a seed of it.
    let mut by_format: std::collections::BTreeMap<String, Vec<&PathBuf>> = std::collections::BTreeMap::new();
    for s in seeds {
        by_format.entry(ext_of(s)).or_default().push(s);
    }
    let formats: Vec<&Vec<&PathBuf>> = by_format.values().collect();
    for i in 0..n {
        let group = formats[(rng.next() % formats.len() as u64) as usize];
        let seed = group[(rng.next() % group.len() as u64) as usize];
        let ext = ext_of(seed);
        let stem = seed.file_stem().and_then(|s| s.to_str()).unwrap_or("doc");
        let dept = depts[(rng.next() % depts.len() as u64) as usize];
        let target = dir.join(dept).join(format!("{stem}-{i:05}.{ext}"));
        let _ = std::fs::create_dir_all(target.parent().expect("parent"));
        let mut data = std::fs::read(seed).expect("seed");
        if matches!(ext.as_str(), "md" | "txt" | "csv" | "yaml" | "yml" | "html") {
            let line = format!("\nRevision note {i}: copy {} of {stem} for the store benchmark.\n", rng.next() % 100_000);
            data.extend_from_slice(line.as_bytes());
        }
        bytes += data.len() as u64;
        std::fs::write(&target, data).expect("write");
    }
    bytes
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(dir, &mut out);
    out
}

/// The extraction floor: read every file's text with the plainest tools, on `JOBS` threads.
fn floor(dir: &Path) -> f64 {
    let all = files(dir);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..JOBS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(f) = all.get(i) else { break };
                    let quiet = |c: &mut Command| {
                        let _ = c.stdout(Stdio::null()).stderr(Stdio::null()).status();
                    };
                    match ext_of(f).as_str() {
                        "pdf" => quiet(Command::new("pdftotext").arg(f).arg("-")),
                        "docx" | "odt" | "pptx" | "xlsx" | "ods" => quiet(Command::new("unzip").arg("-p").arg(f)),
                        _ => {
                            let _ = std::fs::read(f);
                        }
                    }
                }
            });
        }
    });
    start.elapsed().as_secs_f64()
}

fn children_cpu_ticks() -> u64 {
    // Fields 16 and 17 of /proc/self/stat: CPU of waited-for children and their descendants.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r.to_string()).unwrap_or_default();
    let f: Vec<u64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    f.get(13).copied().unwrap_or(0) + f.get(14).copied().unwrap_or(0)
}

struct Run {
    wall: f64,
    cpu: f64,
    peak_mib: u64,
}

fn review(dir: &Path, cache: Option<&Path>, out: &Path) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crosswalk"));
    cmd.args(["review", dir.to_str().expect("utf-8"), "--format", "json", "--quiet", "--jobs", &JOBS.to_string(), "-o"]).arg(out);
    match cache {
        Some(c) => cmd.arg("--cache-dir").arg(c),
        None => cmd.arg("--no-cache"),
    };
    let cpu0 = children_cpu_ticks();
    let start = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("crosswalk runs");
    let mut peak = 0;
    loop {
        peak = peak.max(proctree::tree_rss_kb(child.id()));
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = (children_cpu_ticks() - cpu0) as f64 / 100.0;
    Run { wall, cpu, peak_mib: peak / 1024 }
}

fn main() {
    let sizes: Vec<usize> = std::env::var("CROSSWALK_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 500, 2000]);
    let seeds = seeds();
    assert!(!seeds.is_empty(), "no seed documents under {}", shared().display());
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-store");
    println!("store benchmark: {} seed files, {JOBS} jobs, seed {SEED:#x}", seeds.len());
    println!(
        "| documents | MB | floor (s) | cold (s) | cold CPU (s) | cold / floor | docs/s | MB/s | peak RSS tree (MiB) | warm (s) | warm RSS (MiB) | one changed (s) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let dir = work.join(format!("store-{n}"));
        let bytes = generate(n, &dir, &seeds);
        let cache = work.join(format!("cache-{n}"));
        let _ = std::fs::remove_dir_all(&cache);
        let out = work.join(format!("review-{n}.json"));
        // Warm the page cache for both sides, then measure the floor.
        let _ = floor(&dir);
        let floor_s = floor(&dir);
        let cold = review(&dir, Some(&cache), &out);
        let warm = review(&dir, Some(&cache), &out);
        // One document changes: a Markdown file gets a new line.
        if let Some(md) = files(&dir).into_iter().find(|p| ext_of(p) == "md") {
            let mut d = std::fs::read(&md).expect("read");
            d.extend_from_slice(b"\nChanged for the benchmark.\n");
            std::fs::write(&md, d).expect("write");
        }
        let changed = review(&dir, Some(&cache), &out);
        let mb = bytes as f64 / 1e6;
        println!(
            "| {n} | {mb:.0} | {floor_s:.1} | {:.1} | {:.1} | {:.1}× | {:.1} | {:.2} | {} | {:.1} | {} | {:.1} |",
            cold.wall,
            cold.cpu,
            cold.wall / floor_s.max(0.001),
            n as f64 / cold.wall,
            mb / cold.wall,
            cold.peak_mib.max(warm.peak_mib).max(changed.peak_mib),
            warm.wall,
            warm.peak_mib,
            changed.wall
        );
    }
}
