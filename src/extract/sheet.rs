//! Spreadsheets (XLSX, XLS, ODS via calamine, after the bounded zip check) and CSV. Each non-empty row is
//! a passage located by its first cell (`Sheet!A12`); the table header row (the first row that is as
//! wide as the table) is the context of the rows below it.

use super::ExtractError;
use super::text::{Blocks, decode, normalize};
use super::zipbound::BoundedZip;
use crate::model::{BlockKind, Locator};
use calamine::{Reader, open_workbook_auto_from_rs};
use std::io::Cursor;

/// Column number (0-based) → letters (A, B, …, Z, AA, …).
pub(crate) fn column_name(mut col: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + u8::try_from(col % 26).unwrap_or(0));
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The text of a streamed XLSX cell.
fn cell_text(v: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef as D;
    match v {
        D::String(s) | D::DateTimeIso(s) | D::DurationIso(s) => s.clone(),
        D::SharedString(s) => (*s).to_string(),
        D::Int(i) => i.to_string(),
        D::Float(f) => f.to_string(),
        D::Bool(b) => b.to_string(),
        D::DateTime(d) => d.to_string(),
        D::Error(_) | D::Empty => String::new(),
    }
}

/// XLSX read cell by cell (never a whole sheet in memory), stopping once the document caps are reached.
fn xlsx_streamed(bytes: &[u8]) -> Result<Blocks, ExtractError> {
    let unreadable = |e: calamine::XlsxError| ExtractError::Corrupt(format!("spreadsheet unreadable: {}", normalize(&e.to_string())));
    let mut book: calamine::Xlsx<_> = calamine::Reader::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut out = Blocks::default();
    for name in book.sheet_names() {
        let mut reader = book.worksheet_cells_reader(&name).map_err(unreadable)?;
        let mut rows = RowStream::new(&mut out, &name);
        let mut row: Option<(u32, Vec<(u32, String)>)> = None;
        while let Some(cell) = reader.next_cell().map_err(unreadable)? {
            let (r, c) = cell.get_position();
            let text = normalize(&cell_text(cell.get_value()));
            if row.as_ref().is_some_and(|(cur, _)| *cur != r)
                && let Some(done) = row.take()
            {
                rows.add(done);
            }
            if text.is_empty() {
                continue;
            }
            row.get_or_insert_with(|| (r, Vec::new())).1.push((c, text));
            if rows.full() {
                break;
            }
        }
        if let Some(done) = row.take() {
            rows.add(done);
        }
        rows.finish();
        if out.cut {
            break;
        }
    }
    Ok(out)
}

/// Rows fed one at a time: the first rows are held until the header row can be chosen.
struct RowStream<'a> {
    out: &'a mut Blocks,
    sheet: String,
    held: Vec<(u32, Vec<(u32, String)>)>,
    header: Option<String>,
}

/// Rows looked at to choose a table's header row.
const HEADER_WINDOW: usize = 60;

impl<'a> RowStream<'a> {
    fn new(out: &'a mut Blocks, sheet: &str) -> Self {
        out.set_section(sheet);
        RowStream { out, sheet: sheet.to_string(), held: Vec::new(), header: None }
    }

    fn full(&self) -> bool {
        self.out.cut
    }

    fn add(&mut self, row: (u32, Vec<(u32, String)>)) {
        if self.header.is_some() {
            let header = self.header.clone().unwrap_or_default();
            emit_row(self.out, &self.sheet, &row, &header);
        } else {
            self.held.push(row);
            if self.held.len() >= HEADER_WINDOW {
                self.flush_held();
            }
        }
    }

    fn flush_held(&mut self) {
        let held = std::mem::take(&mut self.held);
        let header = table_rows_in(self.out, &self.sheet, &held);
        self.header = Some(header);
    }

    fn finish(mut self) {
        if self.header.is_none() {
            self.flush_held();
        }
    }
}

fn emit_row(out: &mut Blocks, sheet: &str, (r, cells): &(u32, Vec<(u32, String)>), header: &str) {
    if cells.is_empty() {
        return;
    }
    let text = cells.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" | ");
    let first_col = cells.first().map(|(c, _)| *c).unwrap_or(0);
    let loc = Locator::Cell { sheet: sheet.to_string(), cell: format!("{}{}", column_name(first_col), r + 1) };
    out.push(BlockKind::TableRow, &text, loc, header);
}

