//! Bytes → [`Extracted`]: recognise the format from the name and the bytes, pull out passages with
//! locators, and read document-control metadata. Extraction never sees the catalog: its output depends on
//! the file alone. Failures are one-line [`ExtractError`]s; `isolate` runs risky parsers in a child
//! process so a panic, hang or memory blow-up in one file cannot stop a review.

pub mod cache;
mod html;
pub mod isolate;
mod markdown;
pub(crate) mod meta;
mod office;
mod pdf;
mod pdf_layout;
mod sheet;
mod structured;
mod text;
mod xml;
mod zipbound;

use crate::model::{Extracted, Format};

/// Why a file could not be read, in one line for the user.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ExtractError {
    #[error("{0}")]
    Corrupt(String),
    #[error("encrypted or password-protected")]
    Encrypted,
    #[error("{0}")]
    Unsupported(String),
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("{0}")]
    NoText(String),
    #[error("extractor failed: {0}")]
    Crashed(String),
}

impl ExtractError {
    /// Skipped (nothing wrong with the file, we just cannot use it) or error (the file is broken)?
    pub fn is_skip(&self) -> bool {
        matches!(self, ExtractError::Unsupported(_) | ExtractError::NoText(_) | ExtractError::Encrypted)
    }
}

fn extension(file_name: &str) -> String {
    match file_name.rfind('.') {
        Some(i) if i > 0 => file_name[i + 1..].to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Recognise a file's format from its name and first bytes (JSON and XML dialects are refined when read).
pub fn sniff(file_name: &str, bytes: &[u8]) -> Format {
    let ext = extension(file_name);
    let lower = file_name.to_ascii_lowercase();
    match ext.as_str() {
        "md" | "markdown" | "mdown" => Format::Markdown,
        "txt" | "text" | "rst" | "adoc" | "asciidoc" | "log" => Format::Text,
        "html" | "htm" | "xhtml" => Format::Html,
        "pdf" => Format::Pdf,
        "docx" | "docm" | "dotx" => Format::Docx,
        "odt" | "ott" => Format::Odt,
        "pptx" | "pptm" => Format::Pptx,
        "xlsx" | "xlsm" | "xls" | "xlsb" => Format::Xlsx,
        "ods" => Format::Ods,
        "csv" | "tsv" => Format::Csv,
        "yml" | "yaml" => Format::Yaml,
        "sarif" => Format::Sarif,
        "json" if lower.ends_with(".sarif.json") => Format::Sarif,
        "json" | "jsonld" => Format::Json,
        "xml" => Format::Xml,
        "" if bytes.starts_with(b"%PDF") => Format::Pdf,
        _ => Format::Unsupported,
    }
}

const MAX_JSON: usize = 64 << 20;
/// Bytes of a text format (Markdown, plain text, YAML, HTML, CSV) read from one file.
pub const MAX_TEXT_INPUT: usize = 16 << 20;

/// The first `max` bytes, not splitting a UTF-8 sequence (other encodings lose at most one character).
fn cut_at_char_boundary(bytes: &[u8], max: usize) -> &[u8] {
    let mut end = max.min(bytes.len());
    while end > 0 && end < bytes.len() && (bytes[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    &bytes[..end]
}

/// Extract a file in this process. Returns the (possibly refined) format too.
pub fn extract(file_name: &str, bytes: &[u8]) -> Result<(Format, Extracted), ExtractError> {
    extract_file(file_name, bytes, None)
}

/// [`extract`], with the file's path on disk when there is one: PDFs are then read with poppler's layout
/// (when `pdftotext` is installed), within `deadline`.
pub fn extract_file(
    file_name: &str,
    bytes: &[u8],
    on_disk: Option<(&std::path::Path, std::time::Duration)>,
) -> Result<(Format, Extracted), ExtractError> {
    let format = sniff(file_name, bytes);
    // Text formats are read up to a size that no real document reaches; the rest is not parsed.
    let input_cut =
        matches!(format, Format::Markdown | Format::Text | Format::Yaml | Format::Html | Format::Csv) && bytes.len() > MAX_TEXT_INPUT;
    let bytes = if input_cut { cut_at_char_boundary(bytes, MAX_TEXT_INPUT) } else { bytes };
    let mut engine = None;
    let is_ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    let (format, blocks, title, custom) = match format {
        Format::Markdown => {
            let (b, title) = markdown::extract(&text::decode(bytes));
            (format, b, title, vec![])
        }
        Format::Text | Format::Yaml => {
            let mut b = text::Blocks::default();
            plain(&mut b, &text::decode(bytes));
            (format, b, None, vec![])
        }
        Format::Html => {
            let (b, title) = html::extract(&text::decode(bytes));
            (format, b, title, vec![])
        }
        Format::Pdf => {
            let (b, title, used) = pdf::extract(bytes, on_disk)?;
            engine = Some(used.to_string());
            (format, b, title, vec![])
        }
        Format::Docx | Format::Pptx if is_ole => return Err(ExtractError::Encrypted),
        Format::Docx => {
            let (b, p) = office::docx(bytes)?;
            (format, b, p.title, p.custom)
        }
        Format::Odt => {
            let (b, p) = office::odt(bytes)?;
            (format, b, p.title, p.custom)
        }
        Format::Pptx => {
            let (b, p) = office::pptx(bytes)?;
            (format, b, p.title, p.custom)
        }
        Format::Xlsx if is_ole && extension(file_name) != "xls" => return Err(ExtractError::Encrypted),
        Format::Xlsx | Format::Ods => {
            let zipped = !is_ole;
            (format, sheet::workbook(bytes, zipped)?, None, vec![])
        }
        Format::Csv => {
            let stem = file_name.rsplit('/').next().unwrap_or(file_name);
            let stem = stem.rsplit_once('.').map(|(s, _)| s).unwrap_or(stem);
            (format, sheet::csv(bytes, stem), None, vec![])
        }
        Format::Json | Format::Sarif | Format::Cyclonedx | Format::Spdx => {
            if bytes.len() > MAX_JSON {
                return Err(ExtractError::TooLarge(format!("{} bytes of JSON (limit {MAX_JSON})", bytes.len())));
            }
            let v: serde_json::Value =
                serde_json::from_str(&text::decode(bytes)).map_err(|e| ExtractError::Corrupt(format!("invalid JSON: {e}")))?;
            match structured::json_dialect(&v) {
                Format::Sarif => (Format::Sarif, structured::sarif(&v), None, vec![]),
                Format::Cyclonedx => (Format::Cyclonedx, structured::cyclonedx(&v), None, vec![]),
                Format::Spdx => (Format::Spdx, structured::spdx(&v), None, vec![]),
                _ => (Format::Json, structured::generic_json(&v), None, vec![]),
            }
        }
        Format::Xml | Format::Junit => {
            if structured::is_junit(bytes) {
                (Format::Junit, structured::junit(bytes)?, None, vec![])
            } else {
                (Format::Xml, structured::generic_xml(bytes)?, None, vec![])
            }
        }
        Format::Unsupported => {
            let ext = extension(file_name);
            let what = match ext.as_str() {
                "doc" => "legacy binary Word format (.doc): save it as DOCX or PDF".to_string(),
                "ppt" => "legacy binary PowerPoint format (.ppt): save it as PPTX or PDF".to_string(),
                "" => "unsupported format (no file extension)".to_string(),
                e => format!("unsupported format (.{e})"),
            };
            return Err(ExtractError::Unsupported(what));
        }
    };
    let name = file_name.rsplit('/').next().unwrap_or(file_name);
    let meta = meta::read(name, &blocks.blocks, title, &custom);
    let cut = (blocks.cut || input_cut).then(|| {
        let kept: usize = blocks.blocks.iter().map(|b| b.text.chars().count()).sum();
        format!(
            "only part of the text was read ({kept} characters kept; limits per document: {} MB of text input, {} million characters, {} passages)",
            MAX_TEXT_INPUT >> 20,
            text::MAX_DOCUMENT_CHARS / 1_000_000,
            text::MAX_DOCUMENT_BLOCKS
        )
    });
    let extracted = Extracted { blocks: blocks.blocks, meta, engine, cut };
    if extracted.blocks.is_empty() {
        return Err(ExtractError::NoText("no text in the file".into()));
    }
    Ok((format, extracted))
}

/// Metadata from the file name alone (ID, revision, DRAFT marker), for files whose content is unreadable.
pub fn meta_from_name(path: &str) -> crate::model::DocMeta {
    let name = path.rsplit('/').next().unwrap_or(path);
    meta::read(name, &[], None, &[])
}

fn plain(out: &mut text::Blocks, s: &str) {
    text::plain_blocks(out, s, true, &|line, b: &text::Blocks| b.section(Some(line)));
}
