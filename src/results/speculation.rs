//! Speculative decoding as an axis of the plan (`--draft-model`,
//! `--draft-max`, `--draft-min`, `--spec mtp`) and its figures in the rows:
//! what was drafted and accepted, where the time went, whether the text was
//! the target's own (docs/speculative.md).
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// llama.cpp's default longest draft (`--draft-max`, common.h's `n_max`).
pub const DEFAULT_DRAFT_MAX: u32 = 16;
/// The longest draft a sweep may ask for: one verification batch holds it.
pub const MAX_DRAFT: u32 = 1024;

/// Where the drafted tokens come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "method")]
pub enum SpecMethod {
    /// A smaller model with the same tokenizer, in its own context.
    Draft { model: PathBuf },
    /// The model's own multi-token-prediction heads (llama.cpp's MTP).
    Mtp,
}

/// One speculative configuration: the method and the draft lengths.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Speculation {
    #[serde(flatten)]
    pub method: SpecMethod,
    /// Tokens drafted per verification step, at most.
    pub draft_max: u32,
    /// A draft shorter than this is not verified: the step decodes one token
    /// plainly (llama.cpp's `--draft-min`).
    #[serde(default)]
    pub draft_min: u32,
}

impl Speculation {
    /// `draft` or `mtp`: the rows' `spec` column.
    pub fn method_name(&self) -> &'static str {
        match self.method {
            SpecMethod::Draft { .. } => "draft",
            SpecMethod::Mtp => "mtp",
        }
    }

    /// The draft model's file, for a draft model.
    pub fn draft_model(&self) -> Option<&Path> {
        match &self.method {
            SpecMethod::Draft { model } => Some(model),
            SpecMethod::Mtp => None,
        }
    }

    /// The rows' `draft_model`: the draft's file name without `.gguf`.
    pub fn draft_name(&self) -> Option<String> {
        self.draft_model().map(file_stem)
    }

    /// " draft=qwen-0.5b dmax=8" or " spec=mtp dmax=4" (" dmin=2" when set).
    pub fn label(&self) -> String {
        spec_label(
            Some(self.method_name()),
            self.draft_name().as_deref(),
            Some(self.draft_max),
            Some(self.draft_min),
        )
    }
}

/// The speculative part of a configuration's label, empty without one; from
/// the plan or from the rows' columns (so both name a configuration alike).
pub fn spec_label(
    method: Option<&str>,
    draft: Option<&str>,
    draft_max: Option<u32>,
    draft_min: Option<u32>,
) -> String {
    let Some(method) = method else {
        return String::new();
    };
    let mut label = match draft {
        Some(draft) if method == "draft" => format!(" draft={draft}"),
        _ => format!(" spec={method}"),
    };
    if let Some(n) = draft_max {
        label += &format!(" dmax={n}");
    }
    if let Some(n) = draft_min.filter(|&n| n > 0) {
        label += &format!(" dmin={n}");
    }
    label
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The speculative configuration of a row (flattened: the columns `spec`,
/// `draft_model`, `draft_max`, `draft_min`); all null without speculation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RowSpec {
    pub spec: Option<String>,
    pub draft_model: Option<String>,
    pub draft_max: Option<u32>,
    pub draft_min: Option<u32>,
}

impl RowSpec {
    pub fn of(speculation: Option<&Speculation>) -> RowSpec {
        match speculation {
            None => RowSpec::default(),
            Some(s) => RowSpec {
                spec: Some(s.method_name().to_string()),
                draft_model: s.draft_name(),
                draft_max: Some(s.draft_max),
                draft_min: Some(s.draft_min),
            },
        }
    }

    pub fn label(&self) -> String {
        spec_label(
            self.spec.as_deref(),
            self.draft_model.as_deref(),
            self.draft_max,
            self.draft_min,
        )
    }

    pub fn is_speculative(&self) -> bool {
        self.spec.is_some()
    }
}

/// What speculation did in one repetition (speed rows of a speculative
/// configuration; null elsewhere): docs/metrics.md, *Speculative decoding*.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpecFigures {
    /// Tokens the drafter proposed, and how many of them the target accepted.
    pub draft_n: Option<u32>,
    pub draft_accepted: Option<u32>,
    /// draft_accepted / draft_n.
    pub acceptance_rate: Option<f64>,
    /// Verification steps (target decodes of a draft), and draft tokens
    /// accepted per step.
    pub spec_steps: Option<u32>,
    pub accepted_per_step: Option<f64>,
    /// Time spent drafting and verifying (the target's batched decodes, plain
    /// single-token steps included).
    pub t_draft_ms: Option<f64>,
    pub t_verify_ms: Option<f64>,
    /// The generated tokens equal the target's own greedy tokens, one by one.
    pub spec_identical: Option<bool>,
    /// The first generated token (from 0) where they differ.
    pub spec_mismatch_at: Option<u32>,
}

