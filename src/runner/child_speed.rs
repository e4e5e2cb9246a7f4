//! The speed suite in the child: engine-only ppN/tgN (as llama-bench) and the
//! user-path prompts, each repetition one `measured` message.
use crate::results::Status;
use anyhow::Result;

use std::time::{Duration, Instant};

use super::child_warmup::{pause_before_test, WarmUp};
use super::protocol::{ms, ChildJob, ChildMessage, Measurement, Sink, TimingMode};
use crate::engine::{
    is_unsupported, BenchKind, BenchTest, Engine, EngineTiming, RepControl, ServerReport,
    TemplateChoice, UserPathRequest, UserPathTiming,
};
use crate::results::speculation::SpecFigures;
use crate::results::{AnswerFigures, Metric, ServerFigures, TestKind};
use crate::stats::percentile;
use crate::stats::repetitions::StopRule;

/// At each depth, as llama-bench orders them: ppN, tgN, then ppN+tgM.
pub(super) fn engine_tests(engine: &mut dyn Engine, job: &ChildJob, out: Sink) {
    for bench in bench_tests(job) {
        let test = bench.name();
        pause_before_test(job, out);
        out(ChildMessage::Started { test: test.clone() });
        let rule = stop_rule(job);
        let mut reps = Repetitions::new(rule);
        let mut warm = WarmUp::new(job);
        let (fixed_warmup, most) = (warm.fixed(), rule.max_reps + warm.extra());
        let mut on_rep = |rep: u32, timing: Result<EngineTiming>| {
            // `--warmup auto`: the first repetitions are warm-ups, judged, not sent.
            if warm.warming() && timing.is_ok() {
                warm.record(headline(&engine_row(&test, rep, bench, timing)));
                return RepControl::Continue;
            }
            let row = Measurement {
                n_warmup: Some(warm.count()),
                ..engine_row(&test, rep - warm.offset(), bench, timing)
            };
            let control = reps.record(&row, headline(&row));
            out(ChildMessage::Measured(row));
            control
        };
        let outcome = engine.random_token_bench(bench, fixed_warmup, most, &mut on_rep);
        if let Err(e) = outcome {
            out(ChildMessage::Measured(Measurement {
                mode: Some(TimingMode::Engine),
                n_depth: bench.depth,
                ..failed_measurement(&test, &e)
            }));
        }
    }
}

pub(super) fn bench_tests(job: &ChildJob) -> Vec<BenchTest> {
    let depths = if job.depth.is_empty() {
        &[0][..]
    } else {
        &job.depth
    };
    let mut tests = Vec::new();
    for &depth in depths {
        let kinds = (job.pp.iter().map(|&n| BenchKind::Prompt(n)))
            .chain(job.tg.iter().map(|&n| BenchKind::Generation(n)))
            .chain(
                job.pg
                    .iter()
                    .map(|&[p, g]| BenchKind::PromptThenGeneration(p, g)),
            );
        tests.extend(kinds.map(|kind| BenchTest { kind, depth }));
    }
    tests
}

/// The job's repetitions: a fixed count, or `--reps auto`'s rule.
pub(super) fn stop_rule(job: &ChildJob) -> StopRule {
    match job.auto_reps {
        Some(auto) => StopRule {
            min_reps: auto.min_reps,
            max_reps: auto.max_reps,
            precision: auto.precision,
            budget: auto.budget_secs.map(Duration::from_secs),
        },
        None => StopRule::fixed(job.reps),
    }
}

/// The figure of a measured repetition that `--reps auto` watches.
fn headline(m: &Measurement) -> Option<f64> {
    let metric = TestKind::of(&m.test).and_then(Metric::headline)?;
    match metric {
        Metric::PpTps => m.pp_tps,
        Metric::TgTps => m.tg_tps,
        Metric::PgTps => m.pg_tps,
        Metric::Latency50Ms => m.latency_50_ms,
        _ => None,
    }
}

/// The repetitions of one test so far, and whether they are enough. A failed
/// repetition stops the test (the next would fail the same way).
pub(super) struct Repetitions {
    rule: StopRule,
    n: u32,
    values: Vec<f64>,
    started: Instant,
}

impl Repetitions {
    pub(super) fn new(rule: StopRule) -> Repetitions {
        Repetitions {
            rule,
            n: 0,
            values: Vec::new(),
            started: Instant::now(),
        }
    }

