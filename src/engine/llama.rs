//! The llama.cpp engine. Engine-only tests follow llama-bench's definitions
//! (tools/llama-bench/llama-bench.cpp: test_prompt, test_gen) so the numbers
//! compare with it; the user path runs the real template, tokenizer and sampler.
use std::num::NonZeroU32;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{DeviceInfo, EngineProbe, EngineSettings, EngineTiming, UserPathTiming};
use crate::config::FlashAttn;

pub struct LlamaEngine {
    pub(super) backend: LlamaBackend,
    pub(super) model: LlamaModel,
    pub(super) settings: EngineSettings,
    /// Random token ids, like llama-bench's std::rand(); seeded so runs are repeatable.
    rng: SmallRng,
}

impl LlamaEngine {
    /// Loads the model; returns the engine and the load time.
    /// The caller has already checked the file (a missing path panics in llama-cpp-2 debug builds).
    pub fn load(path: &Path, settings: EngineSettings) -> Result<(Self, Duration)> {
        let backend = LlamaBackend::init().context("llama.cpp backend failed to initialise")?;
        let params = LlamaModelParams::default().with_n_gpu_layers(settings.n_gpu_layers);
        let start = Instant::now();
        let model = LlamaModel::load_from_file(&backend, path, &params)
            .map_err(|_| anyhow!("llama.cpp could not load {}", path.display()))?;
        let load_time = start.elapsed();
        let engine = LlamaEngine {
            backend,
            model,
            settings,
            rng: SmallRng::seed_from_u64(0x5eed),
        };
        Ok((engine, load_time))
    }

    fn new_context(&self, n_ctx: u32) -> Result<LlamaContext<'_>> {
        new_context(&self.backend, &self.model, &self.settings, n_ctx)
    }

    /// ppN: `warmup` unmeasured runs, then `reps` timed runs of N random tokens
    /// decoded in n_batch chunks with one synchronize at the end; KV cleared before each.
    pub fn prompt_processing(
        &mut self,
        n_prompt: u32,
        warmup: u32,
        reps: u32,
        mut on_rep: impl FnMut(u32, Result<EngineTiming>),
    ) -> Result<()> {
        let Self {
            backend,
            model,
            settings,
            rng,
        } = self;
        let mut ctx = new_context(backend, model, settings, n_prompt)?;
        let mut batch = LlamaBatch::new(settings.n_batch as usize, 1);
        for i in 0..warmup + reps {
            ctx.clear_kv_cache();
            let tokens = random_prompt(model, rng, n_prompt);
            let start = Instant::now();
            let result = decode_prompt(&mut ctx, &mut batch, &tokens, settings.n_batch);
            let timing = result.map(|_| EngineTiming {
                n_tokens: n_prompt,
                elapsed: start.elapsed(),
            });
            if i >= warmup {
                on_rep(i - warmup, timing);
            } else {
                timing?;
            }
        }
        Ok(())
    }

    /// tgN: `warmup` unmeasured one-token runs (as llama-bench), then `reps` timed runs of
    /// N single-token decodes, synchronizing after each; the next token is random, so
    /// neither sampling nor EOS plays a part.
    pub fn text_generation(
        &mut self,
        n_gen: u32,
        warmup: u32,
        reps: u32,
        mut on_rep: impl FnMut(u32, Result<EngineTiming>),
    ) -> Result<()> {
        let Self {
            backend,
            model,
            settings,
            rng,
        } = self;
        let mut ctx = new_context(backend, model, settings, n_gen)?;
        let mut batch = LlamaBatch::new(1, 1);
        for i in 0..warmup + reps {
            ctx.clear_kv_cache();
            let n = if i < warmup { 1 } else { n_gen };
            let mut token = first_token(model, rng);
            let start = Instant::now();
            let mut result = Ok(());
            for pos in 0..n {
                batch.clear();
                batch.add(token, pos as i32, &[0], true)?;
                if let Err(e) = ctx.decode(&mut batch) {
                    result = Err(anyhow!("decode failed at generated token {pos}: {e}"));
                    break;
                }
                ctx.synchronize();
                token = random_token(model, rng);
            }
            let timing = result.map(|_| EngineTiming {
                n_tokens: n,
                elapsed: start.elapsed(),
            });
            if i >= warmup {
                on_rep(i - warmup, timing);
            } else {
                timing?;
            }
        }
        Ok(())
    }

    /// Which template this candidate gets: an explicit override, else the model's own,
    /// else the sweep's fallback, else the raw prompt.
    pub(super) fn resolve_template(
        &self,
        override_template: Option<&str>,
        fallback: Option<&str>,
    ) -> (String, Option<LlamaChatTemplate>) {
        let named = |name: &str| {
            if name == "raw" {
                ("raw".to_string(), None)
            } else {
                (name.to_string(), LlamaChatTemplate::new(name).ok())
            }
        };
        if let Some(name) = override_template {
            return named(name);
        }
        if let Ok(t) = self.model.chat_template(None) {
            return ("model".to_string(), Some(t));
        }
        named(fallback.unwrap_or("raw"))
    }

    /// One user-path request: template, tokenize, decode the prompt, then sample
    /// `n_gen` tokens greedily, timestamping each. EOS does not stop it (see UserPathTiming).
    pub fn user_path(
        &self,
        prompt: &str,
        n_gen: u32,
        n_ctx: u32,
        template_override: Option<&str>,
        fallback_template: Option<&str>,
    ) -> Result<UserPathTiming> {
        let mut ctx = self.new_context(n_ctx)?;
        let vocab = self.model.vocab();
        let start = Instant::now();
        let (template_name, template) = self.resolve_template(template_override, fallback_template);
        let text = match &template {
            Some(t) => {
                let message = LlamaChatMessage::new("user".into(), prompt.into())?;
                self.model
                    .apply_chat_template(t, &[message], true)
                    .map_err(|e| {
                        anyhow!("chat template `{template_name}` could not be applied: {e}")
                    })?
            }
            None => prompt.to_string(),
        };
        let tokens = vocab.tokenize(text.as_bytes(), true, true);
        let prepare = start.elapsed();
        let n_prompt = tokens.len() as u32;
        if n_prompt + n_gen > n_ctx {
            bail!("the prompt has {n_prompt} tokens; with {n_gen} to generate it needs a context over {n_ctx} (use --ctx)");
        }
        let mut batch = LlamaBatch::new(self.settings.n_batch as usize, 1);
        decode_prompt(&mut ctx, &mut batch, &tokens, self.settings.n_batch)?;
        let prompt_done = start.elapsed();

        let mut sampler = LlamaSampler::greedy();
        let mut token_times = Vec::with_capacity(n_gen as usize);
        let mut eos_at = None;
        let mut reply = Vec::new();
        let mut logits_index = batch.n_tokens() - 1;
        for i in 0..n_gen {
            let token = sampler.sample(&ctx, logits_index);
            token_times.push(start.elapsed());
            if eos_at.is_none() {
                if vocab.is_eog(token) {
                    eos_at = Some(i);
                } else {
                    reply.extend(vocab.token_to_piece(token, false, None));
                }
            }
            if i + 1 == n_gen {
                break;
            }
            batch.clear();
            batch.add(token, (n_prompt + i) as i32, &[0], true)?;
            ctx.decode(&mut batch)
                .map_err(|e| anyhow!("decode failed at generated token {i}: {e}"))?;
            logits_index = 0;
        }
        Ok(UserPathTiming {
            n_prompt,
            prepare,
            prompt_done,
            token_times,
            eos_at,
            text: String::from_utf8_lossy(&reply).into_owned(),
            chat_template: template_name,
        })
    }
}

