//! The concurrency test in the child: for each level N of `--concurrency`,
//! N streams at once (a closed loop: each sends its next request when its
//! reply is complete), `reps` requests per stream, the speed suite's prompts
//! in turn. Each reply is a `concN:<prompt>` row with its own TTFT, ITL and
//! latency to the 50th token; the level is one `concN` row whose `tg_tps` is
//! the aggregate output rate (docs/metrics.md).
use super::child_speed::{error_status, gaps_ms, template_choice, user_path_row};
use super::protocol::{ms, ChildJob, ChildMessage, Measurement, Sink, TimingMode};
use crate::engine::{ConcurrentRun, Engine, UserPathRequest};
use crate::results::Status;
use crate::scoring::{level_figures, RequestFigures};

pub(super) fn concurrency_tests(engine: &mut dyn Engine, job: &ChildJob, out: Sink) {
    if job.prompts.is_empty() {
        return;
    }
    for &streams in &job.concurrency {
        let level = format!("conc{streams}");
        out(ChildMessage::Started {
            test: level.clone(),
        });
        // In usize: streams x repetitions, both the user's, must not wrap.
        let count = |per_stream: u32| streams as usize * per_stream as usize;
        let requests = |n: usize| -> Vec<UserPathRequest> {
            (0..n)
                .map(|i| {
                    let prompt = &job.prompts[i % job.prompts.len()];
                    UserPathRequest {
                        prompt: &prompt.text,
                        n_gen: job.e2e_tokens,
                        n_ctx: job.unit.config.n_ctx,
                        template: template_choice(job),
                    }
                })
                .collect()
        };
        if job.warmup > 0 {
            let _ = engine.concurrent_user_path(&requests(count(1)), streams);
        }
        let sent = requests(count(job.reps));
        match engine.concurrent_user_path(&sent, streams) {
            Ok(run) => send_level(job, &level, run, out),
            Err(e) => out(ChildMessage::Measured(Measurement {
                test: level.clone(),
                mode: Some(TimingMode::UserPath),
                status: error_status(&e),
                error: Some(format!("{e:#}")),
                ..Default::default()
            })),
        }
    }
}

/// One row per reply, then the level's aggregate row.
fn send_level(job: &ChildJob, level: &str, run: ConcurrentRun, out: Sink) {
    let mut tokens = 0u64;
    let (mut first_error, mut failed) = (None, 0);
    let n_replies = run.replies.len();
    let mut requests = Vec::with_capacity(n_replies);
    for (i, reply) in run.replies.into_iter().enumerate() {
        let prompt = &job.prompts[i % job.prompts.len()];
        let mut reply_gaps = Vec::new();
        match &reply {
            Ok(t) => {
                let counted = t.server.as_ref().and_then(|s| s.completion_tokens);
                tokens += u64::from(counted.unwrap_or(t.token_times.len() as u32));
                reply_gaps = gaps_ms(t);
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
        let test = format!("{level}:{}", prompt.name);
        let row = user_path_row(&test, i as u32, reply);
        requests.push(RequestFigures {
            ok: row.status.is_ok(),
            ttft_ms: row.ttft_ms,
            latency_50_ms: row.latency_50_ms,
            gaps_ms: reply_gaps,
        });
        out(ChildMessage::Measured(row));
    }
    let (figures, itl) = level_figures(&requests, &job.targets);
    let wall_ms = ms(run.wall);
    let aggregate = Measurement {
        test: level.to_string(),
        mode: Some(TimingMode::UserPath),
        rep: Some(0),
        n_gen: u32::try_from(tokens).unwrap_or(u32::MAX),
        t_gen_ms: Some(wall_ms),
        tg_tps: (wall_ms > 0.0).then(|| tokens as f64 / (wall_ms / 1e3)),
        itl_p50_ms: itl.p50_ms,
        itl_p95_ms: itl.p95_ms,
        level: figures,
        status: if first_error.is_none() {
            Status::Ok
        } else {
            Status::Failed
        },
        error: first_error
            .map(|e| format!("{failed} of {n_replies} requests failed; the first: {e}")),
        ..Default::default()
    };
    out(ChildMessage::Measured(aggregate));
}
