//! `crosswalk auth gdrive | status | revoke`: the read-only Drive grant, kept in the user's configuration
//! folder (0600). Tokens are never printed.

use super::args::{AuthArgs, AuthCommand};
use anyhow::Context as _;
use crosswalk::sources::gdrive::{self, auth};
use std::time::Duration;

pub(crate) fn run(args: AuthArgs) -> anyhow::Result<i32> {
    let endpoints = auth::Endpoints::from_env()?;
    let path = auth::token_path()?;
    let agent = gdrive::agent();
    match args.command {
        AuthCommand::Gdrive { client_file, client_id, client_secret, wait } => {
            let (id, secret) = match (client_file, client_id) {
                (Some(file), _) => auth::read_client_file(&file)?,
                (None, Some(id)) => (id, client_secret.map(auth::Secret::new)),
                (None, None) => anyhow::bail!(
                    "name your OAuth client: --client-file client_secret.json (Google Cloud console → APIs & Services → Credentials → Desktop app)"
                ),
            };
            let show = |url: &str| {
                eprintln!("crosswalk: open this address in your browser to let crosswalk read your Drive (read-only):");
                eprintln!("{url}");
            };
            let ui = auth::Interactive { show_url: &show, wait: Duration::from_secs(wait.max(1) * 60) };
            let token = auth::authorise_installed(&agent, &endpoints, &id, secret.as_ref(), &ui)?;
            auth::save_token(&path, &token).context("storing the Drive token")?;
            eprintln!("crosswalk: Drive authorised (read-only); token stored in {}", path.display());
            Ok(0)
        }
        AuthCommand::Status => {
            match auth::load_token(&path)? {
                Some(t) => println!("Drive: authorised for client {} with scope {} (token in {})", t.client_id, t.scope, path.display()),
                None => println!("Drive: not authorised (run `crosswalk auth gdrive`)"),
            }
            Ok(0)
        }
        AuthCommand::Revoke => {
            if auth::revoke(&agent, &endpoints, &path)? {
                eprintln!("crosswalk: Drive access revoked and {} deleted", path.display());
            } else {
                eprintln!("crosswalk: no stored Drive token to revoke");
            }
            Ok(0)
        }
    }
}
