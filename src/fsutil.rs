//! Writing files safely: every file crosswalk writes (reports, stored reviews, caches) is written whole
//! or not at all (a temporary file beside the target, then a rename), and a report's output path is
//! checked before any work starts so that it can never replace a document under review.

use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: refusing to write inside the reviewed folder {root} (reviews are read-only)")]
    InsideRoot { path: String, root: String },
    #[error("{path}: refusing to write: it is the reviewed document itself")]
    IsReviewed { path: String },
    #[error("{path}: refusing to write: it is a link to {target}, inside the reviewed folder")]
    LinkIntoRoot { path: String, target: String },
    #[error("{path}: the folder does not exist")]
    NoFolder { path: String },
    #[error("{path}: cannot write: {source}")]
    Io { path: String, source: std::io::Error },
}

/// A temporary name beside `target`, unique to this process and call.
fn temp_beside(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| Path::new("."));
    dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), &crate::model::random_hex()[..8]))
}

/// Write `bytes` to `path` atomically: readers see the old file or the whole new one, never a part.
/// The error names the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temp_beside(path);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        std::io::Error::new(e.kind(), format!("{}: cannot write: {e}", path.display()))
    })
}

/// A report destination checked before the review runs: not inside the reviewed root, not the reviewed
/// file itself (same device and inode after resolving links), not a link into the root, and writable
/// (a temporary file is created at once and renamed over the target when the report is ready).
pub struct OutputFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<std::fs::File>,
}

impl OutputFile {
    /// `root` is the local source (folder, archive, repository); a Drive source has none.
    pub fn prepare(output: &Path, root: Option<&Path>) -> Result<OutputFile, OutputError> {
        let shown = output.display().to_string();
        let parent = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let parent = parent.canonicalize().map_err(|_| OutputError::NoFolder { path: shown.clone() })?;
        let name = output.file_name().ok_or_else(|| OutputError::NoFolder { path: shown.clone() })?;
        let target = parent.join(name);
        if let Some(root) = root {
            check_outside(&target, root, &shown)?;
        }
        let tmp = temp_beside(&target);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|source| OutputError::Io { path: shown.clone(), source })?;
        Ok(OutputFile { target, tmp, file: Some(file) })
    }
}

/// Refuse a destination inside `root`, a link into it, or the reviewed file itself.
fn check_outside(target: &Path, root: &Path, shown: &str) -> Result<(), OutputError> {
    let shown = shown.to_string();
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let root_shown = root.display().to_string();
    if root.is_dir() && target.starts_with(&root) {
        return Err(OutputError::InsideRoot { path: shown, root: root_shown });
    }
    if let Ok(meta) = std::fs::symlink_metadata(target)
        && meta.file_type().is_symlink()
        && let Ok(real) = target.canonicalize()
        && (real.starts_with(&root) || same_file(&real, &root))
    {
        return Err(OutputError::LinkIntoRoot { path: shown, target: real.display().to_string() });
    }
    if same_file(target, &root) {
        return Err(OutputError::IsReviewed { path: shown });
    }
    Ok(())
}

impl OutputFile {
    /// Write the report and put it in place.
    pub fn commit(mut self, bytes: &[u8]) -> Result<PathBuf, OutputError> {
        let shown = self.target.display().to_string();
        let io = |source| OutputError::Io { path: shown.clone(), source };
        let mut f = self.file.take().ok_or_else(|| io(std::io::Error::other("already written")))?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        drop(f);
        std::fs::rename(&self.tmp, &self.target).map_err(io)?;
        Ok(self.target.clone())
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Same file on disk (device and inode), following links; false when either cannot be read.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_checked_before_work_and_written_whole() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("docs");
        std::fs::create_dir_all(&root).expect("mkdir");
        let doc = root.join("a.md");
        std::fs::write(&doc, "# A").expect("write");
        // The reviewed file itself, as the root.
        assert!(matches!(OutputFile::prepare(&doc, Some(&doc)), Err(OutputError::IsReviewed { .. })));
        // Inside the reviewed folder.
        assert!(matches!(OutputFile::prepare(&root.join("r.json"), Some(&root)), Err(OutputError::InsideRoot { .. })));
        // A link outside the folder that points at a reviewed document.
        #[cfg(unix)]
        {
            let link = tmp.path().join("out.json");
            std::os::unix::fs::symlink(&doc, &link).expect("link");
            assert!(matches!(OutputFile::prepare(&link, Some(&root)), Err(OutputError::LinkIntoRoot { .. })));
            assert!(matches!(OutputFile::prepare(&link, Some(&doc)), Err(OutputError::LinkIntoRoot { .. })));
        }
        // A folder that does not exist is reported before any work.
        assert!(matches!(OutputFile::prepare(&tmp.path().join("nope/r.json"), Some(&root)), Err(OutputError::NoFolder { .. })));
        let out = OutputFile::prepare(&tmp.path().join("r.json"), Some(&root)).expect("prepare");
        let written = out.commit(b"{}").expect("commit");
        assert_eq!(std::fs::read(written).expect("read"), b"{}");
        assert_eq!(std::fs::read_to_string(&doc).expect("doc"), "# A");
        // No temporary file is left behind, written or abandoned.
        drop(OutputFile::prepare(&tmp.path().join("s.json"), Some(&root)).expect("prepare"));
        let names: Vec<String> =
            std::fs::read_dir(tmp.path()).expect("ls").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }
}
