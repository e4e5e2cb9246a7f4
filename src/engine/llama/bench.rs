//! ppN, tgN and ppN+tgM over random token ids, at a depth, as llama-bench's
//! test_prompt and test_gen and its repetition loop.
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use llama_cpp_2::context::session::{LlamaStateSeqFlags, SeqState};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use rand::rngs::SmallRng;
use rand::Rng;

use super::decode::{Chunks, Sequence};
use super::{new_context, LlamaEngine};
use crate::engine::{BenchTest, EngineTiming, RepControl};

/// `warmup` unmeasured runs, then up to `max_reps` timed ones in a context of
/// exactly depth + N tokens, each after the cache is cleared and refilled to
/// the depth (not timed). A failed warm-up ends the test.
pub(super) fn random_token_bench(
    engine: &mut LlamaEngine,
    test: BenchTest,
    warmup: u32,
    max_reps: u32,
    on_rep: &mut dyn FnMut(u32, Result<EngineTiming>) -> RepControl,
) -> Result<()> {
    let LlamaEngine {
        backend,
        model,
        settings,
        rng,
        ..
    } = engine;
    let mut ctx = new_context(backend, model, settings, test.n_ctx())?;
    let mut bench = Bench {
        chunks: Chunks::new(settings.n_batch),
        model,
        rng,
        depth_state: None,
    };
    let (n_prompt, n_gen) = test.tokens();
    for _ in 0..warmup {
        // llama-bench warms up at depth 0, generation with a single token.
        ctx.clear_kv_cache();
        bench.warm_up(&mut ctx, n_prompt, n_gen)?;
    }
    for rep in 0..max_reps {
        let timing = bench
            .fill_depth(&mut ctx, test.depth)
            .and_then(|depth| bench.time(&mut ctx, depth, n_prompt, n_gen));
        if on_rep(rep, timing) == RepControl::Stop {
            break;
        }
    }
    Ok(())
}

struct Bench<'a, 'm> {
    chunks: Chunks,
    model: &'m LlamaModel,
    rng: &'a mut SmallRng,
    /// The cache after the first fill, restored for later repetitions
    /// (llama-bench's cstate).
    depth_state: Option<SeqState>,
}

impl Bench<'_, '_> {
    fn warm_up(&mut self, ctx: &mut LlamaContext<'_>, n_prompt: u32, n_gen: u32) -> Result<()> {
        if n_prompt > 0 {
            self.prompt(ctx, 0, n_prompt)?;
        }
        if n_gen > 0 {
            self.generation(ctx, n_prompt, 1)?;
        }
        Ok(())
    }

    /// Clears the cache and puts `depth` tokens in it; returns the depth.
    fn fill_depth(&mut self, ctx: &mut LlamaContext<'_>, depth: u32) -> Result<u32> {
        ctx.clear_kv_cache();
        if depth == 0 {
            return Ok(0);
        }
        if let Some(state) = &self.depth_state {
            if ctx.state_seq_set(state, 0).is_ok() {
                return Ok(depth);
            }
            ctx.clear_kv_cache();
        }
        self.prompt(ctx, 0, depth)
            .context("filling the cache to the depth failed")?;
        self.depth_state = ctx.state_seq_get(0, LlamaStateSeqFlags::empty()).ok();
        Ok(depth)
    }

    /// The timed part: the prompt, then the generation, after `depth` tokens.
    fn time(
        &mut self,
        ctx: &mut LlamaContext<'_>,
        depth: u32,
        n_prompt: u32,
        n_gen: u32,
    ) -> Result<EngineTiming> {
        let prompt = match n_prompt {
            0 => Duration::ZERO,
            n => self.prompt(ctx, depth, n)?,
        };
        let generation = match n_gen {
            0 => Duration::ZERO,
            n => self.generation(ctx, depth + n_prompt, n)?,
        };
        Ok(EngineTiming {
            n_prompt,
            prompt,
            n_gen,
            generation,
            spec: None,
        })
    }

    /// N random tokens from position `from`, decoded in n_batch chunks with
    /// one synchronize at the end.
    fn prompt(&mut self, ctx: &mut LlamaContext<'_>, from: u32, n: u32) -> Result<Duration> {
        let tokens = random_prompt(self.model, self.rng, n);
        let last = tokens.len().saturating_sub(1);
        let start = Instant::now();
        self.chunks
            .decode_from(ctx, from as usize, &tokens, |i| i == last, |_, _| {})?;
        ctx.synchronize();
        Ok(start.elapsed())
    }

    /// N single-token decodes from position `from`, synchronizing after each;
    /// the next token is random, so neither sampling nor EOS plays a part.
    fn generation(&mut self, ctx: &mut LlamaContext<'_>, from: u32, n: u32) -> Result<Duration> {
        let mut sequence = Sequence::after(from);
        let mut token = first_token(self.model, self.rng);
        let start = Instant::now();
        for _ in 0..n {
            sequence.push(ctx, token)?;
            ctx.synchronize();
            token = random_token(self.model, self.rng);
        }
        Ok(start.elapsed())
    }
}

fn random_token(model: &LlamaModel, rng: &mut SmallRng) -> LlamaToken {
    LlamaToken(rng.random_range(0..model.n_vocab()))
}

/// The first token of a sequence: BOS when the vocabulary wants one, as llama-bench does.
fn first_token(model: &LlamaModel, rng: &mut SmallRng) -> LlamaToken {
    let vocab = model.vocab();
    if vocab.should_add_bos() {
        vocab.bos()
    } else {
        random_token(model, rng)
    }
}

fn random_prompt(model: &LlamaModel, rng: &mut SmallRng, n: u32) -> Vec<LlamaToken> {
    let mut tokens: Vec<LlamaToken> = (0..n).map(|_| random_token(model, rng)).collect();
    if let Some(first) = tokens.first_mut() {
        *first = first_token(model, rng);
    }
    tokens
}