/// A context of exactly `n_ctx` tokens with the configuration's threads and batches.
pub(super) fn new_context<'m>(
    backend: &LlamaBackend,
    model: &'m LlamaModel,
    settings: &EngineSettings,
    n_ctx: u32,
) -> Result<LlamaContext<'m>> {
    let flash = match settings.flash_attn {
        FlashAttn::Auto => llama_cpp_sys_2::LLAMA_FLASH_ATTN_TYPE_AUTO,
        FlashAttn::On => llama_cpp_sys_2::LLAMA_FLASH_ATTN_TYPE_ENABLED,
        FlashAttn::Off => llama_cpp_sys_2::LLAMA_FLASH_ATTN_TYPE_DISABLED,
    };
    let threads = settings.n_threads as i32;
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(n_ctx.max(1)))
        .with_n_batch(settings.n_batch)
        .with_n_ubatch(settings.n_ubatch)
        .with_n_threads(threads)
        .with_n_threads_batch(threads)
        .with_flash_attention_policy(flash)
        // llama.cpp's default keeps a full-size cache for sliding-window layers;
        // llama-bench and llama-server use the small one (Gemma 3 is SWA).
        .with_swa_full(false)
        // llama-cpp-2 turns llama.cpp's perf counters off by default.
        .with_no_perf(false);
    model.new_context(backend, params).map_err(|e| {
        anyhow!("could not create a context of {n_ctx} tokens (not enough memory?): {e}")
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

/// Decodes `tokens` in chunks of `n_batch`, asking for logits of the last token only
/// (llama_batch_get_one's behaviour in llama-bench), then waits for the device.
pub(super) fn decode_prompt(
    ctx: &mut LlamaContext<'_>,
    batch: &mut LlamaBatch,
    tokens: &[LlamaToken],
    n_batch: u32,
) -> Result<()> {
    let last = tokens.len().saturating_sub(1);
    for (chunk_index, chunk) in tokens.chunks(n_batch.max(1) as usize).enumerate() {
        batch.clear();
        let offset = chunk_index * n_batch as usize;
        for (j, &token) in chunk.iter().enumerate() {
            let pos = offset + j;
            batch.add(token, pos as i32, &[0], pos == last)?;
        }
        ctx.decode(batch)
            .map_err(|e| anyhow!("prompt decode failed at token {offset}: {e}"))?;
    }
    ctx.synchronize();
    Ok(())
}

/// llama.cpp's build and devices, for the manifest. Runs in its own process
/// (`edgebench __probe`) so a GPU context never lives in the sweep's parent.
pub fn probe() -> Result<EngineProbe> {
    let backend = LlamaBackend::init()?;
    let system_info = unsafe {
        let ptr = llama_cpp_sys_2::llama_print_system_info();
        if ptr.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(ptr)
                .to_string_lossy()
                .trim()
                .to_string()
        }
    };
    let devices = llama_cpp_2::list_llama_ggml_backend_devices()
        .into_iter()
        .map(|d| DeviceInfo {
            name: d.name,
            description: d.description,
            backend: d.backend,
            kind: format!("{:?}", d.device_type),
            memory_total_bytes: d.memory_total as u64,
        })
        .collect();
    Ok(EngineProbe {
        llama_cpp_sys_version: LLAMA_CPP_SYS_VERSION.to_string(),
        system_info,
        supports_gpu_offload: backend.supports_gpu_offload(),
        devices,
    })
}

/// The pinned binding crate that carries llama.cpp's sources (see Cargo.lock).
pub const LLAMA_CPP_SYS_VERSION: &str = "llama-cpp-sys-2 0.1.161";
