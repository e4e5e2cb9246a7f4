//! Log-likelihood multiple choice: which option did the model find most likely?

use super::{quote, OptionScore};

/// The option each scoring rule picks (0-based indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChoicePicks {
    /// Highest total log-probability (lm-evaluation-harness `acc`).
    pub acc: usize,
    /// Highest log-probability per character of the option (lm-evaluation-harness
    /// `acc_norm`, which divides by the option's length as a Python string).
    pub acc_norm: usize,
    /// Highest log-probability per token (llama.cpp perplexity-style).
    pub acc_tok: usize,
}

pub fn choice_picks(scores: &[OptionScore]) -> Option<ChoicePicks> {
    if scores.is_empty() {
        return None;
    }
    Some(ChoicePicks {
        acc: argmax(scores, |score| score.logprob),
        acc_norm: argmax(scores, |score| {
            score.logprob / score.option.chars().count().max(1) as f64
        }),
        acc_tok: argmax(scores, |score| {
            score.logprob / f64::from(score.n_tokens.max(1))
        }),
    })
}

/// The first index with the highest value (ties go to the earlier option, as numpy's
/// argmax does); NaN never wins.
fn argmax(scores: &[OptionScore], value: impl Fn(&OptionScore) -> f64) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (index, score) in scores.iter().enumerate() {
        let candidate = value(score);
        if candidate > best.1 || (index == 0 && !candidate.is_nan()) {
            best = (index, candidate);
        }
    }
    best.0
}

pub(super) fn evaluate(scores: Option<&[OptionScore]>, answer: usize) -> (bool, String) {
    let Some(scores) = scores.filter(|scores| !scores.is_empty()) else {
        return (
            false,
            "no option scores: a choice check needs the case's choices scored".into(),
        );
    };
    let Some(expected) = scores.get(answer) else {
        return (
            false,
            format!(
                "answer {answer} is out of range for {} options",
                scores.len()
            ),
        );
    };
    let picks = choice_picks(scores).expect("scores are not empty");
    let picked = &scores[picks.acc];
    let others = format!(
        "acc_norm picks {}, acc_tok picks {}",
        picks.acc_norm, picks.acc_tok
    );
    if picks.acc == answer {
        let reason = format!(
            "picked {answer} {} (logprob {:.2}); {others}",
            quote(&picked.option, 30),
            picked.logprob
        );
        (true, reason)
    } else {
        let reason = format!(
            "picked {} {} (logprob {:.2}), expected {answer} {} ({:.2}); {others}",
            picks.acc,
            quote(&picked.option, 30),
            picked.logprob,
            quote(&expected.option, 30),
            expected.logprob
        );
        (false, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AnswerUnderCheck, Check};
    use super::*;

    fn score(option: &str, logprob: f64, n_tokens: u32) -> OptionScore {
        OptionScore {
            option: option.into(),
            logprob,
            n_tokens,
        }
    }

    #[test]
    fn acc_and_acc_norm_can_disagree() {
        // The long option has the lower total but the higher per-character log-probability.
        let scores = [
            score(" Mars", -4.0, 1),
            score(" the fourth planet from the Sun", -6.0, 7),
        ];
        let picks = choice_picks(&scores).unwrap();
        assert_eq!(picks.acc, 0);
        assert_eq!(picks.acc_norm, 1);
        assert_eq!(picks.acc_tok, 1);
    }

    #[test]
    fn acc_tok_divides_by_tokens() {
        let scores = [score("ab", -3.0, 3), score("cd", -2.5, 1)];
        let picks = choice_picks(&scores).unwrap();
        assert_eq!((picks.acc, picks.acc_norm, picks.acc_tok), (1, 1, 0));
    }

    #[test]
    fn ties_and_nan() {
        let tied = [score("a", -1.0, 1), score("b", -1.0, 1)];
        assert_eq!(choice_picks(&tied).unwrap().acc, 0);
        let nan_first = [score("a", f64::NAN, 1), score("b", -9.0, 1)];
        assert_eq!(choice_picks(&nan_first).unwrap().acc, 1);
        assert_eq!(choice_picks(&[]), None);
    }

    #[test]
    fn choice_check_pass_and_fail() {
        let scores = [score(" Venus", -3.2, 1), score(" Mars", -1.5, 1)];
        let answer = AnswerUnderCheck {
            text: "",
            choice_scores: Some(&scores),
        };
        let verdict = Check::Choice { answer: 1 }.evaluate(&answer);
        assert!(verdict.pass);
        assert_eq!(
            verdict.reason,
            r#"picked 1 " Mars" (logprob -1.50); acc_norm picks 1, acc_tok picks 1"#
        );
        let verdict = Check::Choice { answer: 0 }.evaluate(&answer);
        assert!(!verdict.pass);
        assert_eq!(
            verdict.reason,
            r#"picked 1 " Mars" (logprob -1.50), expected 0 " Venus" (-3.20); acc_norm picks 1, acc_tok picks 1"#
        );
        let verdict = Check::Choice { answer: 5 }.evaluate(&answer);
        assert_eq!(verdict.reason, "answer 5 is out of range for 2 options");
    }

    #[test]
    fn choice_check_without_scores_fails() {
        let verdict = Check::Choice { answer: 0 }.evaluate(&AnswerUnderCheck::text("Mars"));
        assert!(!verdict.pass);
        assert!(
            verdict.reason.starts_with("no option scores"),
            "{}",
            verdict.reason
        );
    }
}
