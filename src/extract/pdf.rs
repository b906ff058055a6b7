//! PDF → blocks. With poppler's `pdftotext` installed, passages are rebuilt from its layout
//! (`pdf_layout`: paragraphs, list items, table rows, sentences across pages); otherwise lopdf reads the
//! text page by page. Decompression is bounded; an encrypted PDF that cannot be opened without a password,
//! or one without a text layer, is reported, never read as "no match".

use super::ExtractError;
use super::pdf_layout::{self, Kind};
use super::text::{Blocks, plain_blocks};
use crate::model::{BlockKind, Locator};

const MAX_DECOMPRESSED: usize = 64 << 20;

/// The engines, as reports name them.
pub(crate) const POPPLER: &str = "poppler pdftotext -bbox-layout";
pub(crate) const LOPDF: &str = "lopdf";

pub(crate) fn extract(
    bytes: &[u8],
    on_disk: Option<(&std::path::Path, std::time::Duration)>,
) -> Result<(Blocks, Option<String>, &'static str), ExtractError> {
    if !bytes.starts_with(b"%PDF") && !bytes.get(..1024).is_some_and(|h| h.windows(5).any(|w| w == b"%PDF-")) {
        return Err(ExtractError::Corrupt("not a PDF (no %PDF header)".into()));
    }
    if let Some((path, deadline)) = on_disk
        && let Some(result) = pdf_layout::run(path, deadline)
    {
        let (title, passages) = result?;
        if !passages.is_empty() {
            return Ok((from_layout(&passages), title, POPPLER));
        }
        // No text from poppler: let lopdf decide between encrypted, scanned and unreadable.
    }
    let (b, title) = with_lopdf(bytes)?;
    Ok((b, title, LOPDF))
}

/// Blocks from rebuilt passages: headings open sections, a table's first row is its header.
fn from_layout(passages: &[pdf_layout::Passage]) -> Blocks {
    let mut out = Blocks::default();
    let (mut header, mut lead) = (String::new(), String::new());
    let mut in_table = false;
    for p in passages {
        let loc = Locator::Page { page: p.page };
        match p.kind {
            Kind::Heading => {
                out.push_heading(&p.text, loc);
                header.clear();
                lead.clear();
            }
            Kind::Para => {
                out.push(BlockKind::Paragraph, &p.text, loc, "");
                lead = if p.text.trim_end().ends_with(':') { p.text.clone() } else { String::new() };
                header.clear();
            }
            Kind::List => out.push(BlockKind::ListItem, &p.text, loc, &lead),
            // A table poppler splits into several groups (one per row, or one per page) continues the table
            // that is open: only the first row after other text is its header.
            Kind::Row { first: true } if !in_table => {
                header.clone_from(&p.text);
                out.push(BlockKind::TableHeader, &p.text, loc, "");
            }
            Kind::Row { .. } if header.is_empty() => out.push(BlockKind::TableRow, &p.text, loc, ""),
            Kind::Row { .. } => out.push(BlockKind::TableRow, &p.text, loc, &header),
        }
        in_table = matches!(p.kind, Kind::Row { .. });
    }
    out
}

fn with_lopdf(bytes: &[u8]) -> Result<(Blocks, Option<String>), ExtractError> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) => ExtractError::Encrypted,
        other => ExtractError::Corrupt(format!("PDF unreadable: {other}")),
    })?;
    if doc.is_encrypted() {
        // lopdf decrypts files with an empty user password on load; one still marked encrypted needs a password.
        let probe = doc.extract_text_with_limit(&[1], MAX_DECOMPRESSED).unwrap_or_default();
        if probe.trim().is_empty() {
            return Err(ExtractError::Encrypted);
        }
    }
    let title = doc
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|info| info.as_reference().ok())
        .and_then(|r| doc.get_dictionary(r).ok())
        .and_then(|d| d.get(b"Title").ok())
        .and_then(|t| lopdf::decode_text_string(t).ok())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(ExtractError::Corrupt("PDF has no pages".into()));
    }
    let mut out = Blocks::default();
    for page in pages.keys() {
        let text = match doc.extract_text_with_limit(&[*page], MAX_DECOMPRESSED) {
            Ok(t) => t,
            Err(_) => continue,
        };
        let page_no = *page;
        plain_blocks(&mut out, &tidy_lopdf(&text), false, &|_, _| Locator::Page { page: page_no });
    }
    if out.blocks.is_empty() {
        return Err(ExtractError::NoText(format!("no text layer on any of {} pages (scanned?)", pages.len())));
    }
    Ok((out, title))
}

/// lopdf puts a space before closing punctuation and after an opening bracket ("Medium ;", "( api )"), and
/// breaks hyphenated identifiers at line ends ("internet-\nfacing"): undo both.
fn tidy_lopdf(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' && chars.get(i + 1).is_some_and(|n| matches!(n, ')' | ',' | ';' | '.' | ']')) {
            i += 1;
            continue;
        }
        if c == '-'
            && chars.get(i + 1) == Some(&'\n')
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 2).is_some_and(|n| n.is_alphanumeric())
        {
            s.push('-');
            i += 2;
            continue;
        }
        s.push(c);
        if matches!(c, '(' | '[') {
            while chars.get(i + 1) == Some(&' ') {
                i += 1;
            }
        }
        i += 1;
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn lopdf_spacing_is_tidied() {
        assert_eq!(
            super::tidy_lopdf("Severity Medium ; see ( api.example ) and internet-\nfacing hosts ."),
            "Severity Medium; see (api.example) and internet-facing hosts."
        );
    }
}
