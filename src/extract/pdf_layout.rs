//! PDF passages as a reader sees them, from poppler's layout: `pdftotext -bbox-layout` (run as a separate
//! program, so its GPL code stays out of this binary) gives pages → blocks → lines → words with
//! coordinates; the rules below rebuild paragraphs, list items and table rows from them. Measured on every
//! PDF of the team's shared folder (see the closing note of the judgment issue): 100 % of the source
//! sentences end up inside one passage, against 88.6 % from lopdf's text.
//!
//! The rules: words on a line are joined by the gap between them; lines of a block are joined keeping a
//! line-end hyphen without a space (identifiers and compounds are hyphenated, documents are not); a block
//! of bullet glyphs marks where list items start; blocks side by side form a table, one passage per row
//! anchored on the first column; a sentence cut by a page break is joined back, skipping running headers.

use super::ExtractError;
use super::xml::{Ev, walk};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub(crate) text: String,
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
}

/// One page: its text blocks, each a list of lines.
pub(crate) type Page = Vec<Vec<Line>>;

/// What a rebuilt passage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Heading,
    Para,
    List,
    /// A table row; `first` marks the first row of its table.
    Row {
        first: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Passage {
    pub(crate) page: u32,
    pub(crate) kind: Kind,
    pub(crate) text: String,
}

fn attr(attrs: &[(String, String)], key: &str) -> f32 {
    attrs.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.parse().ok()).unwrap_or(0.0)
}

/// Parse `pdftotext -bbox-layout` output: the title (if any) and the pages.
pub(crate) fn parse(xhtml: &[u8]) -> Result<(Option<String>, Vec<Page>), ExtractError> {
    let mut pages: Vec<Page> = Vec::new();
    let mut title = String::new();
    let mut in_title = false;
    let mut line: Option<Line> = None;
    let mut word: Option<(f32, f32, String)> = None;
    let mut last_x1: Option<f32> = None;
    walk(xhtml, "pdftotext layout", |ev| match ev {
        Ev::Start { name: "title", .. } => in_title = true,
        Ev::End { name: "title" } => in_title = false,
        Ev::Start { name: "page", .. } => pages.push(Vec::new()),
        Ev::Start { name: "block", .. } => {
            if let Some(p) = pages.last_mut() {
                p.push(Vec::new());
            }
        }
        Ev::Start { name: "line", attrs } => {
            line = Some(Line {
                text: String::new(),
                x0: attr(attrs, "xMin"),
                y0: attr(attrs, "yMin"),
                x1: attr(attrs, "xMax"),
                y1: attr(attrs, "yMax"),
            });
            last_x1 = None;
        }
        Ev::Start { name: "word", attrs } => word = Some((attr(attrs, "xMin"), attr(attrs, "xMax"), String::new())),
        Ev::Text(t) => {
            if in_title {
                title.push_str(t);
            } else if let Some(w) = word.as_mut() {
                w.2.push_str(t);
            }
        }
        Ev::End { name: "word" } => {
            if let (Some((x0, x1, text)), Some(l)) = (word.take(), line.as_mut()) {
                let height = (l.y1 - l.y0).max(1.0);
                if let Some(prev) = last_x1
                    && x0 - prev >= 0.1 * height
                {
                    l.text.push(' ');
                }
                l.text.push_str(&text);
                last_x1 = Some(x1);
            }
        }
        Ev::End { name: "line" } => {
            if let (Some(l), Some(block)) = (line.take(), pages.last_mut().and_then(|p| p.last_mut()))
                && !l.text.trim().is_empty()
            {
                block.push(l);
            }
        }
        _ => {}
    })?;
    for p in &mut pages {
        p.retain(|b| !b.is_empty());
    }
    let title = Some(super::text::normalize(&title)).filter(|t| !t.is_empty());
    Ok((title, pages))
}

fn is_bullet_glyph(s: &str) -> bool {
    let s = s.trim();
    let mut c = s.chars();
    match (c.next(), c.next(), c.next()) {
        (Some(g), None, _) => "•◦▪▫‣∙·○●■□–—-*o❑➢►".contains(g),
        (Some(a), Some(b), None) => (a.is_ascii_digit() || a.is_ascii_alphabetic()) && (b == '.' || b == ')'),
        (Some(a), Some(b), Some(d)) => a.is_ascii_digit() && b.is_ascii_digit() && (d == '.' || d == ')') && s.chars().count() == 3,
        _ => false,
    }
}

