//! The measuring child's stability tests: each step goes to the parent as one
//! StabilityRow the moment it is measured, so a crash keeps what came before.
use crate::results::{Status, TestKind};
use std::time::Duration;

use anyhow::Result;

use super::child_speed::{error_status, template_choice};
use super::protocol::{ChildJob, ChildMessage, FidelityJob, Sink, SoakJob, StabilityJob};
use crate::engine::{is_unsupported, Answer, AnswerRequest, Engine, FidelityRequest, SoakSpan};
use crate::results::StabilityRow;
use crate::suite::stability::MultiTurnSpec;
use crate::suite::{GenerationSettings, Message};

pub(super) fn run_stability(
    engine: &mut dyn Engine,
    job: &ChildJob,
    stability: &StabilityJob,
    out: Sink,
) {
    if let Some(ceiling) = &stability.ceiling {
        out(ChildMessage::Started {
            test: format!("memory_ceiling:{}", ceiling.n_ctx),
        });
        let row = match engine.try_context(ceiling.n_ctx, ceiling.fill) {
            Ok(trial) => StabilityRow {
                n_tokens: Some(trial.n_generated),
                tg_tps: Some(trial.n_generated as f64 / trial.elapsed.as_secs_f64()),
                status: Status::Ok,
                ..step_row(TestKind::MemoryCeiling, ceiling.step)
            },
            Err(e) => failed(step_row(TestKind::MemoryCeiling, ceiling.step), &e),
        };
        out(ChildMessage::Stability(StabilityRow {
            n_ctx: Some(ceiling.n_ctx),
            ..row
        }));
        return;
    }
    if let Some(soak) = &stability.soak {
        out(ChildMessage::Started {
            test: TestKind::Soak.name(),
        });
        if let Err(e) = soak_test(engine, job, soak, out) {
            out(ChildMessage::Stability(failed(
                step_row(TestKind::Soak, 0),
                &e,
            )));
        }
    }
    if let Some(spec) = &stability.multi_turn {
        out(ChildMessage::Started {
            test: TestKind::MultiTurn.name(),
        });
        if let Err((turn, e)) = multi_turn(engine, job, spec, out) {
            out(ChildMessage::Stability(failed(
                step_row(TestKind::MultiTurn, turn),
                &e,
            )));
        }
    }
    if let Some(fidelity) = &stability.fidelity {
        out(ChildMessage::Started {
            test: TestKind::Fidelity.name(),
        });
        if let Err(e) = fidelity_test(engine, fidelity, out) {
            out(ChildMessage::Stability(failed(
                step_row(TestKind::Fidelity, 0),
                &e,
            )));
        }
    }
}

fn step_row(kind: TestKind, step: u32) -> StabilityRow {
    StabilityRow {
        test: kind.name(),
        step,
        ..Default::default()
    }
}

fn failed(row: StabilityRow, e: &anyhow::Error) -> StabilityRow {
    StabilityRow {
        status: error_status(e),
        error: Some(format!("{e:#}")),
        ..row
    }
}

/// A greedy request with the candidate's chat template.
fn request<'a>(job: &'a ChildJob, messages: &'a [Message], max_tokens: u32) -> AnswerRequest<'a> {
    AnswerRequest {
        messages,
        use_chat_template: true,
        max_tokens,
        sampling: GenerationSettings {
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
        },
        json_schema: None,
        template: template_choice(job),
        tools: &[],
    }
}

fn soak_test(engine: &mut dyn Engine, job: &ChildJob, soak: &SoakJob, out: Sink) -> Result<()> {
    let messages = [Message {
        role: "user".into(),
        content: soak.prompt.clone(),
    }];
    let span = SoakSpan {
        // A context that rarely fills keeps re-prefills (which count) rare.
        n_ctx: job.unit.config.n_ctx.min(2048),
        total: Duration::from_secs(soak.seconds),
        window: Duration::from_secs(soak.window_s),
    };
    engine.soak(&request(job, &messages, 1), span, &mut |w| {
        out(ChildMessage::Stability(StabilityRow {
            t_s: Some(w.end.as_secs_f64()),
            n_tokens: Some(w.tokens),
            tg_tps: Some(w.tokens as f64 / w.elapsed.as_secs_f64()),
            status: Status::Ok,
            ..step_row(TestKind::Soak, w.index)
        }))
    })
}

