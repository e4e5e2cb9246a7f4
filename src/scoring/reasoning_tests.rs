//! Scoring a reasoning model's answers: the checks read the answer after the
//! reasoning (as lm-evaluation-harness's `think_end_token`), and a reasoning
//! block that never ended is a failed row saying so, not a pass.
use super::apply_checks;
use crate::checks::Check;
use crate::results::{QualityRow, Status};
use crate::suite::{Case, Decoding, GenerationSettings};

fn case() -> Case {
    Case {
        id: "capital".into(),
        category: "facts".into(),
        messages: Vec::new(),
        use_chat_template: true,
        max_tokens: 64,
        sampling: GenerationSettings {
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
        },
        choices: None,
        checks: vec![
            Check::Exact {
                value: "Paris".into(),
                case_sensitive: true,
            },
            Check::NotContains {
                value: Some("Lyon".into()),
                values: None,
                case_sensitive: false,
                whole_words: false,
            },
        ],
        decodings: vec![Decoding::Free],
        schema: None,
        tools: Vec::new(),
        native_messages: Vec::new(),
        native_tools: Vec::new(),
    }
}

fn scored(text: &str) -> QualityRow {
    let mut row = QualityRow {
        output_text: text.into(),
        status: Status::Ok,
        ..Default::default()
    };
    apply_checks(&mut row, &case());
    row
}

#[test]
fn the_checks_read_the_answer_after_the_reasoning() {
    // The reasoning names Lyon and is not the exact answer: only the answer counts.
    let row = scored("<think>Lyon? No, the capital is Paris.</think>\n\nParis");
    assert_eq!(row.pass, Some(true), "{:?}", row.failed_reasons);
    assert_eq!(row.n_checks_passed, 2);
    // A block the template opened has only its end in the reply.
    assert_eq!(scored("Lyon is not it.</think>Paris").pass, Some(true));
    // The stored text keeps the reasoning.
    assert!(scored("<think>x</think>Paris")
        .output_text
        .contains("<think>"));
}

#[test]
fn a_wrong_answer_after_reasoning_still_fails() {
    let row = scored("<think>Paris, surely.</think>Lyon");
    assert_eq!(row.pass, Some(false));
    assert_eq!(row.n_checks_passed, 0);
}

#[test]
fn a_reasoning_block_that_never_ends_is_a_failure_with_its_reason() {
    let row = scored("<think>The capital of France is Paris");
    assert_eq!(row.pass, Some(false));
    assert_eq!(row.n_checks_passed, 0);
    assert_eq!(row.n_checks, 2);
    let reasons = row.failed_reasons.unwrap();
    assert!(reasons.contains("reasoning never ended"), "{reasons}");
    assert!(reasons.contains("</think>"), "{reasons}");
    assert!(
        row.verdicts.contains("\"check\":\"reasoning\""),
        "{}",
        row.verdicts
    );
    // Without the block the same words pass.
    assert_eq!(scored("Paris").pass, Some(true));
}
