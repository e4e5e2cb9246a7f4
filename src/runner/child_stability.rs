//! The measuring child's stability tests: each step goes to the parent as one
//! StabilityRow the moment it is measured, so a crash keeps what came before.
use std::time::Duration;

use anyhow::Result;

use super::child_send::send;
use super::protocol::{ChildJob, ChildMessage, StabilityJob};
use crate::engine::{AnswerRequest, LlamaEngine};
use crate::results::StabilityRow;
use crate::suite::{Message, Sampling};

pub fn run_stability(engine: &LlamaEngine, job: &ChildJob, stability: &StabilityJob) {
    if let Some(ceiling) = &stability.ceiling {
        let test = format!("memory_ceiling:{}", ceiling.n_ctx);
        send(&ChildMessage::Started { test });
        let row = match engine.try_context(ceiling.n_ctx, ceiling.fill) {
            Ok((n, elapsed)) => StabilityRow {
                n_tokens: Some(n),
                tg_tps: Some(n as f64 / elapsed.as_secs_f64()),
                status: "ok".into(),
                ..step_row("memory_ceiling", ceiling.step)
            },
            Err(e) => failed(step_row("memory_ceiling", ceiling.step), &e),
        };
        send(&ChildMessage::Stability(StabilityRow {
            n_ctx: Some(ceiling.n_ctx),
            ..row
        }));
        return;
    }
    if let Some(soak) = &stability.soak {
        send(&ChildMessage::Started {
            test: "soak".into(),
        });
        if let Err(e) = soak_test(engine, job, soak) {
            send(&ChildMessage::Stability(failed(step_row("soak", 0), &e)));
        }
    }
    if stability.multi_turn.is_some() {
        send(&ChildMessage::Started {
            test: "multi_turn".into(),
        });
        multi_turn(engine, job);
    }
    if let Some(fidelity) = &stability.fidelity {
        send(&ChildMessage::Started {
            test: "fidelity".into(),
        });
        if let Err(e) = fidelity_test(engine, fidelity) {
            send(&ChildMessage::Stability(failed(
                step_row("fidelity", 0),
                &e,
            )));
        }
    }
}

fn step_row(test: &str, step: u32) -> StabilityRow {
    StabilityRow {
        test: test.into(),
        step,
        ..Default::default()
    }
}

fn failed(row: StabilityRow, e: &anyhow::Error) -> StabilityRow {
    StabilityRow {
        status: "failed".into(),
        error: Some(format!("{e:#}")),
        ..row
    }
}

fn request<'a>(job: &'a ChildJob, messages: &'a [Message], max_tokens: u32) -> AnswerRequest<'a> {
    AnswerRequest {
        messages,
        use_chat_template: true,
        max_tokens,
        sampling: Sampling {
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
        },
        grammar: None,
        template_override: job.unit.candidate.chat_template.as_deref(),
        fallback_template: job.fallback_chat_template.as_deref(),
    }
}

fn soak_test(engine: &LlamaEngine, job: &ChildJob, soak: &super::protocol::SoakJob) -> Result<()> {
    let messages = [Message {
        role: "user".into(),
        content: soak.prompt.clone(),
    }];
    let tokens = engine.prompt_tokens(&request(job, &messages, 1))?;
    // A context that rarely fills keeps re-prefills (which count) rare.
    let n_ctx = job.unit.config.n_ctx.min(2048);
    engine.soak(
        &tokens,
        n_ctx,
        Duration::from_secs(soak.seconds),
        Duration::from_secs(soak.window_s),
        |w| {
            send(&ChildMessage::Stability(StabilityRow {
                t_s: Some(w.end.as_secs_f64()),
                n_tokens: Some(w.tokens),
                tg_tps: Some(w.tokens as f64 / w.elapsed.as_secs_f64()),
                status: "ok".into(),
                ..step_row("soak", w.index)
            }))
        },
    )
}

/// Grows one conversation turn by turn until the next turn would not fit.
fn multi_turn(engine: &LlamaEngine, job: &ChildJob) {
    let Some(spec) = job.stability.as_ref().and_then(|s| s.multi_turn.as_ref()) else {
        return;
    };
    let n_ctx = job.unit.config.n_ctx;
    let mut ctx = match engine.answer_context(n_ctx) {
        Ok(ctx) => ctx,
        Err(e) => {
            send(&ChildMessage::Stability(failed(
                step_row("multi_turn", 0),
                &e,
            )));
            return;
        }
    };
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
        let n_prompt = match engine.prompt_tokens(&req) {
            Ok(t) => t.len() as u32,
            Err(e) => {
                send(&ChildMessage::Stability(failed(
                    step_row("multi_turn", turn),
                    &e,
                )));
                return;
            }
        };
        if n_prompt + spec.max_tokens > n_ctx {
            return; // the context is full: the last row says how far it got
        }
        let row = step_row("multi_turn", turn);
        let answer = match engine.answer(&mut ctx, &req) {
            Ok(a) => a,
            Err(e) => {
                send(&ChildMessage::Stability(failed(row, &e)));
                return;
            }
        };
        let gen_s = (answer.total - answer.ttft).as_secs_f64();
        let n_gen = answer.tokens.len() as u32;
        send(&ChildMessage::Stability(StabilityRow {
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
            status: "ok".into(),
            ..row
        }));
        messages.push(Message {
            role: "assistant".into(),
            content: answer.text,
        });
    }
}

fn fidelity_test(engine: &LlamaEngine, job: &super::protocol::FidelityJob) -> Result<()> {
    let reference = match &job.reference {
        Some((_, path)) => Some(engine.load_reference(path)?),
        None => None,
    };
    let name = job.reference.as_ref().map(|(n, _)| n.clone());
    engine.fidelity(
        &job.text,
        job.chunk_tokens,
        job.max_chunks,
        reference.as_ref(),
        |c| {
            let n = c.n_scored.max(1) as f64;
            let with_ref = !c.kld.is_empty();
            let mut sorted = c.kld.clone();
            sorted.sort_by(f32::total_cmp);
            send(&ChildMessage::Stability(StabilityRow {
                n_tokens: Some(c.n_scored),
                nll_sum: Some(c.nll_sum),
                ppl: Some((c.nll_sum / n).exp()),
                kld_mean: with_ref.then(|| c.kld.iter().map(|&v| v as f64).sum::<f64>() / n),
                kld_p99: with_ref.then(|| {
                    let v: Vec<f64> = sorted.iter().map(|&v| v as f64).collect();
                    crate::stats::percentile_sorted(&v, 99.0)
                }),
                top1_agree: with_ref.then(|| c.top1_same as f64 / n),
                reference: name.clone(),
                kld_values: c.kld,
                status: "ok".into(),
                ..step_row("fidelity", c.index)
            }))
        },
    )
}
