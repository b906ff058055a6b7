//! Text helpers shared by the extractors: decoding bytes (BOM, UTF-8, then a detected legacy
//! encoding), normalising characters so matching sees one form, and building blocks with the current
//! section heading as context.

use crate::model::{Block, BlockKind, Locator};

/// Decode bytes to text: BOM first, then UTF-8, then the encoding chardetng guesses. Bad bytes are
/// replaced, never fatal.
pub(crate) fn decode(bytes: &[u8]) -> String {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return text.into_owned();
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let enc = detector.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _, _) = enc.decode(bytes);
    text.into_owned()
}

/// Fold characters that differ only in typography (ligatures, curly quotes, no-break spaces, soft
/// hyphens) and collapse whitespace to single spaces.
pub(crate) fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let mapped: &str = match c {
            '\u{00AD}' | '\u{200B}' | '\u{FEFF}' => continue,
            '\u{FB00}' => "ff",
            '\u{FB01}' => "fi",
            '\u{FB02}' => "fl",
            '\u{FB03}' => "ffi",
            '\u{FB04}' => "ffl",
            '\u{2018}' | '\u{2019}' | '\u{201B}' => "'",
            '\u{201C}' | '\u{201D}' => "\"",
            c if c.is_whitespace() || c.is_control() => {
                space = true;
                continue;
            }
            _ => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push(c);
                continue;
            }
        };
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push_str(mapped);
    }
    out
}

/// Collects blocks, remembering the open headings so each block carries its section path as context
/// ("4 Verification › 4.2 Penetration testing"): a passage is read under all its headings, not only the
/// nearest one.
#[derive(Default)]
pub(crate) struct Blocks {
    pub(crate) blocks: Vec<Block>,
    /// Characters kept so far; past [`MAX_DOCUMENT_CHARS`] further passages are dropped and `cut` says so.
    chars: usize,
    pub(crate) cut: bool,
    /// The open headings, outermost first, with their levels.
    path: Vec<(u8, String)>,
    heading: String,
    context: String,
}

/// Most characters of text kept from one document (about 1,500 pages); the rest is not read, and the
/// report says the document was cut. Keeps every extraction, and the review's memory, bounded.
pub(crate) const MAX_DOCUMENT_CHARS: usize = 3_000_000;
/// Longest passage: longer runs of text are split at spaces.
pub(crate) const MAX_BLOCK_BYTES: usize = 6_000;
/// Most passages kept from one document.
pub(crate) const MAX_DOCUMENT_BLOCKS: usize = 25_000;

/// Separates the headings of a section path in `Block::context`.
pub(crate) const PATH_SEPARATOR: &str = " › ";

/// The level a heading's numbering implies: "4" → 1, "4.2" → 2, "A.1.3" → 3; unnumbered → 1.
fn numbered_level(text: &str) -> u8 {
    let first = text.split_whitespace().next().unwrap_or("");
    let first = first.trim_end_matches('.');
    let parts: Vec<&str> = first.split('.').collect();
    let numbered = !first.is_empty()
        && parts.iter().enumerate().all(|(i, p)| {
            !p.is_empty()
                && (p.chars().all(|c| c.is_ascii_digit()) || (i == 0 && p.len() == 1 && p.chars().all(|c| c.is_ascii_uppercase())))
        })
        && parts.iter().any(|p| p.chars().all(|c| c.is_ascii_digit()));
    if numbered { u8::try_from(parts.len()).unwrap_or(u8::MAX).max(1) } else { 1 }
}

impl Blocks {
    /// Start a new section whose level follows from its numbering; the heading is kept as a block too.
    pub(crate) fn push_heading(&mut self, text: &str, locator: Locator) {
        let level = numbered_level(&normalize(text));
        self.push_heading_at(level, text, locator);
    }

    /// Start a new section at a known level (Markdown `#`, HTML `h1`…).
    pub(crate) fn push_heading_at(&mut self, level: u8, text: &str, locator: Locator) {
        let text = normalize(text);
        if text.is_empty() {
            return;
        }
        while self.path.last().is_some_and(|(l, _)| *l >= level) {
            self.path.pop();
        }
        self.path.push((level, text.clone()));
        self.context = self.path.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(PATH_SEPARATOR);
        self.heading = text.clone();
        let parent = self.path[..self.path.len() - 1].iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(PATH_SEPARATOR);
        if self.full(text.len()) {
            return;
        }
        self.blocks.push(Block { kind: BlockKind::Heading, locator, context: parent, header: String::new(), text, guidance: false });
    }

