//! A conversation over a server: each answer is one streamed chat completion
//! (streamed so its time to first token is measured, not guessed), with the
//! case's sampling and, for constrained decoding, `response_format`.
use anyhow::Result;

use super::stream::stream_chat;
use super::tokens::{count_prompt_tokens, prompt_tokens_after_request};
use super::wire::{chat_body, response_format, Sampling};
use super::{choices, echo_choices};
use super::{Dialect, OpenAiEngine};
use crate::engine::{Answer, AnswerRequest, Capability, Conversation, Unsupported};
use crate::results::FinishReason;
use crate::suite::tools::openai_tools;

pub(super) struct OpenAiConversation<'e> {
    engine: &'e OpenAiEngine,
}

impl<'e> OpenAiConversation<'e> {
    pub(super) fn new(engine: &'e OpenAiEngine) -> Self {
        OpenAiConversation { engine }
    }

    fn unsupported(&self, capability: Capability) -> anyhow::Error {
        Unsupported {
            engine: self.engine_name(),
            capability,
        }
        .into()
    }

    fn ask(&self, req: &AnswerRequest) -> Result<Answer> {
        let engine = self.engine;
        let s = req.sampling;
        let sampling = Sampling {
            temperature: s.temperature,
            top_p: (s.temperature > 0.0).then_some(s.top_p),
            seed: s.seed,
        };
        let mut extra = engine.extra_fields(false);
        if let Some(schema) = req.json_schema {
            extra.insert("response_format".into(), response_format(schema));
        }
        if !req.tools.is_empty() {
            extra.insert("tools".into(), openai_tools(req.tools));
            if let Some(choice) = engine.config.tool_choice {
                extra.insert("tool_choice".into(), choice.into());
            }
        }
        let model = engine.client.model();
        let body = chat_body(model, req.messages, req.max_tokens, sampling, extra);
        let streamed = stream_chat(&engine.client, &body, req.max_tokens)?;
        let usage = streamed.usage()?;
        let server = Some(streamed.report());
        let finish = match FinishReason::parse(streamed.finish_reason.as_deref()) {
            FinishReason::Stop if streamed.stop_string => FinishReason::StopSequence,
            reason => reason,
        };
        // An empty answer's first "token" is its end.
        let ttft = streamed
            .content_times
            .first()
            .copied()
            .or(streamed.finish_at)
            .unwrap_or(streamed.total);
        Ok(Answer {
            n_prompt: usage.prompt_tokens,
            n_prompt_reused: None,
            // A server sends no token ids; the count is in `server`.
            tokens: Vec::new(),
            // A reply that ends in tool calls ended by the model's own choice too.
            ended: finish.ended_by_model(),
            finish_reason: Some(finish),
            ttft,
            total: streamed.total,
            chat_template: "server".into(),
            choice_scores: None,
            text: streamed.answer_text(),
            server,
        })
    }
}

impl Conversation for OpenAiConversation<'_> {
    fn engine_name(&self) -> &'static str {
        "openai"
    }

    /// A server tokenizes the templated prompt itself and says how many tokens
    /// it took only after the request; llama-server tells before, through
    /// its /apply-template and /tokenize (tokens.rs).
    fn prompt_tokens(&mut self, request: &AnswerRequest) -> Result<u32> {
        if self.engine.config.dialect != Dialect::LlamaServer {
            return Err(self.unsupported(Capability::PromptTokenCount));
        }
        count_prompt_tokens(self.engine, request).map_err(|e| self.engine.redacted(e))
    }

    /// Other servers count a prompt when it is sent: once, untimed, with
    /// one token to generate.
    fn prompt_tokens_by_request(&mut self, request: &AnswerRequest) -> Result<u32> {
        if self.engine.config.dialect == Dialect::LlamaServer {
            return self.prompt_tokens(request);
        }
        if !request.use_chat_template {
            return Err(self.unsupported(Capability::RawPrompt));
        }
        prompt_tokens_after_request(self.engine, request.messages)
            .map_err(|e| self.engine.redacted(e))
    }

    /// The server applies its own chat template, so a case that asks for none
    /// cannot be sent through a chat completion; the template override too is
    /// the server's business.
    fn answer(&mut self, request: &AnswerRequest) -> Result<Answer> {
        if !request.use_chat_template {
            return Err(self.unsupported(Capability::RawPrompt));
        }
        self.ask(request).map_err(|e| self.engine.redacted(e))
    }

    /// llama-server forces each option's tokens (choices.rs); other servers
    /// echo the prompt's logprobs where they can (echo_choices.rs). What a
    /// server cannot score says unsupported, never a made-up score.
    fn score_choices(&mut self, request: &AnswerRequest, options: &[String]) -> Result<Answer> {
        let scored = match self.engine.config.dialect {
            Dialect::LlamaServer => choices::score_choices(self.engine, request, options),
            Dialect::Generic => echo_choices::score_choices(self.engine, request, options),
        };
        scored.map_err(|e| self.engine.keep_unsupported(e))
    }
}
