//! The two ways every llama.cpp test feeds tokens: a prompt decoded in n_batch
//! chunks (asking logits only where they are read), and one token at a time
//! after it (the generation step). Written once, used by every test.
use anyhow::{anyhow, Result};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

/// A batch of `n_batch` tokens, the unit prompts are decoded in.
pub(super) struct Chunks {
    batch: LlamaBatch<'static>,
    n_batch: usize,
}

impl Chunks {
    pub(super) fn new(n_batch: u32) -> Chunks {
        let n_batch = n_batch.max(1) as usize;
        Chunks {
            batch: LlamaBatch::new(n_batch, 1),
            n_batch,
        }
    }

    /// Decodes `tokens` from position 0 in chunks. `wants_logits(pos)` says at
    /// which positions logits are kept; `on_logits(pos, logits)` gets each of
    /// them as soon as its chunk is decoded.
    pub(super) fn decode(
        &mut self,
        ctx: &mut LlamaContext<'_>,
        tokens: &[LlamaToken],
        wants_logits: impl Fn(usize) -> bool,
        on_logits: impl FnMut(usize, &[f32]),
    ) -> Result<()> {
        self.decode_from(ctx, 0, tokens, wants_logits, on_logits)
    }

    /// As `decode`, the first token at position `from` (after tokens already
    /// in the cache); `wants_logits` and `on_logits` still count from 0.
    pub(super) fn decode_from(
        &mut self,
        ctx: &mut LlamaContext<'_>,
        from: usize,
        tokens: &[LlamaToken],
        wants_logits: impl Fn(usize) -> bool,
        on_logits: impl FnMut(usize, &[f32]),
    ) -> Result<()> {
        let target = Target {
            batch: &mut self.batch,
            n_batch: self.n_batch,
            from,
        };
        decode_chunks(ctx, target, tokens, wants_logits, on_logits)
    }
}

/// Where chunks go: the batch they are built in and the first position.
struct Target<'b> {
    batch: &'b mut LlamaBatch<'static>,
    n_batch: usize,
    from: usize,
}

fn decode_chunks(
    ctx: &mut LlamaContext<'_>,
    target: Target<'_>,
    tokens: &[LlamaToken],
    wants_logits: impl Fn(usize) -> bool,
    mut on_logits: impl FnMut(usize, &[f32]),
) -> Result<()> {
    let Target {
        batch,
        n_batch,
        from,
    } = target;
    for (chunk_index, chunk) in tokens.chunks(n_batch).enumerate() {
        batch.clear();
        let offset = chunk_index * n_batch;
        for (j, &token) in chunk.iter().enumerate() {
            let pos = (from + offset + j) as i32;
            batch.add(token, pos, &[0], wants_logits(offset + j))?;
        }
        ctx.decode(batch)
            .map_err(|e| anyhow!("prompt decode failed at token {}: {e}", from + offset))?;
        for j in (0..chunk.len()).filter(|&j| wants_logits(offset + j)) {
            on_logits(offset + j, ctx.get_logits_ith(j as i32));
        }
    }
    Ok(())
}

/// One sequence being generated: the prompt decoded (logits of its last token
/// only, as llama_batch_get_one in llama-bench), then one token per step.
pub(super) struct Sequence {
    batch: LlamaBatch<'static>,
    n_past: u32,
    /// Batch index of the logits the next sample reads.
    logits_index: i32,
}

impl Sequence {
    /// Clears the context and decodes `prompt` (waiting for the device, so a
    /// timestamp taken after this includes the whole prompt).
    pub(super) fn start(
        ctx: &mut LlamaContext<'_>,
        prompt: &[LlamaToken],
        n_batch: u32,
    ) -> Result<Sequence> {
        ctx.clear_kv_cache();
        Sequence::resume(ctx, 0, prompt, n_batch)
    }

    /// Decodes `prompt` after `n_past` tokens already in the cache (a cached
    /// conversation), waiting for the device like `start`.
    pub(super) fn resume(
        ctx: &mut LlamaContext<'_>,
        n_past: u32,
        prompt: &[LlamaToken],
        n_batch: u32,
    ) -> Result<Sequence> {
        let last = prompt.len().saturating_sub(1);
        let mut chunks = Chunks::new(n_batch);
        chunks.decode_from(ctx, n_past as usize, prompt, |i| i == last, |_, _| {})?;
        ctx.synchronize();
        Ok(Sequence {
            batch: chunks.batch,
            n_past: n_past + prompt.len() as u32,
            logits_index: (last % n_batch.max(1) as usize) as i32,
        })
    }

    /// A sequence after `n_past` tokens already in the cache.
    pub(super) fn after(n_past: u32) -> Sequence {
        Sequence {
            batch: LlamaBatch::new(1, 1),
            n_past,
            logits_index: 0,
        }
    }

    /// Where the logits for the next sample are.
    pub(super) fn logits_index(&self) -> i32 {
        self.logits_index
    }

    /// Tokens in the context so far.
    pub(super) fn n_past(&self) -> u32 {
        self.n_past
    }

    /// Decodes one more token after the sequence.
    pub(super) fn push(&mut self, ctx: &mut LlamaContext<'_>, token: LlamaToken) -> Result<()> {
        self.batch.clear();
        self.batch.add(token, self.n_past as i32, &[0], true)?;
        ctx.decode(&mut self.batch)
            .map_err(|e| anyhow!("decode failed at position {}: {e}", self.n_past))?;
        self.n_past += 1;
        self.logits_index = 0;
        Ok(())
    }
}

/// log sum exp(logits), computed stably: log softmax(logits)[i] = logits[i] - this.
pub(super) fn log_normalizer(logits: &[f32]) -> f64 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = logits.iter().map(|&l| (l as f64 - max).exp()).sum();
    max + sum.ln()
}

/// log softmax(logits)[index].
pub(super) fn log_softmax_at(logits: &[f32], index: usize) -> f64 {
    logits[index] as f64 - log_normalizer(logits)
}

#[cfg(test)]
mod tests {
    use super::log_softmax_at;

    #[test]
    fn log_softmax_matches_hand_computation() {
        let lp = log_softmax_at(&[0.0, 0.0], 1);
        assert!((lp - 0.5f64.ln()).abs() < 1e-12);
        let lp = log_softmax_at(&[1000.0, 0.0], 0);
        assert!(lp.abs() < 1e-9, "stable for large logits: {lp}");
    }
}
