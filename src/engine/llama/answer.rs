//! Generated answers: the user-path request, and a conversation's answers
//! decoded with the case's sampler (optionally held to a JSON schema through
//! llama.cpp's grammar) and multiple-choice options scored by log-likelihood.
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;

use super::decode::{log_softmax_at, Chunks, Sequence};
use super::hermes::calls_text;
use super::template::{
    native_template, opened_block, opened_by, render, tokenize, NativeTemplate, NoNativeTemplate,
};
use super::LlamaEngine;
use crate::checks::reasoning::{AnswerStart, ThinkMarkers, ThinkTracker, TokenRole};
use crate::checks::OptionScore;
use crate::engine::{Answer, AnswerRequest, Conversation, UserPathRequest, UserPathTiming};
use crate::results::FinishReason;

/// The JSON schema as llama.cpp's GBNF grammar (also to refuse a schema early).
pub fn schema_grammar(schema: &serde_json::Value) -> Result<String> {
    llama_cpp_2::json_schema_to_grammar(&schema.to_string())
        .map_err(|e| anyhow!("llama.cpp cannot turn the JSON schema into a grammar: {e}"))
}

/// One user-path request: template, tokenize, decode the prompt, then sample
/// `n_gen` tokens greedily, timestamping each. EOS does not stop it (see UserPathTiming).
pub(super) fn user_path(engine: &LlamaEngine, req: &UserPathRequest) -> Result<UserPathTiming> {
    let mut ctx = engine.new_context(req.n_ctx)?;
    let model = &engine.model;
    let start = Instant::now();
    let user = [crate::suite::Message {
        role: "user".into(),
        content: req.prompt.into(),
    }];
    let (text, chat_template) = render(model, &user, Some(req.template))?;
    let tokens = tokenize(model, &text);
    let prepare = start.elapsed();
    check_fits(tokens.len(), req)?;
    let sequence = Sequence::start(&mut ctx, &tokens, engine.settings.n_batch)?;
    let opened = opened_block(model, &chat_template, &text);
    let timing = UserPathTiming {
        n_prompt: tokens.len() as u32,
        prepare,
        prompt_done: start.elapsed(),
        chat_template,
        ..Default::default()
    };
    greedy_reply(
        &mut ctx,
        model,
        sequence,
        (start, timing),
        (req.n_gen, opened),
    )
}

/// Whether the prompt and the tokens to generate fit the request's context.
pub(super) fn check_fits(n_prompt: usize, req: &UserPathRequest) -> Result<()> {
    if n_prompt as u64 + req.n_gen as u64 > req.n_ctx as u64 {
        bail!("the prompt has {n_prompt} tokens; with {} to generate it needs a context over {} (use --ctx)", req.n_gen, req.n_ctx);
    }
    Ok(())
}

/// `n_gen` tokens sampled greedily after the decoded prompt, each timestamped
/// from `start`; EOS is noted, not obeyed. Each token's role (reasoning or
/// answer) is tracked, from inside the block the prompt `opened` if any.
pub(super) fn greedy_reply(
    ctx: &mut LlamaContext<'_>,
    model: &LlamaModel,
    mut sequence: Sequence,
    (start, mut timing): (Instant, UserPathTiming),
    (n_gen, opened): (u32, Option<ThinkMarkers>),
) -> Result<UserPathTiming> {
    let mut sampler = LlamaSampler::greedy();
    let mut reply = Vec::new();
    let mut generated = Vec::with_capacity(n_gen as usize);
    if let Some(block) = opened {
        reply.extend_from_slice(block.open.as_bytes());
    }
    for i in 0..n_gen {
        let token = sampler.sample(ctx, sequence.logits_index());
        timing.token_times.push(start.elapsed());
        generated.push(token);
        if timing.eos_at.is_none() {
            if model.vocab().is_eog(token) {
                timing.eos_at = Some(i);
            } else {
                reply.extend(model.vocab().token_to_piece(token, false, None));
            }
        }
        if i + 1 < n_gen {
            sequence.push(ctx, token)?;
        }
    }
    timing.text = String::from_utf8_lossy(&reply).into_owned();
    timing.answer_start = Some(answer_start(model, &generated, opened));
    Ok(timing)
}

