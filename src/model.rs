//! The shared vocabulary of every stage: documents, their extracted blocks with locators, and the review
//! that evaluation produces. No I/O happens here; the stages pass these values along
//! (sources → extract → evaluate → report).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a passage sits inside its document, in the reader's terms (page, section, cell, slide, record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Locator {
    /// A PDF page, 1-based.
    Page { page: u32 },
    /// A section of a text document, named by its heading; `line` is 1-based where the format has lines.
    Section { heading: String, line: Option<u32> },
    /// A line of a document with no headings.
    Line { line: u32 },
    /// A spreadsheet cell (the first cell of a row passage).
    Cell { sheet: String, cell: String },
    /// A presentation slide, 1-based.
    Slide { slide: u32 },
    /// A record of a structured file (SARIF result, SBOM component, JUnit test case …).
    Record { path: String },
}

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Locator::Page { page } => write!(f, "p. {page}"),
            Locator::Section { heading, line: Some(line) } => write!(f, "§ {heading} (line {line})"),
            Locator::Section { heading, line: None } => write!(f, "§ {heading}"),
            Locator::Line { line } => write!(f, "line {line}"),
            Locator::Cell { sheet, cell } => write!(f, "{sheet}!{cell}"),
            Locator::Slide { slide } => write!(f, "slide {slide}"),
            Locator::Record { path } => write!(f, "{path}"),
        }
    }
}

/// What kind of text a block is; evaluation treats headings and definitions differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Heading,
    /// A table's header row: context for the rows below, not a statement of its own.
    TableHeader,
    Paragraph,
    ListItem,
    TableRow,
    Record,
}

/// One passage of extracted text: the unit that can be cited as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    pub locator: Locator,
    /// The section path (headings from the outermost, joined by " › "): context for matching, never quoted.
    pub context: String,
    /// For table rows and records: the table's header row (or record type); for list items: the text that
    /// introduces the list. Read as part of the passage, never quoted.
    #[serde(default)]
    pub header: String,
    /// The passage text, whitespace collapsed; quotes are cut from it.
    pub text: String,
    /// Author guidance rather than content: a wholly emphasised paragraph or a comment left in a
    /// template. Refused as a placeholder when it reads as an instruction.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guidance: bool,
}

/// Approval state of a controlled document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DocState {
    Approved,
    Draft,
    Superseded,
    #[default]
    Unknown,
}

impl DocState {
    pub fn as_str(self) -> &'static str {
        match self {
            DocState::Approved => "approved",
            DocState::Draft => "draft",
            DocState::Superseded => "superseded",
            DocState::Unknown => "unknown",
        }
    }
}

/// Document-control metadata read from the file (properties, control block) or its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DocMeta {
    pub doc_id: Option<String>,
    pub title: Option<String>,
    pub revision: Option<String>,
    pub state: DocState,
}

/// The file formats crosswalk reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Markdown,
    Text,
    Html,
    Pdf,
    Docx,
    Odt,
    Pptx,
    Xlsx,
    Ods,
    Csv,
    Yaml,
    Json,
    Sarif,
    Cyclonedx,
    Spdx,
    Junit,
    Xml,
    Unsupported,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Html => "html",
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Odt => "odt",
            Format::Pptx => "pptx",
            Format::Xlsx => "xlsx",
            Format::Ods => "ods",
            Format::Csv => "csv",
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Cyclonedx => "cyclonedx",
            Format::Spdx => "spdx",
            Format::Junit => "junit",
            Format::Xml => "xml",
            Format::Unsupported => "unsupported",
        }
    }
}

/// What extraction made of one file's bytes. Depends on the bytes and the file name alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Extracted {
    pub blocks: Vec<Block>,
    pub meta: DocMeta,
    /// The engine that read the text, where there is a choice (PDF: poppler's layout or lopdf).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Why only part of the document was read (a size cap), when it was cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut: Option<String>,
}

impl Extracted {
    pub fn chars(&self) -> usize {
        self.blocks.iter().map(|b| b.text.chars().count()).sum()
    }
}

/// Whether a document could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocStatus {
    Ok,
    Skipped,
    Error,
}

impl DocStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DocStatus::Ok => "ok",
            DocStatus::Skipped => "skipped",
            DocStatus::Error => "error",
        }
    }
}

/// A document of the reviewed corpus with its extraction outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Path relative to the reviewed root, `/`-separated, exactly as the file sits there.
    pub path: String,
    pub format: Format,
    pub bytes: u64,
    pub sha256: String,
    pub status: DocStatus,
    /// One line for skipped and error documents.
    pub reason: Option<String>,
    pub extracted: Extracted,
    /// Where the bytes came from (folder, archive entry, git blob at a commit, Drive revision).
    #[serde(default)]
    pub origin: Origin,
}

/// Where a document's bytes came from, so that a citation names the revision an auditor can retrieve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A file of a local folder: its path and sha256 (on the document) identify it.
    #[default]
    Folder,
    /// An entry of a local zip archive.
    Zip { archive: String, entry: String },
    /// A blob of a git repository at a commit, read from the object store.
    Git { commit: String, blob: String, path: String },
    /// A Google Drive file at a revision (`headRevisionId` for stored files, the version number for Google
    /// Docs, Sheets and Slides, which are exported).
    Gdrive {
        file_id: String,
        revision: Option<String>,
        modified: Option<String>,
        link: Option<String>,
        /// The format a Google-native file was exported to (`docx`, `xlsx`, `pptx`).
        exported_as: Option<String>,
    },
}

