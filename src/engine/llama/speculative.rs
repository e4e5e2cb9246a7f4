//! Speculative decoding in-process: the target and a draft model, each in
//! its own context, driven by `engine::speculative::generate` (draft,
//! batched verification, acceptance, KV rollback). The user path and tgN use
//! it; every run is checked against the target's own greedy tokens.
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

use super::answer::check_fits;
use super::decode::{Chunks, Sequence};
use super::template::{render, tokenize};
use super::{new_context, LlamaEngine};
use crate::engine::speculative::{generate, DraftLimits, DraftVerify};
use crate::engine::{
    BenchKind, BenchTest, Capability, EngineTiming, RepControl, Unsupported, UserPathRequest,
    UserPathTiming,
};
use crate::results::plan::{SpecMethod, Speculation};
use crate::results::speculation::{first_mismatch, SpecCounts, SpecFigures};

/// The prompt a speculative tgN generates after (decoded untimed): random
/// tokens, as the plain tgN feeds, would make every draft wrong.
pub const TG_PROMPT: &str =
    "Write a short story about a lighthouse keeper who finds a message in a bottle.";

/// Set (to anything) to verify drafted tokens one decode each: a diagnosis of
/// the identity check, not a way to measure (docs/speculative.md).
pub const VERIFY_ONE_BY_ONE: &str = "EDGEBENCH_SPEC_VERIFY_ONE_BY_ONE";

/// The target's greedy token: the first of the highest logits, as
/// llama.cpp's greedy sampler picks it.
pub(super) fn argmax(logits: &[f32]) -> LlamaToken {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    LlamaToken(best as i32)
}

/// The draft model's side of a speculative run: its context caching a
/// prefix of the sequence.
pub(super) struct Drafter<'t, 'd> {
    ctx: &'t mut LlamaContext<'d>,
    cached: usize,
    chunks: Chunks,
    one: LlamaBatch<'static>,
}

impl<'t, 'd> Drafter<'t, 'd> {
    /// The cache emptied.
    pub(super) fn new(ctx: &'t mut LlamaContext<'d>, n_batch: u32) -> Self {
        ctx.clear_kv_cache();
        Drafter {
            ctx,
            cached: 0,
            chunks: Chunks::new(n_batch),
            one: LlamaBatch::new(1, 1),
        }
    }

    /// Decodes what the draft has not cached of `sequence`; its greedy next token.
    pub(super) fn catch_up(&mut self, sequence: &[LlamaToken]) -> Result<LlamaToken> {
        let pending = &sequence[self.cached..];
        if pending.is_empty() {
            bail!("the draft has the whole sequence cached: nothing to predict from");
        }
        let last = pending.len() - 1;
        let mut next = LlamaToken(0);
        let from = self.cached;
        self.chunks.decode_from(
            self.ctx,
            from,
            pending,
            |i| i == last,
            |_, logits| next = argmax(logits),
        )?;
        self.cached = sequence.len();
        Ok(next)
    }

    /// Up to `n` greedy tokens after `sequence`, the last not decoded.
    pub(super) fn draft(&mut self, sequence: &[LlamaToken], n: usize) -> Result<Vec<LlamaToken>> {
        let mut token = self.catch_up(sequence)?;
        let mut out = vec![token];
        while out.len() < n {
            self.one.clear();
            self.one.add(token, self.cached as i32, &[0], true)?;
            self.ctx
                .decode(&mut self.one)
                .map_err(|e| anyhow!("draft decode failed at position {}: {e}", self.cached))?;
            self.cached += 1;
            token = argmax(self.ctx.get_logits_ith(0));
            out.push(token);
        }
        Ok(out)
    }

    /// Decodes `tokens` at positions `from..` in one batch, in place of
    /// whatever the draft cached from `from` on (llama-server feeds its draft
    /// each verification batch this way).
    pub(super) fn decode_batch(&mut self, from: usize, tokens: &[LlamaToken]) -> Result<()> {
        self.rollback(from as u32)?;
        let last = tokens.len().saturating_sub(1);
        (self.chunks).decode_from(self.ctx, from, tokens, |i| i == last, |_, _| {})?;
        self.cached = from + tokens.len();
        Ok(())
    }

    /// Removes the drafted positions from `keep` on.
    pub(super) fn rollback(&mut self, keep: u32) -> Result<()> {
        if self.cached > keep as usize {
            self.ctx.clear_kv_cache_seq(Some(0), Some(keep), None)?;
            self.cached = keep as usize;
        }
        Ok(())
    }
}

