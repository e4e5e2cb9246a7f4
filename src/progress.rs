//! Progress on stderr: a bar with ETA on a terminal, plain lines otherwise
//! (CI logs and overnight log files).
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::printable_line;

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// `total` counts measured repetitions over the whole sweep.
    pub fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} ETA {eta}  {msg}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar }
    }

    pub fn step(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub fn skip(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// A status message: the bar's message on a terminal, a log line otherwise.
    pub fn status(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(printable_line(message)),
            None => eprintln!("{}", printable_line(message)),
        }
    }

    /// A line that stays, printed above the bar.
    pub fn line(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(printable_line(message)),
            None => eprintln!("{}", printable_line(message)),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
