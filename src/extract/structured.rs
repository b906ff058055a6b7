//! Machine-readable evidence: SARIF, CycloneDX and SPDX JSON, JUnit XML, other JSON and XML. Each record
//! (analysis run, rule, result, component, vulnerability, test case …) becomes one readable passage,
//! located by its record path, so it can be cited like prose.

use super::ExtractError;
use super::text::Blocks;
use super::xml::{Ev, attr, walk};
use crate::model::{BlockKind, Format, Locator};
use serde_json::Value;

/// Identify a JSON document's dialect from its content.
pub(crate) fn json_dialect(v: &Value) -> Format {
    let schema = v.get("$schema").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
    if schema.contains("sarif") || (v.get("runs").is_some_and(Value::is_array) && v.get("version").is_some()) {
        Format::Sarif
    } else if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        Format::Cyclonedx
    } else if v.get("spdxVersion").is_some() {
        Format::Spdx
    } else {
        Format::Json
    }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        match cur.get(*p) {
            Some(next) => cur = next,
            None => return "",
        }
    }
    cur.as_str().unwrap_or("")
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn arr(v: &Value, key: &str) -> Vec<Value> {
    v.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
}

fn join_nonempty(parts: &[String], sep: &str) -> String {
    parts.iter().filter(|p| !p.trim().is_empty()).cloned().collect::<Vec<_>>().join(sep)
}

/// Properties as "name: value; …" (SARIF property bags and CycloneDX name/value lists).
fn props(v: &Value) -> String {
    match v {
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Array(items) => Some(format!("{k}: {}", items.iter().filter_map(scalar).collect::<Vec<_>>().join(", "))),
                other => scalar(other).map(|s| format!("{k}: {s}")),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Array(items) => items
            .iter()
            .filter_map(|p| Some(format!("{}: {}", p.get("name")?.as_str()?, scalar(p.get("value")?)?)))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    }
}

fn record(out: &mut Blocks, path: String, text: String, context: &str) {
    out.push(BlockKind::Record, &text, Locator::Record { path }, context);
}

pub(crate) fn sarif(v: &Value) -> Blocks {
    let mut out = Blocks::default();
    for (ri, run) in arr(v, "runs").iter().enumerate() {
        let run_no = ri + 1;
        let tool = s(run, &["tool", "driver", "name"]);
        let version = match s(run, &["tool", "driver", "semanticVersion"]) {
            "" => s(run, &["tool", "driver", "version"]),
            other => other,
        };
        let results = arr(run, "results");
        let suppressed = results.iter().filter(|r| r.get("suppressions").and_then(Value::as_array).is_some_and(|a| !a.is_empty())).count();
        let fixed = results.iter().filter(|r| s(r, &["baselineState"]) == "absent").count();
        let command = arr(run, "invocations").first().map(|i| s(i, &["commandLine"]).to_string()).unwrap_or_default();
        let heading = format!("Static analysis run {run_no}: {tool}");
        out.push_heading(&heading, Locator::Record { path: format!("run {run_no}") });
        record(
            &mut out,
            format!("run {run_no}"),
            join_nonempty(
                &[
                    format!(
                        "Static analysis results (SARIF {}) from {tool} {version}: {} results, {suppressed} suppressed, {fixed} fixed since baseline.",
                        s(v, &["version"]),
                        results.len()
                    ),
                    if command.is_empty() { String::new() } else { format!("Command line: {command}.") },
                    props(run.get("properties").unwrap_or(&Value::Null)),
                ],
                " ",
            ),
            "",
        );
        for rule in arr(run.get("tool").and_then(|t| t.get("driver")).unwrap_or(&Value::Null), "rules") {
            let id = s(&rule, &["id"]);
            let text = join_nonempty(
                &[
                    format!("Rule {id}"),
                    s(&rule, &["name"]).to_string(),
                    s(&rule, &["shortDescription", "text"]).to_string(),
                    s(&rule, &["fullDescription", "text"]).to_string(),
                    props(rule.get("properties").unwrap_or(&Value::Null)),
                ],
                ": ",
            );
            record(&mut out, format!("run {run_no} rule {id}"), text, "");
        }
        for (i, result) in results.iter().enumerate() {
            let loc = arr(result, "locations").first().map(|l| {
                let uri = s(l, &["physicalLocation", "artifactLocation", "uri"]);
                let line = l.pointer("/physicalLocation/region/startLine").and_then(Value::as_u64);
                match line {
                    Some(n) => format!("{uri}:{n}"),
                    None => uri.to_string(),
                }
            });
            let mut parts = vec![format!(
                "Result {} ({}) at {}: {}",
                s(result, &["ruleId"]),
                match s(result, &["level"]) {
                    "" => "warning",
                    l => l,
                },
                loc.unwrap_or_else(|| "no location".into()),
                s(result, &["message", "text"])
            )];
            for sup in arr(result, "suppressions") {
                parts.push(format!("Suppressed ({}, {}): {}", s(&sup, &["kind"]), s(&sup, &["status"]), s(&sup, &["justification"])));
            }
            if let Some(state) = result.get("baselineState").and_then(Value::as_str) {
                parts.push(format!("Baseline state: {state}"));
            }
            let p = props(result.get("properties").unwrap_or(&Value::Null));
            if !p.is_empty() {
                parts.push(p);
            }
            record(&mut out, format!("run {run_no} result {}", i + 1), parts.join(". "), "");
        }
    }
    out
}

