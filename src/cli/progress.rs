//! A progress bar on a terminal (stderr), nothing when piped or with `--quiet`.

use crosswalk::driver::Progress;
use indicatif::{ProgressBar, ProgressStyle};

pub(crate) struct Bar(ProgressBar);

impl Bar {
    pub(crate) fn new() -> Self {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("reading    {bar:28} {percent:>3}% {pos}/{len} files · {eta} left · {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
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
        // Indexing the passages comes first and has no count: a spinner until the first clause is judged.
        self.0.set_style(
            ProgressStyle::with_template("{spinner} indexing the passages of {len} files…")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        self.0.enable_steady_tick(std::time::Duration::from_millis(120));
    }
    fn clause_done(&self, done: usize, total: usize) {
        if done == 1 {
            self.0.disable_steady_tick();
            self.0.reset();
            self.0.set_length(total as u64);
            self.0.set_style(
                ProgressStyle::with_template("evaluating {bar:28} {percent:>3}% {pos}/{len} clauses · {eta} left")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        }
        self.0.set_position(done as u64);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
