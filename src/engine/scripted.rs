//! A scripted engine for tests: fixed timings and answers, chosen capabilities
//! missing, chosen calls failing, and a hook before each call (where a test
//! makes the "process" crash or hang), all without a model.
use std::time::Duration;

use anyhow::{bail, Result};

use super::speculative::{generate, DraftLimits, DraftVerify};
use super::{
    Answer, AnswerRequest, BenchTest, Capability, ContextTrial, Conversation, Engine, EngineTiming,
    FidelityChunk, FidelityRequest, RepControl, SoakSpan, SoakWindow, Unsupported, UserPathRequest,
    UserPathTiming,
};
use crate::results::speculation::{first_mismatch, SpecFigures};
use crate::results::FinishReason;
use crate::suite::Message;

/// Runs first in every call, with the call's name ("pp64", "tg16", "user_path",
/// "answer", "score_choices", "soak", "try_context", "fidelity").
pub type Hook = Box<dyn FnMut(&str) + Send>;

pub struct ScriptedEngine {
    /// Capabilities it answers as unsupported.
    pub lacks: Vec<Capability>,
    /// Calls (by name) that fail with an error.
    pub failing: Vec<String>,
    /// The text of every generated answer.
    pub reply: String,
    /// Why every generated answer ends (`Length`: after `max_tokens` tokens).
    pub finish_reason: FinishReason,
    pub before: Option<Hook>,
    /// Every call, in order.
    pub calls: Vec<String>,
    /// Speculative decoding through `engine::speculative::generate`: tgN and
    /// the user path draft and verify (see `ScriptedSpec`).
    pub spec: Option<ScriptedSpec>,
}

/// A scripted draft/target pair: the target continues any sequence with a
/// fixed text, the draft guesses it except after every `wrong_every`-th
/// position. On its clock a verification step takes 10 ms (one plain token's
/// time) and each drafted token 1 ms.
#[derive(Debug, Clone, Copy)]
pub struct ScriptedSpec {
    pub draft_max: u32,
    pub wrong_every: u32,
    /// The draft is wrong where the target is right (the identity check fails):
    /// its tokens are taken without verification.
    pub unverified: bool,
}

struct ScriptedPair {
    spec: ScriptedSpec,
    /// The scripted clock, and its reading at the end of each verification.
    elapsed_ms: u64,
    step_ends: Vec<u64>,
}

impl ScriptedPair {
    /// The target's token at position `pos`.
    fn truth(pos: usize) -> u32 {
        (pos as u32 * 7) % 31
    }
}

impl DraftVerify for ScriptedPair {
    type Token = u32;

    fn draft(&mut self, sequence: &[u32], n: usize) -> Result<Vec<u32>> {
        self.elapsed_ms += n as u64;
        let from = sequence.len();
        let guess = |pos: usize| match (pos as u32 + 1) % self.spec.wrong_every.max(1) {
            0 => 99,
            _ => Self::truth(pos),
        };
        Ok((from..from + n).map(guess).collect())
    }

    fn verify(&mut self, from: u32, tokens: &[u32]) -> Result<Vec<u32>> {
        self.elapsed_ms += 10;
        self.step_ends.push(self.elapsed_ms);
        let at = |i: usize| match self.spec.unverified {
            true => tokens.get(i + 1).copied().unwrap_or(7),
            false => Self::truth(from as usize + i + 1),
        };
        Ok((0..tokens.len()).map(at).collect())
    }

    fn rollback(&mut self, _keep: u32) -> Result<()> {
        Ok(())
    }
}

/// The scripted prompt's length.
const SCRIPTED_PROMPT: usize = 10;

impl ScriptedEngine {
    /// `n_gen` tokens through the speculative loop after the prompt, decoded
    /// by `prompt_done_ms`: each token's time (ms on the scripted clock) and
    /// the figures; None without `spec`.
    fn speculate(
        &self,
        n_gen: u32,
        prompt_done_ms: u64,
    ) -> Result<Option<(Vec<u64>, SpecFigures)>> {
        let Some(spec) = self.spec else {
            return Ok(None);
        };
        // The first token comes from the prompt's logits, 10 ms after it.
        let first_ms = prompt_done_ms + 10;
        let mut pair = ScriptedPair {
            spec,
            elapsed_ms: first_ms,
            step_ends: Vec::new(),
        };
        let mut sequence: Vec<u32> = (0..=SCRIPTED_PROMPT).map(ScriptedPair::truth).collect();
        let limits = DraftLimits {
            max: spec.draft_max,
            min: 0,
        };
        let mut step_sizes = Vec::new();
        let more = n_gen.saturating_sub(1);
        let counts = generate(&mut pair, &mut sequence, more, limits, &mut |t| {
            step_sizes.push(t.len())
        })?;
        let mut times = vec![first_ms];
        for (&end, &n) in pair.step_ends.iter().zip(&step_sizes) {
            times.extend(std::iter::repeat_n(end, n));
        }
        let generated = &sequence[SCRIPTED_PROMPT..];
        let end = SCRIPTED_PROMPT + n_gen as usize;
        let truth: Vec<u32> = (SCRIPTED_PROMPT..end).map(ScriptedPair::truth).collect();
        Ok(Some((
            times,
            counts.figures(first_mismatch(generated, &truth)),
        )))
    }
}

