//! Memory sections: `RAM`, `SWAP` and `IRAM`, with their optional notes.

use crate::sampler::Reading;

use super::numbers::{paren_value, parse_size_kib, parse_unsigned, parse_used_total_kib, push};

/// `RAM 2448/7620MB (lfb 2810x4MB)`; the lfb note is optional.
pub(super) fn parse_ram(t: &[&str], out: &mut Vec<Reading>) -> Option<usize> {
    let (used, total) = parse_used_total_kib(t.get(1)?)?;
    push(out, "ram_used_mb", used / 1024.0);
    push(out, "ram_total_mb", total / 1024.0);
    let lfb = paren_value(&t[2..], "(lfb").and_then(parse_lfb_blocks);
    let Some((blocks, block_kib)) = lfb else {
        return Some(2);
    };
    push(out, "ram_lfb_blocks", blocks);
    push(out, "ram_lfb_block_mb", block_kib / 1024.0);
    Some(4)
}

/// `2810x4MB` -> (2810 blocks, 4096 KiB each): the largest free blocks.
fn parse_lfb_blocks(s: &str) -> Option<(f64, f64)> {
    let (count, size) = s.split_once('x')?;
    Some((parse_unsigned(count)?, parse_size_kib(size)?))
}

/// `SWAP 0/3810MB (cached 0MB)`; the cached note is optional.
pub(super) fn parse_swap(t: &[&str], out: &mut Vec<Reading>) -> Option<usize> {
    let (used, total) = parse_used_total_kib(t.get(1)?)?;
    push(out, "swap_used_mb", used / 1024.0);
    push(out, "swap_total_mb", total / 1024.0);
    let Some(cached) = paren_value(&t[2..], "(cached").and_then(parse_size_kib) else {
        return Some(2);
    };
    push(out, "swap_cached_mb", cached / 1024.0);
    Some(4)
}

/// `IRAM 0/252kB(lfb 252kB)` (Nano, TX1): a small on-chip memory, kept in kB.
pub(super) fn parse_iram(t: &[&str], out: &mut Vec<Reading>) -> Option<usize> {
    let (used, total) = parse_used_total_kib(t.get(1)?)?;
    push(out, "iram_used_kb", used);
    push(out, "iram_total_kb", total);
    let Some(lfb) = paren_value(&t[2..], "(lfb").and_then(parse_size_kib) else {
        return Some(2);
    };
    push(out, "iram_lfb_kb", lfb);
    Some(4)
}

#[cfg(test)]
mod tests {
    use super::super::test_lines::{assert_readings, parse};

    #[test]
    fn kilobyte_and_gigabyte_memory_units_become_megabytes() {
        let p = parse("RAM 2506752/16031744kB (lfb 512x4096kB) SWAP 1.5/7.6GB (cached 512kB)");
        assert_readings(
            &p,
            &[
                ("ram_used_mb", 2448.0),
                ("ram_total_mb", 15656.0),
                ("ram_lfb_blocks", 512.0),
                ("ram_lfb_block_mb", 4.0),
                ("swap_used_mb", 1536.0),
                ("swap_total_mb", 7.6 * 1024.0),
                ("swap_cached_mb", 0.5),
            ],
        );
    }
}