/// Which generated tokens were reasoning and which is the first answer
/// token (after the timed loop, so as not to touch its timestamps). Pieces
/// are rendered with special tokens, as markers may be; an end-of-generation
/// token is no answer.
fn answer_start(
    model: &LlamaModel,
    tokens: &[LlamaToken],
    opened: Option<ThinkMarkers>,
) -> AnswerStart {
    let mut tracker = ThinkTracker::new(opened);
    let roles: Vec<TokenRole> = tokens
        .iter()
        .map(|&token| match model.vocab().is_eog(token) {
            true => TokenRole::Blank,
            false => {
                let piece = model.vocab().token_to_piece(token, true, None);
                tracker.push(&String::from_utf8_lossy(&piece))
            }
        })
        .collect();
    AnswerStart::of(&roles, tracker.unclosed())
}

/// Quality cases and conversation turns in one context. A request whose prompt
/// starts with tokens already in the cache (the suite's system prompt and tool
/// schemas, the same case again) decodes only the rest, as llama-server's
/// `cache_prompt` does; everything past the shared prefix is removed first.
pub(super) struct LlamaConversation<'e> {
    engine: &'e LlamaEngine,
    ctx: LlamaContext<'e>,
    /// Tokens whose keys and values are in the cache at positions 0.., in order.
    /// Always a prefix of what the cache holds, so removing past it is safe.
    cached: Vec<LlamaToken>,
    /// The Jinja template native tool calls render, compiled at the first
    /// request with tools (outside its timed part, as a server compiles its
    /// template at start).
    native: Option<Result<NativeTemplate, NoNativeTemplate>>,
}

impl<'e> LlamaConversation<'e> {
    pub(super) fn new(engine: &'e LlamaEngine, n_ctx: u32) -> Result<Self> {
        Ok(LlamaConversation {
            engine,
            ctx: engine.new_context(n_ctx)?,
            cached: Vec::new(),
            native: None,
        })
    }

    /// Decodes `tokens` after the longest prefix already cached (at least the
    /// last token is decoded, for its logits); returns the sequence and how
    /// many tokens were reused.
    fn start_reusing_cache(&mut self, tokens: &[LlamaToken]) -> Result<(Sequence, u32)> {
        let n_batch = self.engine.settings.n_batch;
        let shared = reusable_prefix(&self.cached, tokens);
        self.cached.truncate(shared);
        // A memory that cannot drop a tail (recurrent models) is cleared instead.
        let trimmed = shared > 0
            && self
                .ctx
                .clear_kv_cache_seq(Some(0), Some(shared as u32), None)
                .unwrap_or(false);
        let sequence = if trimmed {
            Sequence::resume(&mut self.ctx, shared as u32, &tokens[shared..], n_batch)?
        } else {
            self.cached.clear();
            Sequence::start(&mut self.ctx, tokens, n_batch)?
        };
        self.cached = tokens.to_vec();
        Ok((sequence, if trimmed { shared as u32 } else { 0 }))
    }