impl Origin {
    /// The revision in a word or two for a citation ("commit 1a2b3c4d", "Drive revision 41"), or `None` for a
    /// plain folder or archive (the sha256 identifies those).
    pub fn revision_label(&self) -> Option<String> {
        match self {
            Origin::Folder | Origin::Zip { .. } => None,
            Origin::Git { commit, .. } => Some(format!("commit {}", &commit[..commit.len().min(12)])),
            Origin::Gdrive { revision: Some(r), .. } => Some(format!("Drive revision {r}")),
            Origin::Gdrive { modified: Some(m), .. } => Some(format!("Drive, modified {m}")),
            Origin::Gdrive { .. } => Some("Drive".to_string()),
        }
    }

    /// The full revision identifier (commit id, Drive revision), for machines.
    pub fn revision(&self) -> Option<&str> {
        match self {
            Origin::Git { commit, .. } => Some(commit),
            Origin::Gdrive { revision, .. } => revision.as_deref(),
            _ => None,
        }
    }

    /// A web link to the document at its source, when it has one (only `https:` links are kept).
    pub fn link(&self) -> Option<&str> {
        match self {
            Origin::Gdrive { link: Some(l), .. } if l.starts_with("https://") => Some(l),
            _ => None,
        }
    }
}

impl Document {
    /// "ok", or the status with its one-line reason ("skipped: unsupported format (.exe)").
    pub fn status_line(&self) -> String {
        match &self.reason {
            Some(r) => format!("{}: {r}", self.status.as_str()),
            None => self.status.as_str().to_string(),
        }
    }

    /// The name an auditor uses for the document: its ID, else its file name.
    pub fn display_id(&self) -> String {
        match &self.extracted.meta.doc_id {
            Some(id) => id.clone(),
            None => self.path.rsplit('/').next().unwrap_or(&self.path).to_string(),
        }
    }

    /// Title from metadata, else the file stem.
    pub fn title(&self) -> String {
        if let Some(t) = &self.extracted.meta.title {
            return t.clone();
        }
        let name = self.path.rsplit('/').next().unwrap_or(&self.path);
        match name.rfind('.') {
            Some(i) if i > 0 => name[..i].to_string(),
            _ => name.to_string(),
        }
    }
}

/// Per-clause outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    Partial,
    Missing,
    NotApplicable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Partial => "partial",
            Verdict::Missing => "missing",
            Verdict::NotApplicable => "not_applicable",
        }
    }
}

/// Why a passage that matched a constraint's concepts is not counted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    Negated,
    Placeholder,
    Future,
    Draft,
    Superseded,
    Glossary,
    /// Named, not stated: a file whose name matches but whose content evidences nothing, or a passage
    /// that names a constraint's subject (its defining concept and most of the others) without showing the
    /// practice carried out (the nearest miss of a constraint nothing covers).
    NameOnly,
    NoText,
}

impl RejectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Negated => "negated",
            RejectReason::Placeholder => "placeholder",
            RejectReason::Future => "future",
            RejectReason::Draft => "draft",
            RejectReason::Superseded => "superseded",
            RejectReason::Glossary => "glossary",
            RejectReason::NameOnly => "name_only",
            RejectReason::NoText => "no_text",
        }
    }

    /// A few words for lists ("2 negated, 1 template placeholder").
    pub fn explain_short(self) -> &'static str {
        match self {
            RejectReason::Negated => "negated",
            RejectReason::Placeholder => "template placeholder",
            RejectReason::Future => "plan or intention",
            RejectReason::Draft => "in a draft document",
            RejectReason::Superseded => "in a superseded document",
            RejectReason::Glossary => "definition only",
            RejectReason::NameOnly => "named only, not shown",
            RejectReason::NoText => "file without readable text",
        }
    }

    /// A sentence for reports.
    pub fn explain(self) -> &'static str {
        match self {
            RejectReason::Negated => "the passage says the practice is not in place",
            RejectReason::Placeholder => "the passage is a template placeholder, not content",
            RejectReason::Future => "the passage describes a plan or future intent, not a practice in place",
            RejectReason::Draft => "the document is a draft, not an approved, effective document",
            RejectReason::Superseded => "the document is superseded or withdrawn",
            RejectReason::Glossary => "the passage only defines a term; it does not describe an arrangement",
            RejectReason::NameOnly => "the file name matches, but no passage in it evidences the clause",
            RejectReason::NoText => "the file name matches, but the file has no readable text",
        }
    }
}

/// Lower-case hex of bytes (SHA-256 digests, random ids).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex SHA-256 of bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(bytes))
}

/// 16 random bytes from the OS, hex-encoded (ids, CSRF tokens, temporary names).
pub(crate) fn random_hex() -> String {
    use std::io::Read;
    let mut buf = [0u8; 16];
    let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).is_ok();
    if !ok {
        // Fall back on time and address entropy (still unique per start; never used as a secret alone).
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        buf.copy_from_slice(&(t ^ u128::from(std::process::id()) << 64).to_le_bytes());
    }
    hex(&buf)
}
