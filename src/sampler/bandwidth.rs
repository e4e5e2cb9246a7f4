//! The host's memory bandwidth, measured: every thread reads its share of a
//! buffer several times the last-level cache, started together; the best of a
//! few passes is the figure (as STREAM reports its best trial). Generation of a
//! dense model reads every weight once per token, so this read rate over the
//! model's bytes is the roofline of tg tok/s on a host with no device profile.
use std::path::Path;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// The buffer is at least this many times the last-level cache...
const CACHE_MULTIPLE: u64 = 4;
/// ...and at least this big (hosts whose cache size is not readable).
const MIN_BUFFER_BYTES: u64 = 512 << 20;
/// Passes over the buffer; the first also warms the pages and the clocks.
pub const PASSES: u32 = 7;

/// What one measurement found, in bytes per second.
#[derive(Debug, Clone, PartialEq)]
pub struct BandwidthFigures {
    pub best_bytes_per_s: f64,
    pub median_bytes_per_s: f64,
    pub threads: usize,
    pub buffer_bytes: u64,
    pub passes: u32,
}

/// Reads a buffer sized for this host with `threads` threads, `passes` times.
pub fn measure_read_bandwidth(threads: usize, buffer_bytes: u64, passes: u32) -> BandwidthFigures {
    let threads = threads.max(1);
    let words = vec_filled((buffer_bytes / 8) as usize, threads);
    let chunk = words.len().div_ceil(threads).max(1);
    let shares: Vec<&[u64]> = words.chunks(chunk).collect();
    let mut rates: Vec<f64> = (0..passes.max(1))
        .map(|_| words.len() as f64 * 8.0 / timed_read(&shares).as_secs_f64())
        .collect();
    rates.sort_by(f64::total_cmp);
    BandwidthFigures {
        best_bytes_per_s: rates[rates.len() - 1],
        median_bytes_per_s: rates[rates.len() / 2],
        threads,
        buffer_bytes: words.len() as u64 * 8,
        passes: rates.len() as u32,
    }
}

/// The buffer for this host: `CACHE_MULTIPLE` x the last-level cache, at least
/// `MIN_BUFFER_BYTES`, at most a quarter of the available memory.
pub fn buffer_size(llc_bytes: Option<u64>, available_bytes: u64) -> u64 {
    let wanted = llc_bytes
        .map_or(0, |c| c.saturating_mul(CACHE_MULTIPLE))
        .max(MIN_BUFFER_BYTES);
    wanted.min(available_bytes / 4).max(64 << 20)
}

/// The largest cache sysfs lists for cpu0 (`index*/size`, e.g. "260M", "32768K").
pub fn last_level_cache_bytes(sysfs_root: &Path) -> Option<u64> {
    let dir = sysfs_root.join("sys/devices/system/cpu/cpu0/cache");
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("size")).ok())
        .filter_map(|s| parse_cache_size(s.trim()))
        .max()
}

fn parse_cache_size(text: &str) -> Option<u64> {
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = digits.parse().ok()?;
    let scale = match unit {
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(scale)
}

/// A buffer of distinct non-zero words (no shared zero page), written by
/// `threads` threads so its pages land where they are read.
fn vec_filled(n: usize, threads: usize) -> Vec<u64> {
    let mut words = vec![0u64; n];
    let chunk = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (k, part) in words.chunks_mut(chunk).enumerate() {
            s.spawn(move || {
                for (i, w) in part.iter_mut().enumerate() {
                    *w = (k * chunk + i) as u64 | 1;
                }
            });
        }
    });
    words
}

/// Wall time for every thread to read its share, from a common start.
fn timed_read(shares: &[&[u64]]) -> Duration {
    let start_line = Barrier::new(shares.len() + 1);
    std::thread::scope(|s| {
        let readers: Vec<_> = shares
            .iter()
            .map(|share| {
                let start_line = &start_line;
                s.spawn(move || {
                    start_line.wait();
                    std::hint::black_box(sum_words(share))
                })
            })
            .collect();
        start_line.wait();
        let start = Instant::now();
        for r in readers {
            let _ = r.join();
        }
        start.elapsed()
    })
}

/// The words' wrapping sum, in eight lanes the compiler turns into vector loads.
fn sum_words(words: &[u64]) -> u64 {
    let mut lanes = [0u64; 8];
    let blocks = words.chunks_exact(8);
    let rest = blocks.remainder();
    for block in blocks {
        for (lane, &w) in lanes.iter_mut().zip(block) {
            *lane = lane.wrapping_add(w);
        }
    }
    lanes
        .iter()
        .chain(rest)
        .fold(0u64, |a, &b| a.wrapping_add(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sum_reads_every_word() {
        let words: Vec<u64> = (1..=21).collect();
        assert_eq!(sum_words(&words), 21 * 22 / 2);
        assert_eq!(sum_words(&[]), 0);
    }

    #[test]
    fn cache_sizes_as_sysfs_writes_them() {
        assert_eq!(parse_cache_size("32K"), Some(32 << 10));
        assert_eq!(parse_cache_size("260M"), Some(260 << 20));
        assert_eq!(parse_cache_size("1G"), Some(1 << 30));
        assert_eq!(parse_cache_size("12"), None);
        assert_eq!(parse_cache_size("x"), None);
    }

    #[test]
    fn the_buffer_is_past_the_cache_and_within_memory() {
        let gib = 1u64 << 30;
        assert_eq!(buffer_size(Some(260 << 20), 24 * gib), 1040 << 20);
        assert_eq!(buffer_size(None, 24 * gib), MIN_BUFFER_BYTES);
        assert_eq!(
            buffer_size(Some(gib), 2 * gib),
            gib / 2,
            "a quarter of what is free"
        );
    }

    #[test]
    fn the_largest_listed_cache_is_the_last_level() {
        let root = tempfile::tempdir().unwrap();
        let cache = root.path().join("sys/devices/system/cpu/cpu0/cache");
        for (index, size) in [("index0", "48K"), ("index2", "2048K"), ("index3", "105M")] {
            std::fs::create_dir_all(cache.join(index)).unwrap();
            std::fs::write(cache.join(index).join("size"), format!("{size}\n")).unwrap();
        }
        assert_eq!(last_level_cache_bytes(root.path()), Some(105 << 20));
        assert_eq!(last_level_cache_bytes(&root.path().join("none")), None);
    }

    #[test]
    fn a_small_measurement_gives_positive_ordered_figures() {
        let f = measure_read_bandwidth(2, 8 << 20, 3);
        assert!(f.best_bytes_per_s >= f.median_bytes_per_s && f.median_bytes_per_s > 0.0);
        assert_eq!((f.threads, f.buffer_bytes, f.passes), (2, 8 << 20, 3));
    }
}
