//! `crosswalk serve`: resolve the flags, then run the web app until Ctrl-C.

use super::args::ServeArgs;
use super::catalog_cmd;
use anyhow::Context;
use crosswalk::web::{ServeConfig, serve, upload::Limits};
use std::path::PathBuf;

fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("crosswalk");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".local/share/crosswalk"),
        None => PathBuf::from(".crosswalk-data"),
    }
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<i32> {
    let catalog = catalog_cmd::load(args.catalog.as_deref()).context("catalog")?;
    let mut allow_dirs = Vec::new();
    for d in &args.allow_dir {
        let canon = d.canonicalize().with_context(|| format!("{}: --allow-dir must be an existing folder", d.display()))?;
        anyhow::ensure!(canon.is_dir(), "{}: --allow-dir must be a folder", d.display());
        allow_dirs.push(canon);
    }
    let config = ServeConfig {
        addr: std::net::SocketAddr::new(args.bind, args.port),
        token: args.token.filter(|t| !t.is_empty()),
        data_dir: args.data_dir.unwrap_or_else(default_data_dir),
        allow_dirs,
        exe: std::env::current_exe().context("cannot locate the crosswalk binary")?,
        limits: Limits::default(),
        allow_hosts: args.allow_host.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(serve(catalog, config))?;
    Ok(0)
}
