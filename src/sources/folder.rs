//! Walk a folder read-only: every regular file, sorted by relative path. `.git` internals are skipped
//! (`.github` is kept); symbolic links are followed only when they resolve inside the root, and each
//! directory is visited once, so link loops end.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A file found in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Relative to the root, `/`-separated, as the file sits there.
    pub rel: String,
    /// Where its bytes are on this machine (for remote sources: where `Source::fetch` puts them).
    pub abs: PathBuf,
    pub bytes: u64,
    pub origin: crate::model::Origin,
    /// A key that names these exact bytes at the source without reading them (a git blob id, a Drive file
    /// at a revision): an unchanged file is then neither fetched nor hashed again.
    pub revision_key: Option<String>,
}

impl SourceFile {
    pub fn local(rel: String, abs: PathBuf, bytes: u64) -> SourceFile {
        SourceFile { rel, abs, bytes, origin: crate::model::Origin::Folder, revision_key: None }
    }
}

/// An entry of a source that was not read, and why (shown in every report and in the JSON).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SourceProblem {
    pub path: String,
    pub reason: String,
}

impl SourceProblem {
    pub fn new(path: &str, reason: impl Into<String>) -> SourceProblem {
        SourceProblem { path: path.to_string(), reason: reason.into() }
    }
}

impl std::fmt::Display for SourceProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{path}: cannot read: {source}")]
    Root { path: String, source: std::io::Error },
}

/// Files under `root` (or `root` itself when it is a file), plus one line per entry that could not be read.
pub fn walk(root: &Path) -> Result<(Vec<SourceFile>, Vec<SourceProblem>), WalkError> {
    let canon_root = root.canonicalize().map_err(|source| WalkError::Root { path: root.display().to_string(), source })?;
    let meta = std::fs::metadata(&canon_root).map_err(|source| WalkError::Root { path: root.display().to_string(), source })?;
    if meta.is_file() {
        let name = canon_root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return Ok((vec![SourceFile::local(name, canon_root, meta.len())], vec![]));
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut visited = HashSet::new();
    visited.insert(canon_root.clone());
    let mut stack = vec![(canon_root.clone(), String::new())];
    while let Some((dir, rel_dir)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(SourceProblem::new(if rel_dir.is_empty() { "." } else { &rel_dir }, format!("cannot read folder: {e}")));
                continue;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel_dir.is_empty() { name.clone() } else { format!("{rel_dir}/{name}") };
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else { continue };
            let (is_dir, is_file, abs) = if file_type.is_symlink() {
                match path.canonicalize() {
                    Ok(target) if target.starts_with(&canon_root) => match std::fs::metadata(&target) {
                        Ok(m) => (m.is_dir(), m.is_file(), target),
                        Err(_) => continue,
                    },
                    Ok(_) => {
                        problems.push(SourceProblem::new(&rel, "skipped: symbolic link points outside the reviewed folder"));
                        continue;
                    }
                    // ELOOP: the link resolves to itself through other links.
                    Err(e) if e.raw_os_error() == Some(40) => {
                        problems.push(SourceProblem::new(&rel, "skipped: symbolic link loop"));
                        continue;
                    }
                    Err(_) => {
                        problems.push(SourceProblem::new(&rel, "skipped: broken symbolic link (its target does not exist)"));
                        continue;
                    }
                }
            } else {
                (file_type.is_dir(), file_type.is_file(), path.clone())
            };
            if !is_dir && !is_file {
                // Named pipes, sockets and devices are never opened: reading a FIFO would block forever.
                problems.push(SourceProblem::new(&rel, format!("skipped: {}", special_kind(&abs))));
                continue;
            }
            if is_dir {
                if name == ".git" {
                    continue;
                }
                let canon = abs.canonicalize().unwrap_or(abs);
                if visited.insert(canon.clone()) {
                    stack.push((canon, rel));
                }
            } else if is_file {
                if name == ".git" {
                    continue; // a worktree's .git file
                }
                let bytes = std::fs::metadata(&abs).map(|m| m.len()).unwrap_or(0);
                files.push(SourceFile::local(rel, abs, bytes));
            }
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    problems.sort();
    Ok((files, problems))
}

/// What kind of special file this is, for the one-line reason.
fn special_kind(path: &Path) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if let Ok(m) = std::fs::symlink_metadata(path) {
            let t = m.file_type();
            if t.is_fifo() {
                return "a named pipe (FIFO), not a regular file";
            }
            if t.is_socket() {
                return "a socket, not a regular file";
            }
            if t.is_block_device() || t.is_char_device() {
                return "a device, not a regular file";
            }
        }
    }
    let _ = path;
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_skips_git_and_outside_links() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("root");
        std::fs::create_dir_all(root.join(".git/objects")).expect("mkdir");
        std::fs::create_dir_all(root.join(".github/workflows")).expect("mkdir");
        std::fs::create_dir_all(root.join("b")).expect("mkdir");
        std::fs::write(root.join(".git/objects/x"), "x").expect("write");
        std::fs::write(root.join(".github/workflows/ci.yml"), "on: push").expect("write");
        std::fs::write(root.join("b/z.md"), "z").expect("write");
        std::fs::write(root.join("a.md"), "a").expect("write");
        std::fs::write(tmp.path().join("secret.txt"), "s").expect("write");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(tmp.path().join("secret.txt"), root.join("link.txt")).expect("link");
            std::os::unix::fs::symlink(&root, root.join("b/loop")).expect("link");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("loop1"), root.join("loop2")).expect("link");
            std::os::unix::fs::symlink(root.join("loop2"), root.join("loop1")).expect("link");
            std::os::unix::fs::symlink(root.join("gone.md"), root.join("dangling.md")).expect("link");
            let fifo = std::process::Command::new("mkfifo").arg(root.join("pipe")).status();
            assert!(fifo.is_ok_and(|s| s.success()), "mkfifo");
        }
        let (files, problems) = walk(&root).expect("walk");
        let rels: Vec<&str> = files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, vec![".github/workflows/ci.yml", "a.md", "b/z.md"]);
        #[cfg(unix)]
        assert_eq!(
            problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            vec![
                "dangling.md: skipped: broken symbolic link (its target does not exist)",
                "link.txt: skipped: symbolic link points outside the reviewed folder",
                "loop1: skipped: symbolic link loop",
                "loop2: skipped: symbolic link loop",
                "pipe: skipped: a named pipe (FIFO), not a regular file",
            ]
        );
    }
}