/// The target and the draft, each in its own context.
struct Pair<'t, 'm, 'd> {
    target: &'t mut LlamaContext<'m>,
    drafter: Drafter<'t, 'd>,
    verify_batch: LlamaBatch<'static>,
    one: LlamaBatch<'static>,
    verify_one_by_one: bool,
}

impl<'t, 'm, 'd> Pair<'t, 'm, 'd> {
    /// Both caches emptied.
    fn new(contexts: Contexts<'t, 'm, 'd>, n_batch: u32, draft_max: u32) -> Self {
        contexts.target.clear_kv_cache();
        Pair {
            target: contexts.target,
            drafter: Drafter::new(contexts.draft, n_batch),
            verify_batch: LlamaBatch::new(draft_max as usize + 1, 1),
            one: LlamaBatch::new(1, 1),
            verify_one_by_one: std::env::var_os(VERIFY_ONE_BY_ONE).is_some(),
        }
    }

    /// The identity check's diagnosis (docs/speculative.md): each drafted
    /// token verified by its own decode, as plain generation does, so a
    /// mismatch left is not the batched kernels' rounding. Slower: not a
    /// speed figure.
    fn verify_one_by_one(&mut self, from: u32, tokens: &[LlamaToken]) -> Result<Vec<LlamaToken>> {
        let mut out = Vec::with_capacity(tokens.len());
        for (i, &token) in tokens.iter().enumerate() {
            let pos = from as usize + i;
            self.one.clear();
            self.one.add(token, pos as i32, &[0], true)?;
            self.target
                .decode(&mut self.one)
                .map_err(|e| anyhow!("verification decode failed at position {pos}: {e}"))?;
            out.push(argmax(self.target.get_logits_ith(0)));
        }
        Ok(out)
    }
}

/// The two contexts of a speculative run, made before its timed part.
struct Contexts<'t, 'm, 'd> {
    target: &'t mut LlamaContext<'m>,
    draft: &'t mut LlamaContext<'d>,
}

impl DraftVerify for Pair<'_, '_, '_> {
    type Token = LlamaToken;

    fn draft(&mut self, sequence: &[LlamaToken], n: usize) -> Result<Vec<LlamaToken>> {
        self.drafter.draft(sequence, n)
    }

    fn verify(&mut self, from: u32, tokens: &[LlamaToken]) -> Result<Vec<LlamaToken>> {
        if self.verify_one_by_one {
            return self.verify_one_by_one(from, tokens);
        }
        self.verify_batch.clear();
        for (i, &token) in tokens.iter().enumerate() {
            self.verify_batch
                .add(token, (from as usize + i) as i32, &[0], true)?;
        }
        self.target
            .decode(&mut self.verify_batch)
            .map_err(|e| anyhow!("verification decode failed at position {from}: {e}"))?;
        Ok((0..tokens.len())
            .map(|i| argmax(self.target.get_logits_ith(i as i32)))
            .collect())
    }

    fn rollback(&mut self, keep: u32) -> Result<()> {
        let dropped = self.target.clear_kv_cache_seq(Some(0), Some(keep), None)?;
        if !dropped {
            bail!("llama.cpp cannot remove rejected positions from this model's cache (a recurrent model?)");
        }
        self.drafter.rollback(keep)
    }
}

/// Why this configuration's speculation cannot run (an error), if it cannot.
pub(super) fn check_method(engine: &LlamaEngine, spec: &Speculation) -> Result<()> {
    match spec.method {
        SpecMethod::Draft { .. } if engine.draft.is_some() => Ok(()),
        SpecMethod::Draft { .. } => bail!("the draft model is not loaded"),
        SpecMethod::Mtp => match mtp_layers(&engine.model) {
            None => Err(Unsupported {
                engine: "llama.cpp",
                capability: Capability::MtpHeads,
            }
            .into()),
            Some(n) => bail!(
                "the model has {n} MTP layers, but edgebench does not drive llama.cpp's MtpSpeculative yet"
            ),
        },
    }
}

/// `<arch>.nextn_predict_layers`: the model's multi-token-prediction layers.
fn mtp_layers(model: &LlamaModel) -> Option<u32> {
    let arch = model.meta_val_str("general.architecture").ok()?;
    let layers = model
        .meta_val_str(&format!("{arch}.nextn_predict_layers"))
        .ok()?;
    layers.trim().parse().ok().filter(|&n| n > 0)
}

