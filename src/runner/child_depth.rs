//! The user path at each depth of the job: the next turn after a conversation
//! of about that many tokens, with the history reused from the cache and cold
//! (re-prefilled), each repeated like the other user-path tests.
use anyhow::Result;

use super::child_speed::{error_status, stop_rule, template_choice, user_path_row, Repetitions};
use super::protocol::{ChildJob, ChildMessage, Measurement, Sink, TimingMode};
use crate::engine::{AnswerRequest, Engine, RepControl, UserPathRequest};
use crate::results::with_depth;
use crate::suite::{GenerationSettings, Message};

pub(super) fn depth_user_path_tests(engine: &mut dyn Engine, job: &ChildJob, out: Sink) {
    let Some(prompt) = job.prompts.first() else {
        return;
    };
    let request = UserPathRequest {
        prompt: &prompt.text,
        n_gen: job.e2e_tokens,
        n_ctx: job.unit.config.n_ctx,
        template: template_choice(job),
    };
    for &depth in job.depth.iter().filter(|&&d| d > 0) {
        if job.conversation.is_empty() {
            return;
        }
        let history = history_of(engine, job, depth);
        for (mode, reuse) in [("reused", true), ("cold", false)] {
            let test = format!("{}:{mode}", with_depth("e2e", depth));
            out(ChildMessage::Started { test: test.clone() });
            let history = match &history {
                Ok(history) => history,
                Err(e) => {
                    out(ChildMessage::Measured(failed(&test, depth, e)));
                    continue;
                }
            };
            let mut turn = || engine.user_path_after(&request, history, reuse);
            repeat_turn(&mut turn, job, (&test, depth), out);
        }
    }
}

/// Warm-up, then repetitions until the job's rule says enough; a failure ends it.
fn repeat_turn(
    turn: &mut dyn FnMut() -> Result<crate::engine::UserPathTiming>,
    job: &ChildJob,
    (test, depth): (&str, u32),
    out: Sink,
) {
    if let Some(Err(e)) = (0..job.warmup).map(|_| turn()).find(|r| r.is_err()) {
        out(ChildMessage::Measured(failed(test, depth, &e)));
        return;
    }
    let mut reps = Repetitions::new(stop_rule(job));
    for rep in 0.. {
        let result = turn();
        let n_history = result.as_ref().map_or(depth, |t| t.n_history);
        let row = Measurement {
            n_depth: n_history,
            ..user_path_row(test, rep, result)
        };
        let control = reps.record(&row, row.latency_50_ms);
        out(ChildMessage::Measured(row));
        if control == RepControl::Stop {
            break;
        }
    }
}

/// The conversation's turns, in order and repeated, until the history holds
/// at least `depth` tokens under the candidate's template.
fn history_of(engine: &mut dyn Engine, job: &ChildJob, depth: u32) -> Result<Vec<Message>> {
    let mut conversation = engine.conversation(job.unit.config.n_ctx)?;
    let mut history: Vec<Message> = Vec::new();
    for pair in job.conversation.chunks(2).cycle() {
        history.extend_from_slice(pair);
        let request = AnswerRequest {
            messages: &history,
            use_chat_template: true,
            max_tokens: 0,
            sampling: GenerationSettings {
                temperature: 0.0,
                top_p: 1.0,
                seed: 0,
            },
            json_schema: None,
            template: template_choice(job),
            tools: &[],
        };
        let n = conversation.prompt_tokens(&request)?;
        if n >= depth {
            return Ok(history);
        }
        if n >= job.unit.config.n_ctx {
            anyhow::bail!(
                "depth {depth} does not fit the context of {} tokens (use --ctx)",
                job.unit.config.n_ctx
            );
        }
    }
    anyhow::bail!("the speed suite's conversation has no turns")
}

