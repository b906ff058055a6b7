//! Fuzz the upload path sanitiser: whatever the browser or an archive claims, the result must be a
//! relative path of normal components (or refused).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Component;

fuzz_target!(|data: &[u8]| {
    if let Ok(name) = std::str::from_utf8(data) {
        if let Some(p) = crosswalk::web::upload::safe_relative(name) {
            assert!(p.components().all(|c| matches!(c, Component::Normal(_))), "{name:?} -> {p:?}");
        }
    }
});
