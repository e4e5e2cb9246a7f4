//! The engine side of the stability tests: sustained generation (soak), one rung
//! of the context ladder, and quantisation fidelity (perplexity, and KL divergence
//! and top-1 agreement against a reference model), as llama-perplexity computes them.
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;

use super::answer::log_normalizer;
use super::llama::{decode_prompt, new_context};
use super::LlamaEngine;

/// Tokens generated in one soak window.
#[derive(Debug, Clone, Copy)]
pub struct SoakWindow {
    pub index: u32,
    pub end: Duration,
    pub tokens: u32,
    pub elapsed: Duration,
}

/// One chunk of the fidelity text.
#[derive(Debug, Clone, Default)]
pub struct FidelityChunk {
    pub index: u32,
    pub n_scored: u32,
    pub nll_sum: f64,
    /// Per scored token, when a reference was given.
    pub kld: Vec<f32>,
    pub top1_same: u32,
}

impl LlamaEngine {
    /// Generates without pause for `total`, reporting tokens per `window`. When the
    /// context fills, it is cleared and the prompt decoded again (that time counts:
    /// sustained generation includes it). End-of-generation does not stop it.
    pub fn soak(
        &self,
        prompt_tokens: &[LlamaToken],
        n_ctx: u32,
        total: Duration,
        window: Duration,
        mut on_window: impl FnMut(SoakWindow),
    ) -> Result<()> {
        let mut ctx = new_context(&self.backend, &self.model, &self.settings, n_ctx)?;
        let n_prompt = prompt_tokens.len() as u32;
        if n_prompt + 16 > n_ctx {
            bail!("the soak prompt has {n_prompt} tokens, too many for a context of {n_ctx}");
        }
        let mut batch = LlamaBatch::new(self.settings.n_batch as usize, 1);
        let mut sampler = LlamaSampler::greedy();
        let start = Instant::now();
        let (mut index, mut window_start, mut tokens) = (0u32, start, 0u32);
        'outer: loop {
            ctx.clear_kv_cache();
            decode_prompt(&mut ctx, &mut batch, prompt_tokens, self.settings.n_batch)?;
            let mut logits_index = batch.n_tokens() - 1;
            for pos in n_prompt..n_ctx {
                let token = sampler.sample(&ctx, logits_index);
                tokens += 1;
                if window_start.elapsed() >= window {
                    on_window(SoakWindow {
                        index,
                        end: start.elapsed(),
                        tokens,
                        elapsed: window_start.elapsed(),
                    });
                    (index, window_start, tokens) = (index + 1, Instant::now(), 0);
                    if start.elapsed() >= total {
                        break 'outer;
                    }
                }
                batch.clear();
                batch.add(token, pos as i32, &[0], true)?;
                ctx.decode(&mut batch)
                    .map_err(|e| anyhow!("decode failed after {:?}: {e}", start.elapsed()))?;
                logits_index = 0;
            }
        }
        Ok(())
    }

    /// One rung of the context ladder: a context of `n_ctx` (its KV cache is
    /// allocated in full), a prompt (filling the context when `fill`), 16 tokens.
    pub fn try_context(&self, n_ctx: u32, fill: bool) -> Result<(u32, Duration)> {
        let mut ctx = new_context(&self.backend, &self.model, &self.settings, n_ctx)?;
        let vocab = self.model.vocab();
        let mut tokens =
            vocab.tokenize(b"The quick brown fox jumps over the lazy dog.", true, false);
        let n_prompt = if fill {
            n_ctx.saturating_sub(17).max(tokens.len() as u32)
        } else {
            tokens.len() as u32
        };
        let cycle: Vec<LlamaToken> = tokens[1..].to_vec();
        while (tokens.len() as u32) < n_prompt {
            tokens.extend(cycle.iter().copied());
        }
        tokens.truncate(n_prompt as usize);
        if n_prompt + 16 > n_ctx {
            bail!("a context of {n_ctx} tokens is too small to test");
        }
        let mut batch = LlamaBatch::new(self.settings.n_batch as usize, 1);
        decode_prompt(&mut ctx, &mut batch, &tokens, self.settings.n_batch)?;
        let mut sampler = LlamaSampler::greedy();
        let start = Instant::now();
        let mut logits_index = batch.n_tokens() - 1;
        for i in 0..16u32 {
            let token = sampler.sample(&ctx, logits_index);
            batch.clear();
            batch.add(token, (n_prompt + i) as i32, &[0], true)?;
            ctx.decode(&mut batch)
                .map_err(|e| anyhow!("decode failed at generated token {i}: {e}"))?;
            logits_index = 0;
        }
        Ok((16, start.elapsed()))
    }

    /// Loads a reference model beside this one (same backend, same offload).
    pub fn load_reference(&self, path: &Path) -> Result<LlamaModel> {
        let params = LlamaModelParams::default().with_n_gpu_layers(self.settings.n_gpu_layers);
        LlamaModel::load_from_file(&self.backend, path, &params)
            .map_err(|_| anyhow!("llama.cpp could not load the reference {}", path.display()))
    }

    /// Perplexity of `text` in chunks of `chunk` tokens, each starting with BOS and
    /// scored on its second half only (llama-perplexity's method); with a reference,
    /// also KL(reference || this) and top-1 agreement at every scored position.
    pub fn fidelity(
        &self,
        text: &str,
        chunk: u32,
        max_chunks: u32,
        reference: Option<&LlamaModel>,
        mut on_chunk: impl FnMut(FidelityChunk),
    ) -> Result<()> {
        let vocab = self.model.vocab();
        let tokens = vocab.tokenize(text.as_bytes(), false, false);
        if let Some(r) = reference {
            if r.n_vocab() != self.model.n_vocab()
                || r.vocab().tokenize(text.as_bytes(), false, false) != tokens
            {
                bail!("the reference has another vocabulary: it must be the same model in another quantisation");
            }
        }
        let n_chunks = (tokens.len() as u32 / chunk).min(max_chunks);
        if n_chunks == 0 {
            bail!(
                "the fidelity text has {} tokens, fewer than one chunk of {chunk}",
                tokens.len()
            );
        }
        let mut ctx = new_context(&self.backend, &self.model, &self.settings, chunk)?;
        let mut ref_ctx = match reference {
            Some(r) => Some(new_context(&self.backend, r, &self.settings, chunk)?),
            None => None,
        };
        let first_scored = (chunk / 2) as usize;
        for index in 0..n_chunks {
            let start = (index * chunk) as usize;
            let mut piece: Vec<LlamaToken> = tokens[start..start + chunk as usize].to_vec();
            if vocab.should_add_bos() {
                piece[0] = vocab.bos();
            }
            let logits = all_logits(&mut ctx, &piece, self.settings.n_batch, first_scored)?;
            let ref_logits = match &mut ref_ctx {
                Some(rc) => Some(all_logits(rc, &piece, self.settings.n_batch, first_scored)?),
                None => None,
            };
            let mut out = FidelityChunk {
                index,
                ..Default::default()
            };
            for (k, row) in logits.iter().enumerate() {
                let next = piece[first_scored + k + 1].0 as usize;
                let lp = log_softmax(row);
                out.nll_sum -= lp[next];
                out.n_scored += 1;
                if let Some(ref_rows) = &ref_logits {
                    let rp = log_softmax(&ref_rows[k]);
                    let kld: f64 = rp
                        .iter()
                        .zip(&lp)
                        .map(|(&r, &c)| if r > -40.0 { r.exp() * (r - c) } else { 0.0 })
                        .sum();
                    out.kld.push(kld.max(0.0) as f32);
                    out.top1_same += u32::from(argmax(&rp) == argmax(&lp));
                }
            }
            on_chunk(out);
        }
        Ok(())
    }
}

/// Decodes `tokens` and returns the logits at positions first..len-1 (each predicts the next token).
fn all_logits(
    ctx: &mut llama_cpp_2::context::LlamaContext<'_>,
    tokens: &[LlamaToken],
    n_batch: u32,
    first: usize,
) -> Result<Vec<Vec<f32>>> {
    ctx.clear_kv_cache();
    let n_batch = n_batch.max(1) as usize;
    let mut batch = LlamaBatch::new(n_batch, 1);
    let mut rows = Vec::new();
    for (chunk_index, part) in tokens.chunks(n_batch).enumerate() {
        batch.clear();
        let offset = chunk_index * n_batch;
        for (j, &t) in part.iter().enumerate() {
            let pos = offset + j;
            batch.add(t, pos as i32, &[0], pos >= first && pos + 1 < tokens.len())?;
        }
        ctx.decode(&mut batch)
            .map_err(|e| anyhow!("decode failed at token {offset}: {e}"))?;
        for j in 0..part.len() {
            let pos = offset + j;
            if pos >= first && pos + 1 < tokens.len() {
                rows.push(ctx.get_logits_ith(j as i32).to_vec());
            }
        }
    }
    Ok(rows)
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
