//! The measuring child's one way to talk to the parent: a JSON line on stdout.
//! Its own file, so child.rs and child_stability.rs both use it without a cycle.
use std::io::Write as _;

use super::protocol::ChildMessage;

pub(super) fn send(message: &ChildMessage) {
    let mut out = std::io::stdout().lock();
    // If the parent is gone there is nobody to tell; PDEATHSIG ends us anyway.
    let _ = serde_json::to_writer(&mut out, message);
    let _ = out.write_all(b"\n");
    let _ = out.flush();
    if let ChildMessage::Started { test } = message {
        super::crash::inject_fault_for_test(test);
    }
}
