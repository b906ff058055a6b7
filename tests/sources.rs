//! Every source a review can read, end to end through the binary: a git repository at a revision (built
//! here, two commits), a zip (and hostile ones), and Google Drive through a loopback fake of the Drive API
//! and Google's OAuth endpoints (paging, exports, shortcuts, trash, 429 and 5xx, a revoked grant, the export
//! size limit, the PKCE loopback flow, a service account). Real documents from the dev packs throughout.

mod common;
#[path = "common/fake_drive.rs"]
mod fake_drive;

use common::{bin, manifest, shared, snapshot, stderr};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn pulsewave_docs() -> PathBuf {
    shared().join("devset/pulsewave/docs")
}

fn verdicts(v: &Value) -> BTreeMap<String, String> {
    v["clauses"]
        .as_array()
        .expect("clauses")
        .iter()
        .map(|c| (c["id"].as_str().expect("id").to_string(), c["verdict"].as_str().expect("verdict").to_string()))
        .collect()
}

/// The Markdown document cited under the most constraints: gutting it must lose evidence.
fn most_cited_markdown(v: &Value) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for c in v["clauses"].as_array().expect("clauses") {
        for k in c["constraints"].as_array().expect("constraints") {
            for e in k["evidence"].as_array().expect("evidence") {
                let d = e["document"].as_str().expect("document");
                if d.ends_with(".md") {
                    *counts.entry(d.to_string()).or_default() += 1;
                }
            }
        }
    }
    counts.into_iter().max_by_key(|(d, n)| (*n, std::cmp::Reverse(d.clone()))).expect("a cited Markdown document").0
}

fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.output().expect("crosswalk runs");
    assert_eq!(out.status.code(), Some(0), "review failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn review(source: &str, extra: &[&str]) -> Command {
    let mut c = bin();
    c.args(["review", source, "--format", "json", "--quiet"]).args(extra);
    c
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A new repository at `repo` with pulsewave's documents staged (not yet committed).
fn staged_repo(repo: &Path) -> PathBuf {
    std::fs::create_dir_all(repo).expect("mkdir");
    copy_tree(&pulsewave_docs(), repo);
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "-A"]);
    repo.to_path_buf()
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn git_repository_at_a_revision_matches_the_folder_and_diff_names_the_commits() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = staged_repo(&tmp.path().join("repo"));
    // A submodule (a gitlink) and a symbolic link are listed, never read.
    git(&repo, &["update-index", "--add", "--cacheinfo", "160000,1111111111111111111111111111111111111111,vendor/firmware-sdk"]);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/passwd", repo.join("passwd-link")).expect("link");
        git(&repo, &["add", "passwd-link"]);
    }
    git(&repo, &["commit", "-q", "-m", "release 1.3 documentation"]);
    git(&repo, &["tag", "v1.3"]);
    let first = git(&repo, &["rev-parse", "HEAD"]);
    let folder = json_of(&mut review(pulsewave_docs().to_str().expect("utf-8"), &[]));
    let gutted = most_cited_markdown(&folder);
    let scribbled = if gutted == "README.md" { "SECURITY.md" } else { "README.md" };
    // The second commit guts the most cited procedure.
    std::fs::write(repo.join(&gutted), "# Notes\n\nTo be written.\n").expect("write");
    git(&repo, &["commit", "-q", "-am", "rewrite a procedure"]);
    let second = git(&repo, &["rev-parse", "HEAD"]);
    // The working tree differs from both commits: the review must read the object store, not the files.
    std::fs::write(repo.join(scribbled), "uncommitted scribble").expect("write");
    let before = snapshot(&repo);

    let at_tag = json_of(&mut review(&format!("{}@v1.3", repo.display()), &[]));
    assert_eq!(verdicts(&at_tag), verdicts(&folder), "the repository at v1.3 holds the folder's documents");
    assert_eq!(at_tag["source"]["kind"], "git");
    assert_eq!(at_tag["source"]["reference"], "v1.3");
    assert_eq!(at_tag["source"]["revision"], first.as_str());
    let docs = at_tag["documents"].as_array().expect("documents");
    assert_eq!(docs.len(), folder["documents"].as_array().expect("documents").len());
    for d in docs {
        assert_eq!(d["origin"]["kind"], "git", "{d}");
        assert_eq!(d["origin"]["commit"], first.as_str());
        assert_eq!(d["origin"]["path"], d["path"]);
        assert_eq!(d["origin"]["blob"].as_str().map(str::len), Some(40));
    }
    let cited =
        at_tag["clauses"].as_array().expect("clauses").iter().flat_map(|c| c["constraints"].as_array().expect("constraints").clone());
    let evidence: Vec<Value> = cited.flat_map(|k| k["evidence"].as_array().expect("evidence").clone()).collect();
    assert!(!evidence.is_empty() && evidence.iter().all(|e| e["source_revision"] == first.as_str()), "every citation names the commit");
    let skipped: Vec<String> =
        at_tag["skipped"].as_array().expect("skipped").iter().map(|s| s["path"].as_str().expect("path").to_string()).collect();
    assert!(skipped.contains(&"vendor/firmware-sdk".to_string()), "{skipped:?}");
    #[cfg(unix)]
    assert!(skipped.contains(&"passwd-link".to_string()), "{skipped:?}");

    // --rev is the same as @rev; the second commit lost evidence, and diff says which commit.
    let old = tmp.path().join("old.json");
    let new = tmp.path().join("new.json");
    std::fs::write(&old, serde_json::to_vec(&at_tag).expect("json")).expect("write");
    let head = json_of(&mut review(repo.to_str().expect("utf-8"), &["--rev", "main"]));
    assert_eq!(head["source"]["revision"], second.as_str());
    std::fs::write(&new, serde_json::to_vec(&head).expect("json")).expect("write");
    let out = bin().args(["diff"]).arg(&old).arg(&new).output().expect("diff runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let transition = format!("commit {} → {}", &first[..12], &second[..12]);
    assert!(
        text.lines().any(|l| l.contains("no longer evidences") && l.contains(&transition)),
        "diff names the revision of lost evidence:\n{text}"
    );
    assert!(text.contains(&format!("changed: {gutted} ({transition})")), "{text}");
    assert!(!text.contains(&format!("changed: {scribbled}")), "the uncommitted change is not part of any commit:\n{text}");

    // Bad revisions are one line each, and nothing in the repository changed.
    for (arg, why) in [
        (format!("{}@no-such-tag", repo.display()), "no-such-tag: no such commit, tag or branch"),
        (format!("{}@--upload-pack=x", repo.display()), "not a git revision"),
    ] {
        let out = bin().args(["review", &arg, "--quiet"]).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{arg}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(why), "{err}");
    }
    assert!(snapshot(&repo) == before, "a git review writes nothing into the repository");
}

fn zip_dir(dir: &Path, out: &Path) {
    let file = std::fs::File::create(out).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside").to_string_lossy().replace('\\', "/");
                zip.start_file(rel, options).expect("entry");
                std::io::Write::write_all(&mut zip, &std::fs::read(&p).expect("read")).expect("write");
            }
        }
    }
    zip.finish().expect("finish zip");
}

#[test]
fn zip_archive_matches_the_folder_and_hostile_archives_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let archive = tmp.path().join("delivery.zip");
    zip_dir(&pulsewave_docs(), &archive);
    let folder = json_of(&mut review(pulsewave_docs().to_str().expect("utf-8"), &[]));
    let zipped = json_of(&mut review(archive.to_str().expect("utf-8"), &[]));
    assert_eq!(verdicts(&zipped), verdicts(&folder));
    assert_eq!(zipped["source"]["kind"], "zip");
    let d = &zipped["documents"][0];
    assert_eq!(d["origin"]["kind"], "zip");
    assert_eq!(d["origin"]["archive"], "delivery.zip");
    assert_eq!(d["origin"]["entry"], d["path"]);

    // Escaping entry, and a bomb: one line naming the archive and the reason; nothing written beside it.
    let evil = tmp.path().join("evil.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&evil).expect("create"));
        zip.start_file("../../outside.md", zip::write::SimpleFileOptions::default()).expect("entry");
        std::io::Write::write_all(&mut zip, b"# escaped").expect("write");
        zip.finish().expect("finish");
    }
    let bomb = tmp.path().join("bomb.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&bomb).expect("create"));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("zeros.txt", options).expect("entry");
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            std::io::Write::write_all(&mut zip, &zeros).expect("write");
        }
        zip.finish().expect("finish");
    }
    let before = snapshot(tmp.path());
    for (archive, why) in [(&evil, "leaves"), (&bomb, "zip bomb")] {
        let out = bin().args(["review"]).arg(archive).arg("--quiet").output().expect("runs");
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(archive.file_name().expect("name").to_str().expect("utf-8")) || err.contains("outside.md"), "{err}");
        assert!(err.contains(why), "{err}");
    }
    assert!(snapshot(tmp.path()) == before, "nothing is unpacked beside the archive");
    assert!(!tmp.path().parent().expect("parent").join("outside.md").exists());
}