impl Default for ScriptedEngine {
    fn default() -> Self {
        ScriptedEngine {
            lacks: Vec::new(),
            failing: Vec::new(),
            reply: "42".into(),
            finish_reason: FinishReason::Stop,
            before: None,
            calls: Vec::new(),
            spec: None,
        }
    }
}

impl ScriptedEngine {
    /// Logs the call, runs the hook, then fails it when the script says so.
    fn enter(&mut self, call: &str, needs: Option<Capability>) -> Result<()> {
        self.calls.push(call.to_string());
        if let Some(hook) = &mut self.before {
            hook(call);
        }
        if let Some(capability) = needs.filter(|c| self.lacks.contains(c)) {
            return Err(self.unsupported(capability));
        }
        if self.failing.iter().any(|f| f == call) {
            bail!("scripted failure in {call}");
        }
        Ok(())
    }
}

impl Engine for ScriptedEngine {
    fn name(&self) -> &'static str {
        "scripted"
    }

    /// Prompt tokens at 1 ms each (1000 tokens/s), generated ones at 4 ms
    /// (250 tokens/s), whatever the depth.
    fn random_token_bench(
        &mut self,
        test: BenchTest,
        _warmup: u32,
        max_reps: u32,
        on_rep: &mut dyn FnMut(u32, Result<EngineTiming>) -> RepControl,
    ) -> Result<()> {
        self.enter(&test.name(), Some(Capability::RandomTokenBench))?;
        let (n_prompt, n_gen) = test.tokens();
        let mut timing = EngineTiming {
            n_prompt,
            prompt: Duration::from_millis(n_prompt as u64),
            n_gen,
            generation: Duration::from_millis(4 * n_gen as u64),
            spec: None,
        };
        if let (Some((times, figures)), 0) = (self.speculate(n_gen + 1, 0)?, n_prompt) {
            // N tokens after the first: a plain one takes 10 ms on the
            // scripted clock and 4 ms here, so the clock is scaled by 0.4.
            let span = times.last().copied().unwrap_or(0) - times[0];
            timing.generation = Duration::from_micros(span * 400);
            timing.spec = Some(figures);
        }
        for rep in 0..max_reps {
            if on_rep(rep, Ok(timing)) == RepControl::Stop {
                break;
            }
        }
        Ok(())
    }

    /// 10 tokens of prompt ready at 20 ms, then one token every 10 ms.
    fn user_path(&mut self, request: &UserPathRequest) -> Result<UserPathTiming> {
        self.enter("user_path", None)?;
        let mut timing = UserPathTiming {
            n_prompt: 10,
            prepare: Duration::from_millis(1),
            prompt_done: Duration::from_millis(20),
            token_times: (1..=request.n_gen as u64)
                .map(|i| Duration::from_millis(20 + 10 * i))
                .collect(),
            eos_at: None,
            text: self.reply.clone(),
            chat_template: "scripted".into(),
            server: None,
            ..Default::default()
        };
        if let Some((times, figures)) = self.speculate(request.n_gen, 20)? {
            // The first token at 30 ms, as without speculation.
            timing.token_times = times.into_iter().map(Duration::from_millis).collect();
            timing.spec = Some(figures);
        }
        Ok(timing)
    }

    /// 10 tokens a message; the history's tokens prefill at 1 ms each unless
    /// reused, the turn's 10 take 5 ms, then one token every 10 ms.
    fn user_path_after(
        &mut self,
        request: &UserPathRequest,
        history: &[Message],
        reuse: bool,
    ) -> Result<UserPathTiming> {
        self.enter("user_path_after", None)?;
        let n_history = 10 * history.len() as u64;
        let prefill = 5 + if reuse { 0 } else { n_history };
        Ok(UserPathTiming {
            n_prompt: 10 + if reuse { 0 } else { n_history as u32 },
            n_history: n_history as u32,
            prompt_done: Duration::from_millis(prefill),
            token_times: (1..=request.n_gen as u64)
                .map(|i| Duration::from_millis(prefill + 10 * i))
                .collect(),
            chat_template: "scripted".into(),
            ..Default::default()
        })
    }

    fn conversation(&mut self, _n_ctx: u32) -> Result<Box<dyn Conversation + '_>> {
        self.enter("conversation", None)?;
        Ok(Box::new(ScriptedConversation { engine: self }))
    }

    fn soak(
        &mut self,
        _prompt: &AnswerRequest,
        span: SoakSpan,
        on_window: &mut dyn FnMut(SoakWindow),
    ) -> Result<()> {
        self.enter("soak", Some(Capability::SustainedGeneration))?;
        let windows = (span.total.as_secs() / span.window.as_secs().max(1)).max(1) as u32;
        for index in 0..windows {
            on_window(SoakWindow {
                index,
                end: span.window * (index + 1),
                tokens: 100,
                elapsed: span.window,
            });
        }
        Ok(())
    }

    fn try_context(&mut self, _n_ctx: u32, _fill: bool) -> Result<ContextTrial> {
        self.enter("try_context", Some(Capability::ContextSize))?;
        Ok(ContextTrial {
            n_generated: 16,
            elapsed: Duration::from_millis(64),
        })
    }

    fn fidelity(
        &mut self,
        request: &FidelityRequest,
        on_chunk: &mut dyn FnMut(FidelityChunk),
    ) -> Result<()> {
        self.enter("fidelity", Some(Capability::FullLogits))?;
        for index in 0..request.max_chunks {
            on_chunk(FidelityChunk {
                index,
                n_scored: 10,
                nll_sum: 10.0,
                ..Default::default()
            });
        }
        Ok(())
    }
}