    fn model(&self) -> &'e LlamaModel {
        &self.engine.model
    }

    /// The prompt text and its `chat_template`: with tools, the Jinja
    /// template's (native tool calls), else llama.cpp's rendering.
    fn prompt(&mut self, req: &AnswerRequest) -> Result<(String, String)> {
        if req.tools.is_empty() {
            let choice = req.use_chat_template.then_some(req.template);
            return render(self.model(), req.messages, choice);
        }
        let native = self.native(req).as_ref().map_err(NoNativeTemplate::error)?;
        let text = native.render(req.messages, req.tools)?;
        Ok((text, native.name.to_string()))
    }

    /// The native template, compiled at the first request with tools; an
    /// answer compiles it before its timed part, as a server compiles its
    /// template at start.
    fn native(&mut self, req: &AnswerRequest) -> &Result<NativeTemplate, NoNativeTemplate> {
        let model = self.model();
        let choice = req.use_chat_template.then_some(req.template);
        self.native
            .get_or_insert_with(|| native_template(model, choice))
    }

    /// The reasoning block the prompt leaves open, by the template that rendered it.
    fn opened(&self, chat_template: &str, prompt: &str) -> Option<ThinkMarkers> {
        match &self.native {
            Some(Ok(native)) if native.name == chat_template => opened_by(&native.source, prompt),
            _ => opened_block(self.model(), chat_template, prompt),
        }
    }
}

impl Conversation for LlamaConversation<'_> {
    fn forget_cache(&mut self) {
        self.cached.clear();
    }

    fn engine_name(&self) -> &'static str {
        "llama.cpp"
    }

    fn prompt_tokens(&mut self, req: &AnswerRequest) -> Result<u32> {
        let (prompt, _) = self.prompt(req)?;
        Ok(tokenize(self.model(), &prompt).len() as u32)
    }

    /// Tools apart from the prompt (native tool calls) are rendered by the
    /// chat template as Jinja, and the calls the answer makes in its
    /// `<tool_call>` tags are written as the served path writes them.
    fn answer(&mut self, req: &AnswerRequest) -> Result<Answer> {
        if !req.tools.is_empty() {
            self.native(req);
        }
        let model = self.model();
        let start = Instant::now();
        let (prompt, chat_template) = self.prompt(req)?;
        let tokens = tokenize(model, &prompt);
        let n_prompt = tokens.len() as u32;
        let n_ctx = self.ctx.n_ctx();
        if n_prompt + req.max_tokens > n_ctx {
            bail!("the prompt has {n_prompt} tokens; with {} to generate it needs a context over {n_ctx} (use --ctx)", req.max_tokens);
        }
        let (mut sampler, mut grammar) = samplers(model, req)?;
        let (mut sequence, n_prompt_reused) = self.start_reusing_cache(&tokens)?;
        // A block the prompt opened is written into the answer, so that
        // scoring sees (and strips) the whole reasoning.
        let opened = self.opened(&chat_template, &prompt);
        let ctx = &mut self.ctx;
        let mut answer = Answer {
            n_prompt,
            n_prompt_reused: Some(n_prompt_reused),
            chat_template,
            ..Default::default()
        };
        let mut bytes = opened.map_or_else(Vec::new, |b| b.open.as_bytes().to_vec());
        for i in 0..req.max_tokens {
            let index = sequence.logits_index();
            let token = match &mut grammar {
                Some(g) => sample_constrained(ctx, index, &mut sampler, g),
                None => sampler.sample(ctx, index),
            };
            if i == 0 {
                answer.ttft = start.elapsed();
            }
            if model.vocab().is_eog(token) {
                answer.ended = true;
                break;
            }
            bytes.extend(model.vocab().token_to_piece(token, false, None));
            answer.tokens.push(token.0);
            if i + 1 < req.max_tokens {
                sequence.push(ctx, token)?;
                self.cached.push(token);
            }
        }
        answer.total = start.elapsed();
        // The loop ends at an end-of-generation token or after max_tokens.
        answer.finish_reason = Some(match answer.ended {
            true => FinishReason::Stop,
            false => FinishReason::Length,
        });
        let text = String::from_utf8_lossy(&bytes).into_owned();
        answer.text = match req.tools.is_empty() {
            true => text,
            false => native_answer(text, &mut answer.finish_reason),
        };
        Ok(answer)
    }

    /// The sum of each option's token log-probabilities given the prompt
    /// (lm-evaluation-harness's loglikelihood request).
    fn score_choices(&mut self, req: &AnswerRequest, options: &[String]) -> Result<Answer> {
        let model = self.model();
        let start = Instant::now();
        let (prompt, chat_template) = self.prompt(req)?;
        let context = tokenize(model, &prompt);
        let mut scores = Vec::with_capacity(options.len());
        for option in options {
            // As lm-evaluation-harness: tokenize context + option together and take the
            // tokens past the context, so a word is split as the model would see it.
            let whole = tokenize(model, &format!("{prompt}{option}"));
            let shared = whole
                .iter()
                .zip(&context)
                .take_while(|(a, b)| a == b)
                .count()
                .min(context.len());
            let shared = shared.min(whole.len().saturating_sub(1)).max(1);
            if whole.len() as u32 > self.ctx.n_ctx() {
                bail!("an option needs {} tokens, over the context", whole.len());
            }
            scores.push(OptionScore {
                option: option.clone(),
                logprob: self.continuation_logprob(&whole, shared)?,
                n_tokens: (whole.len() - shared) as u32,
            });
        }
        Ok(Answer {
            n_prompt: context.len() as u32,
            ended: true,
            ttft: start.elapsed(),
            total: start.elapsed(),
            chat_template,
            choice_scores: Some(scores),
            ..Default::default()
        })
    }
}

