//! The engine side of the stability tests: sustained generation (soak), one rung
//! of the context ladder, and quantisation fidelity (perplexity, and KL divergence
//! and top-1 agreement against a reference model), as llama-perplexity computes them.
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;

use super::decode::{log_normalizer, Chunks, Sequence};
use super::template::{render, tokenize};
use super::{load_model, new_context, LlamaEngine};
use crate::engine::{
    AnswerRequest, ContextTrial, FidelityChunk, FidelityRequest, SoakSpan, SoakWindow,
};

/// Tokens each rung of the context ladder generates.
const LADDER_TOKENS: u32 = 16;
/// Room a soak needs past its prompt before the context is refilled.
const SOAK_MIN_ROOM: u32 = 16;
/// Tokens a soak generates after its prompt before it starts again from the
/// prompt: every window then spans the same context positions, so a change
/// in rate is the device's, not attention's growing cost (run to the
/// context's end, SmolLM2 135M swung between 66 and 24 tok/s as the context
/// filled and restarted).
const SOAK_CYCLE_TOKENS: u32 = 128;

/// Generates without pause for `span.total`, reporting tokens per window.
/// Every [`SOAK_CYCLE_TOKENS`] tokens (or when the context fills) the cache
/// is cut back to the prompt, whose last token is decoded again (that time
/// counts: sustained generation includes it). End-of-generation does not
/// stop it.
pub(super) fn soak(
    engine: &LlamaEngine,
    prompt: &AnswerRequest,
    span: SoakSpan,
    on_window: &mut dyn FnMut(SoakWindow),
) -> Result<()> {
    let choice = prompt.use_chat_template.then_some(prompt.template);
    let (text, _) = render(&engine.model, prompt.messages, choice)?;
    let prompt_tokens = tokenize(&engine.model, &text);
    let n_ctx = span.n_ctx;
    let mut ctx = engine.new_context(n_ctx)?;
    let n_prompt = prompt_tokens.len() as u32;
    if n_prompt + SOAK_MIN_ROOM > n_ctx {
        bail!("the soak prompt has {n_prompt} tokens, too many for a context of {n_ctx}");
    }
    let cycle_end = n_ctx.min(n_prompt + SOAK_CYCLE_TOKENS);
    let n_batch = engine.settings.n_batch;
    let mut sampler = LlamaSampler::greedy();
    let start = Instant::now();
    let (mut index, mut window_start, mut tokens) = (0u32, start, 0u32);
    let mut sequence = Sequence::start(&mut ctx, &prompt_tokens, n_batch)?;
    loop {
        while sequence.n_past() < cycle_end {
            let token = sampler.sample(&ctx, sequence.logits_index());
            tokens += 1;
            if window_start.elapsed() >= span.window {
                on_window(SoakWindow {
                    index,
                    end: start.elapsed(),
                    tokens,
                    elapsed: window_start.elapsed(),
                });
                (index, window_start, tokens) = (index + 1, Instant::now(), 0);
                if start.elapsed() >= span.total {
                    return Ok(());
                }
            }
            sequence
                .push(&mut ctx, token)
                .map_err(|e| anyhow!("after {:?}: {e}", start.elapsed()))?;
        }
        let keep = n_prompt.saturating_sub(1);
        let cut = keep > 0
            && ctx
                .clear_kv_cache_seq(Some(0), Some(keep), None)
                .unwrap_or(false);
        sequence = if cut {
            Sequence::resume(&mut ctx, keep, &prompt_tokens[keep as usize..], n_batch)?
        } else {
            Sequence::start(&mut ctx, &prompt_tokens, n_batch)?
        };
    }
}

/// One rung of the context ladder: a context of `n_ctx` (its KV cache is
/// allocated in full), a prompt (filling the context when `fill`), 16 tokens.
pub(super) fn try_context(engine: &LlamaEngine, n_ctx: u32, fill: bool) -> Result<ContextTrial> {
    let mut ctx = engine.new_context(n_ctx)?;
    let vocab = engine.model.vocab();
    let mut tokens = vocab.tokenize(b"The quick brown fox jumps over the lazy dog.", true, false);
    let n_prompt = if fill {
        n_ctx
            .saturating_sub(LADDER_TOKENS + 1)
            .max(tokens.len() as u32)
    } else {
        tokens.len() as u32
    };
    let cycle: Vec<LlamaToken> = tokens[1..].to_vec();
    while (tokens.len() as u32) < n_prompt {
        tokens.extend(cycle.iter().copied());
    }
    tokens.truncate(n_prompt as usize);
    if n_prompt + LADDER_TOKENS > n_ctx {
        bail!("a context of {n_ctx} tokens is too small to test");
    }
    let mut sequence = Sequence::start(&mut ctx, &tokens, engine.settings.n_batch)?;
    let mut sampler = LlamaSampler::greedy();
    let start = Instant::now();
    for _ in 0..LADDER_TOKENS {
        let token = sampler.sample(&ctx, sequence.logits_index());
        sequence.push(&mut ctx, token)?;
    }
    Ok(ContextTrial {
        n_generated: LADDER_TOKENS,
        elapsed: start.elapsed(),
    })
}