pub(crate) fn cyclonedx(v: &Value) -> Blocks {
    let mut out = Blocks::default();
    let meta = v.get("metadata").cloned().unwrap_or(Value::Null);
    let tools: Vec<String> = match meta.get("tools") {
        Some(Value::Array(a)) => a.iter().map(|t| format!("{} {}", s(t, &["name"]), s(t, &["version"]))).collect(),
        Some(Value::Object(o)) => o
            .get("components")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|t| format!("{} {}", s(t, &["name"]), s(t, &["version"]))).collect())
            .unwrap_or_default(),
        _ => vec![],
    };
    out.push_heading("Software bill of materials", Locator::Record { path: "metadata".into() });
    record(
        &mut out,
        "metadata".into(),
        join_nonempty(
            &[
                format!(
                    "SBOM (CycloneDX {}) for {} {}, generated {} by {}.",
                    s(v, &["specVersion"]),
                    s(&meta, &["component", "name"]),
                    s(&meta, &["component", "version"]),
                    s(&meta, &["timestamp"]),
                    tools.join(", ")
                ),
                props(meta.get("properties").unwrap_or(&Value::Null)),
            ],
            " ",
        ),
        "",
    );
    fn components(out: &mut Blocks, list: &[Value], prefix: &str) {
        for (i, c) in list.iter().enumerate() {
            let path = format!("{prefix}component {}", i + 1);
            let licences: Vec<String> = arr(c, "licenses")
                .iter()
                .filter_map(|l| {
                    let id = s(l, &["license", "id"]);
                    let name = s(l, &["license", "name"]);
                    let expr = s(l, &["expression"]);
                    [id, name, expr].into_iter().find(|x| !x.is_empty()).map(str::to_string)
                })
                .collect();
            let text = join_nonempty(
                &[
                    format!("Component {} {} ({})", s(c, &["name"]), s(c, &["version"]), s(c, &["type"])),
                    if s(c, &["supplier", "name"]).is_empty() {
                        String::new()
                    } else {
                        format!("supplier {}", s(c, &["supplier", "name"]))
                    },
                    if licences.is_empty() { String::new() } else { format!("licence {}", licences.join(", ")) },
                    if s(c, &["purl"]).is_empty() { String::new() } else { format!("purl {}", s(c, &["purl"])) },
                    s(c, &["description"]).to_string(),
                    props(c.get("properties").unwrap_or(&Value::Null)),
                ],
                "; ",
            );
            out.push(BlockKind::Record, &text, Locator::Record { path: path.clone() }, "SBOM components");
            let nested = arr(c, "components");
            if !nested.is_empty() {
                components(out, &nested, &format!("{path} / "));
            }
        }
    }
    components(&mut out, &arr(v, "components"), "");
    for (i, vuln) in arr(v, "vulnerabilities").iter().enumerate() {
        let affects: Vec<String> = arr(vuln, "affects").iter().map(|a| s(a, &["ref"]).to_string()).collect();
        let ratings: Vec<String> = arr(vuln, "ratings")
            .iter()
            .map(|r| {
                join_nonempty(
                    &[
                        s(r, &["method"]).to_string(),
                        r.get("score").and_then(scalar).unwrap_or_default(),
                        s(r, &["severity"]).to_string(),
                        s(r, &["vector"]).to_string(),
                    ],
                    " ",
                )
            })
            .collect();
        let analysis = vuln.get("analysis").cloned().unwrap_or(Value::Null);
        let responses: Vec<String> = arr(&analysis, "response").iter().filter_map(scalar).collect();
        let text = join_nonempty(
            &[
                format!("Vulnerability {} ({}) affects {}", s(vuln, &["id"]), s(vuln, &["source", "name"]), affects.join(", ")),
                if ratings.is_empty() { String::new() } else { format!("rating {}", ratings.join(", ")) },
                s(vuln, &["description"]).to_string(),
                format!(
                    "analysis state {}, justification {}, response {}",
                    s(&analysis, &["state"]),
                    s(&analysis, &["justification"]),
                    responses.join(", ")
                ),
                s(&analysis, &["detail"]).to_string(),
                s(vuln, &["recommendation"]).to_string(),
            ],
            "; ",
        );
        record(&mut out, format!("vulnerability {}", i + 1), text, "SBOM vulnerabilities (VEX)");
    }
    out
}