    /// Add a passage under the current headings; `header` is a table's header row or a list's lead-in
    /// (or "" for prose).
    pub(crate) fn push(&mut self, kind: BlockKind, text: &str, locator: Locator, header: &str) {
        let text = normalize(text);
        if text.len() > MAX_BLOCK_BYTES {
            // A "paragraph" of megabytes (a file without blank lines, one endless line) is read as passages
            // of reasonable length, cut at spaces: nobody cites a page-long quote, and judgment is per passage.
            let header = normalize(header);
            let mut rest = text.as_str();
            while !rest.is_empty() {
                let mut end = rest.len().min(MAX_BLOCK_BYTES);
                while !rest.is_char_boundary(end) {
                    end -= 1;
                }
                if end < rest.len()
                    && let Some(space) = rest[..end].rfind(' ')
                    && space > MAX_BLOCK_BYTES / 2
                {
                    end = space;
                }
                let piece = rest[..end].trim();
                rest = &rest[end..];
                if piece.is_empty() {
                    continue;
                }
                if self.full(piece.len()) {
                    return;
                }
                self.blocks.push(Block {
                    kind,
                    locator: locator.clone(),
                    context: self.context.clone(),
                    header: header.clone(),
                    text: piece.to_string(),
                    guidance: false,
                });
            }
            return;
        }
        if text.is_empty() || self.full(text.len()) {
            return;
        }
        self.blocks.push(Block { kind, locator, context: self.context.clone(), header: normalize(header), text, guidance: false });
    }

    /// Is there room for `more` characters? Past the caps the document is marked cut.
    pub(crate) fn full(&mut self, more: usize) -> bool {
        if self.cut || self.chars + more > MAX_DOCUMENT_CHARS || self.blocks.len() >= MAX_DOCUMENT_BLOCKS {
            self.cut = true;
            return true;
        }
        self.chars += more;
        false
    }

    /// Add author guidance (an emphasised instruction, a comment left in a template) as a passage.
    pub(crate) fn push_guidance(&mut self, text: &str, locator: Locator) {
        self.push(BlockKind::Paragraph, text, locator, "");
        if let Some(b) = self.blocks.last_mut() {
            b.guidance = true;
        }
    }

    /// Enter a section without emitting a heading passage (e.g. a spreadsheet's sheet).
    pub(crate) fn set_section(&mut self, name: &str) {
        self.heading = normalize(name);
        self.path = vec![(1, self.heading.clone())];
        self.context = self.heading.clone();
    }

    /// A locator for the current section (or the line, when there is no heading yet).
    pub(crate) fn section(&self, line: Option<u32>) -> Locator {
        if self.heading.is_empty() {
            match line {
                Some(line) => Locator::Line { line },
                None => Locator::Record { path: "document".into() },
            }
        } else {
            Locator::Section { heading: short_heading(&self.heading), line }
        }
    }
}

/// Headings longer than this are cut in locators (never in text).
fn short_heading(h: &str) -> String {
    const MAX: usize = 80;
    if h.chars().count() <= MAX {
        return h.to_string();
    }
    let cut: String = h.chars().take(MAX).collect();
    format!("{}…", cut.trim_end())
}

/// Does the text tell an author what to write ("Describe …", "Refer to …", "List the …", "Provide your …")?
pub(crate) fn is_instruction(text: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        regex::Regex::new(
            r"(?i)^\W*(describe|refer\s+to|list|provide|include|explain|add|insert|specify|document|state|enter|fill\s+in|summari[sz]e|identify|consider|outline|give|name|note\s+down|replace|delete|remove|use\s+this)\b|\b(you|your)\b",
        )
        .expect("static regex")
    })
    .is_match(text)
}

/// Does a single line look like a section heading in plain text or PDF output ("9 Penetration testing",
/// "4.1 Channels", "ANNEX A")?
pub(crate) fn looks_like_heading(line: &str) -> bool {
    let line = line.trim();
    let n = line.chars().count();
    if !(2..=90).contains(&n) || line.ends_with('.') || line.ends_with(',') || line.ends_with(':') || line.contains(" | ") {
        return false;
    }
    static NUMBERED: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let numbered = NUMBERED.get_or_init(|| {
        regex::Regex::new(r"^(?:(?:Section|Annex|Appendix)\s+)?(?:\d{1,2}(?:\.\d{1,2}){0,4}\.?|[A-H](?:\.\d{1,2}){1,3})\s+\p{Lu}[^.!?]*$")
            .expect("static regex")
    });
    if numbered.is_match(line) {
        // "3 Roles", "4.1 Channels"; but not "2 approvals for class C items" style sentences of many words.
        return line.split_whitespace().count() <= 12;
    }
    let letters: Vec<char> = line.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 4 && letters.iter().all(|c| c.is_uppercase()) && (2..=8).contains(&line.split_whitespace().count())
}

