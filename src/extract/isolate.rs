//! Run one file's extraction so that it cannot take the review down: risky formats go to a child process
//! (this same binary, hidden `__extract` subcommand) with an address-space limit and a wall-clock
//! timeout; the rest run in-process behind `catch_unwind`. The child answers with JSON on stdout.

use super::{ExtractError, extract_file, is_risky};
use crate::model::{Extracted, Format};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How extraction is contained.
#[derive(Debug, Clone)]
pub struct Isolation {
    /// The `crosswalk` binary to re-run for risky formats; `None` extracts everything in-process.
    pub exe: Option<PathBuf>,
    pub timeout: Duration,
    /// Address-space limit of the child, in bytes.
    pub memory_bytes: u64,
}

impl Isolation {
    pub fn in_process() -> Self {
        Isolation { exe: None, timeout: Duration::from_secs(60), memory_bytes: 0 }
    }

    pub fn child(exe: PathBuf) -> Self {
        Isolation { exe: Some(exe), timeout: Duration::from_secs(60), memory_bytes: 2 << 30 }
    }
}

type Outcome = Result<(Format, Extracted), ExtractError>;

/// Extract `bytes` (read from `path`, known to the review as `name`) under `isolation`.
pub fn extract_contained(isolation: &Isolation, path: &Path, name: &str, bytes: &[u8]) -> Outcome {
    let format = super::sniff(name, bytes);
    match &isolation.exe {
        Some(exe) if is_risky(format) => in_child(exe, isolation, path, name),
        _ => in_process(name, bytes, None),
    }
}

fn in_process(name: &str, bytes: &[u8], on_disk: Option<(&Path, Duration)>) -> Outcome {
    match std::panic::catch_unwind(|| extract_file(name, bytes, on_disk)) {
        Ok(outcome) => outcome,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(ExtractError::Crashed(format!("parser panicked: {}", msg.lines().next().unwrap_or(""))))
        }
    }
}

fn in_child(exe: &Path, isolation: &Isolation, path: &Path, name: &str) -> Outcome {
    let mut child = Command::new(exe)
        .arg("__extract")
        .arg("--name")
        .arg(name)
        .arg("--memory")
        .arg(isolation.memory_bytes.to_string())
        .arg("--timeout-ms")
        .arg(isolation.timeout.as_millis().to_string())
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ExtractError::Crashed(format!("cannot start the extractor process: {e}")))?;
    let mut stdout = child.stdout.take().ok_or_else(|| ExtractError::Crashed("no stdout".into()))?;
    let mut stderr = child.stderr.take().ok_or_else(|| ExtractError::Crashed("no stderr".into()))?;
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(64 << 10).read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() > isolation.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(ExtractError::Crashed(format!("waiting for the extractor: {e}"))),
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let Some(status) = status else {
        return Err(ExtractError::Crashed(format!("timed out after {} s", isolation.timeout.as_secs())));
    };
    if !status.success() {
        let detail = String::from_utf8_lossy(&err);
        let detail = detail.lines().find(|l| l.contains("panicked") || l.contains("memory")).unwrap_or("").trim();
        let how = match status.code() {
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal (out of memory or crash)".to_string(),
        };
        return Err(ExtractError::Crashed(if detail.is_empty() { how } else { format!("{how}: {detail}") }));
    }
    serde_json::from_slice::<Outcome>(&out).unwrap_or_else(|e| Err(ExtractError::Crashed(format!("unreadable extractor output: {e}"))))
}

/// The child side: limit memory, read the file, extract, answer on stdout. Returns the exit code. Helper
/// programs it runs (poppler's `pdftotext`) inherit the memory limit and get a deadline inside the
/// parent's timeout.
pub fn child_main(path: &Path, name: &str, memory_bytes: u64, timeout: Duration) -> i32 {
    if memory_bytes > 0 {
        let _ = rlimit::setrlimit(rlimit::Resource::AS, memory_bytes, memory_bytes);
    }
    let outcome: Outcome = match std::fs::read(path) {
        Ok(bytes) => {
            in_process(name, &bytes, Some((path, timeout.saturating_sub(Duration::from_millis(500)).max(Duration::from_millis(500)))))
        }
        Err(e) => Err(ExtractError::Corrupt(format!("cannot read: {e}"))),
    };
    match serde_json::to_writer(std::io::stdout().lock(), &outcome) {
        Ok(()) => 0,
        Err(_) => 3,
    }
}
