//! Speculative acceptance over a text another tool generated: the draft
//! model drafts against the given tokens (llama-server's), and the
//! verification reads the next given token instead of running the target.
//! The loop and the acceptance rule are a run's own
//! (`engine::speculative::generate`), so acceptance can be compared with
//! llama-server's on the very same tokens (scripts/spec-parity.sh): a run's
//! own text leaves the target's at a near tie wherever its batched kernels
//! round one way, and from there the two measure different texts.
use anyhow::{anyhow, bail, Result};
use llama_cpp_2::token::LlamaToken;

use super::speculative::{draft_context, Drafter};
use super::template::{render, tokenize};
use super::LlamaEngine;
use crate::engine::speculative::{generate, DraftLimits, DraftVerify};
use crate::engine::TemplateChoice;
use crate::results::speculation::SpecCounts;
use crate::suite::Message;

/// The draft against a fixed sequence (prompt and generated tokens).
struct Replay<'t, 'd> {
    drafter: Drafter<'t, 'd>,
    given: Vec<LlamaToken>,
    /// Feed the draft as llama-server does: each verification batch decoded
    /// into the draft's cache in one batch, the prompt apart from the first
    /// token (a run's draft caches its own tokens one at a time).
    server_batches: bool,
}

impl DraftVerify for Replay<'_, '_> {
    type Token = LlamaToken;

    fn draft(&mut self, sequence: &[LlamaToken], n: usize) -> Result<Vec<LlamaToken>> {
        self.drafter.draft(sequence, n)
    }

    /// The "target's" token after each position is the given one.
    fn verify(&mut self, from: u32, tokens: &[LlamaToken]) -> Result<Vec<LlamaToken>> {
        if self.server_batches && tokens.len() > 1 {
            self.drafter.decode_batch(from as usize, tokens)?;
        }
        (0..tokens.len())
            .map(|i| {
                let next = from as usize + i + 1;
                self.given
                    .get(next)
                    .copied()
                    .ok_or_else(|| anyhow!("the given text ends before position {next}"))
            })
            .collect()
    }

    fn rollback(&mut self, keep: u32) -> Result<()> {
        self.drafter.rollback(keep)
    }
}

impl LlamaEngine {
    /// The draft counts this configuration's draft model gets over
    /// `generated` (token ids, the first generated token included) after
    /// `prompt` as the user's turn under the model's chat template, with
    /// the configuration's draft lengths.
    /// `server_batches`: the draft's cache filled as llama-server fills it
    /// (a diagnosis of where the two differ, not a run's way).
    pub fn replay_speculation(
        &self,
        prompt: &str,
        generated: &[i32],
        server_batches: bool,
    ) -> Result<SpecCounts> {
        let spec = self
            .settings
            .speculative
            .as_ref()
            .ok_or_else(|| anyhow!("no draft model: nothing to replay"))?;
        let Some(&first) = generated.first() else {
            bail!("no generated tokens to replay");
        };
        // The ids come from another tool's reply: one outside the vocabulary
        // would reach llama.cpp's decode.
        let n_vocab = self.model.n_vocab();
        if let Some(bad) = generated.iter().find(|&&t| t < 0 || t >= n_vocab) {
            bail!("token id {bad} is not in the model's vocabulary of {n_vocab}");
        }
        let user = [Message {
            role: "user".into(),
            content: prompt.into(),
        }];
        let (text, _) = render(&self.model, &user, Some(TemplateChoice::default()))?;
        let prompt = tokenize(&self.model, &text);
        let mut given = prompt.clone();
        given.extend(generated.iter().map(|&t| LlamaToken(t)));
        let n_ctx = u32::try_from(given.len() + 1)?;
        let mut draft = draft_context(self, n_ctx)?;
        let mut replay = Replay {
            drafter: Drafter::new(&mut draft, self.settings.n_batch),
            given,
            server_batches,
        };
        if server_batches {
            replay.drafter.catch_up(&prompt)?;
        }
        let mut sequence = prompt;
        sequence.push(LlamaToken(first));
        let limits = DraftLimits {
            max: spec.draft_max,
            min: spec.draft_min,
        };
        let n_more = generated.len() as u32 - 1;
        generate(&mut replay, &mut sequence, n_more, limits, &mut |_| {})
    }
}
