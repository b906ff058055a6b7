//! A progress bar on a terminal (stderr), nothing when piped or with `--quiet`.

use crosswalk::driver::Progress;
use indicatif::{ProgressBar, ProgressStyle};

pub(crate) struct Bar(ProgressBar);

impl Bar {
    pub(crate) fn new() -> Self {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("{spinner} reading {pos}/{len} files {wide_msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
        self.0.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
    fn file_done(&self, path: &str) {
        self.0.set_message(path.to_string());
        self.0.inc(1);
    }
    fn evaluating(&self) {
        self.0.set_style(
            ProgressStyle::with_template("{spinner} evaluating {len} files against the catalog…")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        self.0.enable_steady_tick(std::time::Duration::from_millis(120));
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
