//! Answers for quality suites: a conversation rendered with the model's chat
//! template and decoded with the case's sampler (optionally held to a grammar),
//! and multiple-choice options scored by their log-likelihood.
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaChatMessage;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;

use super::llama::{decode_prompt, new_context};
use super::LlamaEngine;
use crate::checks::OptionScore;
use crate::suite::{Message, Sampling};

/// One question to the model.
pub struct AnswerRequest<'a> {
    pub messages: &'a [Message],
    pub use_chat_template: bool,
    pub max_tokens: u32,
    pub sampling: Sampling,
    /// GBNF grammar the answer is held to (constrained decoding).
    pub grammar: Option<&'a str>,
    pub template_override: Option<&'a str>,
    pub fallback_template: Option<&'a str>,
}

/// What the model answered, with the timings of the request.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub text: String,
    pub n_prompt: u32,
    /// Tokens generated, the end-of-generation token not counted.
    pub tokens: Vec<i32>,
    /// The model ended its answer itself (false: it ran into max_tokens).
    pub ended: bool,
    pub ttft: Duration,
    pub total: Duration,
    pub chat_template: String,
    /// Log-likelihood of each option (multiple choice; nothing is generated).
    pub choice_scores: Option<Vec<OptionScore>>,
}

impl LlamaEngine {
    /// A context for a whole suite: reused (cleared) between cases.
    pub fn answer_context(&self, n_ctx: u32) -> Result<LlamaContext<'_>> {
        new_context(&self.backend, &self.model, &self.settings, n_ctx)
    }

    /// The prompt text the model sees: the chat template applied to the turns,
    /// or (raw) the turns' contents joined by blank lines.
    fn render(&self, req: &AnswerRequest) -> Result<(String, String)> {
        let (name, template) = if req.use_chat_template {
            self.resolve_template(req.template_override, req.fallback_template)
        } else {
            ("raw".to_string(), None)
        };
        let Some(template) = template else {
            let text = req
                .messages
                .iter()
                .map(|m| m.content.as_str())
                .collect::<Vec<_>>()
                .join("\n\n");
            return Ok((text, name));
        };
        let chat = req
            .messages
            .iter()
            .map(|m| LlamaChatMessage::new(m.role.clone(), m.content.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let text = self
            .model
            .apply_chat_template(&template, &chat, true)
            .map_err(|e| anyhow!("chat template `{name}` could not be applied: {e}"))?;
        Ok((text, name))
    }

    /// The request's prompt as tokens (to see whether a turn still fits).
    pub fn prompt_tokens(&self, req: &AnswerRequest) -> Result<Vec<LlamaToken>> {
        let (prompt, _) = self.render(req)?;
        Ok(self.model.vocab().tokenize(prompt.as_bytes(), true, true))
    }

    /// The case's sampler, and the grammar (kept apart: see `sample_constrained`).
    fn sampler(&self, req: &AnswerRequest) -> Result<(LlamaSampler, Option<LlamaSampler>)> {
        let grammar = match req.grammar {
            Some(g) => Some(
                LlamaSampler::grammar(&self.model, g, "root")
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

    /// Generates an answer until the model ends it or `max_tokens` is reached.
    pub fn answer(&self, ctx: &mut LlamaContext<'_>, req: &AnswerRequest) -> Result<Answer> {
        let vocab = self.model.vocab();
        let start = Instant::now();
        let (prompt, chat_template) = self.render(req)?;
        let tokens = vocab.tokenize(prompt.as_bytes(), true, true);
        let n_prompt = tokens.len() as u32;
        let n_ctx = ctx.n_ctx();
        if n_prompt + req.max_tokens > n_ctx {
            bail!("the prompt has {n_prompt} tokens; with {} to generate it needs a context over {n_ctx} (use --ctx)", req.max_tokens);
        }
        ctx.clear_kv_cache();
        let (mut sampler, mut grammar) = self.sampler(req)?;
        let mut batch = LlamaBatch::new(self.settings.n_batch as usize, 1);
        decode_prompt(ctx, &mut batch, &tokens, self.settings.n_batch)?;
        let mut answer = Answer {
            n_prompt,
            chat_template,
            ..Default::default()
        };
        let mut bytes = Vec::new();
        let mut logits_index = batch.n_tokens() - 1;
        for i in 0..req.max_tokens {
            let token = match &mut grammar {
                Some(g) => sample_constrained(ctx, logits_index, &mut sampler, g),
                None => sampler.sample(ctx, logits_index),
            };
            if i == 0 {
                answer.ttft = start.elapsed();
            }
            if vocab.is_eog(token) {
                answer.ended = true;
                break;
            }
            bytes.extend(vocab.token_to_piece(token, false, None));
            answer.tokens.push(token.0);
            if i + 1 == req.max_tokens {
                break;
            }
            batch.clear();
            batch.add(token, (n_prompt + i) as i32, &[0], true)?;
            ctx.decode(&mut batch)
                .map_err(|e| anyhow!("decode failed at generated token {i}: {e}"))?;
            logits_index = 0;
        }
        answer.total = start.elapsed();
        answer.text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(answer)
    }

    /// Scores each option as a continuation of the prompt: the sum of its tokens'
    /// log-probabilities (lm-evaluation-harness's loglikelihood request).
    pub fn score_choices(
        &self,
        ctx: &mut LlamaContext<'_>,
        req: &AnswerRequest,
        options: &[String],
    ) -> Result<Answer> {
        let vocab = self.model.vocab();
        let start = Instant::now();
        let (prompt, chat_template) = self.render(req)?;
        let context = vocab.tokenize(prompt.as_bytes(), true, true);
        let mut scores = Vec::with_capacity(options.len());
        for option in options {
            // As lm-evaluation-harness: tokenize context + option together and take the
            // tokens past the context, so a word is split as the model would see it.
            let whole = vocab.tokenize(format!("{prompt}{option}").as_bytes(), true, true);
            let shared = whole
                .iter()
                .zip(&context)
                .take_while(|(a, b)| a == b)
                .count()
                .min(context.len());
            let shared = shared.min(whole.len().saturating_sub(1)).max(1);
            let continuation = &whole[shared..];
            if whole.len() as u32 > ctx.n_ctx() {
                bail!("an option needs {} tokens, over the context", whole.len());
            }
            let logprob = self.continuation_logprob(ctx, &whole, shared)?;
            scores.push(OptionScore {
                option: option.clone(),
                logprob,
                n_tokens: continuation.len() as u32,
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

    /// Sum of log p(tokens[i] | tokens[..i]) for i >= from.
    fn continuation_logprob(
        &self,
        ctx: &mut LlamaContext<'_>,
        tokens: &[LlamaToken],
        from: usize,
    ) -> Result<f64> {
        ctx.clear_kv_cache();
        let n_batch = self.settings.n_batch.max(1) as usize;
        let mut batch = LlamaBatch::new(n_batch, 1);
        let mut total = 0.0;
        for (chunk_index, chunk) in tokens.chunks(n_batch).enumerate() {
            batch.clear();
            let offset = chunk_index * n_batch;
            for (j, &token) in chunk.iter().enumerate() {
                let pos = offset + j;
                // Logits are needed where the next token is scored.
                batch.add(
                    token,
                    pos as i32,
                    &[0],
                    pos + 1 >= from && pos + 1 < tokens.len(),
                )?;
            }
            ctx.decode(&mut batch)
                .map_err(|e| anyhow!("decode failed at token {offset}: {e}"))?;
            for (j, _) in chunk.iter().enumerate() {
                let pos = offset + j;
                if pos + 1 >= from && pos + 1 < tokens.len() {
                    let logits = ctx.get_logits_ith(j as i32);
                    total += log_softmax_at(logits, tokens[pos + 1].0 as usize);
                }
            }
        }
        Ok(total)
    }
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
        let mut candidates: Vec<LlamaTokenData> = ctx.candidates_ith(index).collect();
        let k = GRAMMAR_TOP_K.min(candidates.len());
        if k < candidates.len() {
            candidates.select_nth_unstable_by(k - 1, |a, b| b.logit().total_cmp(&a.logit()));
            candidates.truncate(k);
        }
        let mut top = LlamaTokenDataArray::new(candidates, false);
        grammar.apply(&mut top);
        let mut pool = if top.data.iter().any(|d| d.logit().is_finite()) {
            top
        } else {
            let mut all = LlamaTokenDataArray::from_iter(ctx.candidates_ith(index), false);
            grammar.apply(&mut all);
            all
        };
        sampler.apply(&mut pool);
        pool.selected_token().unwrap_or(token)
    };
    grammar.accept(chosen);
    chosen
}

/// log sum exp(logits), computed stably: log softmax(logits)[i] = logits[i] - this.
pub(super) fn log_normalizer(logits: &[f32]) -> f64 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = logits.iter().map(|&l| (l as f64 - max).exp()).sum();
    max + sum.ln()
}

/// log softmax(logits)[index].
pub fn log_softmax_at(logits: &[f32], index: usize) -> f64 {
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
