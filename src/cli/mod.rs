//! Command-line face: `args` is what the user typed; each subcommand has a file that resolves it and
//! calls the library. Errors are one line on stderr and exit code 2.

mod args;
mod auth_cmd;
mod catalog_cmd;
mod diff_cmd;
mod eval_cmd;
mod progress;
mod review_cmd;
mod serve_cmd;

use clap::Parser;
use std::io::Write as _;

pub(crate) fn main() -> i32 {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Review(a) => review_cmd::run(a),
        args::Command::Catalog(a) => catalog_cmd::run(a),
        args::Command::Eval(a) => eval_cmd::run(a),
        args::Command::Diff(a) => diff_cmd::run(a),
        args::Command::Serve(a) => serve_cmd::run(a),
        args::Command::Auth(a) => auth_cmd::run(a),
        args::Command::ExtractWorker(a) => Ok(crosswalk::extract::isolate::worker_main(a.memory)),
        args::Command::Extract(a) => {
            Ok(crosswalk::extract::isolate::child_main(&a.path, &a.name, a.memory, std::time::Duration::from_millis(a.timeout_ms)))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "crosswalk: {}", one_line(&format!("{e:#}")));
            2
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Write a command's result to `output` (atomically) or to stdout; one helper for every command with `-o`.
pub(crate) fn emit(output: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match output {
        Some(p) => {
            let out = crosswalk::fsutil::OutputFile::prepare(p, None)?;
            out.commit(bytes)?;
            Ok(())
        }
        None => print_bytes(bytes),
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    print_bytes(text.as_bytes())
}

pub(crate) fn print_bytes(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
