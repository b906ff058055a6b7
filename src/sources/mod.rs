//! Where documents come from. Every face (CLI, web app, eval) names a source with a [`Spec`] and reads it
//! through [`Source`]: `folder` walks a local folder, `zip` unpacks a local archive with the upload bounds,
//! `git` reads a repository at a commit from its object store (no checkout), `gdrive` lists a Google Drive
//! folder over the Drive API with a read-only scope. Sources only list and read: nothing is ever written to
//! a source. Remote and packed bytes are brought to a private staging folder for extraction, and each file
//! records its [`Origin`](crate::model::Origin) so that a citation names the revision.

pub mod archive;
mod folder;
pub mod gdrive;
mod git;

pub use folder::{SourceFile, SourceProblem, WalkError, walk};
pub use git::is_repository;

use std::path::{Path, PathBuf};

/// What was reviewed, for the report and the history (`source` in `crosswalk.review/1`).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SourceInfo {
    /// `folder`, `zip`, `git` or `gdrive`.
    pub kind: String,
    /// The folder, archive or repository path as given, or the Drive folder id.
    pub location: String,
    /// The revision as the user named it (`v3.2`, `main`), for git.
    pub reference: Option<String>,
    /// The commit id the reference resolved to, for git.
    pub revision: Option<String>,
}

impl SourceInfo {
    /// One line for a report: "git repository /srv/docs at v3.2 (commit 1a2b…)". Empty for reviews made
    /// before sources were recorded.
    pub fn describe(&self) -> String {
        match self.kind.as_str() {
            "folder" => format!("folder {}", self.location),
            "zip" => format!("zip archive {}", self.location),
            "git" => format!(
                "git repository {} at {} (commit {})",
                self.location,
                self.reference.as_deref().unwrap_or("?"),
                self.revision.as_deref().unwrap_or("?")
            ),
            "gdrive" => format!("Google Drive folder {}", self.location),
            _ => String::new(),
        }
    }
}

/// A source as named on the command line or in the web form, checked but not yet opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    Folder(PathBuf),
    Zip(PathBuf),
    Git {
        repo: PathBuf,
        rev: String,
    },
    /// A Drive folder, or with `shared_drive` a shared drive's root.
    Gdrive {
        id: String,
        shared_drive: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error("{location}: {reason}")]
    Open { location: String, reason: String },
    #[error(transparent)]
    Drive(#[from] gdrive::DriveError),
}

impl SourceError {
    fn open(location: impl std::fmt::Display, reason: impl Into<String>) -> SourceError {
        SourceError::Open { location: location.to_string(), reason: reason.into() }
    }
}

impl Spec {
    /// Read a source argument: `gdrive://FOLDER_ID`, `gdrive://drive/SHARED_DRIVE_ID`, `REPO@REV` (or a
    /// repository with `rev`), `ARCHIVE.zip`, or a folder or single file.
    pub fn parse(arg: &str, rev: Option<&str>) -> Result<Spec, SourceError> {
        if let Some(rest) = arg.strip_prefix("gdrive://") {
            if rev.is_some() {
                return Err(SourceError::open(arg, "--rev applies to git repositories, not to Drive folders"));
            }
            let (id, shared_drive) = match rest.strip_prefix("drive/") {
                Some(id) => (id, true),
                None => (rest, false),
            };
            let id = id.trim_end_matches('/');
            if id.is_empty() || id.len() > 200 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(SourceError::open(arg, "not a Drive folder id (letters, digits, '-' and '_')"));
            }
            return Ok(Spec::Gdrive { id: id.to_string(), shared_drive });
        }
        let path = Path::new(arg);
        if let Some(rev) = rev {
            return git::check_rev(rev).map(|()| Spec::Git { repo: path.to_path_buf(), rev: rev.to_string() });
        }
        // `repo@rev`, unless a file or folder of that exact name exists.
        if !path.exists()
            && let Some((repo, rev)) = arg.rsplit_once('@')
            && !repo.is_empty()
            && git::is_repository(Path::new(repo))
        {
            return git::check_rev(rev).map(|()| Spec::Git { repo: PathBuf::from(repo), rev: rev.to_string() });
        }
        if path.is_file() && is_zip(path) {
            return Ok(Spec::Zip(path.to_path_buf()));
        }
        Ok(Spec::Folder(path.to_path_buf()))
    }

    /// The local path that holds the user's documents (nothing may be written inside it), if any.
    pub fn local_root(&self) -> Option<&Path> {
        match self {
            Spec::Folder(p) | Spec::Zip(p) | Spec::Git { repo: p, .. } => Some(p),
            Spec::Gdrive { .. } => None,
        }
    }

    /// The same source with its local path replaced (by its canonical form); a Drive source is unchanged.
    pub fn with_local_root(self, root: PathBuf) -> Spec {
        match self {
            Spec::Folder(_) => Spec::Folder(root),
            Spec::Zip(_) => Spec::Zip(root),
            Spec::Git { rev, .. } => Spec::Git { repo: root, rev },
            other @ Spec::Gdrive { .. } => other,
        }
    }

    /// A folder source's path (where `crosswalk.toml` is looked for by default).
    pub fn folder(&self) -> Option<&Path> {
        match self {
            Spec::Folder(p) => Some(p),
            _ => None,
        }
    }

    /// The source as a user would type it again (`repo@v3.2`, `gdrive://…`).
    pub fn display(&self) -> String {
        match self {
            Spec::Folder(p) | Spec::Zip(p) => p.display().to_string(),
            Spec::Git { repo, rev } => format!("{}@{rev}", repo.display()),
            Spec::Gdrive { id, shared_drive: false } => format!("gdrive://{id}"),
            Spec::Gdrive { id, shared_drive: true } => format!("gdrive://drive/{id}"),
        }
    }

    /// Open the source: check it exists and resolve revisions. Drive sources need `drive` (the API client).
    pub fn open(&self, drive: Option<&gdrive::Client>) -> Result<Box<dyn Source>, SourceError> {
        Ok(match self {
            Spec::Folder(p) => Box::new(Folder { root: p.clone() }),
            Spec::Zip(p) => Box::new(Zip::open(p)?),
            Spec::Git { repo, rev } => Box::new(git::Git::open(repo, rev)?),
            Spec::Gdrive { id, shared_drive } => {
                let Some(client) = drive else {
                    return Err(SourceError::open(self.display(), "Google Drive is not authorised: run `crosswalk auth gdrive` first"));
                };
                Box::new(gdrive::DriveSource::new(client.clone(), id, *shared_drive)?)
            }
        })
    }
}