/// Join a block's lines into one text: a line-end hyphen between letters or digits is kept and the
/// lines meet without a space ("internet-" + "facing"); a word wrapped inside a narrow cell ("Exploite" +
/// "d") is joined when the whole word occurs elsewhere in the document; other lines meet with a space.
fn join_lines(lines: &[&str], vocab: &BTreeSet<String>) -> String {
    let mut s = String::new();
    for l in lines {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        if s.is_empty() {
            s.push_str(l);
            continue;
        }
        let prev_alnum = s.chars().rev().nth(1).is_some_and(|c| c.is_alphanumeric());
        let next_alnum = l.chars().next().is_some_and(|c| c.is_alphanumeric());
        if s.ends_with('-') && prev_alnum && next_alnum {
            s.push_str(l);
            continue;
        }
        let tail: String = s.chars().rev().take_while(|c| c.is_alphabetic()).collect::<Vec<_>>().into_iter().rev().collect();
        let head: String = l.chars().take_while(|c| c.is_alphabetic()).collect();
        if !tail.is_empty()
            && !head.is_empty()
            && head.chars().next().is_some_and(char::is_lowercase)
            && vocab.contains(&format!("{tail}{head}").to_lowercase())
            && !vocab.contains(&tail.to_lowercase())
        {
            s.push_str(l);
            continue;
        }
        s.push(' ');
        s.push_str(l);
    }
    super::text::normalize(&s)
}

fn bbox(lines: &[Line]) -> (f32, f32, f32, f32) {
    lines.iter().fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |(a, b, c, d), l| (a.min(l.x0), b.min(l.y0), c.max(l.x1), d.max(l.y1)))
}

/// Side-by-side items of one table, merged into columns (items at the same x belong to one column).
fn merge_columns(items: Vec<Vec<Line>>) -> Vec<Vec<Line>> {
    let mut sorted = items;
    sorted.sort_by(|a, b| bbox(a).0.total_cmp(&bbox(b).0));
    let mut cols: Vec<(Vec<Line>, f32, f32)> = Vec::new();
    for it in sorted {
        let (x0, _, x1, _) = bbox(&it);
        if let Some(c) = cols.iter_mut().find(|c| x0 < c.2 - 1.0 && x1 > c.1 + 1.0) {
            c.0.extend(it);
            c.1 = c.1.min(x0);
            c.2 = c.2.max(x1);
        } else {
            cols.push((it, x0, x1));
        }
    }
    cols.into_iter().map(|c| c.0).collect()
}

/// One text per table row: rows start at first-column lines that follow a padding gap or align with a
/// line of another column.
fn table_rows(items: Vec<Vec<Line>>, vocab: &BTreeSet<String>) -> Vec<String> {
    let mut cols = merge_columns(items);
    for c in &mut cols {
        c.sort_by(|a, b| a.y0.total_cmp(&b.y0));
    }
    let Some(first) = cols.first() else { return vec![] };
    let mut tops: Vec<f32> = Vec::new();
    let mut prev: Option<&Line> = None;
    for l in first {
        match prev {
            None => tops.push(l.y0),
            Some(p) => {
                let gap = l.y0 - p.y1;
                let aligned = cols[1..].iter().flatten().any(|m| (m.y0 - l.y0).abs() < 1.5);
                let starts = l.text.chars().next().is_some_and(|c| c.is_uppercase());
                if gap > 0.05 * (l.y1 - l.y0) || (aligned && !p.text.trim_end().ends_with('-') && starts) {
                    tops.push(l.y0);
                }
            }
        }
        prev = Some(l);
    }
    let mut rows: Vec<Vec<Vec<&str>>> = vec![vec![Vec::new(); cols.len()]; tops.len()];
    for (ci, c) in cols.iter().enumerate() {
        for l in c {
            let ri = tops.iter().rposition(|t| *t <= l.y0 + 2.0).unwrap_or(0);
            rows[ri][ci].push(&l.text);
        }
    }
    rows.into_iter()
        .map(|r| r.iter().filter(|c| !c.is_empty()).map(|c| join_lines(c, vocab)).filter(|c| !c.is_empty()).collect::<Vec<_>>().join(" | "))
        .filter(|t| !t.is_empty())
        .collect()
}

