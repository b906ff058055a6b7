//! Embeds the bundled catalogs (`catalog/<id>/*.toml`) into the binary, so `crosswalk` works from any
//! folder; `--catalog DIR` still loads a user's own copy at run time. Also fingerprints the sources
//! (`CROSSWALK_SOURCE_ID` for the whole crate, `CROSSWALK_EXTRACT_ID` for `src/extract`), so the caches
//! never serve a result made by other code under the same version number.

use std::fmt::Write as _;
use std::path::Path;

/// FNV-1a over the relative paths and contents of every file under `dir`, in sorted order.
fn fingerprint(dir: &Path) -> String {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_default();
        for b in f.to_string_lossy().as_bytes().iter().chain([0u8].iter()).chain(bytes.iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rustc-env=CROSSWALK_SOURCE_ID={}", fingerprint(Path::new("src")));
    println!("cargo:rustc-env=CROSSWALK_EXTRACT_ID={}", fingerprint(Path::new("src/extract")));
    let root = Path::new("catalog");
    println!("cargo:rerun-if-changed=catalog");
    let mut out = String::from("/// (catalog id, file name, contents), sorted.\npub(crate) static BUILTIN: &[(&str, &str, &str)] = &[\n");
    let mut entries = Vec::new();
    if let Ok(dirs) = std::fs::read_dir(root) {
        for dir in dirs.flatten() {
            let cat = dir.path();
            if !cat.is_dir() {
                continue;
            }
            println!("cargo:rerun-if-changed={}", cat.display());
            let Ok(files) = std::fs::read_dir(&cat) else { continue };
            for file in files.flatten() {
                let p = file.path();
                if p.extension().and_then(|e| e.to_str()) == Some("toml") {
                    println!("cargo:rerun-if-changed={}", p.display());
                    entries.push((
                        dir.file_name().to_string_lossy().into_owned(),
                        file.file_name().to_string_lossy().into_owned(),
                        std::fs::canonicalize(&p).expect("catalog file path").display().to_string(),
                    ));
                }
            }
        }
    }
    entries.sort();
    for (cat, name, abs) in entries {
        writeln!(out, "    ({cat:?}, {name:?}, include_str!({abs:?})),").expect("write to string");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_catalog.rs");
    std::fs::write(dest, out).expect("write builtin_catalog.rs");
}