/// Grows one conversation turn by turn until the next turn would not fit; an
/// error comes back with the turn it ended.
///
/// A turn's tokens are counted before it is sent where the engine can; a
/// server that counts only when a prompt is sent (`Unsupported`) gives its
/// `usage.prompt_tokens` after the turn, and the limit is then checked after
/// it: a turn that turns out not to fit is not recorded (it would not have
/// been sent), and the test stops as soon as the next turn cannot fit.
fn multi_turn(
    engine: &mut dyn Engine,
    job: &ChildJob,
    spec: &MultiTurnSpec,
    out: Sink,
) -> Result<(), (u32, anyhow::Error)> {
    let n_ctx = job.unit.config.n_ctx;
    let fits = |n_prompt: u32| n_prompt + spec.max_tokens <= n_ctx;
    let mut conversation = engine.conversation(n_ctx).map_err(|e| (0, e))?;
    let mut messages = vec![Message {
        role: "user".into(),
        content: spec.remember.clone(),
    }];
    for turn in 0..spec.max_turns {
        if turn > 0 {
            let asked = &spec.turns[(turn as usize - 1) % spec.turns.len()];
            messages.push(Message {
                role: "user".into(),
                content: asked.clone(),
            });
        }
        let req = request(job, &messages, spec.max_tokens);
        let counted_before = match conversation.prompt_tokens(&req) {
            Ok(n) => Some(n),
            Err(e) if is_unsupported(&e) => None,
            Err(e) => return Err((turn, e)),
        };
        if counted_before.is_some_and(|n| !fits(n)) {
            return Ok(()); // the context is full: the last row says how far it got
        }
        let answer = conversation.answer(&req).map_err(|e| (turn, e))?;
        let n_prompt = counted_before.unwrap_or(answer.n_prompt);
        if !fits(n_prompt) {
            return Ok(()); // counted after the turn, which did not fit
        }
        let row = turn_row(turn, spec, n_prompt, &answer);
        let n_gen = row.n_tokens.unwrap_or(0);
        out(ChildMessage::Stability(StabilityRow {
            n_ctx_from: counted_before.is_none().then(|| "usage".to_string()),
            ..row
        }));
        messages.push(Message {
            role: "assistant".into(),
            content: answer.text,
        });
        // Counted after: the next prompt holds at least this one and its answer.
        if counted_before.is_none() && !fits(n_prompt + n_gen + 1) {
            return Ok(());
        }
    }
    Ok(())
}

/// One turn's row: its context, the answer's rate and whether it recalls.
fn turn_row(turn: u32, spec: &MultiTurnSpec, n_prompt: u32, answer: &Answer) -> StabilityRow {
    let gen_s = (answer.total - answer.ttft).as_secs_f64();
    // A server sends no token ids, only its count (seq_rep_4 then stays empty).
    let server_count = answer.server.as_ref().and_then(|s| s.completion_tokens);
    let n_gen = server_count.unwrap_or(answer.tokens.len() as u32);
    StabilityRow {
        n_ctx: Some(n_prompt),
        n_tokens: Some(n_gen),
        tg_tps: (n_gen > 1 && gen_s > 0.0).then(|| (n_gen - 1) as f64 / gen_s),
        ttft_ms: Some(answer.ttft.as_secs_f64() * 1e3),
        // The first turn gives the fact; every later one should still hold it.
        recall_ok: (turn > 0).then(|| {
            answer
                .text
                .to_lowercase()
                .contains(&spec.recall.to_lowercase())
        }),
        seq_rep_4: crate::checks::seq_rep_n(&answer.tokens, 4),
        output_text: Some(answer.text.clone()),
        status: Status::Ok,
        ..step_row(TestKind::MultiTurn, turn)
    }
}

fn fidelity_test(engine: &mut dyn Engine, job: &FidelityJob, out: Sink) -> Result<()> {
    let name = job.reference.as_ref().map(|(n, _)| n.clone());
    let request = FidelityRequest {
        text: &job.text,
        chunk_tokens: job.chunk_tokens,
        max_chunks: job.max_chunks,
        reference: job.reference.as_ref().map(|(_, path)| path.as_path()),
    };
    engine.fidelity(&request, &mut |c| {
        let n = c.n_scored.max(1) as f64;
        let with_ref = !c.kld.is_empty();
        let kld: Vec<f64> = c.kld.iter().map(|&v| v as f64).collect();
        let mut sorted = kld.clone();
        sorted.sort_by(f64::total_cmp);
        out(ChildMessage::Stability(StabilityRow {
            n_tokens: Some(c.n_scored),
            nll_sum: Some(c.nll_sum),
            ppl: Some((c.nll_sum / n).exp()),
            kld_mean: with_ref.then(|| kld.iter().sum::<f64>() / n),
            kld_p99: with_ref.then(|| crate::stats::percentile_sorted(&sorted, 99.0)),
            top1_agree: with_ref.then(|| c.top1_same as f64 / n),
            reference: name.clone(),
            kld_values: c.kld,
            status: Status::Ok,
            ..step_row(TestKind::Fidelity, c.index)
        }))
    })
}

