//! Reasoning ("thinking") blocks in a reply: the markers a chat template
//! uses, which generated tokens are reasoning and which is the first of the
//! answer, and the answer with the reasoning cut out before it is checked (as
//! lm-evaluation-harness's `think_end_token`: the text after the last end
//! marker). docs/metrics.md, *Reasoning models*.

/// A reasoning block's open and close markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThinkMarkers {
    pub open: &'static str,
    pub close: &'static str,
}

/// The markers reasoning models' templates use, the most common first.
pub const KNOWN_MARKERS: &[ThinkMarkers] = &[
    // DeepSeek-R1, Qwen3, QwQ, SmolLM3, GLM-4.5, Phi-4-reasoning.
    ThinkMarkers {
        open: "<think>",
        close: "</think>",
    },
    // Seed-OSS.
    ThinkMarkers {
        open: "<seed:think>",
        close: "</seed:think>",
    },
    // Magistral.
    ThinkMarkers {
        open: "[THINK]",
        close: "[/THINK]",
    },
    // Command A Reasoning.
    ThinkMarkers {
        open: "<|START_THINKING|>",
        close: "<|END_THINKING|>",
    },
];

/// The markers a chat template's text names (a template that strips past
/// reasoning from the history, or opens a block itself, names its close
/// marker); None for a template without any.
pub fn template_markers(template: &str) -> Option<ThinkMarkers> {
    KNOWN_MARKERS
        .iter()
        .copied()
        .find(|m| template.contains(m.close))
}

/// Whether a rendered prompt leaves the model inside a reasoning block (the
/// template opened it, as DeepSeek-R1's and Qwen3-Thinking's do).
pub fn opens_inside(prompt: &str, markers: ThinkMarkers) -> bool {
    prompt.trim_end().ends_with(markers.open)
}

/// What one generated token (or one streamed chunk) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRole {
    /// Inside a reasoning block, its markers included.
    Reasoning,
    /// Only white space, before the first answer token.
    Blank,
    /// The answer: the first of these is the first answer token.
    Answer,
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    /// Nothing but white space yet: a reasoning block may still open.
    Start,
    Inside(ThinkMarkers),
    /// The block ended; white space may follow before the answer.
    Closed,
    Answer,
}

/// Says, token by token, whether a reply is reasoning or answer. A reply that
/// starts with a known open marker (or whose prompt opened the block) is
/// reasoning up to and with the close marker; the first token after it that
/// is not white space is the first answer token.
#[derive(Debug, Clone)]
pub struct ThinkTracker {
    state: State,
    /// The text since the block opened (a close marker may span tokens).
    block: String,
}

impl Default for ThinkTracker {
    fn default() -> Self {
        ThinkTracker::new(None)
    }
}

impl ThinkTracker {
    /// `inside`: the prompt already opened a block with these markers.
    pub fn new(inside: Option<ThinkMarkers>) -> ThinkTracker {
        ThinkTracker {
            state: inside.map_or(State::Start, State::Inside),
            block: String::new(),
        }
    }

    pub fn push(&mut self, piece: &str) -> TokenRole {
        match self.state.clone() {
            State::Start => {
                let text = piece.trim_start();
                if text.is_empty() {
                    return TokenRole::Blank;
                }
                match KNOWN_MARKERS.iter().find(|m| text.starts_with(m.open)) {
                    Some(&m) => {
                        self.state = State::Inside(m);
                        self.inside(m, &text[m.open.len()..])
                    }
                    None => {
                        self.state = State::Answer;
                        TokenRole::Answer
                    }
                }
            }
            State::Inside(m) => self.inside(m, piece),
            State::Closed if piece.trim().is_empty() => TokenRole::Blank,
            State::Closed | State::Answer => {
                self.state = State::Answer;
                TokenRole::Answer
            }
        }
    }

    fn inside(&mut self, markers: ThinkMarkers, piece: &str) -> TokenRole {
        self.block.push_str(piece);
        if let Some(end) = self.block.find(markers.close) {
            let after = self.block[end + markers.close.len()..].trim().to_string();
            self.block.clear();
            // The close marker and the answer's start in one piece: the
            // piece is the first answer token (its reasoning part is counted
            // with the answer's time, which it shares).
            self.state = State::Closed;
            if !after.is_empty() {
                self.state = State::Answer;
                return TokenRole::Answer;
            }
        }
        TokenRole::Reasoning
    }

    /// A block opened and not closed (so far).
    pub fn unclosed(&self) -> bool {
        matches!(self.state, State::Inside(_))
    }
}

/// Where a reply's answer starts, from its tokens' roles: how many were
/// reasoning, the index of the first answer token, and whether a block was
/// left open (the reply ended, or was cut, while reasoning).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnswerStart {
    pub n_reasoning: u32,
    pub first_answer: Option<u32>,
    pub unclosed: bool,
}

