//! The `crosswalk` binary: parse the command line, resolve it into a request, call the library, pick a
//! report writer, map the outcome to an exit code (0 review ran, 1 gate failed, 2 usage or catalog error).
#![forbid(unsafe_code)]

mod cli;

fn main() {
    std::process::exit(cli::main());
}
