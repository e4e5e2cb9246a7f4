//! The speed suite in the child: engine-only ppN/tgN (as llama-bench) and the
//! user-path prompts, each repetition one `measured` message.
use crate::results::Status;
use anyhow::Result;

use super::protocol::{ms, ChildJob, ChildMessage, Measurement, Sink, TimingMode};
use crate::engine::{
    is_unsupported, BenchTest, Engine, EngineTiming, TemplateChoice, UserPathRequest,
    UserPathTiming,
};
use crate::stats::percentile;

/// ppN then tgN, for every N of the job.
pub(super) fn engine_tests(engine: &mut dyn Engine, job: &ChildJob, out: Sink) {
    let pp = job.pp.iter().map(|&n| BenchTest::Prompt(n));
    let tg = job.tg.iter().map(|&n| BenchTest::Generation(n));
    for bench in pp.chain(tg) {
        let test = bench.name();
        out(ChildMessage::Started { test: test.clone() });
        let mut on_rep = |rep: u32, timing: Result<EngineTiming>| {
            out(ChildMessage::Measured(engine_row(
                &test, rep, bench, timing,
            )))
        };
        let outcome = engine.random_token_bench(bench, job.warmup, job.reps, &mut on_rep);
        if let Err(e) = outcome {
            out(ChildMessage::Measured(Measurement {
                mode: Some(TimingMode::Engine),
                ..failed_measurement(&test, &e)
            }));
        }
    }
}

/// Each prompt `warmup + reps` times; a failed repetition ends that prompt
/// (the same prompt would fail the same way again).
pub(super) fn user_path_tests(engine: &mut dyn Engine, job: &ChildJob, out: Sink) {
    for prompt in &job.prompts {
        let test = format!("e2e:{}", prompt.name);
        out(ChildMessage::Started { test: test.clone() });
        let request = UserPathRequest {
            prompt: &prompt.text,
            n_gen: job.e2e_tokens,
            n_ctx: job.unit.config.n_ctx,
            template: template_choice(job),
        };
        for i in 0..job.warmup + job.reps {
            let result = engine.user_path(&request);
            if i < job.warmup && result.is_ok() {
                continue;
            }
            let failed = result.is_err();
            let rep = i.saturating_sub(job.warmup);
            out(ChildMessage::Measured(user_path_row(&test, rep, result)));
            if failed {
                break;
            }
        }
    }
}

/// The candidate's template override and the sweep's fallback.
pub(super) fn template_choice(job: &ChildJob) -> TemplateChoice<'_> {
    TemplateChoice {
        override_name: job.unit.candidate.chat_template.as_deref(),
        fallback: job.fallback_chat_template.as_deref(),
    }
}

/// "unsupported" when the engine lacks what the test needs, else "failed".
pub(super) fn error_status(e: &anyhow::Error) -> Status {
    if is_unsupported(e) {
        Status::Unsupported
    } else {
        Status::Failed
    }
}

fn failed_measurement(test: &str, e: &anyhow::Error) -> Measurement {
    Measurement {
        test: test.to_string(),
        status: error_status(e),
        error: Some(format!("{e:#}")),
        ..Default::default()
    }
}

fn engine_row(test: &str, rep: u32, bench: BenchTest, timing: Result<EngineTiming>) -> Measurement {
    let (n_prompt, n_gen) = match bench {
        BenchTest::Prompt(n) => (n, 0),
        BenchTest::Generation(n) => (0, n),
    };
    let base = Measurement {
        test: test.to_string(),
        mode: Some(TimingMode::Engine),
        rep: Some(rep),
        n_prompt,
        n_gen,
        ..Default::default()
    };
    match timing {
        Ok(t) if n_prompt > 0 => Measurement {
            t_prompt_ms: Some(ms(t.elapsed)),
            pp_tps: Some(t.tokens_per_second()),
            status: Status::Ok,
            ..base
        },
        Ok(t) => Measurement {
            t_gen_ms: Some(ms(t.elapsed)),
            tg_tps: Some(t.tokens_per_second()),
            status: Status::Ok,
            ..base
        },
        Err(e) => Measurement {
            mode: Some(TimingMode::Engine),
            rep: Some(rep),
            n_prompt,
            n_gen,
            ..failed_measurement(test, &e)
        },
    }
}

/// Derives the user-path metrics from per-token timestamps (docs/metrics.md).
pub(super) fn user_path_row(test: &str, rep: u32, result: Result<UserPathTiming>) -> Measurement {
    let t = match result {
        Ok(t) => t,
        Err(e) => {
            return Measurement {
                mode: Some(TimingMode::UserPath),
                rep: Some(rep),
                ..failed_measurement(test, &e)
            }
        }
    };
    let times: Vec<f64> = t.token_times.iter().map(|d| ms(*d)).collect();
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let first = times.first().copied();
    let decode_ms = ms(t.prompt_done) - ms(t.prepare);
    let t_gen_ms = match (first, times.last()) {
        (Some(f), Some(l)) if times.len() > 1 => Some(l - f),
        _ => None,
    };
    Measurement {
        test: test.to_string(),
        mode: Some(TimingMode::UserPath),
        rep: Some(rep),
        n_prompt: t.n_prompt,
        n_gen: times.len() as u32,
        t_prompt_ms: Some(ms(t.prompt_done)),
        t_gen_ms,
        pp_tps: (decode_ms > 0.0).then(|| t.n_prompt as f64 / (decode_ms / 1e3)),
        tg_tps: t_gen_ms.map(|g| (times.len() - 1) as f64 / (g / 1e3)),
        ttft_ms: first,
        latency_50_ms: times.get(49).copied(),
        itl_p50_ms: (!gaps.is_empty()).then(|| percentile(&gaps, 50.0)),
        itl_p95_ms: (!gaps.is_empty()).then(|| percentile(&gaps, 95.0)),
        chat_template: Some(t.chat_template),
        eos_at: t.eos_at,
        output_text: Some(t.text),
        status: Status::Ok,
        error: None,
    }
}