impl LlamaConversation<'_> {
    /// Sum of log p(tokens[i] | tokens[..i]) for i >= from.
    fn continuation_logprob(&mut self, tokens: &[LlamaToken], from: usize) -> Result<f64> {
        self.ctx.clear_kv_cache();
        self.cached.clear();
        let mut total = 0.0;
        // Logits are needed where the next token is scored.
        let scored = |pos: usize| pos + 1 >= from && pos + 1 < tokens.len();
        Chunks::new(self.engine.settings.n_batch).decode(
            &mut self.ctx,
            tokens,
            scored,
            |pos, logits| total += log_softmax_at(logits, tokens[pos + 1].0 as usize),
        )?;
        Ok(total)
    }
}

/// A native answer's text: its calls as the served path writes them; one
/// that ended itself after its calls ended in tool calls, as a server says.
fn native_answer(text: String, finish_reason: &mut Option<FinishReason>) -> String {
    match calls_text(&text) {
        Some(calls) => {
            if *finish_reason == Some(FinishReason::Stop) {
                *finish_reason = Some(FinishReason::ToolCall);
            }
            calls
        }
        None => text,
    }
}

/// How many leading tokens of `prompt` can be taken from the cache: the common
/// prefix, less one when it is the whole prompt (its last token is decoded
/// again, for the logits the first sample reads).
fn reusable_prefix(cached: &[LlamaToken], prompt: &[LlamaToken]) -> usize {
    let common = cached
        .iter()
        .zip(prompt)
        .take_while(|(a, b)| a == b)
        .count();
    common.min(prompt.len().saturating_sub(1))
}

/// The case's sampler, and the grammar (kept apart: see `sample_constrained`).
fn samplers(
    model: &LlamaModel,
    req: &AnswerRequest,
) -> Result<(LlamaSampler, Option<LlamaSampler>)> {
    let grammar = match req.json_schema {
        Some(schema) => Some(
            LlamaSampler::grammar(model, &schema_grammar(schema)?, "root")
                .map_err(|e| anyhow!("the grammar was refused by llama.cpp: {e}"))?,
        ),
        None => None,
    };
    let s = req.sampling;
    let chain = if s.temperature <= 0.0 {
        LlamaSampler::greedy()
    } else {
        LlamaSampler::chain_simple([
            LlamaSampler::top_p(s.top_p, 1),
            LlamaSampler::temp(s.temperature),
            LlamaSampler::dist(s.seed),
        ])
    };
    Ok((chain, grammar))
}

/// Candidates the grammar filters first when the free choice is refused.
const GRAMMAR_TOP_K: usize = 1024;

