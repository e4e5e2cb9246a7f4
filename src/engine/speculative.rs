//! Greedy speculative decoding, written once over any pair of models: the
//! drafter proposes up to N tokens, the target checks them in one batched
//! decode, the longest prefix where the target's own greedy token equals the
//! draft's is kept, and the target's token at the first mismatch is taken, so
//! every step yields at least one token. The rejected positions are removed
//! from both caches. The llama.cpp engine implements [`DraftVerify`]; the
//! tests here drive the loop with scripted models.
use std::time::Instant;

use anyhow::Result;

use crate::results::speculation::SpecCounts;

/// The two models of a speculative generation. Both caches hold a prefix of
/// the sequence; positions count from 0.
pub trait DraftVerify {
    type Token: Copy + PartialEq;

    /// Up to `n` greedy draft tokens following `sequence` (the draft decodes
    /// whatever of `sequence` it has not cached yet, then its own tokens but
    /// the last).
    fn draft(&mut self, sequence: &[Self::Token], n: usize) -> Result<Vec<Self::Token>>;

    /// Decodes `tokens` at positions `from..` in the target in one batch and
    /// returns the target's greedy token after each of them.
    fn verify(&mut self, from: u32, tokens: &[Self::Token]) -> Result<Vec<Self::Token>>;

    /// Removes every cached position from `keep` on, in both caches.
    fn rollback(&mut self, keep: u32) -> Result<()>;
}

/// The draft lengths of a speculative generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DraftLimits {
    pub max: u32,
    /// A shorter draft is not verified: the step decodes one token plainly.
    pub min: u32,
}

/// What one verification step decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome<T> {
    /// Draft tokens accepted (a prefix of the draft).
    pub accepted: usize,
    /// The tokens the step adds: the accepted draft, then the target's own.
    pub tokens: Vec<T>,
    /// Cache positions kept (before `keep`): the sequence but its new last
    /// token, which the next step decodes.
    pub keep: u32,
}

/// The acceptance rule: `greedy[i]` is the target's token after the
/// sequence and `drafted[..i]`; `n_cached` is the target's cache length
/// before the step (the sequence but its last token).
pub fn accept<T: Copy + PartialEq>(drafted: &[T], greedy: &[T], n_cached: u32) -> StepOutcome<T> {
    debug_assert_eq!(greedy.len(), drafted.len() + 1);
    let accepted = drafted
        .iter()
        .zip(greedy)
        .take_while(|(d, g)| d == g)
        .count();
    let mut tokens = drafted[..accepted].to_vec();
    tokens.push(greedy[accepted]);
    StepOutcome {
        accepted,
        tokens,
        // The last token and the accepted draft are in the cache; the target's
        // own token is not decoded yet.
        keep: n_cached + 1 + accepted as u32,
    }
}

/// How long the next draft may be: at most `limits.max`, and short enough
/// that the step's tokens (draft and the target's own) do not pass
/// `remaining`; 0 (a plain step) when that is under `limits.min`.
pub fn draft_length(limits: DraftLimits, remaining: u32) -> u32 {
    let n = limits.max.min(remaining.saturating_sub(1));
    if n < limits.min.max(1) {
        0
    } else {
        n
    }
}

