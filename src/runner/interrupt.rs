//! Ctrl-C and SIGTERM during a sweep. The first stops the unit in progress (its
//! child is killed and nothing of that unit is recorded), the finished units'
//! results are written and the manifest says `interrupted`, so `--resume`
//! continues where it stopped; a second signal exits at once.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};

/// The exit status of an interrupted sweep: 128 + SIGINT, as shells report it.
pub const INTERRUPTED_EXIT: i32 = 130;

/// Whether an interrupt was asked for; clones share the flag.
#[derive(Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Set by SIGINT or SIGTERM; the second of them exits with 130 at once.
    pub fn on_signals() -> std::io::Result<Interrupt> {
        let interrupt = Interrupt::default();
        for signal in [SIGINT, SIGTERM] {
            // Registered first, it sees the flag as the previous signal left it.
            signal_hook::flag::register_conditional_shutdown(
                signal,
                INTERRUPTED_EXIT,
                Arc::clone(&interrupt.0),
            )?;
            signal_hook::flag::register(signal, Arc::clone(&interrupt.0))?;
        }
        Ok(interrupt)
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    #[cfg(test)]
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Ends a unit (and the sweep's loop) when an interrupt came.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;
