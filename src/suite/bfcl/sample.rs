//! `--sample N`: the same N entries of each category on every machine, chosen by a
//! seeded hash of their ids (not by a random generator whose stream could change
//! with a crate version), kept in BFCL's order.
use sha2::{Digest, Sha256};

use super::read::BfclEntry;

/// The seed used unless `--seed` says otherwise.
pub const DEFAULT_SEED: u64 = 20260323;

/// At most `n` entries of `entries` (one category), the same for the same seed.
pub fn sample(entries: Vec<BfclEntry>, n: Option<usize>, seed: u64) -> Vec<BfclEntry> {
    let Some(n) = n.filter(|&n| n < entries.len()) else {
        return entries;
    };
    let mut ranked: Vec<(String, usize)> = entries
        .iter()
        .enumerate()
        .map(|(index, e)| (rank(seed, &e.id), index))
        .collect();
    ranked.sort();
    let mut keep: Vec<usize> = ranked.into_iter().take(n).map(|(_, index)| index).collect();
    keep.sort_unstable();
    let mut entries: Vec<Option<BfclEntry>> = entries.into_iter().map(Some).collect();
    keep.into_iter().filter_map(|i| entries[i].take()).collect()
}

fn rank(seed: u64, id: &str) -> String {
    format!("{:x}", Sha256::digest(format!("{seed}:{id}").as_bytes()))
}
