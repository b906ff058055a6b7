//! Speed and memory of a review, measured (not asserted): catalog load, the labelled dev set with
//! contained extraction, and a corpus of 10 copies of it. Run with `cargo bench --bench review`; the
//! figures go into closing notes and CHANGELOG entries.

use crosswalk::catalog::load_builtin;
use crosswalk::driver::{Quiet, ReviewRequest, run};
use crosswalk::evaluate::Settings;
use crosswalk::extract::isolate::Isolation;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn shared() -> PathBuf {
    std::env::var_os("CROSSWALK_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn review(root: &Path, jobs: usize) -> (usize, f64) {
    let catalog = load_builtin("iec-81001-5-1").expect("catalog");
    let request = ReviewRequest {
        source: crosswalk::sources::Spec::Folder(root.to_path_buf()),
        drive: None,
        root_display: root.display().to_string(),
        catalog,
        settings: Settings { product: "Bench".into(), ..Settings::default() },
        isolation: Isolation::child(PathBuf::from(env!("CARGO_BIN_EXE_crosswalk"))),
        jobs,
        cache: None,
    };
    let start = Instant::now();
    let r = run(&request, &Quiet).expect("review");
    (r.documents.len(), start.elapsed().as_secs_f64())
}

fn main() {
    let start = Instant::now();
    let runs = 5;
    for _ in 0..runs {
        load_builtin("iec-81001-5-1").expect("catalog");
    }
    println!("catalog load: {:.1} ms (mean of {runs})", start.elapsed().as_secs_f64() * 1000.0 / runs as f64);

    let docs = shared().join("devset/acme-dialysis/docs");
    let mut times = Vec::new();
    let mut files = 0;
    for _ in 0..runs {
        let (n, t) = review(&docs, 2);
        files = n;
        times.push(t);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!("dev set ({files} files, 2 jobs): median {:.3} s, {:.1} files/s", times[runs / 2], files as f64 / times[runs / 2]);

    let tmp = std::env::temp_dir().join(format!("crosswalk-bench-{}", std::process::id()));
    for i in 0..10 {
        copy_dir(&docs, &tmp.join(format!("copy-{i:02}")));
    }
    for jobs in [1, 2] {
        let (n, t) = review(&tmp, jobs);
        println!("10× dev set ({n} files, {jobs} job(s)): {t:.2} s, {:.1} files/s", n as f64 / t);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    println!("peak RSS of the reviewing process: {} MiB (extraction children not included)", peak_rss_kib() / 1024);
}