const DOC: &str = "application/vnd.google-apps.document";
const SHEET: &str = "application/vnd.google-apps.spreadsheet";
const SLIDES: &str = "application/vnd.google-apps.presentation";
const SHORTCUT: &str = "application/vnd.google-apps.shortcut";

/// The Drive tree of a team: pulsewave's documents in folders, the DOCX as a Google Doc, a Google Sheet and
/// Slides, the PDF reached through a shortcut from a folder outside the tree, and things that must not be
/// read: a trashed file, a Google Form, a shortcut to a shortcut. Returns the mirror folder holding exactly
/// what the review should read, and the id of each Markdown file.
fn drive_tree(fake: &fake_drive::Fake, mirror: &Path) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    let mut folders: BTreeMap<String, String> = BTreeMap::from([(String::new(), "root".to_string())]);
    fake.add("root", "Technical file", fake_drive::FOLDER, "", vec![]);
    fake.add("elsewhere", "Supplier reports", fake_drive::FOLDER, "", vec![]);
    let mut stack = vec![pulsewave_docs()];
    let mut n = 0;
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in files {
        let rel = p.strip_prefix(pulsewave_docs()).expect("inside").to_string_lossy().replace('\\', "/");
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", &rel));
        // Make the folders on the way.
        let mut parent = "root".to_string();
        let mut sofar = String::new();
        for part in dir.split('/').filter(|s| !s.is_empty()) {
            sofar = if sofar.is_empty() { part.to_string() } else { format!("{sofar}/{part}") };
            parent = folders
                .entry(sofar.clone())
                .or_insert_with(|| {
                    n += 1;
                    let id = format!("folder{n}");
                    fake.add(&id, part, fake_drive::FOLDER, &parent, vec![]);
                    id
                })
                .clone();
        }
        n += 1;
        let id = format!("file{n}");
        let data = std::fs::read(&p).expect("read");
        if let Some(stem) = name.strip_suffix(".docx") {
            fake.add(&id, stem, DOC, &parent, data.clone());
        } else if name.ends_with(".pdf") {
            fake.add(&id, name, "application/pdf", "elsewhere", data.clone());
            n += 1;
            fake.add(&format!("file{n}"), name, SHORTCUT, &parent, vec![]);
            fake.edit(&format!("file{n}"), |i| i.target = Some(id.clone()));
        } else {
            fake.add(&id, name, "application/octet-stream", &parent, data.clone());
        }
        ids.insert(rel.clone(), id);
        let target = mirror.join(&rel);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, data).expect("write");
    }
    let formats = manifest().join("tests/data/formats");
    fake.add("sheet1", "Security controls register", SHEET, "root", std::fs::read(formats.join("sample.xlsx")).expect("xlsx"));
    fake.add("slides1", "Security overview", SLIDES, "root", std::fs::read(formats.join("sample.pptx")).expect("pptx"));
    std::fs::copy(formats.join("sample.xlsx"), mirror.join("Security controls register.xlsx")).expect("copy");
    std::fs::copy(formats.join("sample.pptx"), mirror.join("Security overview.pptx")).expect("copy");
    fake.add("trashed1", "old-draft.md", "text/markdown", "root", b"# Security plan\nStatic analysis runs on every commit.".to_vec());
    fake.edit("trashed1", |i| i.trashed = true);
    fake.add("form1", "Customer survey", "application/vnd.google-apps.form", "root", vec![]);
    fake.add("short2", "Loop", SHORTCUT, "root", vec![]);
    fake.edit("short2", |i| i.target = Some("short3".into()));
    fake.add("short3", "Loop target", SHORTCUT, "elsewhere", vec![]);
    fake.edit("short3", |i| i.target = Some("sheet1".into()));
    ids
}