pub(crate) fn spdx(v: &Value) -> Blocks {
    let mut out = Blocks::default();
    let creators: Vec<String> =
        v.pointer("/creationInfo/creators").and_then(Value::as_array).map(|a| a.iter().filter_map(scalar).collect()).unwrap_or_default();
    out.push_heading("Software bill of materials", Locator::Record { path: "document".into() });
    record(
        &mut out,
        "document".into(),
        format!(
            "SBOM ({}) {}, created {} by {}.",
            s(v, &["spdxVersion"]),
            s(v, &["name"]),
            s(v, &["creationInfo", "created"]),
            creators.join(", ")
        ),
        "",
    );
    for (i, p) in arr(v, "packages").iter().enumerate() {
        let refs: Vec<String> = arr(p, "externalRefs").iter().map(|r| s(r, &["referenceLocator"]).to_string()).collect();
        let text = join_nonempty(
            &[
                format!("Package {} {}", s(p, &["name"]), s(p, &["versionInfo"])),
                if s(p, &["supplier"]).is_empty() { String::new() } else { format!("supplier {}", s(p, &["supplier"])) },
                if s(p, &["licenseConcluded"]).is_empty() { String::new() } else { format!("licence {}", s(p, &["licenseConcluded"])) },
                refs.join(", "),
                s(p, &["comment"]).to_string(),
            ],
            "; ",
        );
        record(&mut out, format!("package {}", i + 1), text, "SBOM packages");
    }
    out
}

/// Any other JSON: each object's scalar fields form one passage located by its JSON pointer.
pub(crate) fn generic_json(v: &Value) -> Blocks {
    let mut out = Blocks::default();
    let mut budget = 50_000usize;
    fn go(v: &Value, path: &str, out: &mut Blocks, budget: &mut usize) {
        if *budget == 0 {
            return;
        }
        match v {
            Value::Object(map) => {
                let fields: Vec<String> = map.iter().filter_map(|(k, v)| scalar(v).map(|s| format!("{k}: {s}"))).collect();
                if !fields.is_empty() {
                    *budget = budget.saturating_sub(1);
                    let p = if path.is_empty() { "/".to_string() } else { path.to_string() };
                    out.push(BlockKind::Record, &fields.join("; "), Locator::Record { path: p }, "");
                }
                for (k, child) in map {
                    if matches!(child, Value::Object(_) | Value::Array(_)) {
                        go(child, &format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")), out, budget);
                    }
                }
            }
            Value::Array(items) => {
                let scalars: Vec<String> = items.iter().filter_map(scalar).collect();
                if !scalars.is_empty() {
                    *budget = budget.saturating_sub(1);
                    out.push(BlockKind::Record, &scalars.join("; "), Locator::Record { path: path.to_string() }, "");
                }
                for (i, child) in items.iter().enumerate() {
                    if matches!(child, Value::Object(_) | Value::Array(_)) {
                        go(child, &format!("{path}/{i}"), out, budget);
                    }
                }
            }
            other => {
                if let Some(s) = scalar(other) {
                    out.push(BlockKind::Record, &s, Locator::Record { path: "/".into() }, "");
                }
            }
        }
    }
    go(v, "", &mut out, &mut budget);
    out
}

/// Is this XML a JUnit report? (root element `testsuites` or `testsuite`)
pub(crate) fn is_junit(xml: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&xml[..xml.len().min(4096)]);
    head.contains("<testsuites") || head.contains("<testsuite")
}

