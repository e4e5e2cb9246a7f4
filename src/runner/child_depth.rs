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
/// at least `depth` tokens under the candidate's template: the fewest pairs
/// of turns that do. A server other than llama-server counts a prompt only
/// when it is sent, so the pairs are searched for (`fewest_pairs`), not
/// counted one by one.
fn history_of(engine: &mut dyn Engine, job: &ChildJob, depth: u32) -> Result<Vec<Message>> {
    let pairs: Vec<&[Message]> = job.conversation.chunks(2).collect();
    if pairs.is_empty() {
        anyhow::bail!("the speed suite's conversation has no turns");
    }
    let history = |n_pairs: usize| -> Vec<Message> {
        let turns = pairs.iter().cycle().take(n_pairs);
        turns.flat_map(|pair| pair.iter().cloned()).collect()
    };
    let mut conversation = engine.conversation(job.unit.config.n_ctx)?;
    let mut count = |n_pairs: usize| {
        let messages = history(n_pairs);
        let request = AnswerRequest {
            messages: &messages,
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
        conversation.prompt_tokens_by_request(&request)
    };
    let n_pairs = fewest_pairs(depth, job.unit.config.n_ctx, &mut count)?;
    Ok(history(n_pairs))
}

/// The most counts one history may take to size.
const MAX_COUNTS: u32 = 64;

/// The fewest pairs whose tokens (`count`, growing with the pairs) reach
/// `depth`. Each guess extrapolates from the largest count still short of
/// it, then interpolates between the two counts that bracket it, so a few
/// counts do where counting pair by pair would take one per pair.
fn fewest_pairs(
    depth: u32,
    n_ctx: u32,
    count: &mut dyn FnMut(usize) -> Result<u32>,
) -> Result<usize> {
    // Pairs known to fall short (0: nothing) and known to reach, with counts.
    let (mut short, mut short_n) = (0usize, 0u32);
    let mut reach: Option<(usize, u32)> = None;
    let mut guess = 1usize;
    for _ in 0..MAX_COUNTS {
        let n = count(guess)?;
        if n >= depth {
            reach = Some((guess, n));
        } else if n >= n_ctx {
            anyhow::bail!("depth {depth} does not fit the context of {n_ctx} tokens (use --ctx)");
        } else {
            (short, short_n) = (guess, n);
        }
        let per_pair = |pairs: usize, n: u32| f64::from(n.max(1)) / pairs.max(1) as f64;
        guess = match reach {
            Some((pairs, _)) if pairs == short + 1 => return Ok(pairs),
            Some((pairs, n)) => {
                let rate = per_pair(pairs - short, n.saturating_sub(short_n));
                let more = (f64::from(depth - short_n) / rate).ceil() as usize;
                (short + more).clamp(short + 1, pairs - 1)
            }
            None => {
                let more = (f64::from(depth - short_n) / per_pair(short, short_n)).ceil();
                short + (more as usize).max(1)
            }
        };
    }
    anyhow::bail!("the history for depth {depth} was not sized within {MAX_COUNTS} counts")
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
    fn the_fewest_pairs_are_found_in_a_few_counts() {
        // A template's preamble, then pairs of uneven size, repeated.
        let tokens = |pairs: usize| 31 + (0..pairs).map(|i| [97, 64, 130][i % 3]).sum::<u32>();
        for depth in [1, 31, 100, 128, 129, 700, 2048, 4000] {
            let linear = (1..).find(|&p| tokens(p) >= depth).unwrap();
            let mut counts = 0;
            let mut count = |p: usize| {
                counts += 1;
                Ok(tokens(p))
            };
            assert_eq!(
                super::fewest_pairs(depth, 8192, &mut count).unwrap(),
                linear
            );
            assert!(counts <= 6, "depth {depth}: {counts} counts");
        }
        let e = super::fewest_pairs(9000, 4096, &mut |p| Ok(tokens(p))).unwrap_err();
        assert!(
            e.to_string().contains("does not fit the context of 4096"),
            "{e}"
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
