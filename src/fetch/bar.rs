//! The download progress bar: on a terminal only (not in CI or a log file).
use std::cell::RefCell;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::download::Meter;

pub struct Bar {
    shown: bool,
    current: RefCell<Option<ProgressBar>>,
}

impl Bar {
    pub fn new() -> Bar {
        Bar {
            shown: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
            current: RefCell::new(None),
        }
    }
}

impl Meter for Bar {
    fn start(&self, label: &str, done: u64, total: Option<u64>) {
        if !self.shown {
            return;
        }
        let template = if total.is_some() {
            "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}"
        } else {
            "{msg} {bytes} {bytes_per_sec}"
        };
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_position(done);
        bar.reset_eta();
        bar.set_message(label.to_string());
        *self.current.borrow_mut() = Some(bar);
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = self.current.borrow().as_ref() {
            bar.inc(bytes);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.current.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}
