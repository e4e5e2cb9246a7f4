//! Why an answer ended: the `finish_reason` column of quality.* (docs/results.md).
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Serialised as its name (`stop`, `length`...); a reason a server gave that
/// is none of these is kept as it gave it (`content_filter`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FinishReason {
    /// The model ended the answer (an end-of-generation token).
    Stop,
    /// A stop sequence ended it.
    StopSequence,
    /// It ran into `max_tokens` (or, over a server, the server's own limit).
    Length,
    /// It ended in tool calls.
    ToolCall,
    /// No complete answer within the request's time limit.
    Timeout,
    /// The request failed.
    Error,
    /// Another reason, as the server gave it, or `other`.
    Other(String),
}

/// The longest reason kept as a server gave it; past it, or with other
/// characters than `[a-z0-9_]`, it is recorded as `other`.
const MAX_GIVEN: usize = 32;

impl FinishReason {
    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::StopSequence => "stop_sequence",
            FinishReason::Length => "length",
            FinishReason::ToolCall => "tool_call",
            FinishReason::Timeout => "timeout",
            FinishReason::Error => "error",
            FinishReason::Other(given) => given,
        }
    }

    /// A reason as a file holds it, or as a server names it (the OpenAI API's
    /// `tool_calls` and `function_call`, Anthropic's `end_turn`, `max_tokens`
    /// and `tool_use` mean the same as ours); None: a server gave none.
    pub fn parse(text: Option<&str>) -> FinishReason {
        match text.map(str::trim) {
            Some("stop" | "end_turn" | "eos") => FinishReason::Stop,
            Some("stop_sequence") => FinishReason::StopSequence,
            Some("length" | "max_tokens") => FinishReason::Length,
            Some("tool_call" | "tool_calls" | "function_call" | "tool_use") => {
                FinishReason::ToolCall
            }
            Some("timeout") => FinishReason::Timeout,
            Some("error") => FinishReason::Error,
            Some(given) if is_plain_name(given) => FinishReason::Other(given.to_string()),
            _ => FinishReason::Other("other".into()),
        }
    }

    /// The model ended the answer by its own choice (the `ended` column).
    pub fn ended_by_model(&self) -> bool {
        matches!(
            self,
            FinishReason::Stop | FinishReason::StopSequence | FinishReason::ToolCall
        )
    }
}

fn is_plain_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_GIVEN
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl std::fmt::Display for FinishReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FinishReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FinishReason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(FinishReason::parse(Some(&text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_back_as_written_and_servers_words_map_to_ours() {
        for reason in [
            FinishReason::Stop,
            FinishReason::StopSequence,
            FinishReason::Length,
            FinishReason::ToolCall,
            FinishReason::Timeout,
            FinishReason::Error,
            FinishReason::Other("content_filter".into()),
            FinishReason::Other("other".into()),
        ] {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{reason}\""));
            assert_eq!(serde_json::from_str::<FinishReason>(&json).unwrap(), reason);
        }
        assert_eq!(
            FinishReason::parse(Some("tool_calls")),
            FinishReason::ToolCall
        );
        assert_eq!(
            FinishReason::parse(Some("max_tokens")),
            FinishReason::Length
        );
        let other = |text| FinishReason::parse(text).to_string();
        assert_eq!(other(Some("content_filter")), "content_filter");
        assert_eq!(other(None), "other");
        assert_eq!(other(Some("Stopped: <script>")), "other");
        assert_eq!(other(Some(&"x".repeat(33))), "other");
        assert!(FinishReason::ToolCall.ended_by_model());
        assert!(!FinishReason::Length.ended_by_model());
        assert!(!FinishReason::Other("content_filter".into()).ended_by_model());
    }

    /// quality.* has the column once a row has a reason (runs from before
    /// it keep their schema), and reads it back.
    #[test]
    fn quality_files_have_the_column_once_a_row_has_a_reason() {
        use crate::results::{table::table_rows, table_frame, QualityRow};
        let mut row = QualityRow::default();
        let frame = table_frame(&[row.clone()]).unwrap();
        assert!(frame.column("finish_reason").is_err());
        row.finish_reason = Some(FinishReason::Other("content_filter".into()));
        let frame = table_frame(&[row]).unwrap();
        let back: Vec<QualityRow> = table_rows(&frame).unwrap();
        assert_eq!(
            back[0].finish_reason,
            Some(FinishReason::Other("content_filter".into()))
        );
    }
}
