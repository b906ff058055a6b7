//! Markdown (CommonMark with tables and front matter) → blocks: headings open sections; paragraphs,
//! list items, table rows (with the header row as context) and code blocks become passages located by
//! section and line.

use super::text::Blocks;
use crate::model::{BlockKind, Locator};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

pub(crate) fn extract(text: &str) -> (Blocks, Option<String>) {
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line_of = |offset: usize| -> u32 {
        let idx = line_starts.partition_point(|&s| s <= offset);
        u32::try_from(idx.max(1)).unwrap_or(u32::MAX)
    };
    let options = Options::ENABLE_TABLES | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS | Options::ENABLE_STRIKETHROUGH;
    let mut out = Blocks::default();
    let mut front_title = None;
    let mut buf = String::new();
    let mut start_line = 0u32;
    // What we are collecting: nesting of containers decides when a passage ends.
    let mut in_heading = false;
    let mut in_metadata = false;
    let mut item_depth = 0usize;
    let mut in_table_head = false;
    let mut header: Vec<String> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut in_cell = false;
    let mut heading_level = 1u8;
    // Emphasis depth, and whether the current paragraph has text outside any emphasis.
    let mut emphasis = 0usize;
    let mut plain_text = false;
    // List lead-ins ("Each release is checked for:") and parent items, outermost first: read with the items.
    let mut leads: Vec<String> = Vec::new();
    let mut last_flushed = String::new();

    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::MetadataBlock(_)) => in_metadata = true,
            Event::End(TagEnd::MetadataBlock(_)) => in_metadata = false,
            Event::Text(t) if in_metadata => {
                for line in t.lines() {
                    if let Some(v) = line.strip_prefix("title:") {
                        front_title = Some(v.trim().trim_matches(['"', '\'']).to_string());
                    }
                }
            }
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut out, &mut buf, start_line, item_depth > 0, &leads, &mut last_flushed);
                in_heading = true;
                heading_level = level as u8;
                start_line = line_of(range.start);
                leads.clear();
                last_flushed.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                let loc = Locator::Section { heading: super::text::normalize(&buf), line: Some(start_line) };
                out.push_heading_at(heading_level, &buf, loc);
                buf.clear();
            }
            Event::Start(Tag::List(_)) => {
                // The text before a list introduces it: a lead-in ending in ':' or the parent item.
                let lead = if item_depth > 0 && !buf.trim().is_empty() {
                    buf.clone()
                } else if item_depth > 0 || last_flushed.trim_end().ends_with(':') {
                    last_flushed.clone()
                } else {
                    String::new()
                };
                flush(&mut out, &mut buf, start_line, item_depth > 0, &leads, &mut last_flushed);
                leads.push(lead);
            }
            Event::End(TagEnd::List(_)) => {
                leads.pop();
            }
            Event::Start(Tag::Item) => {
                flush(&mut out, &mut buf, start_line, item_depth > 0, &leads, &mut last_flushed);
                item_depth += 1;
                start_line = line_of(range.start);
            }
            Event::End(TagEnd::Item) => {
                flush(&mut out, &mut buf, start_line, true, &leads, &mut last_flushed);
                item_depth = item_depth.saturating_sub(1);
            }
            Event::Start(Tag::Emphasis) => emphasis += 1,
            Event::End(TagEnd::Emphasis) => emphasis = emphasis.saturating_sub(1),
            Event::End(TagEnd::Paragraph)
                if item_depth == 0 && !plain_text && !buf.trim().is_empty() && super::text::is_instruction(&buf) =>
            {
                // A paragraph wholly in italics that tells the author what to write: template guidance.
                let loc = out.section(Some(start_line));
                out.push_guidance(&buf, loc);
                buf.clear();
            }
            Event::Start(Tag::Paragraph) | Event::Start(Tag::CodeBlock(_)) | Event::Start(Tag::BlockQuote(_)) => {
                plain_text = false;
                if item_depth == 0 {
                    flush(&mut out, &mut buf, start_line, false, &leads, &mut last_flushed);
                    start_line = line_of(range.start);
                } else if !buf.is_empty() {
                    buf.push(' ');
                }
            }
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::BlockQuote(_)) if item_depth == 0 => {
                flush(&mut out, &mut buf, start_line, false, &leads, &mut last_flushed);
            }
            Event::End(TagEnd::CodeBlock) if item_depth == 0 => {
                // Code blocks keep their lines as separate passages: templates, configs, commands.
                for (i, line) in buf.lines().enumerate() {
                    let loc = out.section(Some(start_line + 1 + u32::try_from(i).unwrap_or(0)));
                    out.push(BlockKind::Paragraph, line, loc, "");
                }
                buf.clear();
            }
            Event::Start(Tag::Table(_)) => {
                flush(&mut out, &mut buf, start_line, item_depth > 0, &leads, &mut last_flushed);
                header.clear();
            }
            Event::Start(Tag::TableHead) => {
                in_table_head = true;
                start_line = line_of(range.start);
            }
            Event::End(TagEnd::TableHead) => {
                in_table_head = false;
                header = std::mem::take(&mut row);
                // The header row is a passage too: small tables often carry data in it ("| Status | Draft |").
                let text = header.iter().map(|c| c.trim()).collect::<Vec<_>>().join(" | ");
                let loc = out.section(Some(start_line));
                out.push(BlockKind::TableHeader, &text, loc, "");
            }
            Event::Start(Tag::TableRow) => {
                row.clear();
                start_line = line_of(range.start);
            }
            Event::End(TagEnd::TableRow) => {
                if !in_table_head {
                    let text = row.iter().map(|c| c.trim()).collect::<Vec<_>>().join(" | ");
                    let loc = out.section(Some(start_line));
                    out.push(BlockKind::TableRow, &text, loc, &header.join(" | "));
                }
                row.clear();
            }
            Event::Start(Tag::TableCell) => {
                in_cell = true;
                cell.clear();
            }
            Event::End(TagEnd::TableCell) => {
                in_cell = false;
                row.push(std::mem::take(&mut cell));
            }
            Event::Text(t) | Event::Code(t) => {
                if emphasis == 0 && !t.trim().is_empty() {
                    plain_text = true;
                }
                if in_cell {
                    cell.push_str(&t);
                } else {
                    buf.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if in_cell {
                    cell.push(' ');
                } else {
                    buf.push('\n');
                }
            }
            Event::Html(h) | Event::InlineHtml(h) if h.trim_start().starts_with("<!--") => {
                // A comment left in a template ("<!-- describe the scope here -->") is guidance, not content;
                // tool directives (markdownlint, prettier) are dropped.
                let inner = h.trim().trim_start_matches("<!--").trim_end_matches("-->").trim();
                if inner.split_whitespace().count() >= 3 && !inner.starts_with("markdownlint") && !inner.starts_with("prettier") {
                    let loc = out.section(Some(line_of(range.start)));
                    out.push_guidance(inner, loc);
                }
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                // Keep visible text of inline HTML, drop tags.
                let stripped = strip_tags(&h);
                if in_cell {
                    cell.push_str(&stripped);
                } else if !in_heading {
                    buf.push_str(&stripped);
                }
            }
            Event::TaskListMarker(done) => buf.push_str(if done { "[x] " } else { "[ ] " }),
            _ => {}
        }
    }
    flush(&mut out, &mut buf, start_line, item_depth > 0, &leads, &mut last_flushed);
    (out, front_title)
}

