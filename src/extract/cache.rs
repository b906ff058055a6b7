//! The extraction cache: what a file's bytes extracted to, kept by content hash so that a second review of
//! an unchanged store reads no document twice, and a changed document is the only one read again.
//!
//! An embedded SQLite file (`extract-v1.sqlite`) under the user's cache directory (`--cache-dir`, or
//! `$CROSSWALK_CACHE_DIR`, `$XDG_CACHE_HOME/crosswalk`, `~/.cache/crosswalk`), never under a reviewed
//! root. The key is the file's SHA-256, its name (extraction reads the name: format, ID and revision) and
//! the extractor version (this build, and whether poppler is there to lay PDFs out). The value is the
//! extraction outcome as JSON with its own SHA-256: an entry whose body does not match is deleted and the
//! file read again, and a cache file that is not a database is moved aside and rebuilt. A cache is an
//! optimisation only: any failure to open, read or write it leaves the review exactly as it would be
//! without one.
//!
//! Only outcomes that depend on the bytes alone are kept: a file that crashed or timed out its worker (which
//! depends on the limits of this run) is read again next time.
//!
//! Evaluation is pure, so its result is kept too (`judged`): keyed by a digest of everything it reads — the
//! extracted documents, the catalog, the model, the judge, the settings and this build — a review of an
//! unchanged store is the stored judgment, given the documents read this time.

use super::ExtractError;
use super::isolate::Outcome;
use crate::model::{hex, sha256_hex};
use rusqlite::{Connection, OptionalExtension as _, params};
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bump when extraction output changes for the same bytes in a way the crate version does not capture.
const FORMAT: u32 = 1;
const FILE_NAME: &str = "extract-v1.sqlite";
/// Judged reviews kept (the most recent): enough for a few stores reviewed in turn.
const JUDGED_KEPT: i64 = 16;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache directory {0}: {1}")]
    Dir(String, std::io::Error),
    #[error("cache directory {0} is inside the reviewed folder: crosswalk never writes there (choose another --cache-dir)")]
    InsideRoot(String),
    #[error("cache {0}: {1}")]
    Db(String, rusqlite::Error),
}

pub struct Cache {
    conn: Mutex<Connection>,
    version: String,
    path: PathBuf,
}

/// The default cache directory: `$CROSSWALK_CACHE_DIR`, `$XDG_CACHE_HOME/crosswalk` or `~/.cache/crosswalk`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CROSSWALK_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("crosswalk"));
    }
    std::env::var_os("HOME").filter(|d| !d.is_empty()).map(|h| PathBuf::from(h).join(".cache/crosswalk"))
}

impl Cache {
    /// Open (or create) the cache in `dir`. `root`, when given, is the reviewed folder: a cache inside it is
    /// refused.
    pub fn open(dir: &Path, root: Option<&Path>) -> Result<Cache, CacheError> {
        let shown = dir.display().to_string();
        // Checked before anything is created: the folder may not exist yet.
        if let Some(root) = root.and_then(|r| r.canonicalize().ok())
            && resolved(dir).starts_with(&root)
        {
            return Err(CacheError::InsideRoot(shown));
        }
        std::fs::create_dir_all(dir).map_err(|e| CacheError::Dir(shown.clone(), e))?;
        let dir = dir.canonicalize().map_err(|e| CacheError::Dir(shown.clone(), e))?;
        let path = dir.join(FILE_NAME);
        let conn = match open_db(&path) {
            Ok(c) => c,
            Err(_) => {
                // Not a database we can use (corrupt, truncated, another program's file): never trusted, set
                // aside for inspection and rebuilt.
                let aside = dir.join(format!("{FILE_NAME}.corrupt"));
                let _ = std::fs::rename(&path, &aside);
                for ext in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(dir.join(format!("{FILE_NAME}{ext}")));
                }
                open_db(&path).map_err(|e| CacheError::Db(path.display().to_string(), e))?
            }
        };
        let poppler = super::pdf_layout::pdftotext().is_some();
        let version = format!("{}+{FORMAT}+{}+poppler={poppler}", env!("CARGO_PKG_VERSION"), env!("CROSSWALK_EXTRACT_ID"));
        Ok(Cache { conn: Mutex::new(conn), version, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A judged review stored under `key` (a digest of everything evaluation reads), if intact.
    pub fn get_judged(&self, key: &str) -> Option<Vec<u8>> {
        let conn = self.conn.lock().ok()?;
        let (body, body_sha): (Vec<u8>, String) = conn
            .query_row("SELECT body, body_sha256 FROM judged WHERE key = ?1", params![key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .ok()
            .flatten()?;
        if sha256_hex(&body) != body_sha {
            let _ = conn.execute("DELETE FROM judged WHERE key = ?1", params![key]);
            return None;
        }
        Some(body)
    }

    /// Keep a judged review; only the most recent few are kept.
    pub fn put_judged(&self, key: &str, body: &[u8]) {
        let body_sha = sha256_hex(body);
        if let Ok(conn) = self.conn.lock() {
            let _ = conn.execute(
                "INSERT OR REPLACE INTO judged (key, body, body_sha256, stored) VALUES (?1, ?2, ?3, (SELECT coalesce(max(stored), 0) + 1 FROM judged))",
                params![key, body, body_sha],
            );
            let _ = conn.execute("DELETE FROM judged WHERE stored <= (SELECT max(stored) FROM judged) - ?1", params![JUDGED_KEPT]);
        }
    }

    /// The outcome stored for these bytes under this name, if any and intact.
    pub fn get(&self, sha256: &str, name: &str) -> Option<Outcome> {
        let conn = self.conn.lock().ok()?;
        let row: Option<(Vec<u8>, String)> = conn
            .query_row(
                "SELECT body, body_sha256 FROM extracted WHERE sha256 = ?1 AND name = ?2 AND version = ?3",
                params![sha256, name, self.version],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ok()
            .flatten();
        let (body, body_sha) = row?;
        let intact = sha256_hex(&body) == body_sha;
        let outcome = if intact { serde_json::from_slice::<Outcome>(&body).ok() } else { None };
        if outcome.is_none() {
            let _ =
                conn.execute("DELETE FROM extracted WHERE sha256 = ?1 AND name = ?2 AND version = ?3", params![sha256, name, self.version]);
        }
        outcome
    }

    /// The content hash and size of a file known at its source by an immutable revision key (a git blob
    /// id, a Drive file at a revision): such a file is neither fetched nor hashed again.
    pub fn get_revision(&self, key: &str) -> Option<(String, u64)> {
        let conn = self.conn.lock().ok()?;
        conn.query_row("SELECT sha256, bytes FROM revisions WHERE key = ?1", params![key], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)))
            .optional()
            .ok()
            .flatten()
            .map(|(sha, bytes)| (sha, u64::try_from(bytes).unwrap_or(0)))
    }

    pub fn put_revision(&self, key: &str, sha256: &str, bytes: u64) {
        if let Ok(conn) = self.conn.lock() {
            let _ = conn.execute(
                "INSERT OR REPLACE INTO revisions (key, sha256, bytes) VALUES (?1, ?2, ?3)",
                params![key, sha256, i64::try_from(bytes).unwrap_or(i64::MAX)],
            );
        }
    }

    /// Keep an outcome that depends on the bytes alone.
    pub fn put(&self, sha256: &str, name: &str, outcome: &Outcome) {
        if matches!(outcome, Err(ExtractError::Crashed(_))) || sha256.is_empty() {
            return;
        }
        let Ok(body) = serde_json::to_vec(outcome) else { return };
        let body_sha = sha256_hex(&body);
        if let Ok(conn) = self.conn.lock() {
            let _ = conn.execute(
                "INSERT OR REPLACE INTO extracted (sha256, name, version, body, body_sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![sha256, name, self.version, body, body_sha],
            );
        }
    }
}

/// `dir` with its longest existing ancestor resolved (links followed), the rest appended as given.
fn resolved(dir: &Path) -> PathBuf {
    let abs = if dir.is_absolute() { dir.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(dir) };
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |p, c| p.join(c));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return abs,
        }
    }
}

