//! Extraction of untrusted bytes that cannot take the review down: every file is read by a worker process
//! (this same binary, hidden `__extract-worker` subcommand) with an address-space limit, and each file
//! gets a wall-clock deadline. A panic, hang or memory blow-up costs that one file: its worker is killed
//! and replaced. Workers are reused across files (no process start per file) and recycled now and then.
//!
//! Protocol: the parent streams a request — one JSON header line `{"name", "len", "timeout_ms"}` and
//! then `len` raw bytes — and the worker answers with an 8-byte little-endian length and the JSON
//! outcome. The parent never holds a whole file: it streams it from disk (hashing it on the way), so
//! its memory stays flat whatever the files hold; what comes back is capped by the extractors' limits
//! (characters and passages per document).

use super::{ExtractError, extract_file};
use crate::model::{Extracted, Format};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

/// How extraction is contained.
#[derive(Debug, Clone)]
pub struct Isolation {
    /// The `crosswalk` binary to run as worker; `None` extracts in this process (tests, tools).
    pub exe: Option<PathBuf>,
    pub timeout: Duration,
    /// Address-space limit of each worker, in bytes.
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

pub type Outcome = Result<(Format, Extracted), ExtractError>;

/// Files a worker reads before it is replaced by a fresh one (bounds slow leaks and fragmentation).
const FILES_PER_WORKER: usize = 200;
/// Largest request a worker accepts (the driver skips larger files before asking).
const MAX_REQUEST: u64 = 1 << 30;

#[derive(serde::Serialize, serde::Deserialize)]
struct Request {
    name: String,
    len: u64,
    timeout_ms: u64,
}

/// A running worker and the channel its answers arrive on.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<Vec<u8>>,
    served: usize,
    /// The end of what the worker wrote on stderr (a panic message, "memory allocation … failed").
    last_words: std::sync::Arc<Mutex<Vec<u8>>>,
}

impl Worker {
    fn start(exe: &Path, memory_bytes: u64) -> Result<Worker, ExtractError> {
        let mut child = Command::new(exe)
            .arg("__extract-worker")
            .arg("--memory")
            .arg(memory_bytes.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| ExtractError::Crashed(format!("cannot start the extractor process: {e}")))?;
        let stdin = child.stdin.take().ok_or_else(|| ExtractError::Crashed("extractor has no stdin".into()))?;
        let mut stdout = child.stdout.take().ok_or_else(|| ExtractError::Crashed("extractor has no stdout".into()))?;
        let last_words = std::sync::Arc::new(Mutex::new(Vec::new()));
        if let Some(mut err) = child.stderr.take() {
            let keep = last_words.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut k) = keep.lock() {
                        k.extend_from_slice(&buf[..n]);
                        let excess = k.len().saturating_sub(8192);
                        k.drain(..excess);
                    }
                }
            });
        }
        let (tx, answers) = channel();
        std::thread::spawn(move || {
            loop {
                let mut len = [0u8; 8];
                if stdout.read_exact(&mut len).is_err() {
                    break;
                }
                let n = u64::from_le_bytes(len);
                let mut frame = Vec::new();
                if n > MAX_REQUEST || (&mut stdout).take(n).read_to_end(&mut frame).is_err() || frame.len() as u64 != n {
                    break;
                }
                if tx.send(frame).is_err() {
                    break;
                }
            }
        });
        Ok(Worker { child, stdin, answers, served: 0, last_words })
    }

    /// Why the worker stopped, once it has.
    fn death(mut self) -> String {
        let _ = self.child.kill();
        let how = match self.child.wait() {
            Ok(s) if s.code().is_some() => format!("exit code {}", s.code().unwrap_or_default()),
            _ => "killed by a signal (out of memory or crash)".to_string(),
        };
        // Give the stderr reader a moment to collect the last line.
        std::thread::sleep(Duration::from_millis(20));
        let words = self.last_words.lock().map(|w| String::from_utf8_lossy(&w).into_owned()).unwrap_or_default();
        match words.lines().rev().find(|l| l.contains("panicked") || l.contains("memory")) {
            Some(line) => format!("{how}: {}", line.trim()),
            None => how,
        }
    }
}

/// A pool of workers shared by the extraction threads of one review.
pub struct Pool {
    isolation: Isolation,
    idle: Mutex<Vec<Worker>>,
}

impl Pool {
    pub fn new(isolation: &Isolation) -> Pool {
        Pool { isolation: isolation.clone(), idle: Mutex::new(Vec::new()) }
    }

