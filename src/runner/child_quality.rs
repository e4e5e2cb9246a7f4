//! The quality suites in the child: every case answered in one reused context,
//! each answer one `answered` message (the parent applies the checks).
use super::child_speed::{error_status, template_choice};
use super::protocol::{ms, AnswerMessage, ChildJob, ChildMessage, QualityItem, Sink};
use crate::engine::{is_timed_out, Answer, AnswerRequest, Engine};
use crate::results::{FinishReason, Status};

/// A failed item is reported and the rest go on (one over-long prompt must not
/// cost the whole suite).
pub(super) fn answer_quality(engine: &mut dyn Engine, job: &ChildJob, out: Sink) {
    let mut conversation = match engine.conversation(job.unit.config.n_ctx) {
        Ok(conversation) => conversation,
        Err(e) => {
            for item in &job.quality {
                out(ChildMessage::Answered(failed_answer(item, &e)));
            }
            return;
        }
    };
    let mut current_suite = None;
    for item in &job.quality {
        if current_suite != Some(&item.suite) {
            current_suite = Some(&item.suite);
            out(ChildMessage::Started {
                test: format!("quality:{}", item.suite),
            });
        }
        if item.cold_cache {
            conversation.forget_cache();
        }
        let request = AnswerRequest {
            messages: &item.messages,
            use_chat_template: item.use_chat_template,
            max_tokens: item.max_tokens,
            sampling: item.sampling,
            json_schema: item.json_schema.as_ref(),
            template: template_choice(job),
            tools: &item.tools,
        };
        let result = match &item.choices {
            Some(options) => conversation.score_choices(&request, options),
            None => conversation.answer(&request),
        };
        let message = match result {
            Ok(answer) => answer_message(item, answer),
            Err(e) => failed_answer(item, &e),
        };
        out(ChildMessage::Answered(message));
    }
}

fn answer_message(item: &QualityItem, a: Answer) -> AnswerMessage {
    // A server sends no token ids, only its count (seq_rep_4 then stays empty).
    let server_count = a.server.as_ref().and_then(|s| s.completion_tokens);
    let n_gen = server_count.unwrap_or(a.tokens.len() as u32);
    let gen_ms = ms(a.total) - ms(a.ttft);
    let generated = item.choices.is_none();
    // An engine that does not say why is read from `ended`.
    let finish_reason = a.finish_reason.unwrap_or(match a.ended {
        true => FinishReason::Stop,
        false => FinishReason::Length,
    });
    AnswerMessage {
        suite: item.suite.clone(),
        case_id: item.case_id.clone(),
        decoding: Some(item.decoding),
        rep: item.rep,
        output_text: a.text,
        n_prompt: a.n_prompt,
        n_prompt_reused: a.n_prompt_reused,
        n_gen,
        ended: a.ended,
        finish_reason: generated.then_some(finish_reason),
        max_tokens: generated.then_some(item.max_tokens),
        ttft_ms: generated.then(|| ms(a.ttft)),
        latency_ms: Some(ms(a.total)),
        tg_tps: (n_gen > 1 && gen_ms > 0.0).then(|| (n_gen - 1) as f64 / (gen_ms / 1e3)),
        seq_rep_4: crate::checks::seq_rep_n(&a.tokens, 4),
        choice_scores: a.choice_scores,
        chat_template: Some(a.chat_template),
        error: None,
        unsupported: false,
    }
}

fn failed_answer(item: &QualityItem, e: &anyhow::Error) -> AnswerMessage {
    AnswerMessage {
        suite: item.suite.clone(),
        case_id: item.case_id.clone(),
        decoding: Some(item.decoding),
        rep: item.rep,
        error: Some(format!("{e:#}")),
        unsupported: error_status(e) == Status::Unsupported,
        finish_reason: (error_status(e) != Status::Unsupported).then(|| match is_timed_out(e) {
            true => FinishReason::Timeout,
            false => FinishReason::Error,
        }),
        max_tokens: item.choices.is_none().then_some(item.max_tokens),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::ServerReport;

    #[test]
    fn an_item_asked_from_an_empty_cache_makes_the_conversation_forget_first() {
        let mut job = super::super::child_job::tests::job("c0-k0");
        job.quality[0].cold_cache = true;
        let mut engine = crate::engine::scripted::ScriptedEngine::default();
        answer_quality(&mut engine, &job, &mut |_| {});
        let asked = ["forget_cache", "answer", "score_choices"];
        let calls: Vec<&str> = (engine.calls.iter())
            .map(String::as_str)
            .filter(|c| asked.contains(c))
            .collect();
        assert_eq!(calls, asked, "forgotten before the cold item only");
    }

    #[test]
    fn a_served_answer_counts_the_servers_tokens_and_leaves_repetition_unknown() {
        let item = super::super::child_job::tests::job("c0-k0").quality[0].clone();
        let answer = Answer {
            text: "four".into(),
            ttft: Duration::from_millis(100),
            total: Duration::from_millis(300),
            server: Some(ServerReport {
                completion_tokens: Some(5),
                content_chunks: 5,
                ..Default::default()
            }),
            ..Default::default()
        };
        let message = answer_message(&item, answer);
        assert_eq!(message.n_gen, 5);
        assert_eq!(
            message.seq_rep_4, None,
            "no token ids, no repetition figure"
        );
        assert_eq!(message.tg_tps, Some(4.0 / 0.2));
    }
}