fn open_db(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL: readers never block the writer; NORMAL: no fsync per entry (a lost entry is only re-read).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS extracted (
            sha256 TEXT NOT NULL,
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            body BLOB NOT NULL,
            body_sha256 TEXT NOT NULL,
            PRIMARY KEY (sha256, name, version)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS revisions (
            key TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS judged (
            key TEXT PRIMARY KEY,
            body BLOB NOT NULL,
            body_sha256 TEXT NOT NULL,
            stored INTEGER NOT NULL
        );",
    )?;
    // A file that is not a database fails here, not at first use.
    conn.query_row("SELECT count(*) FROM extracted", [], |r| r.get::<_, i64>(0))?;
    Ok(conn)
}

/// SHA-256 of a file, streamed.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut h = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut h)?;
    Ok(hex(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Extracted, Format};

    fn outcome() -> Outcome {
        Ok((Format::Markdown, Extracted::default()))
    }

    #[test]
    fn stores_verifies_and_rebuilds() {
        let dir = tempfile::tempdir().expect("temp");
        let cache = Cache::open(dir.path(), None).expect("open");
        assert!(cache.get("aa", "a.md").is_none());
        cache.put("aa", "a.md", &outcome());
        assert_eq!(cache.get("aa", "a.md"), Some(outcome()));
        // Another name for the same bytes is another entry (the name is read too).
        assert!(cache.get("aa", "b.md").is_none());
        // A crash depends on this run's limits: never kept.
        cache.put("bb", "b.pdf", &Err(ExtractError::Crashed("timed out".into())));
        assert!(cache.get("bb", "b.pdf").is_none());
        // A tampered body is refused and dropped.
        {
            let conn = cache.conn.lock().expect("lock");
            conn.execute("UPDATE extracted SET body = X'7B7D' WHERE sha256 = 'aa'", []).expect("update");
        }
        assert!(cache.get("aa", "a.md").is_none());
        drop(cache);
        // A file that is not a database is set aside and rebuilt.
        std::fs::write(dir.path().join(FILE_NAME), b"not a database at all, just text").expect("write");
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.path().join(format!("{FILE_NAME}{ext}")));
        }
        let cache = Cache::open(dir.path(), None).expect("rebuilt");
        cache.put("cc", "c.md", &outcome());
        assert_eq!(cache.get("cc", "c.md"), Some(outcome()));
        assert!(dir.path().join(format!("{FILE_NAME}.corrupt")).exists());
    }

    #[test]
    fn never_inside_the_reviewed_folder() {
        let root = tempfile::tempdir().expect("temp");
        let inside = root.path().join("cache/deeper");
        assert!(matches!(Cache::open(&inside, Some(root.path())), Err(CacheError::InsideRoot(_))));
        assert!(!root.path().join("cache").exists(), "nothing may be created in the reviewed folder");
    }
}
