//! Document-control metadata: document ID, title, revision and approval state, read from the file's
//! properties and its control block (the first passages), falling back to the file name.

use crate::model::{Block, DocMeta, DocState};
use regex::Regex;
use std::sync::OnceLock;

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("static regex"))
}

/// A document ID at the start of a file name or in a control block: `SOP-SEC-004`, `MIN-SEC-2025-014`.
fn id_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^\s*([A-Z][A-Z0-9]{1,7}(?:-[A-Z][A-Z0-9]{0,7}){0,3}-\d{2,6}(?:-\d{1,4})?[A-Z]?)\b")
}

fn state_of(value: &str) -> Option<DocState> {
    let v = value.to_ascii_lowercase();
    if v.contains("supersed") || v.contains("obsolete") || v.contains("withdrawn") || v.contains("retired") || v.contains("cancelled") {
        Some(DocState::Superseded)
    } else if v.contains("draft")
        || v.contains("in review")
        || v.contains("under review")
        || v.contains("for review")
        || v.contains("for comment")
        || v.contains("not approved")
        || v.contains("not yet approved")
        || v.contains("not yet accepted")
        || v.contains("pending approval")
        || v.contains("awaiting approval")
        || v.contains("preliminary")
        || v.contains("proposed")
        || v.contains("living document")
        || v.contains("work in progress")
        || v.contains("do not use")
        || v.contains("template")
    {
        Some(DocState::Draft)
    } else if v.contains("approved")
        || v.contains("released")
        || v.contains("effective")
        || v.contains("issued")
        || v.contains("final")
        || v.contains("current")
        || v.contains("active")
    {
        Some(DocState::Approved)
    } else {
        None
    }
}

/// How far into a document its control block (ID, version, status, approvals) is looked for.
const CONTROL_BLOCKS: usize = 40;

/// Field names of a document-control block ("Document ID", "Version", "Status", "Approved by" …).
fn is_control_key(key: &str) -> bool {
    static KEY: OnceLock<Regex> = OnceLock::new();
    let key_re = re(
        &KEY,
        r"(?i)^\s*(?:document\s*(?:id|no\.?|number|owner|title|type|status|version)|doc\.?\s*(?:id|no\.?)|title|version|revision|rev\.?|status|owner|authors?|prepared\s+by|written\s+by|reviewed\s+by|reviewers?|approved\s+by|approvers?|approval\s+date|effective(?:\s+date)?|release\s+date|date|issue\s+date|classification|confidentiality|supersedes|replaces)\s*:?\s*$",
    );
    key_re.is_match(key)
}

/// A control field's value is a name, a number, a date or a state, not a sentence.
fn is_control_value(v: &str) -> bool {
    v.split_whitespace().count() <= 8
}

/// A row or line of the document-control block at the top of a document (a "Status | Approved" row,
/// "Version: 2.1", a row under a "Document ID | Version | Status" header; `position` is the block's index):
/// it says what the document is, never how anything is done, so it is not a passage to cite.
pub(crate) fn is_control_row(block: &Block, position: usize) -> bool {
    if position >= CONTROL_BLOCKS {
        return false;
    }
    if block.kind == crate::model::BlockKind::TableRow {
        let cells: Vec<&str> = block.text.split(" | ").collect();
        if !block.header.is_empty() {
            let heads: Vec<&str> = block.header.split(" | ").collect();
            if heads.iter().all(|h| is_control_key(h)) {
                return true;
            }
        }
        return cells.len() == 2 && is_control_key(cells[0]) && is_control_value(cells[1]);
    }
    // "Status: Approved" on a line of its own.
    match block.text.split_once(':') {
        Some((k, v)) => !v.trim().is_empty() && is_control_key(k) && is_control_value(v),
        None => false,
    }
}