#[cfg(test)]
mod tests {
    use crate::engine::scripted::ScriptedEngine;
    use crate::engine::Capability;
    use crate::results::{StabilityRow, Status};
    use crate::runner::child_job::run_job;
    use crate::runner::child_job::tests::job;
    use crate::runner::protocol::{ChildJob, ChildMessage, StabilityJob};
    use crate::suite::stability::MultiTurnSpec;

    /// Ten turns asked, 8 tokens each, in a context of `n_ctx`.
    fn multi_turn_job(n_ctx: u32) -> ChildJob {
        let mut job = job("m");
        job.unit.config.n_ctx = n_ctx;
        job.quality.clear();
        job.stability = Some(StabilityJob {
            soak: None,
            multi_turn: Some(MultiTurnSpec {
                remember: "The code word is MARIGOLD.".into(),
                recall: "marigold".into(),
                turns: vec!["What is the code word?".into()],
                max_tokens: 8,
                max_turns: 10,
            }),
            fidelity: None,
            ceiling: None,
        });
        job
    }

    fn turns(engine: &mut ScriptedEngine, job: &ChildJob) -> Vec<StabilityRow> {
        let mut rows = Vec::new();
        run_job(engine, job, &mut |m| {
            if let ChildMessage::Stability(row) = m {
                rows.push(row);
            }
        });
        rows
    }

    #[test]
    fn a_count_before_each_turn_stops_where_the_next_would_not_fit() {
        // 10 tokens a message: turns at 10, 30, 50 fit 60 with 8 to spare; 70 not.
        let mut engine = ScriptedEngine::default();
        let rows = turns(&mut engine, &multi_turn_job(60));
        let n_ctx: Vec<_> = rows.iter().map(|r| r.n_ctx).collect();
        assert_eq!(n_ctx, [Some(10), Some(30), Some(50)]);
        assert!(rows.iter().all(|r| r.n_ctx_from.is_none()));
        assert!(rows.iter().all(|r| r.status == Status::Ok));
    }

    /// An engine that counts a prompt only when it is sent, as a server.
    fn counting_after() -> ScriptedEngine {
        ScriptedEngine {
            lacks: vec![Capability::PromptTokenCount],
            ..Default::default()
        }
    }

    #[test]
    fn a_server_that_counts_after_the_turn_gives_its_usage_and_says_so() {
        let mut engine = counting_after();
        let rows = turns(&mut engine, &multi_turn_job(60));
        // The same turns as counted before: the server's count is the answer's
        // n_prompt, and 50 + 3 generated + 1 + 8 no longer fits after turn 3.
        let n_ctx: Vec<_> = rows.iter().map(|r| r.n_ctx).collect();
        assert_eq!(n_ctx, [Some(10), Some(30), Some(50)]);
        assert!(rows
            .iter()
            .all(|r| r.n_ctx_from.as_deref() == Some("usage")));
        assert!(rows.iter().all(|r| r.status == Status::Ok));
        let answers = engine.calls.iter().filter(|c| *c == "answer").count();
        assert_eq!(answers, 3, "no turn sent that surely would not fit");
    }

    #[test]
    fn a_turn_found_too_big_after_it_was_sent_is_not_recorded() {
        // After the third turn (50 tokens, 3 generated) the next holds at
        // least 54: 54 + 8 fits 69, so it is sent; the server counts 70.
        let mut engine = counting_after();
        let rows = turns(&mut engine, &multi_turn_job(69));
        let n_ctx: Vec<_> = rows.iter().map(|r| r.n_ctx).collect();
        assert_eq!(n_ctx, [Some(10), Some(30), Some(50)]);
        let answers = engine.calls.iter().filter(|c| *c == "answer").count();
        assert_eq!(
            answers, 4,
            "the fourth was sent, found at 70 + 8 > 69, dropped"
        );
    }
}
