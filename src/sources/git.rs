//! A local git repository at a commit, tag or branch, read from the object store with git's plumbing
//! (`rev-parse`, `ls-tree`, `cat-file`): nothing is checked out, no index is read, no lock is taken, and
//! the repository's own configuration cannot run a program (hooks, fsmonitor, pagers and textconv are off
//! or never reached by these commands). Submodules and symbolic links are listed as not read.

use super::{Source, SourceError, SourceFile, SourceInfo, SourceProblem};
use crate::model::Origin;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A revision name we pass to git: never an option, never a range or an expression with spaces.
pub(super) fn check_rev(rev: &str) -> Result<(), SourceError> {
    let ok = !rev.is_empty()
        && rev.len() <= 200
        && !rev.starts_with('-')
        && !rev.contains("..")
        && rev.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-' | '~' | '^'));
    if ok { Ok(()) } else { Err(SourceError::open(rev, "not a git revision name (a commit id, tag or branch)")) }
}

/// A working tree with `.git`, or a bare repository.
pub fn is_repository(path: &Path) -> bool {
    path.join(".git").exists() || (path.join("HEAD").is_file() && path.join("objects").is_dir())
}

/// `git` with everything that could run a program or write to the repository turned off.
fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C")
        .arg(repo)
        .args(["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat"])
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_NO_REPLACE_OBJECTS", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null());
    c
}

/// Run git; on failure, its first line of complaint, or `when_silent` when it printed none.
fn run(repo: &Path, args: &[&str], when_silent: &str) -> Result<Vec<u8>, String> {
    let out = git(repo).args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err.lines().find(|l| !l.trim().is_empty()).map(str::trim).unwrap_or(when_silent);
        Err(line.trim_start_matches("fatal: ").to_string())
    }
}

pub(super) struct Git {
    repo: PathBuf,
    reference: String,
    commit: String,
    dir: tempfile::TempDir,
}

impl Git {
    pub(super) fn open(repo: &Path, rev: &str) -> Result<Git, SourceError> {
        check_rev(rev)?;
        if !repo.is_dir() {
            return Err(SourceError::open(repo.display(), "no such folder"));
        }
        if !is_repository(repo) {
            return Err(SourceError::open(repo.display(), "not a git repository"));
        }
        let spec = format!("{rev}^{{commit}}");
        // `--quiet` makes an unknown revision fail without a message; other failures keep git's line.
        let out = run(repo, &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec], "no such commit, tag or branch")
            .map_err(|e| SourceError::open(format!("{}@{rev}", repo.display()), e))?;
        let commit = String::from_utf8_lossy(&out).trim().to_string();
        if commit.len() < 40 || !commit.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(SourceError::open(format!("{}@{rev}", repo.display()), "no such commit, tag or branch"));
        }
        Ok(Git { repo: repo.to_path_buf(), reference: rev.to_string(), commit, dir: super::staging()? })
    }
}

impl Source for Git {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: "git".into(),
            location: self.repo.display().to_string(),
            reference: Some(self.reference.clone()),
            revision: Some(self.commit.clone()),
        }
    }

    fn list(&self) -> Result<(Vec<SourceFile>, Vec<SourceProblem>), SourceError> {
        let out = run(&self.repo, &["ls-tree", "-r", "-z", "-l", "--full-tree", &self.commit], "git could not list the commit")
            .map_err(|e| SourceError::open(self.repo.display(), e))?;
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for record in out.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            let record = String::from_utf8_lossy(record);
            // "<mode> <type> <object> <size>\t<path>"
            let Some((head, path)) = record.split_once('\t') else { continue };
            let mut parts = head.split_whitespace();
            let (Some(mode), Some(kind), Some(object), Some(size)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            match (mode, kind) {
                ("160000", _) => problems.push(SourceProblem::new(path, "skipped: a git submodule (review its repository separately)")),
                ("120000", _) => problems.push(SourceProblem::new(path, "skipped: symbolic link in the repository")),
                (_, "blob") => {
                    let name = path.rsplit('/').next().unwrap_or(path);
                    if name == "crosswalk.toml" && !path.contains('/') {
                        continue;
                    }
                    let i = files.len();
                    files.push(SourceFile {
                        rel: path.to_string(),
                        abs: super::staged(self.dir.path(), i),
                        bytes: size.parse().unwrap_or(0),
                        origin: Origin::Git { commit: self.commit.clone(), blob: object.to_string(), path: path.to_string() },
                        revision_key: Some(format!("git-blob:{object}")),
                    });
                }
                _ => {}
            }
        }
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        problems.sort();
        Ok((files, problems))
    }

    fn fetch(&self, file: &SourceFile) -> Result<(), String> {
        let Origin::Git { blob, .. } = &file.origin else { return Err("not a git blob".into()) };
        let out = std::fs::File::create(&file.abs).map_err(|e| format!("cannot stage: {e}"))?;
        let status = git(&self.repo)
            .args(["cat-file", "blob", blob])
            .stdout(out)
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !status.success() {
            return Err(format!("git could not read blob {blob}"));
        }
        // A Git LFS pointer is not the document: its content lives on an LFS server we do not reach.
        let mut head = [0u8; 48];
        let n = std::fs::File::open(&file.abs).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).unwrap_or(0);
        if head[..n].starts_with(b"version https://git-lfs.github.com/spec/") {
            return Err("a Git LFS pointer: the content is not in the repository (run `git lfs pull` and review the folder)".into());
        }
        Ok(())
    }
}