/// An opened source: lists its files and brings each file's bytes to `SourceFile::abs` for extraction.
pub trait Source: Send + Sync {
    fn info(&self) -> SourceInfo;
    /// Every file, sorted by relative path, plus one line per entry that was not read.
    fn list(&self) -> Result<(Vec<SourceFile>, Vec<SourceProblem>), SourceError>;
    /// Bring `file`'s bytes to `file.abs` (folders: already there). The error is one line for the report.
    fn fetch(&self, _file: &SourceFile) -> Result<(), String> {
        Ok(())
    }
}

/// A private folder for bytes that are not files of the user's (archive entries, blobs, Drive downloads),
/// removed when the review ends.
pub(crate) fn staging() -> Result<tempfile::TempDir, SourceError> {
    tempfile::Builder::new().prefix("crosswalk-stage-").tempdir().map_err(|e| SourceError::open("staging folder", e.to_string()))
}

/// The staged path of the `i`-th listed file: a plain number, whatever the name at the source.
pub(crate) fn staged(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("{i:07}"))
}

/// A `.zip` file is an archive to review; a DOCX or XLSX (zips too) is a document.
fn is_zip(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

struct Folder {
    root: PathBuf,
}

impl Source for Folder {
    fn info(&self) -> SourceInfo {
        SourceInfo { kind: "folder".into(), location: self.root.display().to_string(), ..Default::default() }
    }
    fn list(&self) -> Result<(Vec<SourceFile>, Vec<SourceProblem>), SourceError> {
        Ok(walk(&self.root)?)
    }
}

/// A local zip, unpacked once into staging with the same bounds as a browser upload.
struct Zip {
    archive: PathBuf,
    dir: tempfile::TempDir,
    skipped: Vec<SourceProblem>,
}

impl Zip {
    fn open(archive: &Path) -> Result<Zip, SourceError> {
        let dir = staging()?;
        let mut budget = archive::Budget::default();
        let skipped = archive::unzip(archive, dir.path(), &archive::Limits::default(), &mut budget)
            .map_err(|e| SourceError::open(archive.display(), e.to_string()))?;
        Ok(Zip { archive: archive.to_path_buf(), dir, skipped })
    }
}

impl Source for Zip {
    fn info(&self) -> SourceInfo {
        SourceInfo { kind: "zip".into(), location: self.archive.display().to_string(), ..Default::default() }
    }
    fn list(&self) -> Result<(Vec<SourceFile>, Vec<SourceProblem>), SourceError> {
        let (mut files, mut problems) = walk(self.dir.path())?;
        let archive = self.archive.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for f in &mut files {
            f.origin = crate::model::Origin::Zip { archive: archive.clone(), entry: f.rel.clone() };
        }
        problems.extend(self.skipped.iter().cloned());
        problems.sort();
        Ok((files, problems))
    }
}