/// Samples as if free, and only when the grammar refuses that token samples again
/// over grammar-filtered candidates (llama.cpp's common_sampler does the same):
/// llama.cpp's grammar check costs about a millisecond per thousand tokens, and
/// Gemma 3 has 262k. The refilter looks at the `GRAMMAR_TOP_K` most likely tokens
/// first (for greedy decoding the result is exactly the full filter's: the best
/// allowed token is among them whenever any is) and at the whole vocabulary only
/// when none of those is allowed.
fn sample_constrained(
    ctx: &LlamaContext<'_>,
    index: i32,
    sampler: &mut LlamaSampler,
    grammar: &mut LlamaSampler,
) -> LlamaToken {
    let token = sampler.sample(ctx, index);
    let mut one = LlamaTokenDataArray::new(vec![LlamaTokenData::new(token, 1.0, 0.0)], false);
    grammar.apply(&mut one);
    let chosen = if one.data[0].logit().is_finite() {
        token
    } else {
        let mut pool = grammar_pool(ctx, index, grammar);
        sampler.apply(&mut pool);
        pool.selected_token().unwrap_or(token)
    };
    grammar.accept(chosen);
    chosen
}

/// The candidates the grammar allows: the most likely `GRAMMAR_TOP_K` when any
/// of them is allowed, else the whole vocabulary.
fn grammar_pool(
    ctx: &LlamaContext<'_>,
    index: i32,
    grammar: &mut LlamaSampler,
) -> LlamaTokenDataArray {
    let mut candidates: Vec<LlamaTokenData> = ctx.candidates_ith(index).collect();
    let k = GRAMMAR_TOP_K.min(candidates.len());
    if k < candidates.len() {
        candidates.select_nth_unstable_by(k - 1, |a, b| b.logit().total_cmp(&a.logit()));
        candidates.truncate(k);
    }
    let mut top = LlamaTokenDataArray::new(candidates, false);
    grammar.apply(&mut top);
    if top.data.iter().any(|d| d.logit().is_finite()) {
        return top;
    }
    let mut all = LlamaTokenDataArray::from_iter(ctx.candidates_ith(index), false);
    grammar.apply(&mut all);
    all
}

#[cfg(test)]
mod tests {
    use super::{native_answer, reusable_prefix};
    use crate::results::FinishReason;
    use llama_cpp_2::token::LlamaToken;

    #[test]
    fn a_native_answer_that_ended_after_its_calls_ended_in_tool_calls() {
        let call = "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>";
        let mut reason = Some(FinishReason::Stop);
        let text = native_answer(call.to_string(), &mut reason);
        assert_eq!(text, r#"[{"arguments":{},"name":"f"}]"#);
        assert_eq!(reason, Some(FinishReason::ToolCall));
        let mut cut = Some(FinishReason::Length);
        native_answer(call.to_string(), &mut cut);
        assert_eq!(cut, Some(FinishReason::Length), "cut is cut");
        let mut plain = Some(FinishReason::Stop);
        assert_eq!(
            native_answer("It is sunny.".into(), &mut plain),
            "It is sunny."
        );
        assert_eq!(plain, Some(FinishReason::Stop));
    }

    fn tokens(ids: &[i32]) -> Vec<LlamaToken> {
        ids.iter().map(|&i| LlamaToken(i)).collect()
    }

    #[test]
    fn the_shared_prefix_is_reused_and_the_last_prompt_token_always_decoded() {
        let cached = tokens(&[1, 2, 3, 4, 5]);
        assert_eq!(reusable_prefix(&cached, &tokens(&[1, 2, 3, 9])), 3);
        assert_eq!(
            reusable_prefix(&cached, &tokens(&[1, 2, 3])),
            2,
            "whole prompt cached"
        );
        assert_eq!(reusable_prefix(&cached, &tokens(&[7, 2, 3])), 0);
        assert_eq!(reusable_prefix(&[], &tokens(&[1, 2])), 0);
        assert_eq!(reusable_prefix(&cached, &[]), 0);
    }
}
