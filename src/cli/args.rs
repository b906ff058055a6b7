//! The command line exactly as typed (clap derive); checked, not yet interpreted.

use clap::{Args, Parser, Subcommand};
use crosswalk::report::ReportFormat;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "crosswalk",
    version,
    about = "Review health-software documentation against IEC 81001-5-1, clause by clause, with cited evidence"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Review a folder of documents (read-only) and report per clause.
    Review(ReviewArgs),
    /// List, show or check the clause catalog.
    Catalog(CatalogArgs),
    /// Run the local web app: browse the catalog, review documents in the browser, keep history.
    Serve(ServeArgs),
    /// Compare two JSON reviews: verdicts changed, evidence gained or lost, documents changed.
    Diff(DiffArgs),
    /// Score a review of a labelled pack (a folder with labels.toml) against its labels.
    Eval(EvalArgs),
    /// Authorise read-only Google Drive access, show it, or revoke it.
    Auth(AuthArgs),
    /// Internal: extract one file in a contained child process.
    #[command(name = "__extract", hide = true)]
    Extract(ExtractArgs),
    /// Internal: an extraction worker answering requests on stdin.
    #[command(name = "__extract-worker", hide = true)]
    ExtractWorker(WorkerArgs),
}

#[derive(Args)]
#[command(after_help = "Examples:
  crosswalk review ./technical-file
  crosswalk review ./technical-file --format html -o review.html
  crosswalk review ~/src/firmware@v3.2 --format json -o review.json --fail-on critical
  crosswalk review gdrive://1AbCdEf --format pdf -o review.pdf")]
pub(crate) struct ReviewArgs {
    /// What to review: a folder (or one file), an archive (`delivery.zip`), a git repository at a revision
    /// (`repo@v3.2`, or `repo --rev v3.2`), or a Google Drive folder (`gdrive://FOLDER_ID`,
    /// `gdrive://drive/SHARED_DRIVE_ID`).
    pub(crate) path: String,
    /// The commit, tag or branch of a git repository to review (read from the object store, no checkout).
    #[arg(long, value_name = "REV")]
    pub(crate) rev: Option<String>,
    /// A Google service-account key (JSON) for Drive, instead of the token stored by `crosswalk auth gdrive`
    /// (or set CROSSWALK_GDRIVE_SERVICE_ACCOUNT).
    #[arg(long, value_name = "FILE")]
    pub(crate) gdrive_service_account: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: ReportFormat,
    /// How much the HTML and PDF reports show: the at-a-glance summary or everything.
    #[arg(long, value_enum, default_value = "full")]
    pub(crate) detail: crosswalk::report::html::Detail,
    /// Write the report to FILE instead of standard output (never inside the reviewed folder).
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Use the catalog in DIR instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    pub(crate) catalog: Option<PathBuf>,
    /// Reviewer decisions to show beside the machine verdicts, marked suspect when a document they rest on
    /// changed (default: crosswalk-decisions.toml in the reviewed folder, if present).
    #[arg(long, value_name = "FILE")]
    pub(crate) decisions: Option<PathBuf>,
    /// Review configuration (default: crosswalk.toml in the reviewed folder, if present).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Product name for the report (overrides the configuration).
    #[arg(long)]
    pub(crate) product: Option<String>,
    /// Files extracted at once (default: the number of cores).
    #[arg(long, short)]
    pub(crate) jobs: Option<usize>,
    /// Exit 1 when the review has findings at or above this level.
    #[arg(long, value_enum)]
    pub(crate) fail_on: Option<FailOn>,
    /// Seconds one file's extraction may take before it is abandoned.
    #[arg(long, default_value_t = 60)]
    pub(crate) timeout: u64,
    /// Address space (MiB) one file's extraction process may use before it is stopped.
    #[arg(long, default_value_t = 2048, value_name = "MIB")]
    pub(crate) extract_memory: u64,
    /// Keep what each file extracted to here, by content hash, so that unchanged files are not read again
    /// (default: $CROSSWALK_CACHE_DIR, $XDG_CACHE_HOME/crosswalk or ~/.cache/crosswalk).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// Read every file afresh and keep nothing.
    #[arg(long)]
    pub(crate) no_cache: bool,
}

#[derive(Args)]
#[command(after_help = "Examples:
  crosswalk auth gdrive --client-file client_secret.json
  crosswalk auth status
  crosswalk auth revoke")]
pub(crate) struct AuthArgs {
    #[command(subcommand)]
    pub(crate) command: AuthCommand,
}

#[derive(Subcommand)]
pub(crate) enum AuthCommand {
    /// Sign in to Google in the browser and keep a read-only Drive token (scope drive.readonly) in your
    /// configuration folder, readable by you only. Uses your own OAuth client (a "Desktop app" client id
    /// from the Google Cloud console).
    Gdrive {
        /// The client file downloaded from the Google Cloud console (client_secret_….json).
        #[arg(long, value_name = "FILE", conflicts_with = "client_id")]
        client_file: Option<PathBuf>,
        /// The OAuth client id (instead of --client-file).
        #[arg(long, value_name = "ID", env = "CROSSWALK_GDRIVE_CLIENT_ID")]
        client_id: Option<String>,
        /// The OAuth client secret that goes with --client-id, if the client has one.
        #[arg(long, value_name = "SECRET", env = "CROSSWALK_GDRIVE_CLIENT_SECRET", hide_env_values = true)]
        client_secret: Option<String>,
        /// Minutes to wait for the browser.
        #[arg(long, default_value_t = 5)]
        wait: u64,
    },
    /// Say whether Drive is authorised, for which client and scope (never the token).
    Status,
    /// Revoke the Drive grant at Google and delete the stored token.
    Revoke,
}