fn stored_token(conf: &Path, access: &str, expires_at: u64) {
    std::fs::create_dir_all(conf).expect("mkdir");
    let token = serde_json::json!({ "client_id": "test-client", "client_secret": null, "refresh_token": "rt-secret-7Q",
        "access_token": access, "expires_at": expires_at, "scope": "https://www.googleapis.com/auth/drive.readonly" });
    std::fs::write(conf.join("gdrive-token.json"), token.to_string()).expect("write token");
}

fn drive_cmd(base: &str, conf: &Path, args: &[&str]) -> Command {
    let mut c = bin();
    c.env("CROSSWALK_GDRIVE_ENDPOINT", base).env("CROSSWALK_CONFIG_DIR", conf).args(args);
    c
}

#[test]
fn drive_folder_reviewed_in_place_with_revisions_retries_and_incremental_rereview() {
    let (base, fake) = fake_drive::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mirror = tmp.path().join("mirror");
    let ids = drive_tree(&fake, &mirror);
    // One Google Doc is beyond Drive's export limit: that file's error, the review goes on.
    fake.add("big1", "Archive of meeting notes", DOC, "root", vec![b'x'; fake_drive::EXPORT_LIMIT + 1]);
    let readme = ids["README.md"].clone();
    let security = ids["SECURITY.md"].clone();
    fake.fail_429.lock().expect("lock").insert(security.clone(), 2);
    fake.fail_500.lock().expect("lock").insert(readme.clone(), 1);
    let conf = tmp.path().join("conf");
    // An expired access token: the first call refreshes it.
    stored_token(&conf, "stale", 1);
    let cache = tmp.path().join("cache");
    let cache_arg = cache.to_str().expect("utf-8");

    let folder = json_of(&mut review(mirror.to_str().expect("utf-8"), &["--no-cache"]));
    let first =
        json_of(&mut drive_cmd(&base, &conf, &["review", "gdrive://root", "--format", "json", "--quiet", "--cache-dir", cache_arg]));
    assert_eq!(verdicts(&first), verdicts(&folder), "Drive and the same files in a folder agree");
    assert_eq!(first["source"]["kind"], "gdrive");
    assert_eq!(first["source"]["location"], "gdrive://root");
    let docs: BTreeMap<String, &Value> =
        first["documents"].as_array().expect("documents").iter().map(|d| (d["path"].as_str().expect("path").to_string(), d)).collect();
    let mirror_paths: Vec<String> =
        folder["documents"].as_array().expect("docs").iter().map(|d| d["path"].as_str().expect("p").to_string()).collect();
    for p in &mirror_paths {
        assert!(docs.contains_key(p), "{p} read from Drive; got {:?}", docs.keys().collect::<Vec<_>>());
        assert_eq!(
            docs[p]["sha256"],
            folder["documents"].as_array().expect("d").iter().find(|d| d["path"] == p.as_str()).expect("doc")["sha256"]
        );
    }
    let plan = docs.iter().find(|(p, _)| p.ends_with("Cybersecurity Management Plan v1.0.docx")).expect("Google Doc exported").1;
    assert_eq!(plan["origin"]["exported_as"], "docx");
    assert_eq!(plan["status"], "ok");
    assert_eq!(docs["Security controls register.xlsx"]["origin"]["exported_as"], "xlsx");
    assert_eq!(docs["Security overview.pptx"]["origin"]["exported_as"], "pptx");
    let pdf = docs.iter().find(|(p, _)| p.ends_with(".pdf")).expect("the PDF through its shortcut").1;
    assert_eq!(pdf["status"], "ok");
    let md = docs["docs/process/incident-response.md"];
    assert_eq!(md["origin"]["kind"], "gdrive");
    assert_eq!(md["origin"]["revision"], "rev-1");
    assert!(md["origin"]["link"].as_str().expect("link").starts_with("https://drive.google.com/"));
    assert_eq!(docs["SECURITY.md"]["status"], "ok", "read after two 429s with Retry-After");
    assert_eq!(docs["README.md"]["status"], "ok", "read after a 503");
    let big = docs["Archive of meeting notes.docx"];
    assert_eq!(big["status"], "error");
    assert!(big["reason"].as_str().expect("reason").starts_with("export too large"), "{big}");
    assert!(!docs.keys().any(|p| p.contains("old-draft")), "trashed files are not read");
    let skipped: Vec<String> = first["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| format!("{}: {}", s["path"].as_str().expect("p"), s["reason"].as_str().expect("r")))
        .collect();
    assert!(skipped.iter().any(|s| s.starts_with("Customer survey: skipped: a Google form")), "{skipped:?}");
    assert!(skipped.iter().any(|s| s.starts_with("Loop: skipped: a shortcut to a shortcut")), "{skipped:?}");
    let evidence = first["clauses"].as_array().expect("clauses").iter().flat_map(|c| c["constraints"].as_array().expect("k").clone());
    let cited: Vec<Value> = evidence.flat_map(|k| k["evidence"].as_array().expect("e").clone()).collect();
    assert!(
        cited.iter().all(|e| e["link"].as_str().is_some_and(|l| l.starts_with("https://drive.google.com/"))),
        "every citation links to Drive"
    );

    // The refreshed token was stored again, privately, and never printed.
    let token: Value = serde_json::from_slice(&std::fs::read(conf.join("gdrive-token.json")).expect("token")).expect("json");
    assert_ne!(token["access_token"], "stale");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(conf.join("gdrive-token.json")).expect("meta").permissions().mode() & 0o777, 0o600);
    }

    // Re-review: nothing changed at the source, nothing is downloaded again.
    let downloads = fake.downloads_total();
    let again =
        json_of(&mut drive_cmd(&base, &conf, &["review", "gdrive://root", "--format", "json", "--quiet", "--cache-dir", cache_arg]));
    assert_eq!(verdicts(&again), verdicts(&first));
    assert_eq!(fake.downloads_total(), downloads, "an unchanged Drive folder is not fetched again");

    // One document gets a new revision: only it is fetched, and diff names the revisions.
    let incident = ids[&most_cited_markdown(&first)].clone();
    fake.edit(&incident, |i| {
        i.data = b"# Incident response\n\nTo be written.\n".to_vec();
        i.version = 2;
    });
    let out = drive_cmd(&base, &conf, &["review", "gdrive://root", "--format", "json", "--quiet", "--cache-dir", cache_arg])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fake.downloads_total(), downloads + 1, "only the changed document is fetched");
    assert_eq!(fake.downloads.lock().expect("lock")[&incident], 2);
    let old = tmp.path().join("old.json");
    let new = tmp.path().join("new.json");
    std::fs::write(&old, serde_json::to_vec(&first).expect("json")).expect("write");
    std::fs::write(&new, &out.stdout).expect("write");
    let diff = bin().args(["diff"]).arg(&old).arg(&new).output().expect("diff runs");
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(text.lines().any(|l| l.contains("no longer evidences") && l.contains("revision rev-1 → rev-2")), "{text}");

    // The HTML report links each citation to the Drive file.
    let html = tmp.path().join("report.html");
    let out = drive_cmd(&base, &conf, &["review", "gdrive://root", "--format", "html", "--quiet", "--cache-dir", cache_arg, "-o"])
        .arg(&html)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains("Google Drive folder gdrive://root"));
    assert!(page.contains("<a href=\"https://drive.google.com/file/d/"), "citations link to Drive");
    let issued: Vec<String> = fake.access.lock().expect("lock").iter().cloned().collect();
    assert!(
        !issued.is_empty() && issued.iter().all(|t| !page.contains(&format!("{t}\"")) && !page.contains(&format!("{t} "))),
        "no token in the report"
    );
    assert!(!page.contains("rt-secret-7Q"), "no refresh token in the report");
}

