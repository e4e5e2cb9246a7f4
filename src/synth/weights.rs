//! Random weights, generated and quantised a slab at a time on every core and
//! streamed out, so a model of any size is written in bounded memory. Each
//! group of rows has its own seed (from the model's seed, the tensor and the
//! group), so the file is the same whatever the number of threads.

use std::io::{self, Write};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::shape::{Role, TensorPlan};
use crate::engine::quantize_rows;
use crate::gguf::GgmlType;

/// About this many values per group of rows (one seed, one quantise call).
const GROUP_VALUES: u64 = 1 << 16;
/// Groups per thread in one slab: what is held in memory at once.
const GROUPS_PER_THREAD: usize = 32;

/// Writes tensor `index`'s values, stored as `ggml_type`, to `out`.
pub fn write_tensor(
    out: &mut dyn Write,
    seed: u64,
    index: usize,
    plan: &TensorPlan,
    ggml_type: GgmlType,
) -> io::Result<()> {
    let row = plan.dims[0];
    let n_rows: u64 = plan.dims[1..].iter().product();
    let rows_per_group = (GROUP_VALUES / row).max(1);
    let group_bytes = ggml_type
        .bytes(rows_per_group * row)
        .ok_or_else(|| io::Error::other(format!("{}: rows are not whole blocks", plan.name)))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let slab_rows = rows_per_group * (threads * GROUPS_PER_THREAD) as u64;
    let mut slab = Vec::new();
    let mut first_row = 0;
    while first_row < n_rows {
        let rows = slab_rows.min(n_rows - first_row);
        slab.resize(ggml_type.bytes(rows * row).unwrap_or(0) as usize, 0);
        let first_group = first_row / rows_per_group;
        let groups: Vec<(u64, &mut [u8])> = slab
            .chunks_mut(group_bytes as usize)
            .enumerate()
            .map(|(i, chunk)| (first_group + i as u64, chunk))
            .collect();
        fill_groups(groups, threads, |group, dst| {
            let values = group_values(seed, index, group, dst, row, ggml_type, plan.role);
            quantize_rows(ggml_type, &values, row as usize, dst)
        })
        .map_err(|e| io::Error::other(format!("{}: {e}", plan.name)))?;
        out.write_all(&slab)?;
        first_row += rows;
    }
    Ok(())
}

/// Runs `fill` over the groups on up to `threads` threads.
fn fill_groups(
    mut groups: Vec<(u64, &mut [u8])>,
    threads: usize,
    fill: impl Fn(u64, &mut [u8]) -> Result<(), String> + Sync,
) -> Result<(), String> {
    let per_thread = groups.len().div_ceil(threads).max(1);
    let fill = &fill;
    std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .chunks_mut(per_thread)
            .map(|share| {
                scope.spawn(move || share.iter_mut().try_for_each(|(g, dst)| fill(*g, dst)))
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into())))
    })
}

/// The values of one group of rows (as many rows as `dst` holds).
fn group_values(
    seed: u64,
    tensor: usize,
    group: u64,
    dst: &[u8],
    row: u64,
    ggml_type: GgmlType,
    role: Role,
) -> Vec<f32> {
    let row_bytes = ggml_type.bytes(row).unwrap_or(1).max(1);
    let n = (dst.len() as u64 / row_bytes * row) as usize;
    if role == Role::Norm {
        return vec![1.0; n];
    }
    // Uniform with variance 1/row: a normalised input gives outputs of unit
    // size, so activations stay finite through any number of layers.
    let bound = match role {
        Role::Bias => 0.1,
        _ => (3.0 / row as f32).sqrt(),
    };
    let mut rng = SmallRng::seed_from_u64(mix(seed, tensor as u64, group));
    (0..n).map(|_| rng.random_range(-bound..bound)).collect()
}

/// One 64-bit seed from three (splitmix64 steps), so nearby inputs give
/// unrelated streams.
fn mix(a: u64, b: u64, c: u64) -> u64 {
    let step = |x: u64| {
        let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    step(step(step(a) ^ b) ^ c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of(plan: &TensorPlan, ty: GgmlType, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_tensor(&mut out, seed, 3, plan, ty).unwrap();
        out
    }

    #[test]
    fn values_are_bounded_repeatable_and_seeded() {
        // 700 rows of 256: several groups (256 rows each) and a short last one.
        let plan = TensorPlan {
            name: "w".into(),
            dims: vec![256, 700],
            role: Role::Matrix,
        };
        let f32s = bytes_of(&plan, GgmlType::F32, 7);
        assert_eq!(f32s.len(), 256 * 700 * 4);
        let values: Vec<f32> = f32s
            .chunks(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        let bound = (3.0f32 / 256.0).sqrt();
        assert!(values.iter().all(|v| v.abs() <= bound));
        let mean_square = values.iter().map(|v| v * v).sum::<f32>() / values.len() as f32;
        assert!((mean_square * 256.0 - 1.0).abs() < 0.02, "variance 1/row: {mean_square}");
        assert_eq!(f32s, bytes_of(&plan, GgmlType::F32, 7), "same seed, same bytes");
        assert_ne!(f32s, bytes_of(&plan, GgmlType::F32, 8));
        let q = bytes_of(&plan, GgmlType::Q4_K, 7);
        assert_eq!(q.len(), 700 * 144);
        let norm = TensorPlan { role: Role::Norm, dims: vec![64], ..plan };
        let ones = bytes_of(&norm, GgmlType::F32, 7);
        assert!(ones.chunks(4).all(|b| b == 1f32.to_le_bytes()));
    }
}