/// Rebuild the passages of every page.
pub(crate) fn passages(pages: &[Page]) -> Vec<Passage> {
    // The document's own words, for repairing words wrapped inside narrow cells.
    let mut vocab = BTreeSet::new();
    for l in pages.iter().flatten().flatten() {
        for w in l.text.split(|c: char| !c.is_alphabetic()).filter(|w| w.len() > 2) {
            vocab.insert(w.to_lowercase());
        }
    }
    let mut out = Vec::new();
    for (pi, blocks) in pages.iter().enumerate() {
        let page = u32::try_from(pi + 1).unwrap_or(u32::MAX);
        // Bullet glyphs in blocks of their own mark where items start.
        let mut bullets: Vec<(f32, String)> = Vec::new();
        let mut text_blocks = Vec::new();
        for b in blocks {
            if b.iter().all(|l| is_bullet_glyph(&l.text)) {
                bullets.extend(b.iter().map(|l| ((l.y0 + l.y1) / 2.0, l.text.trim().to_string())));
            } else {
                text_blocks.push(b);
            }
        }
        let mut items: Vec<Vec<Line>> = Vec::new();
        for b in text_blocks {
            let mut cur: Vec<Line> = Vec::new();
            for l in b {
                let mid = (l.y0 + l.y1) / 2.0;
                let mut l = l.clone();
                if let Some((_, g)) = bullets.iter().find(|(y, _)| (y - mid).abs() < 2.5) {
                    if !cur.is_empty() {
                        items.push(std::mem::take(&mut cur));
                    }
                    let mark = if g.chars().next().is_some_and(char::is_alphanumeric) { format!("{g} ") } else { "• ".to_string() };
                    l.text = format!("{mark}{}", l.text);
                }
                cur.push(l);
            }
            if !cur.is_empty() {
                items.push(cur);
            }
        }
        // Items side by side (overlapping heights, disjoint widths) belong to one table.
        let boxes: Vec<(f32, f32, f32, f32)> = items.iter().map(|it| bbox(it)).collect();
        let mut parent: Vec<usize> = (0..items.len()).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for i in 0..items.len() {
            for k in i + 1..items.len() {
                let (a, b) = (boxes[i], boxes[k]);
                let overlap = a.3.min(b.3) - a.1.max(b.1);
                let shorter = (a.3 - a.1).min(b.3 - b.1);
                let disjoint = a.2 <= b.0 + 1.0 || b.2 <= a.0 + 1.0;
                if disjoint && overlap > 0.5 * shorter.min(14.0) {
                    let (ri, rk) = (find(&mut parent, i), find(&mut parent, k));
                    parent[ri] = rk;
                }
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..items.len() {
            let r = find(&mut parent, i);
            groups.entry(r).or_default().push(i);
        }
        let mut done = BTreeSet::new();
        for i in 0..items.len() {
            let r = find(&mut parent, i);
            if !done.insert(r) {
                continue;
            }
            let g = &groups[&r];
            if g.len() == 1 {
                let lines: Vec<&str> = items[i].iter().map(|l| l.text.as_str()).collect();
                let text = join_lines(&lines, &vocab);
                if text.is_empty() {
                    continue;
                }
                let kind = if items[i].len() == 1 && super::text::looks_like_heading(&text) {
                    Kind::Heading
                } else if text.starts_with('•') {
                    Kind::List
                } else {
                    Kind::Para
                };
                out.push(Passage { page, kind, text });
            } else {
                let cells: Vec<Vec<Line>> = g.iter().map(|k| items[*k].clone()).collect();
                for (n, text) in table_rows(cells, &vocab).into_iter().enumerate() {
                    out.push(Passage { page, kind: Kind::Row { first: n == 0 }, text });
                }
            }
        }
    }
    join_across_pages(out)
}

/// A paragraph cut by a page break continues on the next page: join the last prose passage of a page that
/// does not end a sentence with the first prose passage of the next page when that one starts in lower
/// case (running headers and footers, texts seen on three pages or more, are skipped).
fn join_across_pages(passages: Vec<Passage>) -> Vec<Passage> {
    let key = |t: &str| t.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect::<String>();
    let mut pages_of: HashMap<String, BTreeSet<u32>> = HashMap::new();
    for p in &passages {
        pages_of.entry(key(&p.text)).or_default().insert(p.page);
    }
    let running = |p: &Passage| pages_of.get(&key(&p.text)).is_some_and(|s| s.len() >= 3);
    let mut by_page: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, p) in passages.iter().enumerate() {
        if !running(p) {
            by_page.entry(p.page).or_default().push(i);
        }
    }
    let mut res = passages;
    let mut drop = BTreeSet::new();
    let pages: Vec<u32> = by_page.keys().copied().collect();
    for pg in pages {
        let (Some(a), Some(b)) =
            (by_page.get(&pg).and_then(|v| v.last()).copied(), by_page.get(&(pg + 1)).and_then(|v| v.first()).copied())
        else {
            continue;
        };
        if drop.contains(&a) {
            continue;
        }
        let ends = res[a].text.trim_end().ends_with(['.', '!', '?', ':', ';', ')', '"', '\'', '”', '’', ']']);
        let first = res[b].text.trim_start().chars().next();
        let continues = first.is_some_and(|c| c.is_lowercase() || c.is_ascii_digit() || "(,;".contains(c));
        if matches!(res[a].kind, Kind::Para | Kind::List) && res[b].kind == Kind::Para && !ends && continues {
            let tail = res[b].text.clone();
            res[a].text.push(' ');
            res[a].text.push_str(&tail);
            drop.insert(b);
        }
    }
    res.into_iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, p)| p).collect()
}

