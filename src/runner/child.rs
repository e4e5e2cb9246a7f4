//! The measuring child: `edgebench __child` reads one job on stdin, loads the
//! model once, runs every test and streams one JSON message per line on stdout.
//! If llama.cpp aborts or the kernel kills us, the parent records what was sent.
use std::io::Read;
use std::time::Duration;

use anyhow::{Context as _, Result};

use super::child_send::send;
use super::protocol::{
    AnswerMessage, ChildJob, ChildMessage, Measurement, QualityItem, TimingMode, EXIT_LOAD_FAILED,
};
use crate::engine::{
    Answer, AnswerRequest, EngineSettings, EngineTiming, LlamaEngine, UserPathTiming,
};
use crate::stats::percentile;

pub fn run_child() -> Result<i32> {
    die_with_parent();
    super::crash::install();
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let job: ChildJob = serde_json::from_str(&input).context("bad job on stdin")?;
    let unit = &job.unit;

    if let Err(error) = crate::runner::memory_check::check_fits(&unit.candidate.path, &unit.config)
    {
        send(&ChildMessage::LoadFailed { error });
        return Ok(EXIT_LOAD_FAILED);
    }
    let (mut engine, load_time) =
        match LlamaEngine::load(&unit.candidate.path, EngineSettings::from(&unit.config)) {
            Ok(loaded) => loaded,
            Err(e) => {
                send(&ChildMessage::LoadFailed {
                    error: format!("{e:#}"),
                });
                return Ok(EXIT_LOAD_FAILED);
            }
        };
    send(&ChildMessage::Loaded {
        load_ms: ms(load_time),
    });

    for &n in &job.pp {
        let test = format!("pp{n}");
        send(&ChildMessage::Started { test: test.clone() });
        let outcome = engine.prompt_processing(n, job.warmup, job.reps, |rep, timing| {
            send(&ChildMessage::Measured(engine_row(
                &test, rep, n, 0, timing,
            )));
        });
        report_test_failure(&test, outcome);
    }
    for &n in &job.tg {
        let test = format!("tg{n}");
        send(&ChildMessage::Started { test: test.clone() });
        let outcome = engine.text_generation(n, job.warmup, job.reps, |rep, timing| {
            send(&ChildMessage::Measured(engine_row(
                &test, rep, 0, n, timing,
            )));
        });
        report_test_failure(&test, outcome);
    }
    for prompt in &job.prompts {
        let test = format!("e2e:{}", prompt.name);
        send(&ChildMessage::Started { test: test.clone() });
        for i in 0..job.warmup + job.reps {
            let result = engine.user_path(
                &prompt.text,
                job.e2e_tokens,
                unit.config.n_ctx,
                unit.candidate.chat_template.as_deref(),
                job.fallback_chat_template.as_deref(),
            );
            if i < job.warmup && result.is_ok() {
                continue;
            }
            let rep = i.saturating_sub(job.warmup);
            let failed = result.is_err();
            send(&ChildMessage::Measured(user_path_row(&test, rep, result)));
            if failed {
                break; // the same prompt would fail the same way again
            }
        }
    }
    if !job.quality.is_empty() {
        answer_quality(&engine, &job);
    }
    if let Some(stability) = &job.stability {
        super::child_stability::run_stability(&engine, &job, stability);
    }
    Ok(0)
}