/// Generates until `sequence` has `n_gen` more tokens than it had. On entry
/// the target's cache holds `sequence` but its last token (the first
/// generated one, sampled from the prompt's logits). `on_tokens` gets each
/// step's new tokens as they are known.
pub fn generate<M: DraftVerify>(
    models: &mut M,
    sequence: &mut Vec<M::Token>,
    n_gen: u32,
    limits: DraftLimits,
    on_tokens: &mut dyn FnMut(&[M::Token]),
) -> Result<SpecCounts> {
    let target_len = sequence.len() + n_gen as usize;
    let mut counts = SpecCounts::default();
    while sequence.len() < target_len {
        let remaining = (target_len - sequence.len()) as u32;
        let n = draft_length(limits, remaining);
        let started = Instant::now();
        let drafted = match n {
            0 => Vec::new(),
            n => models.draft(sequence, n as usize)?,
        };
        let drafted_at = Instant::now();
        let n_cached = sequence.len() as u32 - 1;
        let mut batch = vec![*sequence.last().expect("a sequence has its last token")];
        batch.extend_from_slice(&drafted);
        let greedy = models.verify(n_cached, &batch)?;
        let step = accept(&drafted, &greedy, n_cached);
        // A plain step keeps all it decoded; a draft leaves rejected
        // positions in the target and drafted ones in the draft.
        if !drafted.is_empty() {
            models.rollback(step.keep)?;
        }
        let verified_at = Instant::now();
        counts.add_step(
            drafted.len() as u32,
            step.accepted as u32,
            ms(drafted_at - started),
            ms(verified_at - drafted_at),
        );
        sequence.extend_from_slice(&step.tokens);
        on_tokens(&step.tokens);
    }
    Ok(counts)
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target that continues any sequence with `truth` (the token after
    /// the one at position p is truth[p + 1]), and a drafter that gets it
    /// right except after the positions in `wrong`; both keep their caches as llama.cpp would,
    /// so the test sees every decode and rollback.
    struct Scripted {
        truth: Vec<u32>,
        wrong: Vec<usize>,
        target_cache: Vec<u32>,
        draft_cache: Vec<u32>,
        verify_batches: Vec<usize>,
        rollbacks: Vec<u32>,
    }

    impl Scripted {
        fn new(truth: Vec<u32>, wrong: Vec<usize>, prompt: &[u32]) -> Scripted {
            Scripted {
                truth,
                wrong,
                target_cache: prompt[..prompt.len() - 1].to_vec(),
                draft_cache: Vec::new(),
                verify_batches: Vec::new(),
                rollbacks: Vec::new(),
            }
        }

        /// The token after position `pos`, as the target or the draft sees it.
        fn next(&self, pos: usize, draft: bool) -> u32 {
            let t = self.truth[pos + 1];
            if draft && self.wrong.contains(&pos) {
                t + 1000
            } else {
                t
            }
        }
    }

    impl DraftVerify for Scripted {
        type Token = u32;

        fn draft(&mut self, sequence: &[u32], n: usize) -> Result<Vec<u32>> {
            assert!(
                sequence.starts_with(&self.draft_cache),
                "the draft cache is a prefix of the sequence"
            );
            self.draft_cache = sequence.to_vec();
            let mut out = Vec::new();
            for _ in 0..n {
                let pos = self.draft_cache.len() - 1;
                let token = self.next(pos, true);
                out.push(token);
                self.draft_cache.push(token);
            }
            // The last drafted token is not decoded.
            self.draft_cache.pop();
            Ok(out)
        }

        fn verify(&mut self, from: u32, tokens: &[u32]) -> Result<Vec<u32>> {
            assert_eq!(
                self.target_cache.len(),
                from as usize,
                "decoded where the cache ends"
            );
            self.verify_batches.push(tokens.len());
            self.target_cache.extend_from_slice(tokens);
            Ok((0..tokens.len())
                .map(|i| self.next(from as usize + i, false))
                .collect())
        }

        fn rollback(&mut self, keep: u32) -> Result<()> {
            self.rollbacks.push(keep);
            self.target_cache.truncate(keep as usize);
            self.draft_cache.truncate(keep as usize);
            Ok(())
        }
    }

    fn run(wrong: Vec<usize>, n_gen: u32, max: u32, min: u32) -> (Vec<u32>, SpecCounts, Scripted) {
        let truth: Vec<u32> = (0..100).map(|i| i * 7 % 31).collect();
        // A prompt of 3 tokens (the truth's), then the first generated token.
        let prompt = truth[..4].to_vec();
        let mut models = Scripted::new(truth.clone(), wrong, &prompt);
        let mut sequence = prompt.clone();
        let mut seen = Vec::new();
        let limits = DraftLimits { max, min };
        let counts = generate(&mut models, &mut sequence, n_gen, limits, &mut |t| {
            seen.extend_from_slice(t)
        })
        .unwrap();
        assert_eq!(
            sequence.len(),
            prompt.len() + n_gen as usize,
            "exactly n_gen tokens"
        );
        assert_eq!(&sequence[prompt.len()..], &seen[..]);
        assert_eq!(
            sequence,
            truth[..sequence.len()],
            "the text is the target's own"
        );
        (seen, counts, models)
    }

    #[test]
    fn a_perfect_draft_is_accepted_whole_and_each_step_adds_the_targets_token() {
        let (_, counts, models) = run(vec![], 10, 4, 0);
        // 10 tokens: 4+1, 4+1 (the draft is cut to leave room for the target's).
        assert_eq!(models.verify_batches, vec![5, 5]);
        assert_eq!((counts.drafted, counts.accepted, counts.steps), (8, 8, 2));
        assert_eq!(counts.acceptance_rate(), Some(1.0));
        assert_eq!(counts.accepted_per_step(), Some(4.0));
    }

    #[test]
    fn a_wrong_draft_token_is_replaced_by_the_targets_and_the_rest_rolled_back() {
        // The draft is wrong after position 4 (its 2nd token of the first step).
        let (_, counts, models) = run(vec![4], 8, 4, 0);
        // Step 1: cache 3, last token at 3, drafts positions 4..8; the token
        // after position 4 is accepted, after 5 is wrong: keep 3 + 1 + 1 = 5.
        assert_eq!(models.rollbacks[0], 5);
        assert_eq!((counts.drafted, counts.accepted), (4 + 4, 1 + 4));
        assert_eq!(counts.steps, 2);
        assert_eq!(models.target_cache.len() as u32, 3 + 8);
    }

    #[test]
    fn draft_min_turns_short_drafts_into_plain_steps() {
        let (_, counts, models) = run(vec![], 6, 4, 3);
        // 4+1 tokens, then 1 left: a draft of 0 < 3, a plain step.
        assert_eq!(models.verify_batches, vec![5, 1]);
        assert_eq!((counts.steps, counts.plain_steps), (1, 1));
    }

    #[test]
    fn a_draft_that_is_always_wrong_still_yields_one_token_a_step() {
        let wrong: Vec<usize> = (0..100).collect();
        let (_, counts, _) = run(wrong, 5, 2, 0);
        assert_eq!(counts.accepted, 0);
        assert_eq!(counts.acceptance_rate(), Some(0.0));
        assert_eq!(counts.steps + counts.plain_steps, 5);
    }

    #[test]
    fn acceptance_keeps_the_matching_prefix() {
        let step = accept(&[1, 2, 3], &[1, 2, 9, 4], 10);
        assert_eq!(
            step,
            StepOutcome {
                accepted: 2,
                tokens: vec![1, 2, 9],
                keep: 13
            }
        );
        let none = accept(&[5], &[6, 7], 0);
        assert_eq!((none.accepted, none.tokens, none.keep), (0, vec![6], 1));
        let plain = accept::<u32>(&[], &[8], 4);
        assert_eq!((plain.accepted, plain.tokens, plain.keep), (0, vec![8], 5));
    }

    #[test]
    fn draft_length_leaves_room_for_the_targets_token() {
        let limits = DraftLimits { max: 8, min: 0 };
        assert_eq!(draft_length(limits, 100), 8);
        assert_eq!(draft_length(limits, 3), 2);
        assert_eq!(draft_length(limits, 1), 0);
        assert_eq!(draft_length(DraftLimits { max: 8, min: 4 }, 4), 0);
        assert_eq!(draft_length(DraftLimits { max: 8, min: 4 }, 5), 4);
    }
}
