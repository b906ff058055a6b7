//! Word-processing and presentation containers: DOCX (`word/document.xml`), PPTX (`ppt/slides/slideN.xml`)
//! and ODT (`content.xml`). Paragraph styles that are headings open sections; table rows become passages
//! with the table's first row as context. Title and document properties come from the metadata parts.

use super::ExtractError;
use super::text::{Blocks, normalize};
use super::xml::{Ev, attr, walk};
use super::zipbound::BoundedZip;
use crate::model::{BlockKind, Locator};

/// Properties read from the container's metadata parts.
#[derive(Default)]
pub(crate) struct Props {
    pub(crate) title: Option<String>,
    /// Custom properties (name → value), e.g. a "Document ID" or "Status" set in the file.
    pub(crate) custom: Vec<(String, String)>,
}

/// Shared state machine for paragraphs and tables in DOCX and ODT.
struct Flow {
    out: Blocks,
    para: String,
    para_heading: bool,
    table_depth: usize,
    row: Vec<String>,
    cell: String,
    header: Vec<Vec<String>>,
    row_index: Vec<usize>,
}

impl Flow {
    fn new() -> Self {
        Flow {
            out: Blocks::default(),
            para: String::new(),
            para_heading: false,
            table_depth: 0,
            row: vec![],
            cell: String::new(),
            header: vec![],
            row_index: vec![],
        }
    }

    fn text(&mut self, t: &str) {
        if self.table_depth > 0 {
            self.cell.push_str(t);
        } else {
            self.para.push_str(t);
        }
    }

    fn end_para(&mut self, kind: BlockKind) {
        if self.table_depth > 0 {
            self.cell.push(' ');
            return;
        }
        let text = std::mem::take(&mut self.para);
        if self.para_heading {
            let h = normalize(&text);
            self.out.push_heading(&text, Locator::Section { heading: h, line: None });
        } else {
            let loc = self.out.section(None);
            self.out.push(kind, &text, loc, "");
        }
        self.para_heading = false;
    }

    fn start_table(&mut self) {
        if self.table_depth == 0 {
            self.header.push(vec![]);
            self.row_index.push(0);
        }
        self.table_depth += 1;
    }

    fn end_table(&mut self) {
        self.table_depth = self.table_depth.saturating_sub(1);
        if self.table_depth == 0 {
            self.header.pop();
            self.row_index.pop();
        }
    }

    fn end_cell(&mut self) {
        if self.table_depth == 1 {
            self.row.push(normalize(&std::mem::take(&mut self.cell)));
        } else {
            self.cell.push(' ');
        }
    }

    fn end_row(&mut self) {
        if self.table_depth != 1 {
            return;
        }
        let cells = std::mem::take(&mut self.row);
        if cells.iter().all(|c| c.is_empty()) {
            return;
        }
        let idx = self.row_index.last_mut().map(|i| {
            *i += 1;
            *i
        });
        let text = cells.join(" | ");
        if idx == Some(1)
            && let Some(h) = self.header.last_mut()
        {
            *h = cells;
        }
        let header = self.header.last().map(|h| h.join(" | ")).unwrap_or_default();
        let loc = self.out.section(None);
        // The first row is both the header (context) and a passage (tables without headers are common).
        let context = if idx == Some(1) { String::new() } else { header };
        self.out.push(BlockKind::TableRow, &text, loc, &context);
    }
}

fn is_heading_style(style: &str) -> bool {
    let s = style.to_ascii_lowercase().replace([' ', '_', '-'], "");
    s == "title" || s.starts_with("heading") || s.starts_with("titre") || s.starts_with("berschrift") || s.starts_with("überschrift")
}

pub(crate) fn docx(bytes: &[u8]) -> Result<(Blocks, Props), ExtractError> {
    let mut zip = BoundedZip::open(bytes, "DOCX")?;
    let names = zip.names();
    if names.iter().any(|n| n == "EncryptedPackage" || n == "EncryptionInfo") {
        return Err(ExtractError::Encrypted);
    }
    let xml = zip.read("word/document.xml")?.ok_or_else(|| ExtractError::Corrupt("not a DOCX: word/document.xml is missing".into()))?;
    let mut flow = Flow::new();
    walk(&xml, "word/document.xml", |ev| match ev {
        Ev::Start { name: "pStyle", attrs } if attr(attrs, "val").is_some_and(is_heading_style) => {
            flow.para_heading = true;
        }
        Ev::Start { name: "outlineLvl", .. } => flow.para_heading = true,
        Ev::Start { name: "tbl", .. } => flow.start_table(),
        Ev::End { name: "tbl" } => flow.end_table(),
        Ev::End { name: "tc" } => flow.end_cell(),
        Ev::End { name: "tr" } => flow.end_row(),
        Ev::Start { name: "tab", .. } => flow.text(" "),
        Ev::Start { name: "br", .. } | Ev::Start { name: "cr", .. } => flow.text("\n"),
        Ev::End { name: "p" } => {
            let kind = BlockKind::Paragraph;
            flow.end_para(kind)
        }
        Ev::Text(t) => flow.text(t),
        _ => {}
    })?;
    // The text element is `w:t`; deleted text (`w:delText`) and instructions (`w:instrText`) also
    // arrive as text runs above. Tracked deletions are rare in released documents; accept the noise.
    let props = read_props(&mut zip, "docProps/core.xml", "docProps/custom.xml")?;
    Ok((flow.out, props))
}