    /// One more repetition: its row, and the figure `--reps auto` watches.
    pub(super) fn record(&mut self, row: &Measurement, value: Option<f64>) -> RepControl {
        if !row.status.is_ok() {
            return RepControl::Stop;
        }
        self.n += 1;
        self.values.extend(value);
        match self
            .rule
            .enough(self.n, &self.values, self.started.elapsed())
        {
            true => RepControl::Stop,
            false => RepControl::Continue,
        }
    }
}

/// Each prompt `warmup` times unmeasured, then its repetitions (a fixed count
/// or `--reps auto`); a failed repetition ends that prompt (the same prompt
/// would fail the same way again).
pub(super) fn user_path_tests(engine: &mut dyn Engine, job: &ChildJob, out: Sink) {
    for prompt in &job.prompts {
        let test = format!("e2e:{}", prompt.name);
        pause_before_test(job, out);
        out(ChildMessage::Started { test: test.clone() });
        let request = UserPathRequest {
            prompt: &prompt.text,
            n_gen: job.e2e_tokens,
            n_ctx: job.unit.config.n_ctx,
            template: template_choice(job),
        };
        // A failed warm-up is the test's one row: it says why.
        let mut warm = WarmUp::new(job);
        if let Err(e) = warm_up_user_path(engine, &request, &mut warm) {
            out(ChildMessage::Measured(user_path_row(&test, 0, Err(e))));
            continue;
        }
        let mut reps = Repetitions::new(stop_rule(job));
        for rep in 0.. {
            let row = Measurement {
                n_warmup: Some(warm.count()),
                ..user_path_row(&test, rep, engine.user_path(&request))
            };
            let control = reps.record(&row, headline(&row));
            out(ChildMessage::Measured(row));
            if control == RepControl::Stop {
                break;
            }
        }
    }
}

