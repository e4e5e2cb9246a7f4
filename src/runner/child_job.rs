//! One job on a loaded engine: every test of the unit in order, each result
//! sent the moment it is measured. Engine-neutral (`&mut dyn Engine`), so the
//! runner's tests drive it with a scripted engine and no model.
use super::child_concurrency::concurrency_tests;
use super::child_depth::depth_user_path_tests;
use super::child_quality::answer_quality;
use super::child_speed::{engine_tests, user_path_tests};
use super::child_stability::run_stability;
use super::protocol::{ChildJob, ChildMessage, Sink};
use crate::engine::Engine;

pub fn run_job(engine: &mut dyn Engine, job: &ChildJob, out: Sink) {
    engine_tests(engine, job, out);
    user_path_tests(engine, job, out);
    depth_user_path_tests(engine, job, out);
    concurrency_tests(engine, job, out);
    if !job.quality.is_empty() {
        answer_quality(engine, job, out);
    }
    if let Some(stability) = &job.stability {
        run_stability(engine, job, stability, out);
    }
    out(ChildMessage::Finished);
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::config::{Candidate, Configuration, FlashAttn, WorkUnit};
    use crate::engine::scripted::ScriptedEngine;
    use crate::engine::Capability;
    use crate::results::{FinishReason, Status};
    use crate::runner::protocol::{AnswerMessage, ChildMessage, Measurement, QualityItem};
    use crate::suite::{Decoding, GenerationSettings, Message, Prompt};

    /// A unit with pp64, tg16, one user-path prompt and two quality cases (one
    /// generated, one multiple choice), 2 repetitions.
    pub fn job(id: &str) -> ChildJob {
        let candidate = Candidate::new(format!("model-{id}"), format!("/models/{id}.gguf"));
        let item = |case_id: &str, choices: Option<Vec<String>>| QualityItem {
            suite: "basic".into(),
            case_id: case_id.into(),
            decoding: Decoding::Free,
            rep: 0,
            messages: vec![Message {
                role: "user".into(),
                content: "What is 6 x 7?".into(),
            }],
            use_chat_template: true,
            max_tokens: 8,
            sampling: GenerationSettings {
                temperature: 0.0,
                top_p: 1.0,
                seed: 0,
            },
            json_schema: None,
            choices,
            tools: Vec::new(),
            cold_cache: false,
        };
        ChildJob {
            unit: WorkUnit {
                id: id.into(),
                candidate_index: 0,
                candidate,
                config: Configuration {
                    n_threads: 2,
                    n_gpu_layers: 0,
                    n_batch: 512,
                    flash_attn: FlashAttn::Auto,
                    n_ctx: 1024,
                    n_ubatch: crate::config::DEFAULT_UBATCH,
                    cache_type_k: crate::config::KvCacheType::F16,
                    cache_type_v: crate::config::KvCacheType::F16,
                    use_mmap: true,
                    power_mode: None,
                    jetson_clocks: None,
                    speculative: None,
                },
            },
            reps: 2,
            warmup: 1,
            pp: vec![64],
            tg: vec![16],
            pg: vec![],
            depth: vec![0],
            auto_reps: None,
            pacing: Default::default(),
            prompts: vec![Prompt {
                name: "hello".into(),
                text: "Hello".into(),
            }],
            conversation: vec![],
            e2e_tokens: 50,
            concurrency: Vec::new(),
            targets: Default::default(),
            fallback_chat_template: None,
            quality: vec![
                item("sum", None),
                item("pick", Some(vec!["42".into(), "41".into()])),
            ],
            stability: None,
        }
    }

    fn run(engine: &mut ScriptedEngine, job: &ChildJob) -> Vec<ChildMessage> {
        let mut messages = Vec::new();
        run_job(engine, job, &mut |m| messages.push(m));
        messages
    }

    fn measured<'a>(messages: &'a [ChildMessage], test: &str) -> Vec<&'a Measurement> {
        let rows = messages.iter().filter_map(|m| match m {
            ChildMessage::Measured(row) if row.test == test => Some(row),
            _ => None,
        });
        rows.collect()
    }

    fn answers(messages: &[ChildMessage]) -> Vec<&AnswerMessage> {
        let rows = messages.iter().filter_map(|m| match m {
            ChildMessage::Answered(a) => Some(a),
            _ => None,
        });
        rows.collect()
    }

    #[test]
    fn every_test_is_started_then_measured_in_order() {
        let mut engine = ScriptedEngine::default();
        let messages = run(&mut engine, &job("u"));
        let started: Vec<&str> = messages
            .iter()
            .filter_map(|m| match m {
                ChildMessage::Started { test } => Some(test.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(started, ["pp64", "tg16", "e2e:hello", "quality:basic"]);
        let pp = measured(&messages, "pp64");
        assert_eq!(pp.len(), 2);
        assert_eq!(pp[1].rep, Some(1));
        assert_eq!(pp[0].pp_tps, Some(1000.0));
        assert_eq!(measured(&messages, "tg16")[0].tg_tps, Some(250.0));
        // Warm-up: 1 + 2 user-path requests, 2 rows.
        assert_eq!(engine.calls.iter().filter(|c| *c == "user_path").count(), 3);
        let answers = answers(&messages);
        assert_eq!(answers.len(), 2);
        assert_eq!(answers[0].output_text, "42");
        let scores = answers[1].choice_scores.as_ref().unwrap();
        assert_eq!(scores[0].option, "42");
    }

    #[test]
    fn user_path_metrics_come_from_the_token_timestamps() {
        let messages = run(&mut ScriptedEngine::default(), &job("u"));
        let row = measured(&messages, "e2e:hello")[0];
        // Tokens at 30, 40, ... 520 ms; the prompt (10 tokens) decoded from 1 to 20 ms.
        assert_eq!(row.n_gen, 50);
        assert_eq!(row.ttft_ms, Some(30.0));
        assert_eq!(row.latency_50_ms, Some(520.0));
        assert_eq!(row.t_gen_ms, Some(490.0));
        assert!((row.tg_tps.unwrap() - 100.0).abs() < 1e-9);
        assert!((row.pp_tps.unwrap() - 10.0 / 0.019).abs() < 1e-6);
        assert_eq!(row.itl_p50_ms, Some(10.0));
    }

    #[test]
    fn a_missing_capability_is_recorded_as_unsupported_not_faked() {
        let mut engine = ScriptedEngine {
            lacks: vec![Capability::RandomTokenBench, Capability::LogLikelihood],
            ..Default::default()
        };
        let messages = run(&mut engine, &job("u"));
        for test in ["pp64", "tg16"] {
            let rows = measured(&messages, test);
            assert_eq!(rows.len(), 1, "{test}: one row saying why, no repetitions");
            assert_eq!(rows[0].status, Status::Unsupported);
            assert!(rows[0].pp_tps.is_none() && rows[0].tg_tps.is_none());
            let error = rows[0].error.as_deref().unwrap();
            assert_eq!(error, "scripted does not support random-token ppN/tgN");
        }
        // What the engine can do is still measured.
        assert_eq!(measured(&messages, "e2e:hello")[0].status, Status::Ok);
        let answers = answers(&messages);
        assert!(answers[0].error.is_none() && !answers[0].unsupported);
        assert!(answers[1].unsupported && answers[1].choice_scores.is_none());
    }

    #[test]
    fn a_failing_test_is_one_failed_row_and_the_rest_go_on() {
        let mut engine = ScriptedEngine {
            failing: vec!["pp64".into(), "answer".into()],
            ..Default::default()
        };
        let messages = run(&mut engine, &job("u"));
        let pp = measured(&messages, "pp64");
        assert_eq!((pp.len(), pp[0].status.as_str()), (1, "failed"));
        assert_eq!(pp[0].error.as_deref(), Some("scripted failure in pp64"));
        assert_eq!(measured(&messages, "tg16").len(), 2);
        let answers = answers(&messages);
        assert_eq!(answers.len(), 2);
        assert!(answers[0].error.is_some() && !answers[0].unsupported);
        assert!(answers[1].error.is_none());
    }

    #[test]
    fn each_answer_says_why_it_ended() {
        let mut engine = ScriptedEngine::default();
        let answers_of = |engine: &mut ScriptedEngine| -> Vec<AnswerMessage> {
            answers(&run(engine, &job("u")))
                .into_iter()
                .cloned()
                .collect()
        };
        let stopped = answers_of(&mut engine);
        assert_eq!(stopped[0].finish_reason, Some(FinishReason::Stop));
        assert!(stopped[0].ended);
        assert_eq!(stopped[0].max_tokens, Some(8));
        // Multiple choice generates nothing: no reason.
        assert_eq!(
            (stopped[1].finish_reason.as_ref(), stopped[1].max_tokens),
            (None, None)
        );

        engine.finish_reason = FinishReason::Length;
        let cut = answers_of(&mut engine);
        assert_eq!(cut[0].finish_reason, Some(FinishReason::Length));
        assert_eq!((cut[0].ended, cut[0].n_gen), (false, 8));

        engine.failing = vec!["answer".into()];
        let failed = answers_of(&mut engine);
        assert_eq!(failed[0].finish_reason, Some(FinishReason::Error));
    }
}
