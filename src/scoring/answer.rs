//! A quality answer as the measuring child reports it (one `answered` line of
//! the child protocol) and as scoring reads it.
use serde::{Deserialize, Serialize};

use crate::checks::OptionScore;
use crate::results::FinishReason;
use crate::suite::Decoding;

/// What the child answered to one quality case (the runner's QualityItem).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AnswerMessage {
    pub suite: String,
    pub case_id: String,
    pub decoding: Option<Decoding>,
    pub rep: u32,
    pub output_text: String,
    pub n_prompt: u32,
    /// Of `n_prompt`, the tokens taken from the cache (in-process engines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_prompt_reused: Option<u32>,
    pub n_gen: u32,
    /// The model ended the answer itself (false: cut at max_tokens).
    pub ended: bool,
    /// Why it ended (None: multiple choice, or an answer kept from before the field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    /// The most tokens the answer was allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    pub ttft_ms: Option<f64>,
    pub latency_ms: Option<f64>,
    pub tg_tps: Option<f64>,
    /// 1 - unique 4-grams / 4-grams over the generated tokens.
    pub seq_rep_4: Option<f64>,
    pub choice_scores: Option<Vec<OptionScore>>,
    pub chat_template: Option<String>,
    pub error: Option<String>,
    /// The engine lacks what the case needs (e.g. log-likelihoods): the row
    /// says "unsupported", not "failed".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unsupported: bool,
}