    /// Extract the file at `path` (known to the review as `name`), streaming its bytes to a worker.
    /// Returns the outcome and the file's SHA-256 (hex), computed on the way.
    pub fn extract(&self, path: &Path, name: &str, len: u64) -> (Outcome, Option<String>) {
        let Some(exe) = &self.isolation.exe else {
            return match std::fs::read(path) {
                Ok(bytes) => {
                    let sha = crate::model::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes));
                    (in_process(name, &bytes, None), Some(sha))
                }
                Err(e) => (Err(ExtractError::Corrupt(format!("cannot read: {e}"))), None),
            };
        };
        let worker = self.idle.lock().ok().and_then(|mut v| v.pop());
        let mut worker = match worker {
            Some(w) => w,
            None => match Worker::start(exe, self.isolation.memory_bytes) {
                Ok(w) => w,
                Err(e) => return (Err(e), None),
            },
        };
        let (sent, sha) = send(&mut worker, path, name, len, self.isolation.timeout);
        if let Err(e) = sent {
            // A worker that stopped reading has died: its death is the reason; otherwise the read failed.
            let why = worker.death();
            let reason = if e.starts_with("extractor") { why } else { e };
            return (Err(ExtractError::Crashed(reason)), sha);
        }
        let outcome = match worker.answers.recv_timeout(self.isolation.timeout) {
            Ok(frame) => serde_json::from_slice::<Outcome>(&frame)
                .unwrap_or_else(|e| Err(ExtractError::Crashed(format!("unreadable extractor output: {e}")))),
            Err(RecvTimeoutError::Timeout) => {
                let _ = worker.death();
                return (Err(ExtractError::Crashed(format!("timed out after {} s", self.isolation.timeout.as_secs()))), sha);
            }
            Err(RecvTimeoutError::Disconnected) => {
                let why = worker.death();
                return (Err(ExtractError::Crashed(why)), sha);
            }
        };
        worker.served += 1;
        if worker.served < FILES_PER_WORKER
            && let Ok(mut idle) = self.idle.lock()
        {
            idle.push(worker);
        } else {
            let _ = worker.death();
        }
        (outcome, sha)
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Ok(mut idle) = self.idle.lock() {
            for w in idle.drain(..) {
                let _ = w.death();
            }
        }
    }
}

/// Stream the request to the worker, hashing the file as it goes.
fn send(worker: &mut Worker, path: &Path, name: &str, len: u64, timeout: Duration) -> (Result<(), String>, Option<String>) {
    use sha2::Digest as _;
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return (Err(format!("cannot read: {e}")), None),
    };
    let header = Request { name: name.to_string(), len, timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX) };
    let mut line = serde_json::to_vec(&header).unwrap_or_default();
    line.push(b'\n');
    if let Err(e) = worker.stdin.write_all(&line) {
        return (Err(format!("extractor not accepting work: {e}")), None);
    }
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 << 10];
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return (Err(format!("cannot read: {e}")), None),
        };
        hasher.update(&buf[..n]);
        if let Err(e) = worker.stdin.write_all(&buf[..n]) {
            return (Err(format!("extractor stopped reading: {e}")), None);
        }
        left -= n as u64;
    }
    if left > 0 {
        // The file shrank while being read: pad so the worker's framing holds, and say so.
        let _ = worker.stdin.write_all(&vec![0u8; usize::try_from(left).unwrap_or(0)]);
        return (Err("the file changed while it was being read".into()), None);
    }
    let _ = worker.stdin.flush();
    (Ok(()), Some(crate::model::hex(&hasher.finalize())))
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

fn limit_memory(memory_bytes: u64) {
    if memory_bytes > 0 {
        let _ = rlimit::setrlimit(rlimit::Resource::AS, memory_bytes, memory_bytes);
    }
}

/// The worker: limit memory, then answer requests from stdin until it closes. Returns the exit code.
/// Helper programs it runs (poppler's `pdftotext`) inherit the memory limit and get a deadline inside
/// the request's.
pub fn worker_main(memory_bytes: u64) -> i32 {
    limit_memory(memory_bytes);
    // PDFs are handed to poppler as files: a private folder for them, removed on exit.
    let scratch = tempfile::Builder::new().prefix("crosswalk-extract-").tempdir().ok();
    let stdin = std::io::stdin();
    let mut input = BufReader::new(stdin.lock());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut header = Vec::new();
    loop {
        header.clear();
        match (&mut input).take(64 << 10).read_until(b'\n', &mut header) {
            Ok(0) | Err(_) => return 0,
            Ok(_) => {}
        }
        let Ok(req) = serde_json::from_slice::<Request>(&header) else { return 3 };
        if req.len > MAX_REQUEST {
            return 3;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(req.len).unwrap_or(0));
        if (&mut input).take(req.len).read_to_end(&mut bytes).is_err() || bytes.len() as u64 != req.len {
            return 3;
        }
        let deadline = Duration::from_millis(req.timeout_ms).saturating_sub(Duration::from_millis(500)).max(Duration::from_millis(500));
        let on_disk = match (&scratch, super::sniff(&req.name, &bytes)) {
            (Some(dir), Format::Pdf) => {
                let p = dir.path().join("input.pdf");
                std::fs::write(&p, &bytes).ok().map(|_| p)
            }
            _ => None,
        };
        let outcome = in_process(&req.name, &bytes, on_disk.as_deref().map(|p| (p, deadline)));
        if let Some(p) = &on_disk {
            let _ = std::fs::remove_file(p);
        }
        drop(bytes);
        let frame = serde_json::to_vec(&outcome).unwrap_or_else(|e| {
            serde_json::to_vec(&Outcome::Err(ExtractError::Crashed(format!("cannot encode the result: {e}")))).unwrap_or_default()
        });
        if out.write_all(&(frame.len() as u64).to_le_bytes()).and_then(|_| out.write_all(&frame)).and_then(|_| out.flush()).is_err() {
            return 0;
        }
    }
}

/// One file in a child process of its own (`crosswalk __extract`, kept for inspecting an extraction by
/// hand): limit memory, read the file, extract, answer on stdout. Returns the exit code.
pub fn child_main(path: &Path, name: &str, memory_bytes: u64, timeout: Duration) -> i32 {
    limit_memory(memory_bytes);
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