pub(crate) fn junit(xml: &[u8]) -> Result<Blocks, ExtractError> {
    let mut out = Blocks::default();
    let mut suite = String::new();
    let mut suite_no = 0usize;
    let mut case: Option<(String, String)> = None;
    let mut case_no = 0usize;
    let mut outcome = String::from("passed");
    let mut message = String::new();
    let mut case_props: Vec<String> = Vec::new();
    let mut in_outcome = false;
    walk(xml, "JUnit XML", |ev| match ev {
        Ev::Start { name: "testsuite", attrs } => {
            suite_no += 1;
            suite = attr(attrs, "name").unwrap_or("").to_string();
            let text = format!(
                "Test suite {suite}: {} tests, {} failures, {} errors, {} skipped{}",
                attr(attrs, "tests").unwrap_or("?"),
                attr(attrs, "failures").unwrap_or("0"),
                attr(attrs, "errors").unwrap_or("0"),
                attr(attrs, "skipped").unwrap_or("0"),
                attr(attrs, "timestamp").map(|t| format!(", run {t}")).unwrap_or_default()
            );
            out.push_heading(&format!("Test suite {suite}"), Locator::Record { path: format!("suite {suite_no}") });
            out.push(BlockKind::Record, &text, Locator::Record { path: format!("suite {suite_no}") }, "");
        }
        Ev::Start { name: "testcase", attrs } => {
            case_no += 1;
            case = Some((attr(attrs, "classname").unwrap_or("").to_string(), attr(attrs, "name").unwrap_or("").to_string()));
            outcome = "passed".into();
            message.clear();
            case_props.clear();
        }
        Ev::Start { name: n @ ("failure" | "error" | "skipped"), attrs } if case.is_some() => {
            outcome = match n {
                "failure" => "failed".into(),
                "error" => "error".into(),
                _ => "skipped".into(),
            };
            message = attr(attrs, "message").unwrap_or("").to_string();
            in_outcome = true;
        }
        Ev::End { name: "failure" | "error" | "skipped" } => in_outcome = false,
        Ev::Text(t) if in_outcome && message.is_empty() => message.push_str(t.trim()),
        Ev::Start { name: "property", attrs } if case.is_some() => {
            case_props.push(format!("{}: {}", attr(attrs, "name").unwrap_or(""), attr(attrs, "value").unwrap_or("")));
        }
        Ev::End { name: "testcase" } => {
            if let Some((class, name)) = case.take() {
                let mut text = format!("Test case {class} {name}: {outcome}");
                if !message.is_empty() {
                    text.push_str(&format!(" ({})", message.split_whitespace().collect::<Vec<_>>().join(" ")));
                }
                text.push_str(&format!(" (suite {suite})"));
                if !case_props.is_empty() {
                    text.push_str("; ");
                    text.push_str(&case_props.join("; "));
                }
                out.push(BlockKind::Record, &text, Locator::Record { path: format!("suite {suite_no} case {case_no}") }, "");
            }
        }
        _ => {}
    })?;
    Ok(out)
}

/// Other XML: the text of each element that holds text, located by its element path.
pub(crate) fn generic_xml(xml: &[u8]) -> Result<Blocks, ExtractError> {
    let mut out = Blocks::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    walk(xml, "XML", |ev| match ev {
        Ev::Start { name, .. } => {
            if !text.trim().is_empty() {
                out.push(BlockKind::Record, &text, Locator::Record { path: format!("/{}", stack.join("/")) }, "");
            }
            text.clear();
            stack.push(name.to_string());
        }
        Ev::End { .. } => {
            if !text.trim().is_empty() {
                out.push(BlockKind::Record, &text, Locator::Record { path: format!("/{}", stack.join("/")) }, "");
            }
            text.clear();
            stack.pop();
        }
        Ev::Text(t) => text.push_str(t),
    })?;
    Ok(out)
}