/// Perplexity of the text in chunks of `chunk_tokens`, each starting with BOS and
/// scored on its second half only (llama-perplexity's method); with a reference,
/// also KL(reference || this) and top-1 agreement at every scored position.
pub(super) fn fidelity(
    engine: &LlamaEngine,
    req: &FidelityRequest,
    on_chunk: &mut dyn FnMut(FidelityChunk),
) -> Result<()> {
    let model = &engine.model;
    let tokens = model.vocab().tokenize(req.text.as_bytes(), false, false);
    let reference =
        match req.reference {
            Some(path) => Some(load_model(&engine.backend, path, &engine.settings).map_err(
                |_| anyhow!("llama.cpp could not load the reference {}", path.display()),
            )?),
            None => None,
        };
    if let Some(r) = &reference {
        if r.n_vocab() != model.n_vocab()
            || r.vocab().tokenize(req.text.as_bytes(), false, false) != tokens
        {
            bail!("the reference has another vocabulary: it must be the same model in another quantisation");
        }
    }
    let chunk = req.chunk_tokens;
    let n_chunks = (tokens.len() as u32 / chunk).min(req.max_chunks);
    if n_chunks == 0 {
        bail!(
            "the fidelity text has {} tokens, fewer than one chunk of {chunk}",
            tokens.len()
        );
    }
    let mut scorer = ChunkScorer::new(engine, chunk)?;
    let mut ref_scorer = match &reference {
        Some(r) => Some(ChunkScorer::with_model(engine, r, chunk)?),
        None => None,
    };
    for index in 0..n_chunks {
        let start = (index * chunk) as usize;
        let mut piece: Vec<LlamaToken> = tokens[start..start + chunk as usize].to_vec();
        if model.vocab().should_add_bos() {
            piece[0] = model.vocab().bos();
        }
        let rows = scorer.logits(&piece)?;
        let ref_rows = match &mut ref_scorer {
            Some(r) => Some(r.logits(&piece)?),
            None => None,
        };
        on_chunk(compare_chunk(index, &piece, &rows, ref_rows.as_deref()));
    }
    Ok(())
}

/// The scores of one chunk from the logits of its scored positions.
fn compare_chunk(
    index: u32,
    piece: &[LlamaToken],
    rows: &[Vec<f32>],
    ref_rows: Option<&[Vec<f32>]>,
) -> FidelityChunk {
    let first_scored = piece.len() / 2;
    let mut out = FidelityChunk {
        index,
        ..Default::default()
    };
    for (k, row) in rows.iter().enumerate() {
        let lp = &log_softmax(row);
        let next = piece[first_scored + k + 1].0 as usize;
        out.nll_sum -= lp[next];
        out.n_scored += 1;
        if let Some(ref_rows) = ref_rows {
            let rp = &log_softmax(&ref_rows[k]);
            let kld: f64 = rp
                .iter()
                .zip(lp)
                .map(|(&r, &c)| if r > -40.0 { r.exp() * (r - c) } else { 0.0 })
                .sum();
            out.kld.push(kld.max(0.0) as f32);
            out.top1_same += u32::from(argmax(rp) == argmax(lp));
        }
    }
    out
}

/// A context of one chunk that returns the logits of its second half.
struct ChunkScorer<'m> {
    ctx: LlamaContext<'m>,
    chunks: Chunks,
}

impl<'m> ChunkScorer<'m> {
    fn new(engine: &'m LlamaEngine, chunk: u32) -> Result<Self> {
        Self::with_model(engine, &engine.model, chunk)
    }

    fn with_model(engine: &LlamaEngine, model: &'m LlamaModel, chunk: u32) -> Result<Self> {
        Ok(ChunkScorer {
            ctx: new_context(&engine.backend, model, &engine.settings, chunk)?,
            chunks: Chunks::new(engine.settings.n_batch),
        })
    }

    /// Logits at positions len/2..len-1 (each predicts the next token); kept as
    /// f32 (a chunk of 512 over Gemma's 262k vocabulary is already 268 MB).
    fn logits(&mut self, tokens: &[LlamaToken]) -> Result<Vec<Vec<f32>>> {
        self.ctx.clear_kv_cache();
        let first = tokens.len() / 2;
        let mut rows = Vec::new();
        self.chunks.decode(
            &mut self.ctx,
            tokens,
            |pos| pos >= first && pos + 1 < tokens.len(),
            |_, logits| rows.push(logits.to_vec()),
        )?;
        Ok(rows)
    }
}

fn log_softmax(logits: &[f32]) -> Vec<f64> {
    let norm = log_normalizer(logits);
    logits.iter().map(|&l| l as f64 - norm).collect()
}

fn argmax(values: &[f64]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 {
                (i, v)
            } else {
                best
            }
        })
        .0
}