fn failed(test: &str, depth: u32, e: &anyhow::Error) -> Measurement {
    Measurement {
        test: test.to_string(),
        mode: Some(TimingMode::UserPath),
        n_depth: depth,
        status: error_status(e),
        error: Some(format!("{e:#}")),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::AutoReps;
    use crate::engine::scripted::ScriptedEngine;
    use crate::runner::child_job::run_job;
    use crate::runner::child_job::tests::job;
    use crate::runner::protocol::{ChildJob, ChildMessage, Measurement};
    use crate::suite::Message;

    fn run(job: &ChildJob) -> Vec<ChildMessage> {
        let mut messages = Vec::new();
        run_job(&mut ScriptedEngine::default(), job, &mut |m| {
            messages.push(m)
        });
        messages
    }

    fn started(messages: &[ChildMessage]) -> Vec<&str> {
        let names = messages.iter().filter_map(|m| match m {
            ChildMessage::Started { test } => Some(test.as_str()),
            _ => None,
        });
        names.collect()
    }

    fn rows<'a>(messages: &'a [ChildMessage], test: &str) -> Vec<&'a Measurement> {
        let rows = messages.iter().filter_map(|m| match m {
            ChildMessage::Measured(row) if row.test == test => Some(row),
            _ => None,
        });
        rows.collect()
    }

    fn at_depth(depth: Vec<u32>) -> ChildJob {
        let mut job = job("d");
        job.depth = depth;
        job.pg = vec![[64, 16]];
        job.conversation = vec![
            Message {
                role: "user".into(),
                content: "What's on today?".into(),
            },
            Message {
                role: "assistant".into(),
                content: "A dentist at 9:30.".into(),
            },
        ];
        job
    }

    #[test]
    fn every_engine_test_runs_at_every_depth_named_as_llama_bench() {
        let messages = run(&at_depth(vec![0, 256]));
        assert_eq!(
            started(&messages)[..9],
            [
                "pp64",
                "tg16",
                "pp64+tg16",
                "pp64@d256",
                "tg16@d256",
                "pp64+tg16@d256",
                "e2e:hello",
                "e2e@d256:reused",
                "e2e@d256:cold"
            ]
        );
        let pp = rows(&messages, "pp64@d256");
        assert_eq!(
            (pp.len(), pp[0].n_depth, pp[0].pp_tps),
            (2, 256, Some(1000.0))
        );
        // ppN+tgM: 64 tokens in 64 ms, 16 in 64 ms; llama-bench's t/s is all over all.
        let pg = rows(&messages, "pp64+tg16")[0];
        assert_eq!((pg.pp_tps, pg.tg_tps), (Some(1000.0), Some(250.0)));
        assert_eq!(pg.pg_tps, Some(80.0 / 0.128));
        assert_eq!(rows(&messages, "pp64")[0].n_depth, 0);
    }

    #[test]
    fn the_turn_at_a_depth_is_timed_with_the_history_reused_and_cold() {
        let messages = run(&at_depth(vec![40]));
        // 10 tokens a message: the pair repeats until the history holds 40.
        let reused = rows(&messages, "e2e@d40:reused");
        let cold = rows(&messages, "e2e@d40:cold");
        assert_eq!((reused.len(), cold.len()), (2, 2));
        assert_eq!((reused[0].n_depth, cold[0].n_depth), (40, 40));
        assert_eq!((reused[0].n_prompt, cold[0].n_prompt), (10, 50));
        assert_eq!(reused[0].ttft_ms, Some(15.0));
        assert_eq!(
            cold[0].ttft_ms,
            Some(55.0),
            "the history prefilled in the timed part"
        );
    }

    #[test]
    fn without_a_conversation_there_is_no_turn_at_a_depth() {
        let mut job = at_depth(vec![40]);
        job.conversation.clear();
        let messages = run(&job);
        assert!(!started(&messages).iter().any(|t| t.starts_with("e2e@")));
        assert_eq!(rows(&messages, "pp64@d40").len(), 2);
    }

    #[test]
    fn auto_repetitions_stop_once_the_median_is_known() {
        let mut job = at_depth(vec![0]);
        job.reps = 3;
        job.auto_reps = Some(AutoReps {
            precision: 0.02,
            min_reps: 3,
            max_reps: 30,
            budget_secs: None,
        });
        let messages = run(&job);
        // The scripted engine's timings do not vary: the minimum is enough.
        assert_eq!(rows(&messages, "pp64").len(), 3);
        assert_eq!(rows(&messages, "pp64+tg16").len(), 3);
        assert_eq!(rows(&messages, "e2e:hello").len(), 3);
    }
}
