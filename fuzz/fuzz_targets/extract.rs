//! Fuzz every extractor: the first byte picks the file extension (so each parser is reached), the rest is
//! the file. Extraction must return Ok or Err, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "f.md", "f.txt", "f.html", "f.pdf", "f.docx", "f.odt", "f.pptx", "f.xlsx", "f.ods", "f.csv", "f.yaml", "f.json",
    "f.sarif", "f.xml",
];

fuzz_target!(|data: &[u8]| {
    if let Some((first, rest)) = data.split_first() {
        let name = NAMES[*first as usize % NAMES.len()];
        let _ = crosswalk::extract::extract(name, rest);
    }
});
