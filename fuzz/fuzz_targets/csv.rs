//! Fuzz the csv reader alone (the `extract` target spreads its time over every format). The stable
//! mutation harness in `tests/fuzz.rs` reaches the same entry point from real seed files.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = crosswalk::extract::extract("f.csv", data);
});