#[test]
fn revoked_drive_grant_stops_with_one_line_and_no_token_is_printed() {
    let (base, fake) = fake_drive::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    drive_tree(&fake, &tmp.path().join("mirror"));
    let conf = tmp.path().join("conf");
    // A token Google no longer accepts (401), and a refresh token revoked at myaccount.google.com.
    stored_token(&conf, "at-revoked", u64::MAX / 2);
    *fake.refresh_ok.lock().expect("lock") = false;
    let out = drive_cmd(&base, &conf, &["review", "gdrive://root", "--quiet", "--no-cache"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim(), "crosswalk: Google Drive access was revoked or has expired: run `crosswalk auth gdrive` again");
    assert!(!err.contains("rt-secret-7Q") && !err.contains("at-revoked"));
    // Not authorised at all: one line saying what to do.
    let empty = tmp.path().join("empty-conf");
    let out = drive_cmd(&base, &empty, &["review", "gdrive://root", "--quiet", "--no-cache"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("run `crosswalk auth gdrive` first"), "{}", stderr(&out));
    // A folder id that does not exist.
    stored_token(&conf, "x", 1);
    *fake.refresh_ok.lock().expect("lock") = true;
    let out = drive_cmd(&base, &conf, &["review", "gdrive://nope", "--quiet", "--no-cache"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("gdrive://nope: no access"), "{}", stderr(&out));
}

#[test]
fn oauth_loopback_flow_with_pkce_then_status_and_revoke() {
    let (base, fake) = fake_drive::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let conf = tmp.path().join("conf");
    let mut child = drive_cmd(&base, &conf, &["auth", "gdrive", "--client-id", "test-client", "--wait", "1"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("auth starts");
    // Read the consent URL the command prints, and play the browser: the fake consents and redirects to the
    // loopback port, where crosswalk receives the code.
    let mut reader = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut url = String::new();
    let mut printed = String::new();
    while url.is_empty() {
        let mut line = String::new();
        assert!(std::io::BufRead::read_line(&mut reader, &mut line).expect("read") > 0, "no URL printed: {printed}");
        printed.push_str(&line);
        if line.starts_with(&base) {
            url = line.trim().to_string();
        }
    }
    assert!(url.contains("code_challenge_method=S256") && url.contains("drive.readonly") && !url.contains("code_verifier"), "{url}");
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut page = agent.get(&url).call().expect("browser follows the redirect");
    let body = page.body_mut().read_to_string().expect("page");
    assert!(body.contains("You can close this tab"), "{body}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).expect("read");
    let status = child.wait().expect("auth ends");
    assert!(status.success(), "{printed}{rest}");
    assert!(*fake.pkce_checked.lock().expect("lock"), "the token endpoint checked the PKCE verifier");
    let token_file = conf.join("gdrive-token.json");
    let token: Value = serde_json::from_slice(&std::fs::read(&token_file).expect("token stored")).expect("json");
    assert_eq!(token["refresh_token"], "rt-secret-7Q");
    assert!(!format!("{printed}{rest}").contains("rt-secret-7Q") && !format!("{printed}{rest}").contains("at-"), "tokens never printed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&token_file).expect("meta").permissions().mode() & 0o777, 0o600);
    }
    let status = drive_cmd(&base, &conf, &["auth", "status"]).output().expect("status runs");
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(shown.contains("authorised for client test-client with scope https://www.googleapis.com/auth/drive.readonly"), "{shown}");
    assert!(!shown.contains("rt-secret-7Q"));
    let out = drive_cmd(&base, &conf, &["auth", "revoke"]).output().expect("revoke runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(*fake.revoked.lock().expect("lock"), vec!["rt-secret-7Q".to_string()]);
    assert!(!token_file.exists(), "the token file is deleted");
}

#[test]
fn service_account_key_signs_its_own_assertion() {
    let (base, fake) = fake_drive::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mirror = tmp.path().join("mirror");
    drive_tree(&fake, &mirror);
    let key = tmp.path().join("key.pem");
    let der = tmp.path().join("pub.der");
    let ok = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-quiet", "-out"])
        .arg(&key)
        .output()
        .map(|o| o.status);
    assert!(ok.is_ok_and(|s| s.success()), "openssl makes a key");
    let ok = Command::new("openssl")
        .args(["rsa", "-in"])
        .arg(&key)
        .args(["-RSAPublicKey_out", "-outform", "DER", "-out"])
        .arg(&der)
        .output()
        .map(|o| o.status);
    assert!(ok.is_ok_and(|s| s.success()), "openssl writes the public key");
    *fake.sa_public_key.lock().expect("lock") = Some(std::fs::read(&der).expect("der"));
    let sa = tmp.path().join("sa.json");
    let body = serde_json::json!({ "type": "service_account", "client_email": "ci@example.iam.gserviceaccount.com",
        "private_key": std::fs::read_to_string(&key).expect("pem"), "token_uri": "https://oauth2.googleapis.com/token" });
    std::fs::write(&sa, body.to_string()).expect("write key file");
    let conf = tmp.path().join("no-user-token");
    let v = json_of(&mut drive_cmd(
        &base,
        &conf,
        &["review", "gdrive://root", "--format", "json", "--quiet", "--no-cache", "--gdrive-service-account", sa.to_str().expect("utf-8")],
    ));
    let folder = json_of(&mut review(mirror.to_str().expect("utf-8"), &["--no-cache"]));
    assert_eq!(verdicts(&v), verdicts(&folder));
    assert!(!conf.exists(), "a service account stores nothing");
}

/// A multipart form of text fields.
fn form(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "crosswalk-sources-boundary-41";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

#[test]
fn web_app_reviews_a_repository_at_a_revision_and_a_drive_folder() {
    let (base, fake) = fake_drive::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    drive_tree(&fake, &tmp.path().join("mirror"));
    let conf = tmp.path().join("conf");
    stored_token(&conf, "stale", 1);
    let repo = staged_repo(&tmp.path().join("repo"));
    git(&repo, &["commit", "-q", "-m", "docs"]);
    git(&repo, &["tag", "v1.3"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    let mut server = drive_cmd(&base, &conf, &["serve", "--port", "0", "--data-dir"])
        .arg(tmp.path().join("data"))
        .arg("--allow-dir")
        .arg(&repo)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(server.stdout.take().expect("stdout")), &mut line).expect("url line");
    let url = line.trim().trim_start_matches("crosswalk: serving on ").trim_end_matches('/').to_string();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().new_agent();
    let page = |path: &str| agent.get(&format!("{url}{path}")).call().expect("get").body_mut().read_to_string().expect("page");
    let new = page("/review/new");
    assert!(new.contains("(git repository)") && new.contains("name=\"rev\"") && new.contains("name=\"gdrive\""), "{new}");
    let csrf = new.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
    let start = |fields: &[(&str, &str)]| {
        let (ctype, body) = form(fields);
        let resp = agent.post(&format!("{url}/review")).header("Content-Type", &ctype).send(&body[..]).expect("post");
        assert_eq!(resp.status().as_u16(), 303, "a review starts");
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).expect("location").to_string();
        for _ in 0..600 {
            let status = page(&format!("{location}/status"));
            if !status.contains("\"running\"") {
                assert!(status.contains("\"done\""), "{status}");
                return page(&location);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the review did not finish");
    };
    let at_tag = start(&[("csrf", &csrf), ("dir", "0"), ("rev", "v1.3"), ("label", "Repository at v1.3")]);
    assert!(at_tag.contains(&format!("at v1.3 (commit {commit})")), "the review page names the commit");
    let drive = start(&[("csrf", &csrf), ("gdrive", "root"), ("label", "Drive folder")]);
    assert!(drive.contains("Source: Google Drive folder gdrive://root"), "the review page names the Drive folder");
    let history = page("/reviews");
    assert!(history.contains(&format!("{}@v1.3", repo.display())) && history.contains("gdrive://root"), "history shows the sources");
    // A revision for a folder that is not allowed, or a bad revision, is refused with one line.
    let (ctype, body) = form(&[("csrf", &csrf), ("dir", "0"), ("rev", "--output=/tmp/x")]);
    let resp = agent.post(&format!("{url}/review")).header("Content-Type", &ctype).send(&body[..]).expect("post");
    assert_eq!(resp.status().as_u16(), 400);
    let _ = server.kill();
    let _ = server.wait();
}
