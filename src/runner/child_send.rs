//! The measuring child's one way to talk to the parent: a JSON line on stdout.
//! Its own file, so child.rs and child_stability.rs both use it without a cycle.
//! A served candidate's API key is cut out of every message here, whatever
//! the server put it in (an answer, an error, its identity pages).
use std::io::Write as _;
use std::sync::OnceLock;

use super::protocol::ChildMessage;
use crate::engine::KeyRedactor;

static REDACTOR: OnceLock<KeyRedactor> = OnceLock::new();

/// The key every later message is redacted of (set once, before the server
/// is first asked anything).
pub(super) fn redact_key_from_now_on(redactor: KeyRedactor) {
    let _ = REDACTOR.set(redactor);
}

pub(super) fn send(message: &ChildMessage) {
    let mut out = std::io::stdout().lock();
    // If the parent is gone there is nobody to tell; PDEATHSIG ends us anyway.
    let _ = write_message(&mut out, message, REDACTOR.get());
    let _ = out.write_all(b"\n");
    let _ = out.flush();
    if let ChildMessage::Started { test } = message {
        super::crash::inject_fault_for_test(test);
    }
}

fn write_message(
    out: &mut impl std::io::Write,
    message: &ChildMessage,
    redactor: Option<&KeyRedactor>,
) -> serde_json::Result<()> {
    match redactor {
        Some(redactor) => {
            let mut value = serde_json::to_value(message)?;
            redactor.redact_json(&mut value);
            serde_json::to_writer(out, &value)
        }
        None => serde_json::to_writer(out, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::protocol::AnswerMessage;

    #[test]
    fn a_message_leaves_without_the_key() {
        let key = "sk-child-send-9876";
        let message = ChildMessage::Answered(AnswerMessage {
            output_text: format!("you sent Bearer {key}"),
            error: Some(format!("HTTP 500: bad key {key}")),
            ..Default::default()
        });
        let mut line = Vec::new();
        let redactor = KeyRedactor::new(key);
        write_message(&mut line, &message, Some(&redactor)).unwrap();
        let line = String::from_utf8(line).unwrap();
        assert!(!line.contains(key), "{line}");
        let back: ChildMessage = serde_json::from_str(&line).unwrap();
        let ChildMessage::Answered(answer) = back else {
            panic!("{line}")
        };
        assert_eq!(answer.output_text, "you sent Bearer <redacted>");
    }
}
