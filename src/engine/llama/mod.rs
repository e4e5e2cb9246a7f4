//! The llama.cpp engine (in-process, through llama-cpp-2). Engine-only tests
//! follow llama-bench's definitions (tools/llama-bench/llama-bench.cpp:
//! test_prompt, test_gen) so the numbers compare with it; the user path runs
//! the real template, tokenizer and sampler.
mod answer;
mod backends;
mod bench;
mod decode;
mod depth;
mod fault;
mod hermes;
mod jinja;
mod probe;
mod quantize;
mod spec_replay;
mod speculative;
mod stability;
mod template;

pub use answer::schema_grammar;
pub use fault::native_fault;
pub use probe::{probe, LLAMA_CPP_SYS_VERSION};
pub use quantize::quantize_rows;

use std::cell::RefCell;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _, Result};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use rand::rngs::SmallRng;
use rand::SeedableRng;

use super::{
    AnswerRequest, BenchKind, BenchTest, Capability, ContextTrial, Conversation, Engine,
    EngineSettings, EngineTiming, FidelityChunk, FidelityRequest, RepControl, SoakSpan, SoakWindow,
    UserPathRequest, UserPathTiming,
};
use crate::config::{FlashAttn, KvCacheType};
use crate::suite::Message;

pub struct LlamaEngine {
    backend: LlamaBackend,
    model: LlamaModel,
    settings: EngineSettings,
    /// Random token ids, like llama-bench's std::rand(); seeded so runs are repeatable.
    rng: SmallRng,
    /// A speculative configuration's draft model.
    draft: Option<LlamaModel>,
    /// The target's own greedy tokens per prompt and length: the speculative
    /// runs' identity check (computed once, untimed).
    references: RefCell<HashMap<Vec<i32>, Vec<i32>>>,
}

impl LlamaEngine {
    /// Loads the model; returns the engine and the load time.
    /// The caller has already checked the file (a missing path panics in llama-cpp-2 debug builds).
    pub fn load(path: &Path, settings: EngineSettings) -> Result<(Self, Duration)> {
        backends::load_runtime_backends()?;
        let backend = LlamaBackend::init().context("llama.cpp backend failed to initialise")?;
        let start = Instant::now();
        let model = load_model(&backend, path, &settings)
            .map_err(|_| anyhow!("llama.cpp could not load {}", path.display()))?;
        // The draft loads with the target's settings; its time is in load_ms.
        let draft_path = settings.speculative.as_ref().and_then(|s| s.draft_model());
        let draft = match draft_path {
            Some(draft) => Some(load_model(&backend, draft, &settings).map_err(|_| {
                anyhow!(
                    "llama.cpp could not load the draft model {}",
                    draft.display()
                )
            })?),
            None => None,
        };
        let load_time = start.elapsed();
        let engine = LlamaEngine {
            backend,
            model,
            settings,
            rng: SmallRng::seed_from_u64(0x5eed),
            draft,
            references: RefCell::default(),
        };
        Ok((engine, load_time))
    }

    fn new_context(&self, n_ctx: u32) -> Result<LlamaContext<'_>> {
        new_context(&self.backend, &self.model, &self.settings, n_ctx)
    }
}