/// The target's own greedy tokens after `prompt`: what the speculative run
/// must reproduce. Decoded one token at a time, as plain generation does.
fn target_greedy(
    ctx: &mut LlamaContext<'_>,
    prompt: &[LlamaToken],
    n: u32,
    n_batch: u32,
) -> Result<Vec<LlamaToken>> {
    let mut sequence = Sequence::start(ctx, prompt, n_batch)?;
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let token = argmax(ctx.get_logits_ith(sequence.logits_index()));
        out.push(token);
        if i + 1 < n {
            sequence.push(ctx, token)?;
        }
    }
    Ok(out)
}

/// One speculative generation of `n_gen` tokens after `prompt`.
struct Run<'a> {
    prompt: &'a [LlamaToken],
    n_gen: u32,
    /// tgN: the draft decodes the prompt before the first token, untimed
    /// (the user path: in its first step, as a server does).
    draft_prompt_first: bool,
}

/// Speculation's timestamps: the prompt decoded, then each step's tokens.
trait Clock {
    fn prompt_done(&mut self);
    fn tokens(&mut self, n: usize);
}

/// The tokens generated (n_gen) and the counts, timed by `clock`.
fn speculate(
    engine: &LlamaEngine,
    contexts: Contexts<'_, '_, '_>,
    run: Run<'_>,
    clock: &mut dyn Clock,
) -> Result<(Vec<LlamaToken>, SpecCounts)> {
    let spec = engine
        .settings
        .speculative
        .as_ref()
        .ok_or_else(|| anyhow!("not a speculative configuration"))?;
    let n_batch = engine.settings.n_batch;
    let mut pair = Pair::new(contexts, n_batch, spec.draft_max);
    let sequence = Sequence::resume(pair.target, 0, run.prompt, n_batch)?;
    clock.prompt_done();
    let first = argmax(pair.target.get_logits_ith(sequence.logits_index()));
    if run.draft_prompt_first {
        pair.drafter.catch_up(run.prompt)?;
    }
    clock.tokens(1);
    let mut tokens = run.prompt.to_vec();
    tokens.push(first);
    let limits = DraftLimits {
        max: spec.draft_max,
        min: spec.draft_min,
    };
    let n_more = run.n_gen.saturating_sub(1);
    let counts = generate(&mut pair, &mut tokens, n_more, limits, &mut |step| {
        clock.tokens(step.len())
    })?;
    Ok((tokens.split_off(run.prompt.len()), counts))
}

/// The identity check's reference for `prompt`: the target's own greedy
/// tokens, computed once per prompt and length with the target alone
/// (untimed, after the timed run).
fn reference(engine: &LlamaEngine, prompt: &[LlamaToken], n: u32, n_ctx: u32) -> Result<Vec<i32>> {
    let key: Vec<i32> = prompt.iter().map(|t| t.0).chain([n as i32]).collect();
    if let Some(found) = engine.references.borrow().get(&key) {
        return Ok(found.clone());
    }
    let mut ctx = engine.new_context(n_ctx)?;
    let tokens = target_greedy(&mut ctx, prompt, n, engine.settings.n_batch)?;
    let ids: Vec<i32> = tokens.iter().map(|t| t.0).collect();
    engine.references.borrow_mut().insert(key, ids.clone());
    Ok(ids)
}

fn figures(counts: &SpecCounts, generated: &[LlamaToken], reference: &[i32]) -> SpecFigures {
    let ids: Vec<i32> = generated.iter().map(|t| t.0).collect();
    counts.figures(first_mismatch(&ids, reference))
}

/// The user path's timestamps, from the request's start.
struct UserClock {
    start: Instant,
    prompt_done: Duration,
    token_times: Vec<Duration>,
}

impl Clock for UserClock {
    fn prompt_done(&mut self) {
        self.prompt_done = self.start.elapsed();
    }

    fn tokens(&mut self, n: usize) {
        let now = self.start.elapsed();
        self.token_times.extend(std::iter::repeat_n(now, n));
    }
}

/// The draft model's context for a run of `n_ctx` tokens.
pub(super) fn draft_context<'e>(engine: &'e LlamaEngine, n_ctx: u32) -> Result<LlamaContext<'e>> {
    let model = engine
        .draft
        .as_ref()
        .ok_or_else(|| anyhow!("the draft model is not loaded"))?;
    new_context(&engine.backend, model, &engine.settings, n_ctx)
}

