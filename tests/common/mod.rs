//! Helpers shared by the integration tests: the built binary, the team's shared folder, temp packs.
#![allow(dead_code)]

pub(crate) mod proctree;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, with its extraction cache in a folder of this test process (each test run starts cold and
/// never touches the user's cache).
pub(crate) fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_crosswalk"));
    c.env("CROSSWALK_CACHE_DIR", std::env::temp_dir().join(format!("crosswalk-test-cache-{}", std::process::id())));
    c
}

pub(crate) fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("crosswalk runs")
}

pub(crate) fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The team's shared folder (`../shared` beside the checkout, or `CROSSWALK_SHARED`).
pub(crate) fn shared() -> PathBuf {
    match std::env::var_os("CROSSWALK_SHARED") {
        Some(p) => PathBuf::from(p),
        None => manifest().join("../shared"),
    }
}

pub(crate) fn devset() -> PathBuf {
    shared().join("devset/acme-dialysis")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// JSON review of `path` (extra args appended).
pub(crate) fn review_json(path: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["review", path.to_str().expect("utf-8 path"), "--format", "json", "--quiet"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "review failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Every file under `dir` with its bytes and modification time, to prove a review wrote nothing.
pub(crate) fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let e = e.expect("entry");
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).expect("metadata");
            if m.is_dir() {
                stack.push(p);
            } else if m.is_file() {
                out.push((p.clone(), std::fs::read(&p).expect("read"), m.modified().expect("mtime")));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