impl Engine for LlamaEngine {
    fn name(&self) -> &'static str {
        "llama.cpp"
    }

    fn random_token_bench(
        &mut self,
        test: BenchTest,
        warmup: u32,
        max_reps: u32,
        on_rep: &mut dyn FnMut(u32, Result<EngineTiming>) -> RepControl,
    ) -> Result<()> {
        // ppN decodes no generated token: the same with or without a draft.
        let drafting = self.settings.speculative.is_some();
        match (drafting, test.kind) {
            (false, _) | (true, BenchKind::Prompt(_)) => {
                bench::random_token_bench(self, test, warmup, max_reps, on_rep)
            }
            (true, BenchKind::Generation(_)) => {
                speculative::generation_bench(self, test, warmup, max_reps, on_rep)
            }
            (true, BenchKind::PromptThenGeneration(..)) => {
                Err(self.unsupported(Capability::SpeculativeTest))
            }
        }
    }

    fn user_path(&mut self, request: &UserPathRequest) -> Result<UserPathTiming> {
        match self.settings.speculative {
            Some(_) => speculative::user_path(self, request),
            None => answer::user_path(self, request),
        }
    }

    fn user_path_after(
        &mut self,
        request: &UserPathRequest,
        history: &[Message],
        reuse: bool,
    ) -> Result<UserPathTiming> {
        if self.settings.speculative.is_some() {
            return Err(self.unsupported(Capability::SpeculativeTest));
        }
        depth::user_path_after(self, request, history, reuse)
    }

    fn conversation(&mut self, n_ctx: u32) -> Result<Box<dyn Conversation + '_>> {
        Ok(Box::new(answer::LlamaConversation::new(self, n_ctx)?))
    }

    fn soak(
        &mut self,
        prompt: &AnswerRequest,
        span: SoakSpan,
        on_window: &mut dyn FnMut(SoakWindow),
    ) -> Result<()> {
        stability::soak(self, prompt, span, on_window)
    }

    fn try_context(&mut self, n_ctx: u32, fill: bool) -> Result<ContextTrial> {
        stability::try_context(self, n_ctx, fill)
    }

    fn fidelity(
        &mut self,
        request: &FidelityRequest,
        on_chunk: &mut dyn FnMut(FidelityChunk),
    ) -> Result<()> {
        stability::fidelity(self, request, on_chunk)
    }
}

fn load_model(
    backend: &LlamaBackend,
    path: &Path,
    settings: &EngineSettings,
) -> Result<LlamaModel> {
    let params = LlamaModelParams::default()
        .with_n_gpu_layers(settings.n_gpu_layers)
        .with_use_mmap(settings.use_mmap);
    Ok(LlamaModel::load_from_file(backend, path, &params)?)
}

/// A context of exactly `n_ctx` tokens with the configuration's threads and batches.
fn new_context<'m>(
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
    // A thread count past i32 would reach llama.cpp as a negative number.
    let threads = i32::try_from(settings.n_threads)
        .map_err(|_| anyhow!("{} threads: more than llama.cpp takes", settings.n_threads))?;
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(n_ctx.max(1)))
        .with_n_batch(settings.n_batch)
        .with_n_ubatch(settings.n_ubatch)
        .with_n_threads(threads)
        .with_n_threads_batch(threads)
        .with_flash_attention_policy(flash)
        .with_type_k(cache_type(settings.cache_type_k))
        .with_type_v(cache_type(settings.cache_type_v))
        // llama.cpp's default keeps a full-size cache for sliding-window layers;
        // llama-bench and llama-server use the small one (Gemma 3 is SWA).
        .with_swa_full(false)
        // llama-cpp-2 turns llama.cpp's perf counters off by default.
        .with_no_perf(false);
    model.new_context(backend, params).map_err(|e| {
        anyhow!("could not create a context of {n_ctx} tokens (not enough memory?): {e}")
    })
}

/// llama-cpp-2's name for a cache type.
fn cache_type(t: KvCacheType) -> llama_cpp_2::context::params::KvCacheType {
    use llama_cpp_2::context::params::KvCacheType as Llama;
    match t {
        KvCacheType::F32 => Llama::F32,
        KvCacheType::F16 => Llama::F16,
        KvCacheType::Bf16 => Llama::BF16,
        KvCacheType::Q8_0 => Llama::Q8_0,
        KvCacheType::Q4_0 => Llama::Q4_0,
        KvCacheType::Q4_1 => Llama::Q4_1,
        KvCacheType::Iq4Nl => Llama::IQ4_NL,
        KvCacheType::Q5_0 => Llama::Q5_0,
        KvCacheType::Q5_1 => Llama::Q5_1,
    }
}
