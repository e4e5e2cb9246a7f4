//! ppN and tgN over random token ids, as llama-bench's test_prompt and test_gen.
use std::time::Instant;

use anyhow::Result;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use rand::rngs::SmallRng;
use rand::Rng;

use super::decode::{Chunks, Sequence};
use super::{new_context, LlamaEngine};
use crate::engine::{BenchTest, EngineTiming};

/// `warmup` unmeasured runs, then `reps` timed ones, each in a cleared context
/// of exactly N tokens. A failed warm-up ends the test.
pub(super) fn random_token_bench(
    engine: &mut LlamaEngine,
    test: BenchTest,
    warmup: u32,
    reps: u32,
    on_rep: &mut dyn FnMut(u32, Result<EngineTiming>),
) -> Result<()> {
    let LlamaEngine {
        backend,
        model,
        settings,
        rng,
    } = engine;
    let mut ctx = new_context(backend, model, settings, test.n_tokens())?;
    let mut chunks = Chunks::new(settings.n_batch);
    for i in 0..warmup + reps {
        let timing = match test {
            BenchTest::Prompt(n) => time_prompt(&mut ctx, &mut chunks, model, rng, n),
            // llama-bench warms tgN up with a single token.
            BenchTest::Generation(n) => {
                time_generation(&mut ctx, model, rng, if i < warmup { 1 } else { n })
            }
        };
        if i >= warmup {
            on_rep(i - warmup, timing);
        } else {
            timing?;
        }
    }
    Ok(())
}

/// N random tokens decoded in n_batch chunks with one synchronize at the end.
fn time_prompt(
    ctx: &mut LlamaContext<'_>,
    chunks: &mut Chunks,
    model: &LlamaModel,
    rng: &mut SmallRng,
    n: u32,
) -> Result<EngineTiming> {
    ctx.clear_kv_cache();
    let tokens = random_prompt(model, rng, n);
    let last = tokens.len().saturating_sub(1);
    let start = Instant::now();
    chunks.decode(ctx, &tokens, |pos| pos == last, |_, _| {})?;
    ctx.synchronize();
    Ok(EngineTiming {
        n_tokens: n,
        elapsed: start.elapsed(),
    })
}

/// N single-token decodes, synchronizing after each; the next token is random,
/// so neither sampling nor EOS plays a part.
fn time_generation(
    ctx: &mut LlamaContext<'_>,
    model: &LlamaModel,
    rng: &mut SmallRng,
    n: u32,
) -> Result<EngineTiming> {
    let mut sequence = Sequence::empty(ctx);
    let mut token = first_token(model, rng);
    let start = Instant::now();
    for _ in 0..n {
        sequence.push(ctx, token)?;
        ctx.synchronize();
        token = random_token(model, rng);
    }
    Ok(EngineTiming {
        n_tokens: n,
        elapsed: start.elapsed(),
    })
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
