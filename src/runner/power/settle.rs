//! Waiting for the clocks to settle after nvpmodel or jetson_clocks: the
//! limits are polled until they stop changing, or the wait times out.
use std::path::Path;
use std::time::{Duration, Instant};

use crate::sampler::{read_clock_ceilings, ClockCeilings};

const POLL: Duration = Duration::from_millis(100);
/// Readings in a row that must agree: 300 ms without a change.
const STABLE_READINGS: usize = 4;

/// The settled reading, how long it took, and whether it settled in time.
pub fn wait_for_settled_clocks(root: &Path, timeout: Duration) -> (ClockCeilings, Duration, bool) {
    let start = Instant::now();
    let mut last = read_clock_ceilings(root).unwrap_or_default();
    let mut same = 1;
    while same < STABLE_READINGS {
        if start.elapsed() >= timeout {
            return (last, start.elapsed(), false);
        }
        std::thread::sleep(POLL);
        let now = read_clock_ceilings(root).unwrap_or_default();
        same = if now.limits() == last.limits() {
            same + 1
        } else {
            1
        };
        last = now;
    }
    (last, start.elapsed(), true)
}
