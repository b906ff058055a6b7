//! Review history in SQLite (rusqlite, bundled SQLite) under the data directory: one row per review;
//! uploaded documents in `reviews/<id>/docs/` (allowed folders are read in place, never copied), the JSON
//! report in `reviews/<id>/review.json` and the finished review's record in `reviews/<id>/review.record.json`.
//! Deleting a review removes its folder and row, never an allowed folder.

use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A review's identifier as the app generates it: 14 digits of UTC time, a dash and 16 to 32 lower-case
/// hex digits. Requests name reviews with untrusted strings; they become a `ReviewId` only through
/// [`ReviewId::parse`], so no handler can join a raw string onto a path or pass it to SQL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReviewId(String);

impl ReviewId {
    /// A new id: the current UTC time and 64 random bits.
    pub fn generate() -> ReviewId {
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let stamp: String = now.chars().filter(|c| c.is_ascii_digit()).take(14).collect();
        ReviewId(format!("{stamp}-{}", &super::random_hex()[..16]))
    }

    /// The id if `s` has exactly the generated shape, else `None`.
    pub fn parse(s: &str) -> Option<ReviewId> {
        let (stamp, rand) = s.split_once('-')?;
        let ok = stamp.len() == 14
            && stamp.bytes().all(|b| b.is_ascii_digit())
            && (8..=32).contains(&rand.len())
            && rand.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| ReviewId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ReviewId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    pub id: ReviewId,
    pub created: String,
    pub label: String,
    pub product: String,
    pub status: String,
    pub message: String,
    pub files: i64,
    pub met: i64,
    pub partial: i64,
    pub missing: i64,
    pub not_applicable: i64,
    pub started: String,
    pub finished: String,
    /// The folder read in place, or empty for uploaded documents.
    pub source: String,
}

pub struct Store {
    conn: Mutex<Connection>,
    dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("database lock poisoned")]
    Poisoned,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir.join("reviews"))?;
        let conn = Connection::open(dir.join("crosswalk.sqlite3"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS reviews (
                id TEXT PRIMARY KEY,
                created TEXT NOT NULL,
                label TEXT NOT NULL,
                product TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL,
                message TEXT NOT NULL DEFAULT '',
                files INTEGER NOT NULL DEFAULT 0,
                met INTEGER NOT NULL DEFAULT 0,
                partial INTEGER NOT NULL DEFAULT 0,
                missing INTEGER NOT NULL DEFAULT 0,
                not_applicable INTEGER NOT NULL DEFAULT 0,
                started TEXT NOT NULL DEFAULT '',
                finished TEXT NOT NULL DEFAULT ''
            );",
        )?;
        // Added columns (databases made by earlier versions lack them).
        let has_source: bool = conn.prepare("SELECT 1 FROM pragma_table_info('reviews') WHERE name = 'source'")?.exists([])?;
        if !has_source {
            conn.execute_batch("ALTER TABLE reviews ADD COLUMN source TEXT NOT NULL DEFAULT '';")?;
        }
        // Reviewer decisions belong to a technical file (a source, or an upload's label), not to one run: they
        // survive re-reviews and are checked against each run's documents.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS decisions (
                key TEXT NOT NULL,
                clause TEXT NOT NULL,
                at TEXT NOT NULL,
                body TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS decisions_key ON decisions (key);",
        )?;
        let store = Store { conn: Mutex::new(conn), dir: dir.to_path_buf() };
        let interrupted = store.mark_interrupted()?;
        if interrupted > 0 {
            eprintln!("crosswalk serve: {interrupted} review(s) left running by an earlier server marked interrupted");
        }
        Ok(store)
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }

    /// Keep a reviewer decision for the technical file `key` (every decision is kept; the latest per clause
    /// counts).
    pub fn add_decision(&self, key: &str, d: &crate::decisions::Decision) -> Result<(), StoreError> {
        let body = serde_json::to_string(d).map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        self.conn()?
            .execute("INSERT INTO decisions (key, clause, at, body) VALUES (?1, ?2, ?3, ?4)", params![key, d.clause, d.at, body])?;
        Ok(())
    }

    /// Every decision on the technical file `key`, oldest first.
    pub fn decisions(&self, key: &str) -> Result<crate::decisions::DecisionsFile, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare("SELECT body FROM decisions WHERE key = ?1 ORDER BY at, rowid")?;
        let rows = stmt.query_map(params![key], |r| r.get::<_, String>(0))?;
        let mut file = crate::decisions::DecisionsFile::default();
        for body in rows {
            if let Ok(d) = serde_json::from_str(&body?) {
                file.decisions.push(d);
            }
        }
        Ok(file)
    }

    /// The folder of one review (documents and report): always a direct child of `reviews/`, because a
    /// `ReviewId` holds only digits, hex and one dash.
    pub fn review_dir(&self, id: &ReviewId) -> PathBuf {
        self.dir.join("reviews").join(id.as_str())
    }

    /// A new running review; `source` is the folder read in place (an allowed folder), or empty for
    /// documents uploaded into the review's own folder.
    pub fn insert(&self, id: &ReviewId, created: &str, label: &str, product: &str, source: &str) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO reviews (id, created, label, product, status, source) VALUES (?1, ?2, ?3, ?4, 'running', ?5)",
            params![id.as_str(), created, label, product, source],
        )?;
        Ok(())
    }

    /// Store a finished review as its record (compacted: the cited and refused passages and their
    /// neighbours). Pages and downloads are rendered from it; it is never recomputed.
    pub fn save_record(&self, id: &ReviewId, review: &crate::review::Review) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(review).map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        crate::fsutil::write_atomic(&self.review_dir(id).join(RECORD), &bytes)?;
        Ok(())
    }

    /// The stored record of a finished review and its size in bytes, or `None` when there is none.
    pub fn load_record(&self, id: &ReviewId) -> Result<Option<(crate::review::Review, u64)>, StoreError> {
        let path = self.review_dir(id).join(RECORD);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let review =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Io(std::io::Error::other(format!("{}: {e}", path.display()))))?;
        Ok(Some((review, bytes.len() as u64)))
    }

    /// Run an interrupted or failed review again: back to `running`, its old message cleared.
    pub fn restart(&self, id: &ReviewId) -> Result<bool, StoreError> {
        let n = self.conn()?.execute(
            "UPDATE reviews SET status = 'running', message = '' WHERE id = ?1 AND status IN ('interrupted', 'failed')",
            params![id.as_str()],
        )?;
        Ok(n > 0)
    }

    /// Runs left `running` by a server that stopped (killed, crashed, power cut) can never finish: mark them
    /// `interrupted` so their pages stop polling and offer to review again. Returns how many were marked.
    pub fn mark_interrupted(&self) -> Result<usize, StoreError> {
        Ok(self.conn()?.execute(
            "UPDATE reviews SET status = 'interrupted', message = 'The server stopped before this review finished; nothing of it was kept. Review the documents again.' WHERE status = 'running'",
            [],
        )?)
    }

    pub fn finish(&self, id: &ReviewId, review: &crate::review::Review) -> Result<(), StoreError> {
        let s = &review.summary;
        self.conn()?.execute(
            "UPDATE reviews SET status = 'done', product = ?2, files = ?3, met = ?4, partial = ?5, missing = ?6, not_applicable = ?7, started = ?8, finished = ?9 WHERE id = ?1",
            params![
                id.as_str(),
                review.product,
                review.documents.len() as i64,
                s.met as i64,
                s.partial as i64,
                s.missing as i64,
                s.not_applicable as i64,
                review.started,
                review.finished
            ],
        )?;
        Ok(())
    }

    pub fn fail(&self, id: &ReviewId, message: &str) -> Result<(), StoreError> {
        self.conn()?.execute("UPDATE reviews SET status = 'failed', message = ?2 WHERE id = ?1", params![id.as_str(), message])?;
        Ok(())
    }

    pub fn get(&self, id: &ReviewId) -> Result<Option<ReviewRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{SELECT} WHERE id = ?1"))?;
        let mut rows = stmt.query_map(params![id.as_str()], row)?;
        Ok(rows.next().transpose()?)
    }

    pub fn list(&self) -> Result<Vec<ReviewRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY created DESC, id"))?;
        let rows = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Remove the row and every stored file of the review. Only a review that has a row is touched on
    /// disk, and only its own folder under `reviews/` (checked again after resolving links).
    pub fn delete(&self, id: &ReviewId) -> Result<bool, StoreError> {
        let n = self.conn()?.execute("DELETE FROM reviews WHERE id = ?1", params![id.as_str()])?;
        if n == 0 {
            return Ok(false);
        }
        let dir = self.review_dir(id);
        let reviews = self.dir.join("reviews").canonicalize()?;
        if let Ok(real) = dir.canonicalize()
            && real.parent() == Some(reviews.as_path())
            && real.is_dir()
        {
            std::fs::remove_dir_all(real)?;
        }
        Ok(true)
    }
}

