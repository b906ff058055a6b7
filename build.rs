//! Embeds the bundled catalogs (`catalog/<id>/*.toml`) into the binary, so `crosswalk` works from any
//! folder; `--catalog DIR` still loads a user's own copy at run time.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
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
