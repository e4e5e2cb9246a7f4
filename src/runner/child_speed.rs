//! The speed suite in the child: engine-only ppN/tgN (as llama-bench) and the
//! user-path prompts, each repetition one `measured` message.
use crate::results::Status;
use anyhow::Result;

use super::protocol::{ms, ChildJob, ChildMessage, Measurement, Sink, TimingMode};
use crate::engine::{
    is_unsupported, BenchTest, Engine, EngineTiming, ServerReport, TemplateChoice, UserPathRequest,
    UserPathTiming,
};
use crate::results::ServerFigures;
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
/// Over HTTP the timestamps are per content chunk; when the server counted
/// more tokens than chunks, rates and the 50th token are derived from the
/// tokens per chunk (see `tokens_per_chunk`).
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
    let gaps = gaps_ms(&t);
    let first = times.first().copied();
    let decode_ms = ms(t.prompt_done) - ms(t.prepare);
    let t_gen_ms = match (first, times.last()) {
        (Some(f), Some(l)) if times.len() > 1 => Some(l - f),
        _ => None,
    };
    let per_chunk = tokens_per_chunk(&t);
    Measurement {
        test: test.to_string(),
        mode: Some(TimingMode::UserPath),
        rep: Some(rep),
        n_prompt: t.n_prompt,
        n_gen: times.len() as u32,
        t_prompt_ms: Some(ms(t.prompt_done)),
        t_gen_ms,
        pp_tps: (decode_ms > 0.0).then(|| t.n_prompt as f64 / (decode_ms / 1e3)),
        tg_tps: t_gen_ms.map(|g| (times.len() - 1) as f64 * per_chunk / (g / 1e3)),
        ttft_ms: first,
        latency_50_ms: times.get(chunk_of_token(50, per_chunk)).copied(),
        itl_p50_ms: (!gaps.is_empty()).then(|| percentile(&gaps, 50.0)),
        itl_p95_ms: (!gaps.is_empty()).then(|| percentile(&gaps, 95.0)),
        server: t.server.as_ref().map(server_figures).unwrap_or_default(),
        chat_template: Some(t.chat_template),
        eos_at: t.eos_at,
        output_text: Some(t.text),
        status: Status::Ok,
        ..Default::default()
    }
}

/// Gaps between successive token (over HTTP: content chunk) timestamps.
pub(super) fn gaps_ms(t: &UserPathTiming) -> Vec<f64> {
    let times: Vec<f64> = t.token_times.iter().map(|d| ms(*d)).collect();
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

/// Tokens per timestamp: 1 in-process and when a server sent one token per
/// chunk; else the server's token count over the chunks, as if the tokens
/// were spread evenly over them (the client cannot see where inside a chunk
/// a token was made).
fn tokens_per_chunk(t: &UserPathTiming) -> f64 {
    let chunks = t.token_times.len() as f64;
    match t.server.as_ref().and_then(|s| s.completion_tokens) {
        Some(tokens) if chunks > 0.0 && f64::from(tokens) > chunks => f64::from(tokens) / chunks,
        _ => 1.0,
    }
}

/// Index of the timestamp by which token `n` (from 1) had arrived.
fn chunk_of_token(n: u32, tokens_per_chunk: f64) -> usize {
    ((f64::from(n) / tokens_per_chunk).ceil() as usize).saturating_sub(1)
}

/// What the server said about the reply, beside the client's figures.
fn server_figures(report: &ServerReport) -> ServerFigures {
    let timings = report.timings.as_ref();
    ServerFigures {
        server_pp_tps: timings.and_then(|t| t.prompt_per_second),
        server_tg_tps: timings.and_then(|t| t.predicted_per_second),
        server_n_gen: report.completion_tokens,
        content_chunks: Some(report.content_chunks),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ServerTimings;
    use std::time::Duration;

    fn timing(chunks: u64, completion_tokens: Option<u32>) -> UserPathTiming {
        UserPathTiming {
            prompt_done: Duration::from_millis(100),
            token_times: (0..chunks)
                .map(|i| Duration::from_millis(100 + 10 * i))
                .collect(),
            chat_template: "server".into(),
            server: Some(ServerReport {
                completion_tokens,
                content_chunks: chunks as u32,
                timings: Some(ServerTimings {
                    prompt_per_second: Some(850.5),
                    predicted_per_second: Some(99.0),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn one_token_per_chunk_is_timed_per_token_with_the_servers_figures_beside() {
        let m = user_path_row("e2e:x", 0, Ok(timing(64, Some(64))));
        assert_eq!(m.latency_50_ms, Some(100.0 + 10.0 * 49.0));
        assert!((m.tg_tps.unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(m.server.server_pp_tps, Some(850.5));
        assert_eq!(m.server.server_tg_tps, Some(99.0));
        assert_eq!(m.server.server_n_gen, Some(64));
        assert_eq!(m.server.content_chunks, Some(64));
    }

    #[test]
    fn chunks_of_several_tokens_give_the_50th_token_from_tokens_per_chunk() {
        // 32 chunks of 2 tokens: the 50th token came with the 25th chunk.
        let m = user_path_row("e2e:x", 0, Ok(timing(32, Some(64))));
        assert_eq!(m.latency_50_ms, Some(100.0 + 10.0 * 24.0));
        assert_eq!(m.n_gen, 32);
        assert!((m.tg_tps.unwrap() - 200.0).abs() < 1e-9);
        assert_eq!(m.itl_p50_ms, Some(10.0));
        // 3 tokens per chunk: the 50th is in the 17th chunk.
        let m = user_path_row("e2e:x", 0, Ok(timing(30, Some(90))));
        assert_eq!(m.latency_50_ms, Some(100.0 + 10.0 * 16.0));
    }

    #[test]
    fn no_server_report_leaves_the_server_columns_null() {
        let mut t = timing(64, None);
        t.server = None;
        let m = user_path_row("e2e:x", 0, Ok(t));
        assert_eq!(m.server, ServerFigures::default());
        assert_eq!(m.latency_50_ms, Some(590.0));
    }
}