pub(crate) fn workbook(bytes: &[u8], zipped: bool) -> Result<Blocks, ExtractError> {
    if zipped {
        BoundedZip::open(bytes, "spreadsheet")?.check_all()?;
        if BoundedZip::open(bytes, "spreadsheet")?.names().iter().any(|n| n == "xl/workbook.xml") {
            return xlsx_streamed(bytes);
        }
    }
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("spreadsheet unreadable: {}", normalize(&e.to_string()))))?;
    let mut out = Blocks::default();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| ExtractError::Corrupt(format!("sheet {name:?} unreadable: {}", normalize(&e.to_string()))))?;
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let rows: Vec<(u32, Vec<(u32, String)>)> = range
            .rows()
            .enumerate()
            .map(|(r, cells)| {
                let cells = cells
                    .iter()
                    .enumerate()
                    .map(|(c, v)| (col0 + u32::try_from(c).unwrap_or(0), normalize(&v.to_string())))
                    .filter(|(_, v)| !v.is_empty())
                    .collect();
                (row0 + u32::try_from(r).unwrap_or(0), cells)
            })
            .collect();
        table_rows(&mut out, &name, &rows);
    }
    Ok(out)
}

pub(crate) fn csv(bytes: &[u8], sheet: &str) -> Blocks {
    let text = decode(bytes);
    let delimiter = sniff_delimiter(&text);
    let rows: Vec<(u32, Vec<(u32, String)>)> = parse_csv(&text, delimiter)
        .into_iter()
        .enumerate()
        .map(|(r, cells)| {
            let cells = cells
                .into_iter()
                .enumerate()
                .map(|(c, v)| (u32::try_from(c).unwrap_or(0), normalize(&v)))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            (u32::try_from(r).unwrap_or(0), cells)
        })
        .collect();
    let mut out = Blocks::default();
    table_rows(&mut out, sheet, &rows);
    out
}

/// Emit rows as passages; pick the header row (the first row as wide as the widest of the first rows).
fn table_rows(out: &mut Blocks, sheet: &str, rows: &[(u32, Vec<(u32, String)>)]) {
    out.set_section(sheet);
    table_rows_in(out, sheet, rows);
}

/// [`table_rows`] within the current section; returns the header row chosen (or "").
fn table_rows_in(out: &mut Blocks, sheet: &str, rows: &[(u32, Vec<(u32, String)>)]) -> String {
    let widest = rows.iter().take(HEADER_WINDOW).map(|(_, c)| c.len()).max().unwrap_or(0);
    let header_idx = if widest >= 2 {
        rows.iter().position(|(_, c)| c.len() == widest && c.iter().all(|(_, v)| v.parse::<f64>().is_err()))
    } else {
        None
    };
    let mut header = String::new();
    for (i, row) in rows.iter().enumerate() {
        let (r, cells) = row;
        if cells.is_empty() {
            continue;
        }
        if Some(i) == header_idx {
            let text = cells.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" | ");
            let first_col = cells.first().map(|(c, _)| *c).unwrap_or(0);
            let loc = Locator::Cell { sheet: sheet.to_string(), cell: format!("{}{}", column_name(first_col), r + 1) };
            header = text.clone();
            out.push(BlockKind::TableHeader, &text, loc, "");
            continue;
        }
        emit_row(out, sheet, row, &header);
    }
    header
}

fn sniff_delimiter(text: &str) -> char {
    let first: Vec<&str> = text.lines().take(5).collect();
    [',', ';', '\t', '|'].into_iter().max_by_key(|d| first.iter().map(|l| l.matches(*d).count()).sum::<usize>()).unwrap_or(',')
}

/// RFC 4180 CSV: quoted fields may hold delimiters, doubled quotes and line breaks.
fn parse_csv(text: &str, delim: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && field.is_empty() {
            quoted = true;
        } else if c == delim {
            row.push(std::mem::take(&mut field));
        } else if c == '\n' || c == '\r' {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            row.push(std::mem::take(&mut field));
            rows.push(std::mem::take(&mut row));
        } else {
            field.push(c);
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_csv() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        let b = csv(b"Document ID,RA-1\n\nThreat ID,Threat,Control\nT-1,\"Spoofing, of \"\"cloud\"\"\",mTLS\n", "RA-1");
        let rows: Vec<(&str, String, &str, &str)> =
            b.blocks.iter().map(|b| (b.text.as_str(), b.locator.to_string(), b.context.as_str(), b.header.as_str())).collect();
        assert_eq!(rows[2], ("T-1 | Spoofing, of \"cloud\" | mTLS", "RA-1!A4".to_string(), "RA-1", "Threat ID | Threat | Control"));
    }
}