struct ScriptedConversation<'e> {
    engine: &'e mut ScriptedEngine,
}

impl Conversation for ScriptedConversation<'_> {
    fn engine_name(&self) -> &'static str {
        "scripted"
    }

    fn forget_cache(&mut self) {
        let _ = self.engine.enter("forget_cache", None);
    }

    /// Ten tokens a message, unless it lacks the count before sending (a
    /// server: then only `prompt_tokens_by_request` and `Answer::n_prompt`).
    fn prompt_tokens(&mut self, request: &AnswerRequest) -> Result<u32> {
        self.engine
            .enter("prompt_tokens", Some(Capability::PromptTokenCount))?;
        Ok(10 * request.messages.len() as u32)
    }

    fn prompt_tokens_by_request(&mut self, request: &AnswerRequest) -> Result<u32> {
        self.engine.enter("prompt_tokens_by_request", None)?;
        Ok(10 * request.messages.len() as u32)
    }

    fn answer(&mut self, request: &AnswerRequest) -> Result<Answer> {
        self.engine.enter("answer", None)?;
        let finish = self.engine.finish_reason.clone();
        Ok(Answer {
            text: self.engine.reply.clone(),
            n_prompt: 10 * request.messages.len() as u32,
            n_prompt_reused: None,
            tokens: match finish {
                FinishReason::Length => vec![1; request.max_tokens as usize],
                _ => vec![1, 2, 3],
            },
            ended: finish.ended_by_model(),
            finish_reason: Some(finish),
            ttft: Duration::from_millis(20),
            total: Duration::from_millis(40),
            chat_template: "scripted".into(),
            choice_scores: None,
            server: None,
        })
    }

    fn score_choices(&mut self, _request: &AnswerRequest, options: &[String]) -> Result<Answer> {
        self.engine.enter("score_choices", None)?;
        if self.engine.lacks.contains(&Capability::LogLikelihood) {
            return Err(Unsupported {
                engine: "scripted",
                capability: Capability::LogLikelihood,
            }
            .into());
        }
        let scores = options
            .iter()
            .enumerate()
            .map(|(i, option)| crate::checks::OptionScore {
                option: option.clone(),
                // The first option is the most likely.
                logprob: -(i as f64) - 1.0,
                n_tokens: 1,
            })
            .collect();
        Ok(Answer {
            ended: true,
            chat_template: "scripted".into(),
            choice_scores: Some(scores),
            ..Default::default()
        })
    }
}
