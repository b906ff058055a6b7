//! PDF → blocks, one page at a time (lopdf). Decompression is bounded; an encrypted PDF that cannot be
//! opened without a password, or one without a text layer, is reported, never read as "no match".

use super::ExtractError;
use super::text::{Blocks, plain_blocks};
use crate::model::Locator;

const MAX_DECOMPRESSED: usize = 64 << 20;

pub(crate) fn extract(bytes: &[u8]) -> Result<(Blocks, Option<String>), ExtractError> {
    if !bytes.starts_with(b"%PDF") && !bytes.get(..1024).is_some_and(|h| h.windows(5).any(|w| w == b"%PDF-")) {
        return Err(ExtractError::Corrupt("not a PDF (no %PDF header)".into()));
    }
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
        plain_blocks(&mut out, &text, false, &|_, _| Locator::Page { page: page_no });
    }
    if out.blocks.is_empty() {
        return Err(ExtractError::NoText(format!("no text layer on any of {} pages (scanned?)", pages.len())));
    }
    Ok((out, title))
}