#[derive(Args)]
#[command(after_help = "Examples:
  crosswalk catalog show 5.5.1
  crosswalk catalog map --to 524b
  crosswalk catalog export --format oscal -o catalog.json")]
pub(crate) struct CatalogArgs {
    #[command(subcommand)]
    pub(crate) command: CatalogCommand,
    /// Use the catalog in DIR instead of the built-in one.
    #[arg(long, value_name = "DIR", global = true)]
    pub(crate) catalog: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(crate) enum CatalogCommand {
    /// One line per clause.
    List,
    /// A clause laid out like the clause page.
    Show {
        /// Clause number, e.g. 5.5.1.
        id: String,
    },
    /// Validate the catalog and print a one-line verdict.
    Check,
    /// Export the catalog: OSCAL catalog or the crosswalks as an OSCAL mapping-collection.
    Export {
        #[arg(long, value_enum, default_value = "oscal")]
        format: ExportFormat,
        /// Write to FILE instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// List our clauses by the sections of another framework.
    Map {
        /// The other framework: 62443-4-1, fda, 524b, mdr, 62304 or 14971.
        #[arg(long)]
        to: String,
    },
}

#[derive(Args)]
#[command(after_help = "Examples:
  crosswalk serve
  crosswalk serve --allow-dir ~/technical-file --port 9000
  CROSSWALK_TOKEN=$(openssl rand -hex 16) crosswalk serve --bind 0.0.0.0")]
pub(crate) struct ServeArgs {
    /// Address to bind; anything but loopback requires --token.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) bind: std::net::IpAddr,
    /// Port (0 picks a free one; the URL is printed).
    #[arg(long, default_value_t = 8080)]
    pub(crate) port: u16,
    /// Access token every request must carry (or set CROSSWALK_TOKEN).
    #[arg(long, env = "CROSSWALK_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Where reviews and their documents are stored (default: the user's data folder).
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// A folder the browser may ask to review, read-only (repeatable).
    #[arg(long, value_name = "PATH")]
    pub(crate) allow_dir: Vec<PathBuf>,
    /// A host name the server answers to besides its address (repeatable), e.g. a name in your DNS.
    #[arg(long, value_name = "NAME")]
    pub(crate) allow_host: Vec<String>,
    /// Use the catalog in DIR instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    pub(crate) catalog: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    /// OSCAL 1.2 catalog.
    Oscal,
    /// OSCAL 1.2 mapping-collection of the crosswalks.
    OscalMapping,
}

#[derive(Args)]
#[command(after_help = "Examples:
  crosswalk diff before.json after.json
  crosswalk diff before.json after.json --format json -o changes.json")]
pub(crate) struct DiffArgs {
    /// The earlier review (`--format json`).
    pub(crate) old: PathBuf,
    /// The later review.
    pub(crate) new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: DiffFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    Text,
    Json,
}

/// Findings at or above which `review` exits 1 (for CI gates).
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOn {
    /// Any clause missing.
    Missing,
    /// Any clause partial or missing.
    Partial,
    /// Any critical gap.
    Critical,
    /// Any major or critical gap.
    Major,
}

#[derive(Args)]
#[command(after_help = "Examples:
  crosswalk eval ../shared/devset/acme-dialysis
  crosswalk eval --loo ../shared/devset/acme-dialysis ../shared/devset/orthotrack ../shared/devset/pulsewave --format json
  crosswalk eval --fit ../shared/devset/* -o models/judge.toml")]
pub(crate) struct EvalArgs {
    /// Labelled packs: folders holding labels.toml and the documents (in docs/ when present).
    #[arg(required = true)]
    pub(crate) packs: Vec<PathBuf>,
    /// Leave-one-pack-out: for each pack, fit the judge on the others and score this one (needs two packs
    /// or more); printed beside the figures of the shipped judge.
    #[arg(long, conflicts_with = "fit")]
    pub(crate) loo: bool,
    /// Fit the judge on all the packs and write its parameters (models/judge.toml syntax).
    #[arg(long)]
    pub(crate) fit: bool,
    /// Write every candidate the judge scored (features, labels, passage) as JSON lines to FILE.
    #[arg(long, value_name = "FILE", hide = true)]
    pub(crate) dump_trace: Option<PathBuf>,
    /// Judge parameters to score with instead of the shipped ones.
    #[arg(long, value_name = "FILE")]
    pub(crate) judge: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: EvalFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
    /// Use the catalog in DIR instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    pub(crate) catalog: Option<PathBuf>,
    /// Files extracted at once (default: the number of cores).
    #[arg(long, short)]
    pub(crate) jobs: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum EvalFormat {
    Text,
    Json,
}

#[derive(Args)]
pub(crate) struct WorkerArgs {
    #[arg(long, default_value_t = 0)]
    pub(crate) memory: u64,
}

#[derive(Args)]
pub(crate) struct ExtractArgs {
    #[arg(long)]
    pub(crate) name: String,
    #[arg(long, default_value_t = 0)]
    pub(crate) memory: u64,
    #[arg(long, default_value_t = 60_000)]
    pub(crate) timeout_ms: u64,
    pub(crate) path: PathBuf,
}