/// The columns `row` reads, in its order.
const SELECT: &str = "SELECT id, created, label, product, status, message, files, met, partial, missing, not_applicable, started, finished, source FROM reviews";

/// The file holding a finished review's record, in its folder.
const RECORD: &str = "review.record.json";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReviewRow> {
    let id: String = r.get(0)?;
    // A row whose id does not parse was not written by this app: refuse it rather than trust it.
    let id = ReviewId::parse(&id).ok_or_else(|| rusqlite::Error::InvalidColumnType(0, "id".into(), rusqlite::types::Type::Text))?;
    Ok(ReviewRow {
        id,
        created: r.get(1)?,
        label: r.get(2)?,
        product: r.get(3)?,
        status: r.get(4)?,
        message: r.get(5)?,
        files: r.get(6)?,
        met: r.get(7)?,
        partial: r.get(8)?,
        missing: r.get(9)?,
        not_applicable: r.get(10)?,
        started: r.get(11)?,
        finished: r.get(12)?,
        source: r.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_ids_are_parsed_never_trusted() {
        let id = ReviewId::generate();
        assert_eq!(ReviewId::parse(id.as_str()), Some(id.clone()));
        assert!(ReviewId::parse("20261204171552-0123abcd").is_some());
        for bad in [
            "..",
            "%2e%2e",
            "../../victim",
            "20261204171552-0123ABCD",
            "20261204171552-",
            "2026-0123abcd",
            "20261204171552-0123abcd/..",
            "",
        ] {
            assert_eq!(ReviewId::parse(bad), None, "{bad:?}");
        }
    }
}
