//! Degeneration: how much a generation repeats itself.

use std::collections::HashSet;

/// seq-rep-n (Welleck et al., 2019): 1 - unique n-grams / n-grams over the generated
/// tokens. 0 means no n-gram repeats; values near 1 mean a loop. None when there are
/// fewer than `n` tokens (no n-gram to count) or `n` is 0.
pub fn seq_rep_n(tokens: &[i32], n: usize) -> Option<f64> {
    if n == 0 || tokens.len() < n {
        return None;
    }
    let total = tokens.len() - n + 1;
    let unique: HashSet<&[i32]> = tokens.windows(n).collect();
    Some(1.0 - unique.len() as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_repetition_is_zero() {
        assert_eq!(seq_rep_n(&[1, 2, 3, 4, 5, 6], 4), Some(0.0));
    }

    #[test]
    fn a_loop_scores_high() {
        // 1 2 3 4 repeated: 9 four-grams, 4 of them unique.
        let tokens = [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4];
        let score = seq_rep_n(&tokens, 4).unwrap();
        assert!((score - (1.0 - 4.0 / 9.0)).abs() < 1e-12, "{score}");
        assert_eq!(seq_rep_n(&[7; 10], 4), Some(1.0 - 1.0 / 7.0));
    }

    #[test]
    fn too_short_is_none() {
        assert_eq!(seq_rep_n(&[1, 2, 3], 4), None);
        assert_eq!(seq_rep_n(&[1, 2, 3, 4], 4), Some(0.0));
        assert_eq!(seq_rep_n(&[1, 2], 0), None);
    }
}