/// The user path with speculation: as `answer::user_path` (contexts made
/// before the clock starts), every token timestamped when its verification
/// step ends.
pub(super) fn user_path(engine: &LlamaEngine, req: &UserPathRequest) -> Result<UserPathTiming> {
    let spec = engine
        .settings
        .speculative
        .clone()
        .ok_or_else(|| anyhow!("not a speculative configuration"))?;
    check_method(engine, &spec)?;
    let mut target = engine.new_context(req.n_ctx)?;
    let mut draft = draft_context(engine, req.n_ctx)?;
    let mut clock = UserClock {
        start: Instant::now(),
        prompt_done: Duration::ZERO,
        token_times: Vec::new(),
    };
    let user = [crate::suite::Message {
        role: "user".into(),
        content: req.prompt.into(),
    }];
    let (text, chat_template) = render(&engine.model, &user, Some(req.template))?;
    let prompt = tokenize(&engine.model, &text);
    let prepare = clock.start.elapsed();
    check_fits(prompt.len(), req)?;
    let contexts = Contexts {
        target: &mut target,
        draft: &mut draft,
    };
    let run = Run {
        prompt: &prompt,
        n_gen: req.n_gen,
        draft_prompt_first: false,
    };
    let (generated, counts) = speculate(engine, contexts, run, &mut clock)?;
    drop(target);
    let reference = reference(engine, &prompt, req.n_gen, req.n_ctx)?;
    let vocab = engine.model.vocab();
    let eos_at = generated.iter().position(|&t| vocab.is_eog(t));
    let reply: Vec<u8> = generated[..eos_at.unwrap_or(generated.len())]
        .iter()
        .flat_map(|&t| vocab.token_to_piece(t, false, None))
        .collect();
    Ok(UserPathTiming {
        n_prompt: prompt.len() as u32,
        prepare,
        prompt_done: clock.prompt_done,
        token_times: clock.token_times,
        eos_at: eos_at.map(|i| i as u32),
        text: String::from_utf8_lossy(&reply).into_owned(),
        chat_template,
        spec: Some(figures(&counts, &generated, &reference)),
        ..Default::default()
    })
}

/// tgN's clock: from the first token (the prompt's, untimed) to the last.
#[derive(Default)]
struct GenerationClock {
    started: Option<Instant>,
}

impl Clock for GenerationClock {
    fn prompt_done(&mut self) {}

    fn tokens(&mut self, _: usize) {
        self.started.get_or_insert_with(Instant::now);
    }
}

/// tgN with speculation: `warmup` untimed runs, then the repetitions, each
/// generating N tokens greedily after [`TG_PROMPT`] (the prompt and the
/// first token from its logits untimed, as tgN times N decodes only).
pub(super) fn generation_bench(
    engine: &LlamaEngine,
    test: BenchTest,
    warmup: u32,
    max_reps: u32,
    on_rep: &mut dyn FnMut(u32, Result<EngineTiming>) -> RepControl,
) -> Result<()> {
    let spec = engine
        .settings
        .speculative
        .clone()
        .ok_or_else(|| anyhow!("not a speculative configuration"))?;
    check_method(engine, &spec)?;
    let BenchKind::Generation(n) = test.kind else {
        bail!("speculation applies to tgN only");
    };
    if test.depth > 0 {
        return Err(Unsupported {
            engine: "llama.cpp",
            capability: Capability::SpeculativeTest,
        }
        .into());
    }
    let prompt = tokenize(&engine.model, TG_PROMPT);
    let n_ctx = (prompt.len() as u32).saturating_add(n).saturating_add(1);
    let mut target = engine.new_context(n_ctx)?;
    let mut draft = draft_context(engine, n_ctx)?;
    for rep in 0..warmup.saturating_add(max_reps) {
        let mut clock = GenerationClock::default();
        let contexts = Contexts {
            target: &mut target,
            draft: &mut draft,
        };
        let run = Run {
            prompt: &prompt,
            n_gen: n + 1,
            draft_prompt_first: true,
        };
        let outcome = speculate(engine, contexts, run, &mut clock);
        let elapsed = clock.started.map_or(Duration::ZERO, |s| s.elapsed());
        if rep < warmup {
            outcome?;
            continue;
        }
        let timing = outcome.and_then(|(generated, counts)| {
            // The first token comes from the prompt's logits; N more follow.
            let reference = reference(engine, &prompt, n + 1, n_ctx)?;
            Ok(EngineTiming {
                n_prompt: 0,
                prompt: Duration::ZERO,
                n_gen: n,
                generation: elapsed,
                spec: Some(figures(&counts, &generated, &reference)),
            })
        });
        if on_rep(rep - warmup, timing) == RepControl::Stop {
            break;
        }
    }
    Ok(())
}