/// Answers every quality item in one reused context; a failed item is reported and
/// the rest go on (one over-long prompt must not cost the whole suite).
fn answer_quality(engine: &LlamaEngine, job: &ChildJob) {
    let unit = &job.unit;
    let mut ctx = match engine.answer_context(unit.config.n_ctx) {
        Ok(ctx) => ctx,
        Err(e) => {
            for item in &job.quality {
                send(&ChildMessage::Answered(failed_answer(item, &e)));
            }
            return;
        }
    };
    let mut current_suite = None;
    for item in &job.quality {
        if current_suite != Some(&item.suite) {
            current_suite = Some(&item.suite);
            send(&ChildMessage::Started {
                test: format!("quality:{}", item.suite),
            });
        }
        let request = AnswerRequest {
            messages: &item.messages,
            use_chat_template: item.use_chat_template,
            max_tokens: item.max_tokens,
            sampling: item.sampling,
            grammar: item.grammar.as_deref(),
            template_override: unit.candidate.chat_template.as_deref(),
            fallback_template: job.fallback_chat_template.as_deref(),
        };
        let result = match &item.choices {
            Some(options) => engine.score_choices(&mut ctx, &request, options),
            None => engine.answer(&mut ctx, &request),
        };
        let message = match result {
            Ok(answer) => answer_message(item, answer),
            Err(e) => failed_answer(item, &e),
        };
        send(&ChildMessage::Answered(message));
    }
}

fn answer_message(item: &QualityItem, a: Answer) -> AnswerMessage {
    let n_gen = a.tokens.len() as u32;
    let gen_ms = ms(a.total) - ms(a.ttft);
    AnswerMessage {
        suite: item.suite.clone(),
        case_id: item.case_id.clone(),
        decoding: Some(item.decoding),
        rep: item.rep,
        output_text: a.text,
        n_prompt: a.n_prompt,
        n_gen,
        ended: a.ended,
        ttft_ms: item.choices.is_none().then(|| ms(a.ttft)),
        latency_ms: Some(ms(a.total)),
        tg_tps: (n_gen > 1 && gen_ms > 0.0).then(|| (n_gen - 1) as f64 / (gen_ms / 1e3)),
        seq_rep_4: crate::checks::seq_rep_n(&a.tokens, 4),
        choice_scores: a.choice_scores,
        chat_template: Some(a.chat_template),
        error: None,
    }
}

fn failed_answer(item: &QualityItem, e: &anyhow::Error) -> AnswerMessage {
    AnswerMessage {
        suite: item.suite.clone(),
        case_id: item.case_id.clone(),
        decoding: Some(item.decoding),
        rep: item.rep,
        error: Some(format!("{e:#}")),
        ..Default::default()
    }
}

fn report_test_failure(test: &str, outcome: Result<()>) {
    if let Err(e) = outcome {
        send(&ChildMessage::Measured(Measurement {
            test: test.to_string(),
            mode: Some(TimingMode::Engine),
            status: "failed".into(),
            error: Some(format!("{e:#}")),
            ..Default::default()
        }));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn engine_row(
    test: &str,
    rep: u32,
    n_prompt: u32,
    n_gen: u32,
    timing: Result<EngineTiming>,
) -> Measurement {
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
            status: "ok".into(),
            ..base
        },
        Ok(t) => Measurement {
            t_gen_ms: Some(ms(t.elapsed)),
            tg_tps: Some(t.tokens_per_second()),
            status: "ok".into(),
            ..base
        },
        Err(e) => Measurement {
            status: "failed".into(),
            error: Some(format!("{e:#}")),
            ..base
        },
    }
}

/// Derives the user-path metrics from per-token timestamps (docs/metrics.md).
fn user_path_row(test: &str, rep: u32, result: Result<UserPathTiming>) -> Measurement {
    let base = Measurement {
        test: test.to_string(),
        mode: Some(TimingMode::UserPath),
        rep: Some(rep),
        ..Default::default()
    };
    let t = match result {
        Ok(t) => t,
        Err(e) => {
            return Measurement {
                status: "failed".into(),
                error: Some(format!("{e:#}")),
                ..base
            }
        }
    };
    let times: Vec<f64> = t.token_times.iter().map(|d| ms(*d)).collect();
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let first = times.first().copied();
    let last = times.last().copied();
    let decode_ms = ms(t.prompt_done) - ms(t.prepare);
    let t_gen_ms = match (first, last) {
        (Some(f), Some(l)) if times.len() > 1 => Some(l - f),
        _ => None,
    };
    Measurement {
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
        status: "ok".into(),
        ..base
    }
}

/// A child outliving a killed sweep would keep measuring into the void (and skew the
/// next run's numbers); on Linux the kernel ends it when the parent dies.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}
