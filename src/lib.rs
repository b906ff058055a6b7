//! crosswalk reviews a health-software manufacturer's documentation against IEC 81001-5-1, clause by
//! clause, and says with citations what is covered, what is missing and how to defend it at audit.
//!
//! Data flows one way: [`sources`] list the files (read-only) → [`extract`] turns bytes into passages with
//! locators → [`evaluate`] matches them against the [`catalog`] and refuses false evidence → [`report`]
//! renders the [`review::Review`]. [`driver`] runs the stages; the CLI (`src/main.rs`) is a thin face.
#![forbid(unsafe_code)]

/// The shape of a controlled document's ID ("SOP-SEC-006", "WI-ENG-020"), as a regex literal: the control
/// block, reference lists and references to another document ("defined in IRP-001 §7") must agree on it.
macro_rules! doc_id_pattern {
    () => {
        r"[A-Z][A-Z0-9]{1,7}(?:-[A-Z0-9]{1,8}){1,4}"
    };
}

pub mod calibrate;
pub mod catalog;
pub mod config;
pub mod decisions;
pub mod diff;
pub mod driver;
pub mod evaluate;
pub mod extract;
pub mod fsutil;
pub mod index;
pub mod labels;
pub mod model;
pub mod report;
pub mod review;
pub mod sources;
pub mod web;