/// The counts of one speculative generation, accumulated step by step.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SpecCounts {
    pub drafted: u32,
    pub accepted: u32,
    /// Target decodes that verified a draft (plain steps not counted).
    pub steps: u32,
    /// Target decodes without a draft (a draft shorter than `draft_min`, or
    /// the last token).
    pub plain_steps: u32,
    pub draft_ms: f64,
    pub verify_ms: f64,
}

impl SpecCounts {
    /// One target decode: `drafted` tokens proposed, `accepted` of them kept.
    pub fn add_step(&mut self, drafted: u32, accepted: u32, draft_ms: f64, verify_ms: f64) {
        debug_assert!(accepted <= drafted);
        self.drafted += drafted;
        self.accepted += accepted;
        match drafted {
            0 => self.plain_steps += 1,
            _ => self.steps += 1,
        }
        self.draft_ms += draft_ms;
        self.verify_ms += verify_ms;
    }

    /// Accepted over drafted; None when nothing was drafted.
    pub fn acceptance_rate(&self) -> Option<f64> {
        (self.drafted > 0).then(|| f64::from(self.accepted) / f64::from(self.drafted))
    }

    /// Draft tokens accepted per verification step; None without one.
    pub fn accepted_per_step(&self) -> Option<f64> {
        (self.steps > 0).then(|| f64::from(self.accepted) / f64::from(self.steps))
    }

    /// The row's figures; `mismatch_at` from the identity check (None: identical).
    pub fn figures(&self, mismatch_at: Option<u32>) -> SpecFigures {
        SpecFigures {
            draft_n: Some(self.drafted),
            draft_accepted: Some(self.accepted),
            acceptance_rate: self.acceptance_rate(),
            spec_steps: Some(self.steps),
            accepted_per_step: self.accepted_per_step(),
            t_draft_ms: Some(self.draft_ms),
            t_verify_ms: Some(self.verify_ms),
            spec_identical: Some(mismatch_at.is_none()),
            spec_mismatch_at: mismatch_at,
        }
    }
}

/// The first index where `generated` differs from `reference` (a shorter
/// one differs where it ends); None when they are the same.
pub fn first_mismatch<T: PartialEq>(generated: &[T], reference: &[T]) -> Option<u32> {
    let same = generated
        .iter()
        .zip(reference)
        .take_while(|(a, b)| a == b)
        .count();
    (same < generated.len().max(reference.len())).then_some(same as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(dmax: u32, dmin: u32) -> Speculation {
        Speculation {
            method: SpecMethod::Draft {
                model: PathBuf::from("models/qwen-0.5b.gguf"),
            },
            draft_max: dmax,
            draft_min: dmin,
        }
    }

    #[test]
    fn labels_name_the_draft_only_when_set() {
        assert_eq!(draft(8, 0).label(), " draft=qwen-0.5b dmax=8");
        assert_eq!(draft(8, 2).label(), " draft=qwen-0.5b dmax=8 dmin=2");
        let mtp = Speculation {
            method: SpecMethod::Mtp,
            draft_max: 3,
            draft_min: 0,
        };
        assert_eq!(mtp.label(), " spec=mtp dmax=3");
        assert_eq!(RowSpec::of(None).label(), "");
        // The rows' columns give the plan's label back.
        assert_eq!(RowSpec::of(Some(&draft(4, 1))).label(), draft(4, 1).label());
    }

    #[test]
    fn the_plan_round_trips_through_json() {
        let s = draft(4, 1);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"method\":\"draft\""), "{json}");
        assert_eq!(serde_json::from_str::<Speculation>(&json).unwrap(), s);
    }

    #[test]
    fn acceptance_counts_drafted_accepted_and_steps() {
        let mut c = SpecCounts::default();
        c.add_step(4, 4, 2.0, 3.0);
        c.add_step(4, 1, 2.0, 3.0);
        c.add_step(0, 0, 0.0, 1.0);
        assert_eq!(
            (c.drafted, c.accepted, c.steps, c.plain_steps),
            (8, 5, 2, 1)
        );
        assert_eq!(c.acceptance_rate(), Some(5.0 / 8.0));
        assert_eq!(c.accepted_per_step(), Some(2.5));
        let f = c.figures(None);
        assert_eq!(f.t_draft_ms, Some(4.0));
        assert_eq!(f.t_verify_ms, Some(7.0));
        assert_eq!(f.spec_identical, Some(true));
        assert_eq!(SpecCounts::default().acceptance_rate(), None);
        assert_eq!(SpecCounts::default().accepted_per_step(), None);
        assert_eq!(c.figures(Some(3)).spec_identical, Some(false));
    }

    #[test]
    fn mismatches_are_found_where_they_start() {
        assert_eq!(first_mismatch(&[1, 2, 3], &[1, 2, 3]), None);
        assert_eq!(first_mismatch(&[1, 9, 3], &[1, 2, 3]), Some(1));
        assert_eq!(first_mismatch(&[1, 2], &[1, 2, 3]), Some(2));
        assert_eq!(first_mismatch::<u8>(&[], &[]), None);
    }
}
