//! The detailed report in Markdown: coverage statement, summary, then per clause the verdict, the
//! constraints with quoted evidence and locators, refused passages, gaps with remedies, the audit-defense
//! paragraph and the crosswalk; a document inventory closes it. Document text is escaped.

use crate::catalog::{Catalog, FRAMEWORKS};
use crate::model::{DocStatus, Verdict};
use crate::review::Review;
use std::fmt::Write as _;

/// Escape text from documents so it cannot inject Markdown structure or HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '*' | '_' | '`' | '[' | ']' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn badge(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "**MET**",
        Verdict::Partial => "**PARTIAL**",
        Verdict::Missing => "**MISSING**",
        Verdict::NotApplicable => "**NOT APPLICABLE**",
    }
}

pub fn render(review: &Review, catalog: &Catalog) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {} review — {}\n", esc(&review.catalog_title), esc(&review.product));
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(
        s,
        "| Product | {}{} |",
        esc(&review.product),
        if review.product_inferred { " (inferred from document titles)" } else { "" }
    );
    if let Some(m) = &review.manufacturer {
        let _ = writeln!(s, "| Manufacturer | {} |", esc(m));
    }
    if let Some(cd) = review.cyber_device {
        let _ = writeln!(s, "| FDA cyber device | {} |", if cd { "yes — FD&C Act §524B applies" } else { "no" });
    }
    for (id, why) in &review.not_applicable {
        let _ = writeln!(s, "| Not applicable: {id} | {} |", esc(why));
    }
    let _ = writeln!(s, "| Reviewed source | `{}` |", review.source_line().replace('`', "'"));
    let _ = writeln!(s, "| Review started / finished | {} / {} |", review.started, review.finished);
    let _ = writeln!(s, "| Tool | crosswalk {} |", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(s, "| Judged by | {} · {} |", esc(&review.model), esc(&review.judge));
    let _ = writeln!(
        s,
        "| Catalog | {} {} ({}), sha256 `{}` |\n",
        esc(&catalog.title),
        esc(&catalog.version),
        esc(&catalog.base_text),
        &review.catalog_sha256[..16.min(review.catalog_sha256.len())]
    );

    let _ = writeln!(s, "## Coverage statement\n");
    let ok = review.documents.iter().filter(|d| d.status == DocStatus::Ok).count();
    let _ = writeln!(
        s,
        "{} files were found; {} were read and evaluated against {} clauses. ",
        review.documents.len(),
        ok,
        review.clauses.len()
    );
    let bad: Vec<_> = review.documents.iter().filter(|d| d.status != DocStatus::Ok).collect();
    if !bad.is_empty() {
        let _ = writeln!(s, "\nNot evaluated:\n");
        for d in bad {
            let _ = writeln!(s, "- `{}` — {}", d.path.replace('`', "'"), esc(d.reason.as_deref().unwrap_or("")));
        }
    }
    for p in &review.source_problems {
        let _ = writeln!(s, "- {}", esc(&p.to_string()));
    }
    let mut cut = review.cut_documents().peekable();
    if cut.peek().is_some() {
        let _ = writeln!(s, "\nRead in part (the rest was not evaluated):\n");
        for (path, why) in cut {
            let _ = writeln!(s, "- `{}` — {}", path.replace('`', "'"), esc(why));
        }
    }
    let _ = writeln!(s, "\n{}\n", super::LIMITS);
    if !catalog.notice.is_empty() {
        let _ = writeln!(s, "_{}_\n", esc(&catalog.notice));
    }

    let m = &review.summary;
    let _ = writeln!(s, "## Summary\n");
    let _ = writeln!(
        s,
        "**{} met · {} partial · {} missing · {} not applicable** ({} clauses)\n",
        m.met, m.partial, m.missing, m.not_applicable, m.clauses
    );
    let _ = writeln!(s, "| Clause | Title | Verdict | Constraints covered | Gaps |\n|---|---|---|---|---|");
    for c in &review.clauses {
        let covered = c.constraints.iter().filter(|k| k.covered).count();
        let gaps: Vec<String> = c.gaps.iter().map(|g| format!("{} ({})", esc(&g.title), g.severity.as_str())).collect();
        let _ = writeln!(
            s,
            "| [{}](#clause-{}) | {} | {} | {}/{} | {} |",
            c.id,
            c.id.replace('.', "-"),
            esc(&c.title),
            c.verdict.as_str(),
            covered,
            c.constraints.len(),
            gaps.join("; ")
        );
    }
    let refusals = review.refusals_by_reason();
    if !refusals.is_empty() {
        let _ = writeln!(
            s,
            "\nPassages refused as evidence: {}.",
            refusals.iter().map(|(r, n)| format!("{n} {} ({})", r.as_str(), r.explain())).collect::<Vec<_>>().join("; ")
        );
    }

    let mut group = String::new();
    for c in &review.clauses {
        let top = catalog.top_group(&c.id);
        if top != group {
            let _ = writeln!(s, "\n## {}\n", esc(&top));
            group = top;
        }
        let _ = writeln!(s, "<a id=\"clause-{}\"></a>\n### {} {} — {}\n", c.id.replace('.', "-"), c.id, esc(&c.title), badge(c.verdict));
        if let Some(cl) = catalog.clause(&c.id) {
            let _ = writeln!(
                s,
                "_Requirement (our words; confidence: {}; title {}):_ {}\n",
                cl.confidence.as_str(),
                cl.title_status.as_str(),
                esc(&cl.requirement)
            );
        }
        let _ = writeln!(s, "{}\n", esc(&c.justification));
        if let Some(a) = review.decision(&c.id) {
            let d = &a.decision;
            let _ = writeln!(
                s,
                "> **Reviewer decision:** {} ({}, {}; the tool said {}) — {}{}\n",
                d.verdict.as_str(),
                esc(&d.by),
                esc(&d.at),
                d.machine_verdict.as_str(),
                esc(&d.reason),
                if a.suspect { format!(" **Suspect:** {}.", esc(&a.changes.join("; "))) } else { String::new() }
            );
        }
        if c.verdict != Verdict::NotApplicable {
            for k in &c.constraints {
                let _ = writeln!(s, "- {} `{}` {}", if k.covered { "✅" } else { "❌" }, k.id, esc(&k.text));
                for e in &k.evidence {
                    let d = &review.documents[e.doc];
                    let _ = writeln!(
                        s,
                        "  - **{}** ({}{}), {}: “{}” _({} {}, score {:.2})_",
                        esc(&d.display_id()),
                        esc(&d.path),
                        d.origin.revision_label().map(|r| format!(", {}", esc(&r))).unwrap_or_default(),
                        esc(&review.locator(e.doc, Some(e.block))),
                        esc(review.quote(e)),
                        e.strength.as_str(),
                        e.kind.as_str(),
                        e.score
                    );
                }
            }
        }
        if !c.rejected.is_empty() {
            let _ = writeln!(s, "\n**Refused as evidence**\n");
            for r in &c.rejected {
                let d = &review.documents[r.doc];
                let q = review.rejection_quote(r);
                let _ = writeln!(
                    s,
                    "- {} — {}, {}{}: {}",
                    r.explain_short(),
                    esc(&d.display_id()),
                    esc(&review.locator(r.doc, r.block)),
                    if q.is_empty() { String::new() } else { format!(" “{}”", esc(q)) },
                    r.explain()
                );
            }
        }
        if !c.gaps.is_empty() {
            let _ = writeln!(s, "\n**Gaps**\n");
            for g in &c.gaps {
                let _ = writeln!(
                    s,
                    "- **{}** ({}) — {} _What to do:_ {}",
                    esc(&g.title),
                    g.severity.as_str(),
                    esc(&g.description),
                    esc(&g.remedy)
                );
            }
        }
        if let Some(d) = &c.audit_defense {
            let _ = writeln!(s, "\n**Audit defense**\n\n> {}\n", esc(d));
        }
        if let Some(cl) = catalog.clause(&c.id) {
            let parts: Vec<String> = FRAMEWORKS
                .iter()
                .filter_map(|(key, name)| cl.crosswalk.get(*key).filter(|v| !v.is_empty()).map(|v| format!("{name}: {}", v.join(", "))))
                .collect();
            if !parts.is_empty() {
                let _ = writeln!(s, "\n_Maps to:_ {}\n", esc(&parts.join(" · ")));
            }
        }
    }

    let _ = writeln!(
        s,
        "\n## Document inventory\n\n| Document | ID | Rev. | State | Format | Status | SHA-256 |\n|---|---|---|---|---|---|---|"
    );
    for d in &review.documents {
        let meta = &d.extracted.meta;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | `{}` |",
            esc(&d.path),
            esc(meta.doc_id.as_deref().unwrap_or("")),
            esc(meta.revision.as_deref().unwrap_or("")),
            meta.state.as_str(),
            d.format.as_str(),
            match &d.reason {
                Some(r) => format!("{}: {}", d.status.as_str(), esc(r)),
                None => d.status.as_str().to_string(),
            },
            &d.sha256[..12.min(d.sha256.len())]
        );
    }
    s
}
