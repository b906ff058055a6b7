//! Every concept group of the catalog matched in one pass over a passage.
//!
//! The catalog's term syntax (see `catalog::terms`) is kept exactly, but instead of one regex per group
//! (558 passes over every passage), all literal terms go into one Aho-Corasick automaton over a normalised
//! copy of the text (ASCII lower case; runs of spaces, hyphens, slashes and underscores folded to one
//! space), and each hit is checked for word boundaries and prefix extension. The few `re:` terms run as
//! regexes. Hits come back in original byte offsets, so quotes stay verbatim slices.

use crate::catalog::{Catalog, TermGroup};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use std::collections::HashMap;

/// A concept group's match in a text: which group, where (byte range of the original text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupHit {
    pub group: u32,
    pub start: u32,
    pub end: u32,
}

/// A set of concept groups, as bits: what a passage, heading or title matches, in a few machine words
/// whatever the text (positions are recomputed for the few passages that become candidates).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSet(Vec<u64>);

impl GroupSet {
    pub fn insert(&mut self, g: u32) {
        let (w, b) = ((g / 64) as usize, g % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << b;
    }

    pub fn contains(&self, g: u32) -> bool {
        self.0.get((g / 64) as usize).is_some_and(|w| w & (1 << (g % 64)) != 0)
    }

    pub fn union(&mut self, other: &GroupSet) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(w, bits)| (0..64).filter(move |b| bits & (1u64 << b) != 0).map(move |b| (w * 64) as u32 + b))
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

impl FromIterator<u32> for GroupSet {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> Self {
        let mut s = GroupSet::default();
        for g in iter {
            s.insert(g);
        }
        s
    }
}

/// One literal of the automaton and what a hit of it means.
#[derive(Debug, Clone)]
struct Literal {
    groups: Vec<u32>,
    /// The term's first character is a word character: a word boundary must precede the hit.
    left_boundary: bool,
    /// `word*`: the hit extends over following word characters; otherwise a boundary must follow.
    prefix: bool,
    /// `SR-*`: at least one word character must follow.
    needs_more: bool,
}

pub struct ConceptIndex {
    automaton: AhoCorasick,
    literals: Vec<Literal>,
    regexes: Vec<(Regex, Vec<u32>)>,
    ids: HashMap<String, u32>,
    groups: usize,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '/' | '_' | '‐' | '‑' | '–' | '—')
}

/// The normalised text and, per byte of it, the byte offset in the original.
pub(crate) fn normalise(text: &str) -> (Vec<u8>, Vec<u32>) {
    let mut out = Vec::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    let mut in_sep = false;
    for (i, c) in text.char_indices() {
        if is_separator(c) {
            if !in_sep {
                out.push(b' ');
                map.push(i as u32);
            }
            in_sep = true;
            continue;
        }
        in_sep = false;
        if c.is_ascii() {
            out.push((c as u8).to_ascii_lowercase());
            map.push(i as u32);
        } else {
            // Non-ASCII characters keep their bytes (never equal to an ASCII literal, never a word byte).
            let mut buf = [0u8; 4];
            for (k, b) in c.encode_utf8(&mut buf).bytes().enumerate() {
                out.push(b);
                map.push((i + k) as u32);
            }
        }
    }
    map.push(text.len() as u32);
    (out, map)
}

/// A literal and its flags: left boundary, prefix, needs more.
type LiteralKey = (String, bool, bool, bool);

/// A catalog term as a literal of the normalised text, or `None` for `re:` terms.
fn literal_of(term: &str) -> Option<LiteralKey> {
    let term = term.trim();
    let prefix = term.ends_with('*');
    let body = term.trim_end_matches('*');
    // Raw regexes, and phrases with a prefix word before their last ("review* at each"), run as the
    // group's own regex would.
    if term.starts_with("re:") || body.contains('*') {
        return None;
    }
    let mut lit = String::new();
    let mut in_sep = false;
    for c in body.chars() {
        if is_separator(c) {
            if !in_sep && !lit.is_empty() {
                lit.push(' ');
            }
            in_sep = true;
        } else {
            in_sep = false;
            lit.push(c.to_ascii_lowercase());
        }
    }
    // "SR-*": the separator stays, and something must follow it.
    let needs_more = prefix && body.chars().last().is_some_and(is_separator);
    if needs_more && !lit.ends_with(' ') {
        lit.push(' ');
    }
    let left_boundary = lit.as_bytes().first().is_some_and(|b| is_word_byte(*b));
    (!lit.trim().is_empty()).then_some((lit, left_boundary, prefix, needs_more))
}