/// Emit the collected text as a passage; a list item carries its lead-ins as its header.
fn flush(out: &mut Blocks, buf: &mut String, line: u32, item: bool, leads: &[String], last: &mut String) {
    if !buf.trim().is_empty() {
        let loc = out.section(Some(line));
        let header = if item {
            leads.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(super::text::PATH_SEPARATOR)
        } else {
            String::new()
        };
        out.push(if item { BlockKind::ListItem } else { BlockKind::Paragraph }, buf, loc, &header);
        last.clone_from(buf);
    }
    buf.clear();
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_tables_and_lines() {
        let md = "---\ntitle: \"SOP-1 Thing\"\n---\n\n# 1 Purpose\n\nFirst para\ncontinues.\n\n## 1.1 Table\n\n| A | B |\n|---|---|\n| x | y |\n\n- item one\n- item two\n";
        let (blocks, title) = extract(md);
        assert_eq!(title.as_deref(), Some("SOP-1 Thing"));
        let b = &blocks.blocks;
        assert_eq!(b[0].text, "1 Purpose");
        assert_eq!(b[1].text, "First para continues.");
        assert_eq!(b[1].context, "1 Purpose");
        assert_eq!(b[1].locator.to_string(), "§ 1 Purpose (line 7)");
        let head = b.iter().find(|b| b.kind == BlockKind::TableHeader).expect("header row");
        assert_eq!((head.text.as_str(), head.locator.to_string()), ("A | B", "§ 1.1 Table (line 12)".to_string()));
        let row = b.iter().find(|b| b.text == "x | y").expect("row");
        assert_eq!((row.context.as_str(), row.header.as_str()), ("1 Purpose › 1.1 Table", "A | B"));
        assert_eq!(row.locator.to_string(), "§ 1.1 Table (line 14)");
        assert_eq!(b.iter().filter(|b| b.kind == BlockKind::ListItem).count(), 2);
    }

    #[test]
    fn template_guidance_is_marked() {
        let md = "## Secure development practices\n\n_Refer to the best practices guide and describe how they are applied._\n\n<!-- List the reviewers and their roles here -->\n\n<!-- markdownlint-disable-file MD034 -->\n\n_Note:_ every change is reviewed.\n";
        let (blocks, _) = extract(md);
        let guidance: Vec<&str> = blocks.blocks.iter().filter(|b| b.guidance).map(|b| b.text.as_str()).collect();
        assert_eq!(
            guidance,
            vec!["Refer to the best practices guide and describe how they are applied.", "List the reviewers and their roles here"]
        );
        assert!(blocks.blocks.iter().any(|b| b.text == "Note: every change is reviewed." && !b.guidance));
    }

    #[test]
    fn list_items_carry_their_lead_in_and_parents() {
        let md = "# 3 Release

## 3.1 Gate

Before each release the security lead checks:

- open findings
- the SBOM, for:
  - known vulnerabilities

After the list.
";
        let (blocks, _) = extract(md);
        let item = blocks.blocks.iter().find(|b| b.text == "open findings").expect("item");
        assert_eq!(item.header, "Before each release the security lead checks:");
        assert_eq!(item.context, "3 Release › 3.1 Gate");
        let nested = blocks.blocks.iter().find(|b| b.text == "known vulnerabilities").expect("nested");
        assert_eq!(nested.header, "Before each release the security lead checks: › the SBOM, for:");
        let after = blocks.blocks.iter().find(|b| b.text == "After the list.").expect("para");
        assert_eq!(after.header, "");
    }
}