/// A PDF's title (from its properties) and rebuilt passages.
pub(crate) type Layout = (Option<String>, Vec<Passage>);

/// The `pdftotext` program, when installed (or named by `CROSSWALK_PDFTOTEXT`).
pub(crate) fn pdftotext() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("CROSSWALK_PDFTOTEXT").filter(|p| !p.is_empty()) {
        let p = std::path::PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("pdftotext")).find(|p| p.is_file()))
}

/// Run `pdftotext -bbox-layout` on `path` (with a deadline) and rebuild the passages. `None` when the
/// program is not installed; an error when it fails on this file.
pub(crate) fn run(path: &std::path::Path, deadline: std::time::Duration) -> Option<Result<Layout, ExtractError>> {
    let exe = pdftotext()?;
    let out = std::process::Command::new(exe)
        .args(["-q", "-bbox-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut child = match out {
        Ok(c) => c,
        Err(_) => return None,
    };
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let bytes = reader.join().unwrap_or_default();
    match status {
        None => Some(Err(ExtractError::Crashed(format!("pdftotext timed out after {} s", deadline.as_secs())))),
        Some(s) if !s.success() => None,
        Some(_) => Some(parse(&bytes).map(|(title, pages)| (title, passages(&pages)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, x0: f32, y0: f32, x1: f32) -> Line {
        Line { text: text.into(), x0, y0, x1, y1: y0 + 10.0 }
    }

    #[test]
    fn hyphens_are_kept_and_wrapped_words_repaired() {
        let vocab: BTreeSet<String> = ["exploited".to_string()].into();
        assert_eq!(join_lines(&["Tests of internet-", "facing services"], &vocab), "Tests of internet-facing services");
        assert_eq!(join_lines(&["Exploite", "d"], &vocab), "Exploited");
        assert_eq!(join_lines(&["The test", "ended."], &vocab), "The test ended.");
    }

    #[test]
    fn side_by_side_blocks_become_rows_and_bullets_items() {
        let pages: Vec<Page> = vec![vec![
            vec![line("ID", 50.0, 100.0, 70.0), line("PT-01", 50.0, 120.0, 80.0), line("PT-02", 50.0, 140.0, 80.0)],
            vec![
                line("Finding", 200.0, 100.0, 250.0),
                line("Tenant check missing", 200.0, 120.0, 320.0),
                line("Weak pairing", 200.0, 140.0, 290.0),
            ],
            vec![line("•", 50.0, 200.0, 55.0), line("•", 50.0, 212.0, 55.0)],
            vec![line("first item of the list", 60.0, 200.0, 300.0), line("second item", 60.0, 212.0, 200.0)],
        ]];
        let got: Vec<(Kind, String)> = passages(&pages).into_iter().map(|p| (p.kind, p.text)).collect();
        assert_eq!(
            got,
            vec![
                (Kind::Row { first: true }, "ID | Finding".to_string()),
                (Kind::Row { first: false }, "PT-01 | Tenant check missing".to_string()),
                (Kind::Row { first: false }, "PT-02 | Weak pairing".to_string()),
                (Kind::List, "• first item of the list".to_string()),
                (Kind::List, "• second item".to_string()),
            ]
        );
    }

    #[test]
    fn sentences_continue_across_pages() {
        let p = |page, kind, text: &str| Passage { page, kind, text: text.to_string() };
        let joined =
            join_across_pages(vec![p(1, Kind::Para, "The verification covered"), p(2, Kind::Para, "every interface of the release.")]);
        assert_eq!(joined, vec![p(1, Kind::Para, "The verification covered every interface of the release.")]);
    }
}
