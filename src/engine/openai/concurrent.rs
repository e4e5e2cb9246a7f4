//! Several streamed requests in flight at once, as a load generator's closed
//! loop sends them (vLLM `bench serve --max-concurrency`, AIPerf's concurrency
//! mode): N threads, each with its own connection, each sending the next
//! request of the shared list when its reply is complete.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use serde_json::Value;

use super::client::Client;
use super::stream::{stream_chat, user_path_timing};
use crate::engine::UserPathTiming;

pub(super) struct ClosedLoopRun {
    /// In the order of the requests.
    pub replies: Vec<Result<UserPathTiming>>,
    /// First request sent to last reply complete.
    pub wall: Duration,
}

/// Sends each `(body, max_tokens)` once, `streams` at a time.
pub(super) fn run_closed_loop(
    client: &Client,
    bodies: &[(Value, u32)],
    streams: u32,
) -> ClosedLoopRun {
    let next = AtomicUsize::new(0);
    let replies: Vec<Mutex<Option<Result<UserPathTiming>>>> =
        bodies.iter().map(|_| Mutex::new(None)).collect();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..streams.clamp(1, bodies.len().max(1) as u32) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((body, max_tokens)) = bodies.get(i) else {
                    break;
                };
                let reply = stream_chat(client, body, *max_tokens).and_then(user_path_timing);
                *replies[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(reply);
            });
        }
    });
    let wall = started.elapsed();
    let replies = replies
        .into_iter()
        .map(|slot| {
            let reply = slot.into_inner().unwrap_or_else(|p| p.into_inner());
            reply.unwrap_or_else(|| Err(anyhow!("the request was never sent")))
        })
        .collect();
    ClosedLoopRun { replies, wall }
}
