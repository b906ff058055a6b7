//! A thin, safe walk over XML with quick-xml: local names, attributes and text. Entities are never
//! expanded beyond the five predefined ones and character references, so external entities and entity
//! bombs have no effect. DOCTYPEs are ignored.

use super::ExtractError;
use quick_xml::Reader;
use quick_xml::events::Event;

/// A simplified XML event.
pub(crate) enum Ev<'a> {
    Start { name: &'a str, attrs: &'a [(String, String)] },
    End { name: &'a str },
    Text(&'a str),
}

/// Call `f` for every element start, end and text run. Empty elements give a Start then an End.
pub(crate) fn walk(xml: &[u8], what: &str, mut f: impl FnMut(Ev<'_>)) -> Result<(), ExtractError> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let mut depth: usize = 0;
    loop {
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| ExtractError::Corrupt(format!("{what}: XML error at byte {}: {e}", reader.buffer_position())))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.local_name().as_ref().to_string();
                attrs.clear();
                for a in e.attributes().flatten() {
                    let key = a.key.local_name().as_ref().to_string();
                    let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map(|v| v.into_owned()).unwrap_or_default();
                    attrs.push((key, value));
                }
                f(Ev::Start { name: &name, attrs: &attrs });
                if empty {
                    f(Ev::End { name: &name });
                } else {
                    depth += 1;
                    if depth > 512 {
                        return Err(ExtractError::Corrupt(format!("{what}: XML nested deeper than 512 levels")));
                    }
                }
            }
            Event::End(ref e) => {
                depth = depth.saturating_sub(1);
                let name = e.local_name().as_ref().to_string();
                f(Ev::End { name: &name });
            }
            Event::Text(ref t) => f(Ev::Text(&t.xml10_content())),
            Event::CData(ref t) => f(Ev::Text(t.as_ref())),
            Event::GeneralRef(ref r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    f(Ev::Text(c.encode_utf8(&mut [0; 4])));
                } else {
                    let name = r.as_ref().to_string();
                    if let Some(s) = quick_xml::escape::resolve_xml_entity(&name) {
                        f(Ev::Text(s));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// The value of attribute `key` (local name).
pub(crate) fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_not_expanded() {
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/hostname"><!ENTITY a "aaaaaaaa">]><d>&xxe;&a;&amp;&#65;</d>"#;
        let mut text = String::new();
        walk(xxe, "t", |e| {
            if let Ev::Text(t) = e {
                text.push_str(t)
            }
        })
        .expect("parses");
        assert_eq!(text, "&A");
    }
}