/// The fixed warm-ups, then (`--warmup auto`) more until two in a row agree.
fn warm_up_user_path(
    engine: &mut dyn Engine,
    request: &UserPathRequest,
    warm: &mut WarmUp,
) -> Result<()> {
    for _ in 0..warm.fixed() {
        engine.user_path(request)?;
    }
    while warm.warming() {
        let row = user_path_row("", 0, Ok(engine.user_path(request)?));
        warm.record(row.latency_50_ms.or(row.tg_tps));
    }
    Ok(())
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
    let (n_prompt, n_gen) = bench.tokens();
    let base = Measurement {
        test: test.to_string(),
        mode: Some(TimingMode::Engine),
        rep: Some(rep),
        n_depth: bench.depth,
        n_prompt,
        n_gen,
        ..Default::default()
    };
    match timing {
        Ok(t) => Measurement {
            t_prompt_ms: (n_prompt > 0).then(|| ms(t.prompt)),
            t_gen_ms: (n_gen > 0).then(|| ms(t.generation)),
            pp_tps: t.prompt_tps(),
            tg_tps: t.generation_tps(),
            // llama-bench's figure for ppN+tgM: every token over the whole time.
            pg_tps: (n_prompt > 0 && n_gen > 0).then(|| t.tokens_per_second()),
            spec: t.spec.unwrap_or_default(),
            status: Status::Ok,
            ..base
        },
        Err(e) => Measurement {
            status: error_status(&e),
            error: Some(format!("{e:#}")),
            ..base
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
        answer: answer_figures(&t, &times, per_chunk),
        itl_p50_ms: (!gaps.is_empty()).then(|| percentile(&gaps, 50.0)),
        itl_p95_ms: (!gaps.is_empty()).then(|| percentile(&gaps, 95.0)),
        server: t.server.as_ref().map(server_figures).unwrap_or_default(),
        spec: t
            .spec
            .or_else(|| t.server.as_ref().and_then(server_spec))
            .unwrap_or_default(),
        chat_template: Some(t.chat_template),
        eos_at: t.eos_at,
        output_text: Some(t.text),
        status: Status::Ok,
        ..Default::default()
    }
}

/// When the answer began, for an engine that tells reasoning from answer:
/// the first answer token's time, the 50th's, and the reasoning's tokens
/// (over HTTP, chunks times tokens per chunk).
fn answer_figures(t: &UserPathTiming, times: &[f64], per_chunk: f64) -> AnswerFigures {
    let Some(start) = t.answer_start else {
        return AnswerFigures::default();
    };
    let first = start.first_answer.map(|i| i as usize);
    AnswerFigures {
        ttfat_ms: first.and_then(|i| times.get(i).copied()),
        latency_50_answer_ms: first
            .and_then(|i| times.get(i + chunk_of_token(50, per_chunk)))
            .copied(),
        n_reasoning_tokens: Some((f64::from(start.n_reasoning) * per_chunk).round() as u32),
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

/// A llama-server started with a draft (`-md`) counts what it drafted and
/// accepted in its `timings`; other servers say nothing (null columns). There
/// is no identity check or time split over HTTP.
fn server_spec(report: &ServerReport) -> Option<SpecFigures> {
    let timings = report.timings.as_ref()?;
    let drafted = u32::try_from(timings.draft_n?).ok()?;
    let accepted = timings.draft_n_accepted.and_then(|n| u32::try_from(n).ok());
    Some(SpecFigures {
        draft_n: Some(drafted),
        draft_accepted: accepted,
        acceptance_rate: accepted
            .filter(|_| drafted > 0)
            .map(|a| f64::from(a) / f64::from(drafted)),
        ..Default::default()
    })
}

/// What the server said about the reply, beside the client's figures.
fn server_figures(report: &ServerReport) -> ServerFigures {
    let timings = report.timings.as_ref();
    ServerFigures {
        server_pp_tps: timings.and_then(|t| t.prompt_per_second),
        server_tg_tps: timings.and_then(|t| t.predicted_per_second),
        server_n_gen: report.completion_tokens,
        content_chunks: Some(report.content_chunks),
        server_cached_tokens: report.cached_tokens,
        n_prompt_from: report.prefill_count.map(|c| c.name().to_string()),
        cache_control: report.cache_control.map(|c| c.name().to_string()),
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
                ..Default::default()
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
    fn the_first_answer_token_comes_after_the_reasoning() {
        use crate::checks::reasoning::AnswerStart;
        // One token per chunk every 10 ms from 100 ms: 20 reasoning, 2 blank, then the answer.
        let split = |first_answer| AnswerStart {
            n_reasoning: 20,
            first_answer,
            unclosed: first_answer.is_none(),
        };
        let mut t = timing(128, Some(128));
        t.answer_start = Some(split(Some(22)));
        let m = user_path_row("e2e:x", 0, Ok(t));
        assert_eq!(m.ttft_ms, Some(100.0), "TTFT: the first token of any kind");
        assert_eq!(m.answer.ttfat_ms, Some(100.0 + 10.0 * 22.0));
        assert_eq!(
            m.answer.latency_50_answer_ms,
            Some(100.0 + 10.0 * (22.0 + 49.0))
        );
        assert_eq!(m.latency_50_ms, Some(100.0 + 10.0 * 49.0));
        assert_eq!(m.answer.n_reasoning_tokens, Some(20));
        // 64 tokens: fewer than 50 answer tokens came.
        let mut t = timing(64, Some(64));
        t.answer_start = Some(split(Some(22)));
        let m = user_path_row("e2e:x", 0, Ok(t));
        assert_eq!(m.answer.latency_50_answer_ms, None);
        // Reasoning to the end: no answer token, no time to it.
        let mut t = timing(64, Some(64));
        t.answer_start = Some(split(None));
        let m = user_path_row("e2e:x", 0, Ok(t));
        assert_eq!(
            (m.answer.ttfat_ms, m.answer.n_reasoning_tokens),
            (None, Some(20))
        );
        // An engine that does not tell them apart: nothing claimed.
        let m = user_path_row("e2e:x", 0, Ok(timing(64, Some(64))));
        assert_eq!(m.answer, AnswerFigures::default());
    }

    #[test]
    fn a_servers_draft_counts_fill_the_speculative_columns() {
        let mut t = timing(64, Some(64));
        let timings = t.server.as_mut().unwrap().timings.as_mut().unwrap();
        timings.draft_n = Some(40);
        timings.draft_n_accepted = Some(30);
        let m = user_path_row("e2e:x", 0, Ok(t));
        assert_eq!(
            (m.spec.draft_n, m.spec.draft_accepted),
            (Some(40), Some(30))
        );
        assert_eq!(m.spec.acceptance_rate, Some(0.75));
        assert_eq!(m.spec.spec_identical, None, "not checked over HTTP");
        // A server without a draft says nothing: null, never zero.
        let m = user_path_row("e2e:x", 0, Ok(timing(64, Some(64))));
        assert_eq!(m.spec, SpecFigures::default());
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