impl AnswerStart {
    /// Tallies `roles` in order; `unclosed` from the tracker that gave them.
    pub fn of(roles: &[TokenRole], unclosed: bool) -> AnswerStart {
        AnswerStart {
            n_reasoning: roles.iter().filter(|r| **r == TokenRole::Reasoning).count() as u32,
            first_answer: roles
                .iter()
                .position(|r| *r == TokenRole::Answer)
                .map(|i| i as u32),
            unclosed,
        }
    }
}

/// A reply's answer without its reasoning: the text after the last close
/// marker (trimmed at the start). `Err` with the markers of a block that
/// opens and never closes: there is no answer to check.
pub fn strip_reasoning(text: &str) -> Result<&str, ThinkMarkers> {
    for m in KNOWN_MARKERS {
        if let Some(end) = text.rfind(m.close) {
            return Ok(text[end + m.close.len()..].trim_start());
        }
        if text.contains(m.open) {
            return Err(*m);
        }
    }
    Ok(text)
}

/// The text a reply with its reasoning apart (a server's
/// `reasoning_content`) is stored and checked as: the reasoning between the
/// usual markers, left open when the reply was cut before any answer.
pub fn with_reasoning_inline(reasoning: &str, answer: &str, cut_while_reasoning: bool) -> String {
    if reasoning.is_empty() {
        return answer.to_string();
    }
    let m = KNOWN_MARKERS[0];
    match cut_while_reasoning {
        true => format!("{}{reasoning}", m.open),
        false => format!("{}{reasoning}{}{answer}", m.open, m.close),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(inside: Option<ThinkMarkers>, pieces: &[&str]) -> (Vec<TokenRole>, bool) {
        let mut t = ThinkTracker::new(inside);
        let roles = pieces.iter().map(|p| t.push(p)).collect();
        (roles, t.unclosed())
    }

    #[test]
    fn a_block_at_the_start_is_reasoning_up_to_its_close_marker() {
        let (r, open) = roles(
            None,
            &["<think>", "Let", " me", "</think>", "\n\n", "Paris", "."],
        );
        let start = AnswerStart::of(&r, open);
        assert_eq!(start.n_reasoning, 4);
        assert_eq!(start.first_answer, Some(5));
        assert!(!start.unclosed);
    }

    #[test]
    fn a_prompt_that_opened_the_block_makes_the_first_tokens_reasoning() {
        let think = KNOWN_MARKERS[0];
        let (r, open) = roles(Some(think), &["Hmm", "</", "think>", "Yes"]);
        assert_eq!(AnswerStart::of(&r, open).first_answer, Some(3));
        assert_eq!(AnswerStart::of(&r, open).n_reasoning, 3);
        let (r, open) = roles(Some(think), &["Hmm", "still"]);
        let start = AnswerStart::of(&r, open);
        assert_eq!((start.first_answer, start.unclosed), (None, true));
    }

    #[test]
    fn a_reply_without_a_block_answers_from_its_first_non_blank_token() {
        let (r, open) = roles(None, &["\n", "Paris", "<think>"]);
        let start = AnswerStart::of(&r, open);
        assert_eq!((start.n_reasoning, start.first_answer), (0, Some(1)));
        let (r, _) = roles(None, &["[THINK]", "x", "[/THINK]ok"]);
        assert_eq!(AnswerStart::of(&r, false).first_answer, Some(2));
    }

    #[test]
    fn markers_are_read_from_the_template() {
        let qwen3 =
            "{%- if '</think>' in content %}{%- set content = content.split('</think>')[-1] %}";
        assert_eq!(template_markers(qwen3), Some(KNOWN_MARKERS[0]));
        assert_eq!(
            template_markers("{{ '[/THINK]' }}").unwrap().open,
            "[THINK]"
        );
        assert_eq!(template_markers("<|im_start|>assistant\n"), None);
        assert!(opens_inside("<|Assistant|><think>\n", KNOWN_MARKERS[0]));
        assert!(!opens_inside("<|Assistant|>", KNOWN_MARKERS[0]));
    }

    #[test]
    fn reasoning_is_stripped_and_an_unclosed_block_is_refused() {
        assert_eq!(
            strip_reasoning("<think>2+2=4</think>\n\nThe answer is 4"),
            Ok("The answer is 4")
        );
        assert_eq!(strip_reasoning("only reasoning</think> 4"), Ok("4"));
        assert_eq!(
            strip_reasoning("<think>a</think>b<think>c</think>d"),
            Ok("d")
        );
        assert_eq!(strip_reasoning("plain 4"), Ok("plain 4"));
        assert_eq!(
            strip_reasoning("<think>the answer is 4 or"),
            Err(KNOWN_MARKERS[0])
        );
        assert_eq!(strip_reasoning("[THINK]hm").unwrap_err().close, "[/THINK]");
    }

    #[test]
    fn a_servers_separate_reasoning_goes_inline() {
        assert_eq!(with_reasoning_inline("r", "a", false), "<think>r</think>a");
        assert_eq!(with_reasoning_inline("r", "", true), "<think>r");
        assert_eq!(with_reasoning_inline("", "a", false), "a");
        assert!(strip_reasoning(&with_reasoning_inline("r", "", true)).is_err());
    }
}
