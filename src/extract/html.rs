//! HTML → blocks. Headings open sections; paragraphs, list items, table rows, definition terms and
//! preformatted text become passages. Scripts, styles and navigation are dropped. Nothing is fetched.

use super::text::Blocks;
use crate::model::BlockKind;
use ego_tree::NodeRef;
use scraper::{ElementRef, Html, Node};

const SKIP: &[&str] = &["script", "style", "noscript", "template", "nav", "svg", "head", "iframe", "object"];
const LEAF: &[&str] = &["p", "li", "pre", "dt", "dd", "caption", "figcaption", "address", "summary", "blockquote", "label"];
const CONTAINERS: &[&str] = &[
    "html", "body", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol", "dl", "table", "thead", "tbody", "tfoot",
    "details", "form", "fieldset", "figure", "center",
];

pub(crate) fn extract(text: &str) -> (Blocks, Option<String>) {
    let doc = Html::parse_document(text);
    let title = doc
        .select(&scraper::Selector::parse("title").expect("static selector"))
        .next()
        .map(|t| t.text().collect::<String>().trim().to_string())
        .filter(|t| !t.is_empty());
    let mut out = Blocks::default();
    let mut header = String::new();
    walk(doc.root_element(), &mut out, &mut header);
    (out, title)
}

/// The text under `el`, with a space around block-level children. Iterative: documents nest elements
/// thousands deep, and recursion would overflow the stack.
fn text_of(el: ElementRef<'_>) -> String {
    enum Step<'a> {
        Node(NodeRef<'a, Node>),
        Space,
    }
    let mut s = String::new();
    let mut stack: Vec<Step<'_>> = el.children().rev().map(Step::Node).collect();
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Space => {
                s.push(' ');
                continue;
            }
            Step::Node(n) => n,
        };
        match node.value() {
            Node::Text(t) => s.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if SKIP.contains(&name) {
                    continue;
                }
                let block = matches!(name, "br" | "p" | "div" | "li" | "td" | "th" | "tr");
                if block {
                    s.push(' ');
                    stack.push(Step::Space);
                }
                stack.extend(node.children().rev().map(Step::Node));
            }
            _ => {}
        }
    }
    s
}

/// Work still to do in [`walk`]: a node to handle (with its parent element), or the end of a table.
enum Work<'a> {
    Child(NodeRef<'a, Node>, ElementRef<'a>),
    EndTable,
}

/// Queue the children of `el` so that the first is handled next.
fn descend<'a>(stack: &mut Vec<Work<'a>>, el: ElementRef<'a>) {
    let before = stack.len();
    stack.extend(el.children().map(|c| Work::Child(c, el)));
    stack[before..].reverse();
}

/// Turn the tree under `root` into blocks, in document order, with an explicit stack (no recursion).
fn walk(root: ElementRef<'_>, out: &mut Blocks, header: &mut String) {
    let mut stack: Vec<Work<'_>> = root.children().rev().map(|c| Work::Child(c, root)).collect();
    while let Some(work) = stack.pop() {
        let (child, parent) = match work {
            Work::EndTable => {
                header.clear();
                continue;
            }
            Work::Child(child, parent) => (child, parent),
        };
        let Some(c) = ElementRef::wrap(child) else {
            if let Node::Text(t) = child.value()
                && !t.trim().is_empty()
                && CONTAINERS.contains(&parent.value().name())
            {
                let loc = out.section(None);
                out.push(BlockKind::Paragraph, t, loc, "");
            }
            continue;
        };
        let name = c.value().name();
        if SKIP.contains(&name) {
            continue;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let t = text_of(c);
                let loc = crate::model::Locator::Section { heading: super::text::normalize(&t), line: None };
                let level = name[1..].parse::<u8>().unwrap_or(1);
                out.push_heading_at(level, &t, loc);
            }
            "table" => {
                header.clear();
                stack.push(Work::EndTable);
                descend(&mut stack, c);
            }
            "tr" => {
                let cells: Vec<(bool, String)> = c
                    .children()
                    .filter_map(ElementRef::wrap)
                    .filter(|e| matches!(e.value().name(), "td" | "th"))
                    .map(|e| (e.value().name() == "th", super::text::normalize(&text_of(e))))
                    .collect();
                if cells.is_empty() {
                    continue;
                }
                if cells.iter().all(|(th, _)| *th) && header.is_empty() {
                    *header = cells.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" | ");
                    continue;
                }
                let text = cells.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" | ");
                let loc = out.section(None);
                let h = header.clone();
                out.push(BlockKind::TableRow, &text, loc, &h);
            }
            n if LEAF.contains(&n) => {
                // A list item holding a nested list: its own text first, then the nested items.
                let has_nested = c.descendants().filter_map(ElementRef::wrap).any(|e| matches!(e.value().name(), "ul" | "ol" | "table"));
                if n == "li" && has_nested {
                    let own: String = c.children().filter_map(|ch| ch.value().as_text().map(|t| t.to_string())).collect();
                    let loc = out.section(None);
                    out.push(BlockKind::ListItem, &own, loc, "");
                    descend(&mut stack, c);
                } else {
                    let kind = if n == "li" { BlockKind::ListItem } else { BlockKind::Paragraph };
                    let loc = out.section(None);
                    out.push(kind, &text_of(c), loc, "");
                }
            }
            n if CONTAINERS.contains(&n) || n == "tbody" || n == "thead" => descend(&mut stack, c),
            _ => {
                // Inline or unknown element directly in a container: its text is a passage.
                let loc = out.section(None);
                out.push(BlockKind::Paragraph, &text_of(c), loc, "");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_sections_rows_and_no_scripts() {
        let html = "<html><head><title>IFU-1 Guide</title><script>var x='secret';</script></head><body>\
            <nav>Home | About</nav><h2>9 Decommissioning</h2><p>[Placeholder &mdash; to insert]</p>\
            <table><tr><th>Port</th><th>Use</th></tr><tr><td>443</td><td>HTTPS</td></tr></table>\
            <ul><li>One</li><li>Two</li></ul></body></html>";
        let (b, title) = extract(html);
        assert_eq!(title.as_deref(), Some("IFU-1 Guide"));
        let texts: Vec<&str> = b.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, vec!["9 Decommissioning", "[Placeholder — to insert]", "443 | HTTPS", "One", "Two"]);
        assert_eq!((b.blocks[2].context.as_str(), b.blocks[2].header.as_str()), ("9 Decommissioning", "Port | Use"));
        assert_eq!(b.blocks[1].locator.to_string(), "§ 9 Decommissioning");
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        // 5,000 nested <div> (a 55 KB file) once aborted the whole review; twice that now reads in a small
        // stack. (html5ever's scope checks are quadratic in depth, so far deeper files are bounded by the
        // extraction timeout instead: see tests/hostile.rs.)
        let depth = 10_000;
        let html = format!("<html><body>{}<p>Deep text</p>{}</body></html>", "<div>".repeat(depth), "</div>".repeat(depth));
        let worker = std::thread::Builder::new().stack_size(256 << 10).spawn(move || extract(&html)).expect("thread");
        let (b, _) = worker.join().expect("no stack overflow");
        assert!(b.blocks.iter().any(|x| x.text == "Deep text"), "{:?}", b.blocks.len());
    }
}