impl ConceptIndex {
    /// Index every concept group (require and exclude) of `catalog`.
    pub fn new(catalog: &Catalog) -> ConceptIndex {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut by_literal: HashMap<LiteralKey, Vec<u32>> = HashMap::new();
        let mut regex_terms: HashMap<String, Vec<u32>> = HashMap::new();
        for clause in &catalog.clauses {
            for constraint in &clause.constraints {
                for group in constraint.require.iter().chain(constraint.exclude.iter()) {
                    let key = group.regex.as_str().to_string();
                    if ids.contains_key(&key) {
                        continue;
                    }
                    let id = ids.len() as u32;
                    ids.insert(key, id);
                    for term in &group.terms {
                        match literal_of(term) {
                            Some(lit) => {
                                let e = by_literal.entry(lit).or_default();
                                if !e.contains(&id) {
                                    e.push(id);
                                }
                            }
                            None => regex_terms.entry(term.trim().to_string()).or_default().push(id),
                        }
                    }
                }
            }
        }
        let mut entries: Vec<(LiteralKey, Vec<u32>)> = by_literal.into_iter().collect();
        entries.sort();
        let patterns: Vec<&str> = entries.iter().map(|(k, _)| k.0.as_str()).collect();
        let automaton =
            AhoCorasickBuilder::new().match_kind(MatchKind::Standard).build(&patterns).expect("catalog literals form a valid automaton");
        let literals = entries
            .iter()
            .map(|((_, left_boundary, prefix, needs_more), groups)| Literal {
                groups: groups.clone(),
                left_boundary: *left_boundary,
                prefix: *prefix,
                needs_more: *needs_more,
            })
            .collect();
        let mut regexes: Vec<(Regex, Vec<u32>)> = regex_terms
            .into_iter()
            .filter_map(|(term, groups)| crate::catalog::compile_group(&[term]).ok().map(|g| (g.regex, groups)))
            .collect();
        regexes.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let groups = ids.len();
        ConceptIndex { automaton, literals, regexes, ids, groups }
    }

    /// The id of a catalog group (every group of the catalog the index was built from has one).
    pub fn id(&self, group: &TermGroup) -> Option<u32> {
        self.ids.get(group.regex.as_str()).copied()
    }

    pub fn len(&self) -> usize {
        self.groups
    }

    pub fn is_empty(&self) -> bool {
        self.groups == 0
    }

    /// The groups matching anywhere in `text`.
    pub fn groups(&self, text: &str) -> GroupSet {
        self.scan(text).into_iter().map(|h| h.group).collect()
    }

    /// Every hit of every group in `text`, in text order (one automaton pass).
    pub fn scan(&self, text: &str) -> Vec<GroupHit> {
        let (norm, map) = normalise(text);
        let mut hits = Vec::new();
        for m in self.automaton.find_overlapping_iter(&norm) {
            let lit = &self.literals[m.pattern().as_usize()];
            let (start, mut end) = (m.start(), m.end());
            if lit.left_boundary && start > 0 && is_word_byte(norm[start - 1]) {
                continue;
            }
            if lit.prefix {
                let before = end;
                while end < norm.len() && is_word_byte(norm[end]) {
                    end += 1;
                }
                if lit.needs_more && end == before {
                    continue;
                }
            } else if norm.get(end - 1).is_some_and(|b| is_word_byte(*b)) && norm.get(end).is_some_and(|b| is_word_byte(*b)) {
                continue;
            }
            let (s, e) = (map[start], map[end.min(map.len() - 1)]);
            // Trim a trailing separator a literal may carry ("SR-" before its number).
            let e = if e > s { e } else { s + 1 };
            for &g in &lit.groups {
                hits.push(GroupHit { group: g, start: s, end: e });
            }
        }
        for (re, groups) in &self.regexes {
            for m in re.find_iter(text) {
                for &g in groups {
                    hits.push(GroupHit { group: g, start: m.start() as u32, end: m.end() as u32 });
                }
            }
        }
        hits.sort_by_key(|h| (h.start, h.group, h.end));
        hits.dedup_by_key(|h| (h.start, h.group));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index must agree with the catalog's own regexes on where each group matches.
    #[test]
    fn one_pass_agrees_with_the_group_regexes() {
        let catalog = crate::catalog::load_builtin("iec-81001-5-1").expect("catalog");
        let index = ConceptIndex::new(&catalog);
        let texts = [
            "Every merge request runs Semgrep and clang-tidy with the CERT C++ profile; SR-015 is traced to SPEC-ENG-030 §4.",
            "DialyConnect 3.2 has not been penetration-tested; a Four-Eyes review of pull requests is mandatory.",
            "Static\nanalysis results (SARIF) are archived with the release; deviations cite DEV-0042.",
            "The PSIRT triages reports; CVSS v3.1 scores are recorded in Jira within 5 business days.",
            "Café-owner naïve résumé — threat modelling of the BLE interface and its trust boundaries.",
            "The plan is reviewed at each release; attackers could gain access and escalate privileges.",
        ];
        let mut groups: Vec<&TermGroup> = Vec::new();
        for c in &catalog.clauses {
            for k in &c.constraints {
                groups.extend(k.require.iter());
                groups.extend(k.exclude.iter());
            }
        }
        let mut checked = 0;
        for text in texts {
            let hits = index.scan(text);
            for g in &groups {
                let id = index.id(g).expect("indexed");
                let by_regex: Vec<usize> = g.find_all(text).map(|m| m.start()).collect();
                let mut by_index: Vec<usize> = hits.iter().filter(|h| h.group == id).map(|h| h.start as usize).collect();
                by_index.dedup();
                // The regex reports leftmost non-overlapping matches; the index reports every start. Every
                // regex start must be found, and the index finds something exactly when the regex does.
                assert_eq!(by_regex.is_empty(), by_index.is_empty(), "group {:?} on {text:?}", g.terms);
                for s in &by_regex {
                    assert!(by_index.contains(s), "group {:?} misses {s} in {text:?}: {by_index:?}", g.terms);
                }
                checked += 1;
            }
        }
        assert!(checked > 1000);
    }
}
