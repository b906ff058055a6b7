//! Review history in SQLite (rusqlite, bundled SQLite) under the data directory: one row per review, the
//! reviewed documents copied to `reviews/<id>/docs/` and the JSON report to `reviews/<id>/review.json`.
//! Deleting a review removes both.

use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    pub id: String,
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
        Ok(Store { conn: Mutex::new(conn), dir: dir.to_path_buf() })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }

    /// The folder of one review (documents and report).
    pub fn review_dir(&self, id: &str) -> PathBuf {
        self.dir.join("reviews").join(id)
    }

    pub fn insert(&self, id: &str, created: &str, label: &str) -> Result<(), StoreError> {
        self.conn()?
            .execute("INSERT INTO reviews (id, created, label, status) VALUES (?1, ?2, ?3, 'running')", params![id, created, label])?;
        Ok(())
    }

    pub fn finish(&self, id: &str, review: &crate::review::Review) -> Result<(), StoreError> {
        let s = &review.summary;
        self.conn()?.execute(
            "UPDATE reviews SET status = 'done', product = ?2, files = ?3, met = ?4, partial = ?5, missing = ?6, not_applicable = ?7, started = ?8, finished = ?9 WHERE id = ?1",
            params![
                id,
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

    pub fn fail(&self, id: &str, message: &str) -> Result<(), StoreError> {
        self.conn()?.execute("UPDATE reviews SET status = 'failed', message = ?2 WHERE id = ?1", params![id, message])?;
        Ok(())
    }

    pub fn get(&self, id: &str) -> Result<Option<ReviewRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{SELECT} WHERE id = ?1"))?;
        let mut rows = stmt.query_map(params![id], row)?;
        Ok(rows.next().transpose()?)
    }

    pub fn list(&self) -> Result<Vec<ReviewRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY created DESC, id"))?;
        let rows = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Remove the row and every stored file of the review.
    pub fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let n = self.conn()?.execute("DELETE FROM reviews WHERE id = ?1", params![id])?;
        let dir = self.review_dir(id);
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        Ok(n > 0)
    }
}

/// The columns `row` reads, in its order.
const SELECT: &str =
    "SELECT id, created, label, product, status, message, files, met, partial, missing, not_applicable, started, finished FROM reviews";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReviewRow> {
    Ok(ReviewRow {
        id: r.get(0)?,
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
    })
}