/// Fill `meta` from the control block (first passages), properties and the file name; what the file says
/// wins over what its name suggests.
pub(crate) fn read(file_name: &str, blocks: &[Block], title: Option<String>, custom: &[(String, String)]) -> DocMeta {
    static ID: OnceLock<Regex> = OnceLock::new();
    static STATUS: OnceLock<Regex> = OnceLock::new();
    static VERSION: OnceLock<Regex> = OnceLock::new();
    static TITLE: OnceLock<Regex> = OnceLock::new();
    let id_field = re(&ID, concat!(r"(?i)\b(?:document\s*(?:id|no\.?|number)|doc\.?\s*id)\s*[:|]?\s*(", doc_id_pattern!(), r")\b"));
    let status_field = re(&STATUS, r"(?i)\b(?:document\s+)?(?:status|state)\s*[:|]?\s*([A-Za-z][A-Za-z –-]{1,40})");
    let version_field = re(&VERSION, r"(?i)\b(?:version|revision|rev\.|issue)\s*[:|]?\s*([0-9][0-9A-Za-z.]{0,12}|[A-Z])\b");
    let title_field = re(&TITLE, r"(?i)^\s*(?:document\s+)?title\s*[:|]\s*(.{3,200}?)\s*$");
    let mut meta = DocMeta { title, ..DocMeta::default() };
    // Properties set in the file come first.
    for (k, v) in custom {
        let line = format!("{k}: {v}");
        apply(&mut meta, &line, id_field, status_field, version_field);
    }
    for (i, block) in blocks.iter().take(CONTROL_BLOCKS).enumerate() {
        // A control table laid out in columns ("Document ID | Version | Status" over "ARCH-001 | 1.3 |
        // Approved") is read cell by cell as "Header: value".
        if block.kind == crate::model::BlockKind::TableRow && !block.header.is_empty() {
            for (h, v) in block.header.split(" | ").zip(block.text.split(" | ")) {
                apply(&mut meta, &format!("{}: {}", h.trim(), v.trim()), id_field, status_field, version_field);
            }
        }
        apply(&mut meta, &block.text, id_field, status_field, version_field);
        if meta.title.is_none()
            && let Some(c) = title_field.captures(&block.text)
        {
            meta.title = Some(c[1].to_string());
        }
        // An upper-case banner at the very top marks the whole document.
        if i < 8
            && meta.state == DocState::Unknown
            && ["DRAFT", "NOT APPROVED", "DO NOT USE", "FOR REVIEW", "NOT FOR USE"].iter().any(|m| block.text.contains(m))
        {
            meta.state = DocState::Draft;
        }
        if i < 8 && (block.text.contains("SUPERSEDED") || block.text.contains("OBSOLETE")) {
            meta.state = DocState::Superseded;
        }
    }
    // The file name: ID at the start, revision, DRAFT marker.
    let stem = match file_name.rfind('.') {
        Some(i) if i > 0 => &file_name[..i],
        _ => file_name,
    };
    if meta.doc_id.is_none()
        && let Some(m) = id_regex().captures(stem)
    {
        meta.doc_id = Some(m[1].to_string());
    }
    static REV: OnceLock<Regex> = OnceLock::new();
    let rev = re(&REV, r"(?i)(?:^|[\s_-])(?:v|rev\.?\s?|r)(\d+(?:\.\d+){0,2}[a-z]?)(?:$|[\s_-])");
    if meta.revision.is_none()
        && let Some(c) = rev.captures(stem)
    {
        meta.revision = Some(c[1].to_string());
    }
    static NAME_STATE: OnceLock<Regex> = OnceLock::new();
    let name_state = re(&NAME_STATE, r"\b(DRAFT|Draft|SUPERSEDED|Superseded|OBSOLETE|Obsolete)\b");
    if let Some(c) = name_state.captures(stem)
        && let Some(s) = state_of(&c[1])
        && meta.state != DocState::Superseded
    {
        meta.state = s;
    }
    if meta.title.is_none() {
        let mut t = stem.to_string();
        if let Some(id) = &meta.doc_id {
            t = t.trim_start_matches(id.as_str()).trim().to_string();
        }
        if !t.is_empty() {
            meta.title = Some(t);
        }
    }
    meta.title = meta.title.map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
    meta
}