pub(crate) fn odt(bytes: &[u8]) -> Result<(Blocks, Props), ExtractError> {
    let mut zip = BoundedZip::open(bytes, "ODF document")?;
    if let Some(manifest) = zip.read("META-INF/manifest.xml")?
        && String::from_utf8_lossy(&manifest).contains("encryption-data")
    {
        return Err(ExtractError::Encrypted);
    }
    let xml = zip.read("content.xml")?.ok_or_else(|| ExtractError::Corrupt("not an ODF document: content.xml is missing".into()))?;
    let mut flow = Flow::new();
    let mut skip_depth = 0usize;
    walk(&xml, "content.xml", |ev| {
        if skip_depth > 0 {
            match ev {
                Ev::Start { .. } => skip_depth += 1,
                Ev::End { .. } => skip_depth -= 1,
                Ev::Text(_) => {}
            }
            return;
        }
        match ev {
            // Tracked-change deletions and annotations are not document text.
            Ev::Start { name: "tracked-changes" | "annotation" | "note-citation", .. } => skip_depth = 1,
            Ev::Start { name: "h", .. } if flow.table_depth == 0 => {
                flow.para_heading = true;
            }
            Ev::End { name: "h" } | Ev::End { name: "p" } => flow.end_para(BlockKind::Paragraph),
            Ev::Start { name: "table", .. } => flow.start_table(),
            Ev::End { name: "table" } => flow.end_table(),
            Ev::End { name: "table-cell" } => flow.end_cell(),
            Ev::End { name: "table-row" } => flow.end_row(),
            Ev::Start { name: "tab", .. } | Ev::Start { name: "s", .. } => flow.text(" "),
            Ev::Start { name: "line-break", .. } => flow.text("\n"),
            Ev::Text(t) => flow.text(t),
            _ => {}
        }
    })?;
    let props = read_props(&mut zip, "meta.xml", "meta.xml")?;
    Ok((flow.out, props))
}

pub(crate) fn pptx(bytes: &[u8]) -> Result<(Blocks, Props), ExtractError> {
    let mut zip = BoundedZip::open(bytes, "PPTX")?;
    let mut slides: Vec<(u32, String)> = zip
        .names()
        .into_iter()
        .filter_map(|n| {
            let num = n.strip_prefix("ppt/slides/slide")?.strip_suffix(".xml")?.parse().ok()?;
            Some((num, n))
        })
        .collect();
    if slides.is_empty() && !zip.names().iter().any(|n| n == "ppt/presentation.xml") {
        return Err(ExtractError::Corrupt("not a PPTX: ppt/presentation.xml is missing".into()));
    }
    slides.sort();
    let mut out = Blocks::default();
    for (num, name) in slides {
        let Some(xml) = zip.read(&name)? else { continue };
        let mut para = String::new();
        let mut is_title = false;
        let mut first = true;
        walk(&xml, &name, |ev| match ev {
            Ev::Start { name: "ph", attrs } => {
                is_title = matches!(attr(attrs, "type"), Some("title" | "ctrTitle"));
            }
            Ev::End { name: "sp" } => is_title = false,
            Ev::Start { name: "br", .. } => para.push('\n'),
            Ev::End { name: "p" } => {
                let text = std::mem::take(&mut para);
                if is_title && first {
                    out.push_heading(&text, Locator::Slide { slide: num });
                    first = false;
                } else {
                    out.push(BlockKind::Paragraph, &text, Locator::Slide { slide: num }, "");
                }
            }
            Ev::Text(t) => para.push_str(t),
            _ => {}
        })?;
    }
    let props = read_props(&mut zip, "docProps/core.xml", "docProps/custom.xml")?;
    Ok((out, props))
}

/// Title (Dublin Core) and custom properties from OOXML `docProps/*` or ODF `meta.xml`.
fn read_props(zip: &mut BoundedZip<'_>, core: &str, custom: &str) -> Result<Props, ExtractError> {
    let mut props = Props::default();
    if let Some(xml) = zip.read(core)? {
        let mut in_title = false;
        let mut title = String::new();
        let mut current: Option<String> = None;
        let mut value = String::new();
        walk(&xml, core, |ev| match ev {
            Ev::Start { name: "title", .. } => in_title = true,
            Ev::End { name: "title" } => in_title = false,
            // ODF: <meta:user-defined meta:name="Document ID">SOP-1</meta:user-defined>
            Ev::Start { name: "user-defined", attrs } => {
                current = attr(attrs, "name").map(str::to_string);
                value.clear();
            }
            Ev::End { name: "user-defined" } => {
                if let Some(n) = current.take() {
                    props.custom.push((n, value.trim().to_string()));
                }
            }
            Ev::Text(t) if in_title => title.push_str(t),
            Ev::Text(t) if current.is_some() => value.push_str(t),
            _ => {}
        })?;
        let title = normalize(&title);
        if !title.is_empty() {
            props.title = Some(title);
        }
    }
    if custom != core
        && let Some(xml) = zip.read(custom)?
    {
        let mut current: Option<String> = None;
        let mut value = String::new();
        walk(&xml, custom, |ev| match ev {
            Ev::Start { name: "property", attrs } => {
                current = attr(attrs, "name").map(str::to_string);
                value.clear();
            }
            Ev::End { name: "property" } => {
                if let Some(n) = current.take() {
                    props.custom.push((n, value.trim().to_string()));
                }
            }
            Ev::Text(t) if current.is_some() => value.push_str(t),
            _ => {}
        })?;
    }
    Ok(props)
}
