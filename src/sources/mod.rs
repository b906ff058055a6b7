//! Where documents come from. Sources only list and read; nothing under a reviewed root is ever opened for
//! writing. `folder` walks a local folder (a git checkout is a folder whose `.git` internals are skipped).

mod folder;

pub use folder::{SourceFile, SourceProblem, WalkError, walk};
