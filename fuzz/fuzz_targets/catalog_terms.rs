//! Fuzz the catalog term compiler and the review configuration parser with arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let terms: Vec<String> = s.split('\n').map(str::to_string).collect();
        if let Ok(group) = crosswalk::catalog::compile_group(&terms) {
            let _ = group.find(s);
        }
        let _ = crosswalk::config::ReviewConfig::parse(s, "fuzz.toml");
    }
});