/// Plain text (and PDF page text): paragraphs separated by blank lines; heading-like lines open sections.
/// `locate` turns a 1-based line number into a locator (e.g. the PDF page).
pub(crate) fn plain_blocks(out: &mut Blocks, text: &str, line_locators: bool, locate: &dyn Fn(u32, &Blocks) -> Locator) {
    let mut para = String::new();
    let mut para_line = 0u32;
    // The paragraph before a bullet list, when it introduces it ("Each release is checked for:").
    let mut lead = String::new();
    let flush = |out: &mut Blocks, para: &mut String, para_line: u32, lead: &mut String| {
        if !para.trim().is_empty() {
            let item = para.trim_start().starts_with(['-', '*', '•']);
            let kind = if item { crate::model::BlockKind::ListItem } else { crate::model::BlockKind::Paragraph };
            let loc = locate(para_line, out);
            out.push(kind, para, loc, if item { lead.as_str() } else { "" });
            if !item {
                *lead = if para.trim_end().ends_with(':') { para.clone() } else { String::new() };
            }
        }
        para.clear();
    };
    for (i, line) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush(out, &mut para, para_line, &mut lead);
            continue;
        }
        if looks_like_heading(trimmed) && (para.is_empty() || !line_locators || para.trim_end().ends_with(['.', ':', ')'])) {
            flush(out, &mut para, para_line, &mut lead);
            lead.clear();
            let loc = locate(line_no, out);
            out.push_heading(trimmed, loc);
            continue;
        }
        // A new bullet starts a new passage.
        if trimmed.starts_with(['-', '*', '•']) && trimmed.len() > 2 && !para.is_empty() {
            flush(out, &mut para, para_line, &mut lead);
        }
        if para.is_empty() {
            para_line = line_no;
        } else {
            para.push('\n');
        }
        para.push_str(trimmed);
    }
    flush(out, &mut para, para_line, &mut lead);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_handles_bom_utf8_and_legacy() {
        assert_eq!(decode(b"\xEF\xBB\xBFabc"), "abc");
        assert_eq!(decode("café".as_bytes()), "café");
        // windows-1252 "café" with a French sentence around it
        let latin = b"Le caf\xe9 est ferm\xe9 le dimanche et la r\xe9union a lieu \xe0 midi.";
        assert!(decode(latin).contains("café"));
    }

    #[test]
    fn normalize_folds_typography() {
        assert_eq!(normalize("  con\u{FB01}g\u{00A0}\n file  \u{2019}s "), "config file 's");
    }

    #[test]
    fn documents_are_capped() {
        let mut b = Blocks::default();
        let para = "word ".repeat(200_000);
        for _ in 0..10 {
            b.push(BlockKind::Paragraph, &para, Locator::Line { line: 1 }, "");
        }
        assert!(
            b.blocks.len() >= MAX_DOCUMENT_CHARS / MAX_BLOCK_BYTES * 9 / 10 && b.blocks.iter().all(|x| x.text.len() <= MAX_BLOCK_BYTES),
            "{}",
            b.blocks.len()
        );
        assert!(b.cut);
        let kept: usize = b.blocks.iter().map(|x| x.text.len()).sum();
        assert!(kept <= MAX_DOCUMENT_CHARS);
    }

    #[test]
    fn heading_paths() {
        let mut b = Blocks::default();
        b.push_heading("4 Verification", Locator::Page { page: 1 });
        b.push_heading("4.2 Penetration testing", Locator::Page { page: 1 });
        b.push(BlockKind::Paragraph, "An external firm tests each release.", Locator::Page { page: 1 }, "");
        b.push_heading("5 Release", Locator::Page { page: 2 });
        b.push(BlockKind::Paragraph, "Signed.", Locator::Page { page: 2 }, "");
        assert_eq!(b.blocks[2].context, "4 Verification › 4.2 Penetration testing");
        assert_eq!(b.blocks[4].context, "5 Release");
        assert_eq!(numbered_level("A.1.3 Test"), 3);
        assert_eq!(numbered_level("ANNEX A"), 1);
    }

    #[test]
    fn heading_detection() {
        assert!(looks_like_heading("9 Penetration testing"));
        assert!(looks_like_heading("4.1 Channels"));
        assert!(looks_like_heading("REVISION HISTORY"));
        assert!(!looks_like_heading("VVR-SEC-012"));
        assert!(!looks_like_heading("The review was held on 3 May."));
        assert!(!looks_like_heading("2 approvals are needed for class C items because the risk of harm is high and more"));
    }
}
