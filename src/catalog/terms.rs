//! Terms of a concept group, compiled to one case-insensitive regex.
//!
//! Term syntax (catalog authors rely on it): a phrase matches on word boundaries; a space or hyphen
//! between words matches any run of spaces, hyphens, slashes or line breaks; a trailing `*` makes the
//! last word a prefix (`penetrat*`); `re:` starts a raw regex.

use regex::{Regex, RegexBuilder};

/// A group of synonymous terms; a passage matches the group when any term occurs in it.
#[derive(Debug, Clone)]
pub struct TermGroup {
    pub terms: Vec<String>,
    pub regex: Regex,
}

impl TermGroup {
    /// The first match in `text`, as a byte range.
    pub fn find(&self, text: &str) -> Option<std::ops::Range<usize>> {
        self.regex.find(text).map(|m| m.range())
    }

    /// Every match in `text`.
    pub fn find_all<'s, 't>(&'s self, text: &'t str) -> impl Iterator<Item = regex::Match<'t>> + use<'s, 't> {
        self.regex.find_iter(text)
    }
}

/// Between words: spaces, hyphens (ASCII and typographic), slashes, underscores. Patterns compile with
/// Unicode classes off (ASCII `\b`, `\w`, case folding), which keeps the automata small and fast; the
/// typographic dashes are spelled out as literals.
const SEPARATOR: &str = r"(?:[\s\-/_]|‐|‑|–|—)+";

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The regex source for one term.
fn term_pattern(term: &str) -> Result<String, String> {
    let term = term.trim();
    if term.is_empty() {
        return Err("empty term".into());
    }
    if let Some(raw) = term.strip_prefix("re:") {
        // Raw regexes keep Unicode semantics (e.g. `.` is one character, never a byte).
        return Ok(format!("(?u:{raw})"));
    }
    let words: Vec<&str> = term.split(|c: char| c.is_whitespace() || c == '-').filter(|w| !w.is_empty()).collect();
    let mut parts = Vec::with_capacity(words.len());
    for word in &words {
        let (stem, prefix) = match word.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (*word, false),
        };
        if stem.contains('*') || stem.is_empty() && !prefix {
            return Err(format!("`*` is only allowed at the end of a word: {term:?}"));
        }
        parts.push(match (prefix, stem.is_empty()) {
            (true, true) => "[\\w\\-]+".to_string(),
            (true, false) => format!("{}[\\w\\-]*", regex::escape(stem)),
            _ => regex::escape(stem),
        });
    }
    let mut pattern = String::new();
    if term.chars().next().is_some_and(is_word_char) {
        pattern.push_str(r"\b");
    }
    pattern.push_str(&parts.join(SEPARATOR));
    let body = term.trim_end_matches('*');
    if body.ends_with('-') && !term.ends_with('*') {
        pattern.push_str(SEPARATOR);
    }
    if !term.ends_with('*') && body.chars().last().is_some_and(is_word_char) {
        pattern.push_str(r"\b");
    }
    Ok(pattern)
}

/// Compile a group of terms. The error names the offending term.
pub fn compile_group(terms: &[String]) -> Result<TermGroup, String> {
    if terms.is_empty() {
        return Err("a term group is empty".into());
    }
    let parts = terms.iter().map(|t| term_pattern(t)).collect::<Result<Vec<_>, _>>()?;
    match build(&parts.join("|"), 8 << 20) {
        Ok(regex) => Ok(TermGroup { terms: terms.to_vec(), regex }),
        Err(group_error) => {
            // Name the term at fault (only on this error path: compiling each term costs time).
            for (term, p) in terms.iter().zip(&parts) {
                if let Err(e) = build(p, 1 << 20) {
                    return Err(format!("term {term:?} is not a valid pattern: {}", first_line(&e.to_string())));
                }
            }
            Err(format!("term group does not compile: {}", first_line(&group_error.to_string())))
        }
    }
}

fn build(pattern: &str, limit: usize) -> Result<regex::Regex, regex::Error> {
    RegexBuilder::new(pattern).case_insensitive(true).unicode(false).size_limit(limit).build()
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(terms: &[&str]) -> TermGroup {
        compile_group(&terms.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("compiles")
    }

    #[test]
    fn phrases_match_across_hyphens_and_case() {
        let grp = g(&["four eyes", "static analysis"]);
        assert!(grp.find("A Four-Eyes review").is_some());
        assert!(grp.find("static\nanalysis").is_some());
        assert!(grp.find("staticanalysis").is_none());
    }

    #[test]
    fn word_boundaries_and_prefixes() {
        let grp = g(&["SCA", "penetrat*", "SR-*", "CERT C++"]);
        assert!(grp.find("SCA report").is_some());
        assert!(grp.find("ESCAPE").is_none());
        assert!(grp.find("penetration tested").is_some());
        assert!(grp.find("see SR-015").is_some());
        assert!(grp.find("the CERT C++ rules").is_some());
    }

    #[test]
    fn raw_regex_and_errors() {
        assert!(g(&["re:CVSS\\s*v?3"]).find("cvss v3.1").is_some());
        assert!(compile_group(&["re:(".to_string()]).is_err());
        assert!(compile_group(&["a*b".to_string()]).is_err());
        assert!(g(&["review* at each"]).find("reviewed at each release").is_some());
        assert!(compile_group(&[]).is_err());
    }
}
