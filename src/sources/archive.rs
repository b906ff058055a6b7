//! Zip archives (a supplier's delivery, a browser upload): entry names are never trusted (only safe relative
//! paths are kept), archives are unpacked with limits on entry count, sizes and compression ratio, and
//! archive paths that escape are refused. Everything lands in a folder of ours (the web app's review folder
//! or a private staging folder), never beside the archive.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// Limits on one upload.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_total: u64,
    pub max_file: u64,
    pub max_files: usize,
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_total: 256 << 20, max_file: 64 << 20, max_files: 2000, max_ratio: 100 }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
    #[error("{0}: the path leaves the upload folder")]
    Escapes(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}: not a readable zip archive")]
    BadZip(String),
    #[error("no files were uploaded")]
    Empty,
    #[error("cannot store the upload: {0}")]
    Io(String),
}

/// A relative path made only of normal components, or `None` when the name is absolute, climbs out
/// (`..`), or is empty. Backslashes count as separators.
pub fn safe_relative(name: &str) -> Option<PathBuf> {
    let name = name.replace('\\', "/");
    if name.contains('\0') || name.starts_with('/') || name.contains(':') {
        return None;
    }
    let mut out = PathBuf::new();
    for c in Path::new(&name).components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Running totals across one upload.
#[derive(Default)]
pub struct Budget {
    pub files: usize,
    pub bytes: u64,
}

impl Budget {
    pub fn add(&mut self, limits: &Limits, name: &str, bytes: u64) -> Result<(), UploadError> {
        self.files += 1;
        self.bytes += bytes;
        if self.files > limits.max_files {
            return Err(UploadError::TooLarge(format!("more than {} files", limits.max_files)));
        }
        if bytes > limits.max_file {
            return Err(UploadError::TooLarge(format!("{name}: larger than {} bytes", limits.max_file)));
        }
        if self.bytes > limits.max_total {
            return Err(UploadError::TooLarge(format!("upload larger than {} bytes", limits.max_total)));
        }
        Ok(())
    }
}

/// Unpack a zip into `dest` with the limits; refuse escaping paths and bombs before writing anything.
/// Returns the entries not unpacked (symbolic links), for the review to list.
pub fn unzip(archive: &Path, dest: &Path, limits: &Limits, budget: &mut Budget) -> Result<Vec<super::SourceProblem>, UploadError> {
    let label = archive.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let file = std::fs::File::open(archive).map_err(|e| UploadError::Io(e.to_string()))?;
    let archive_len = file.metadata().map(|m| m.len()).unwrap_or(0).max(1);
    let mut zip = zip::ZipArchive::new(file).map_err(|_| UploadError::BadZip(label.clone()))?;
    // Check every entry first: nothing is written for an archive that breaks a rule.
    let mut plan = Vec::new();
    let mut skipped = Vec::new();
    let mut spans: Vec<(u64, u64, String)> = Vec::new();
    let mut declared = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|_| UploadError::BadZip(label.clone()))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if entry.is_dir() {
            continue;
        }
        spans.push((entry.header_start(), entry.compressed_size(), name.clone()));
        if entry.is_symlink() {
            // A link is never materialised: not as a link (it could point anywhere), nor as a file.
            skipped.push(super::SourceProblem::new(&name, "skipped: symbolic link in the archive"));
            continue;
        }
        let Some(rel) = safe_relative(&name) else { return Err(UploadError::Escapes(name)) };
        let (size, packed) = (entry.size(), entry.compressed_size().max(1));
        if size > (1 << 20) && size / packed > limits.max_ratio {
            return Err(UploadError::TooLarge(format!("{name}: compression ratio {} looks like a zip bomb", size / packed)));
        }
        declared = declared.saturating_add(size);
        if declared > limits.max_total {
            return Err(UploadError::TooLarge(format!("{label}: unpacks to more than {} bytes", limits.max_total)));
        }
        budget.add(limits, &name, size)?;
        plan.push((i, rel, size));
    }
    // Entries whose data overlap (many names for the same compressed bytes) are the "overlapping zip bomb":
    // each looks modest, together they inflate without limit.
    spans.sort();
    for w in spans.windows(2) {
        if w[1].0 < w[0].0.saturating_add(w[0].1).saturating_add(30) {
            return Err(UploadError::TooLarge(format!("{label}: entries {:?} and {:?} overlap (a zip bomb)", w[0].2, w[1].2)));
        }
    }
    if declared / archive_len > limits.max_ratio && declared > (1 << 20) {
        return Err(UploadError::TooLarge(format!("{label}: unpacks to {} times its size (a zip bomb)", declared / archive_len)));
    }
    for (i, rel, size) in plan {
        let entry = zip.by_index(i).map_err(|_| UploadError::BadZip(label.clone()))?;
        let target = dest.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| UploadError::Io(e.to_string()))?;
        }
        let mut out = std::fs::File::create(&target).map_err(|e| UploadError::Io(e.to_string()))?;
        // Never trust the declared size: read at most one byte more than it.
        let mut limited = entry.take(size + 1);
        let copied = std::io::copy(&mut limited, &mut out).map_err(|e| UploadError::Io(e.to_string()))?;
        if copied > size {
            let _ = std::fs::remove_file(&target);
            return Err(UploadError::TooLarge(format!("{}: inflates beyond its declared size", rel.display())));
        }
        out.flush().map_err(|e| UploadError::Io(e.to_string()))?;
    }
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_relative_paths() {
        assert_eq!(safe_relative("docs/a.pdf"), Some(PathBuf::from("docs/a.pdf")));
        assert_eq!(safe_relative("./a.md"), Some(PathBuf::from("a.md")));
        for bad in ["../x", "a/../../x", "/etc/passwd", "C:\\x", "..\\..\\x", "", "a\0b"] {
            assert_eq!(safe_relative(bad), None, "{bad:?}");
        }
    }
}