fn apply(meta: &mut DocMeta, text: &str, id: &Regex, status: &Regex, version: &Regex) {
    if meta.doc_id.is_none()
        && let Some(c) = id.captures(text)
    {
        meta.doc_id = Some(c[1].to_string());
    }
    if meta.state == DocState::Unknown {
        for c in status.captures_iter(text) {
            if let Some(s) = state_of(&c[1]) {
                meta.state = s;
                break;
            }
        }
    }
    if meta.revision.is_none()
        && let Some(c) = version.captures(text)
    {
        meta.revision = Some(c[1].trim_end_matches('.').to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BlockKind, Locator};

    fn row(t: &str) -> Block {
        Block {
            kind: BlockKind::TableRow,
            locator: Locator::Line { line: 1 },
            context: String::new(),
            header: String::new(),
            text: t.into(),
            guidance: false,
        }
    }

    #[test]
    fn control_block_wins_over_name() {
        let m = read(
            "SOP-SEC-006 Vulnerability Handling v2.2.docx",
            &[row("Document ID | SOP-SEC-006"), row("Version | 2.2"), row("Status | Approved")],
            None,
            &[],
        );
        assert_eq!(m.doc_id.as_deref(), Some("SOP-SEC-006"));
        assert_eq!(m.revision.as_deref(), Some("2.2"));
        assert_eq!(m.state, DocState::Approved);
        assert_eq!(m.title.as_deref(), Some("Vulnerability Handling v2.2"));
    }

    #[test]
    fn column_control_tables_and_more_states() {
        let mut r = row("ARCH-001 | 1.3 | Approved | J. Doe");
        r.header = "Document ID | Version | Status | Owner".into();
        let m = read("system-architecture.md", &[r], None, &[]);
        assert_eq!((m.doc_id.as_deref(), m.revision.as_deref(), m.state), (Some("ARCH-001"), Some("1.3"), DocState::Approved));
        for status in ["Status: Living document", "Status | Proposed", "Status: Template", "Status: pending approval"] {
            assert_eq!(read("x.md", &[row(status)], None, &[]).state, DocState::Draft, "{status}");
        }
        assert_eq!(read("x.md", &[row("Status: Obsolete – replaced by SOP-9")], None, &[]).state, DocState::Superseded);
    }

    #[test]
    fn name_only_and_draft() {
        let m = read("PLN-SEC-007 Monitoring Plan v0.3 DRAFT.odt", &[row("Status | DRAFT – in review")], None, &[]);
        assert_eq!(m.doc_id.as_deref(), Some("PLN-SEC-007"));
        assert_eq!(m.revision.as_deref(), Some("0.3"));
        assert_eq!(m.state, DocState::Draft);
        let m = read("MIN-SEC-2025-014 Minutes.txt", &[], None, &[]);
        assert_eq!(m.doc_id.as_deref(), Some("MIN-SEC-2025-014"));
        let m = read("RA-SEC-010 Register R3.2.xlsx", &[], None, &[]);
        assert_eq!(m.revision.as_deref(), Some("3.2"));
        let m = read("notes.md", &[], None, &[]);
        assert_eq!(m.doc_id, None);
        assert_eq!(m.state, DocState::Unknown);
    }

    #[test]
    fn control_rows_are_not_passages() {
        for t in ["Status | Approved", "Approved by | Head of Engineering", "Document ID | ENG-009", "Version | 2.1"] {
            assert!(is_control_row(&row(t), 2), "{t}");
        }
        let mut line = row("Status: Approved");
        line.kind = BlockKind::Paragraph;
        assert!(is_control_row(&line, 0));
        let mut columns = row("ARCH-001 | 1.3 | Approved");
        columns.header = "Document ID | Version | Status".into();
        assert!(is_control_row(&columns, 1));
        // Content, or a control-looking row far into the document, is a passage.
        for t in ["Static analysis | Semgrep on every merge request", "Status | Approved | by the CCB before release"] {
            assert!(!is_control_row(&row(t), 2), "{t}");
        }
        let mut step = row("3 | Security lead");
        step.header = "Step | Owner".into();
        assert!(!is_control_row(&step, 3));
        assert!(!is_control_row(&row("Status | Approved"), CONTROL_BLOCKS));
        let mut prose = row("Status: the findings are triaged weekly by the PSIRT and tracked in Jira until closed.");
        prose.kind = BlockKind::Paragraph;
        assert!(!is_control_row(&prose, 5), "a sentence after a field name is content");
        assert!(!is_control_row(&row("Owner | The security lead owns the SBOM and reviews it every month"), 4));
    }
}
