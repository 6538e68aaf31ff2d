use std::sync::Arc;

use tokio::time::Instant;

use crate::core::CloseReason;
use crate::engine::{EngineSession, Version};

/// The session's timers, on one task. v4: the server pings `ping_interval`
/// after the session opened or the last pong came (as node's engine.io
/// does), and closes the session when no pong came within `ping_timeout` of
/// a ping. v3: the client pings, and a client silent for both together is
/// dropped. The tenant's reader may ask for one deadline of its own (the
/// Socket.IO connect timeout). Once the session closed, its goodbye may
/// wait a little for a poll.
pub(crate) async fn run(session: Arc<EngineSession>) {
    beat(&session).await;
    session.await_farewell().await;
}

async fn beat(session: &Arc<EngineSession>) {
    // Borrowed, not cloned: an idle session's memory is mostly its futures.
    let config = &session.config;
    let opened = Instant::now();
    let mut reader_deadline = session
        .reader()
        .and_then(|reader| reader.deadline())
        .map(|after| opened + after);
    let mut next_ping = match session.version() {
        Version::V4 => opened + config.ping_interval,
        // v3 deadlines count from creation, so that timer slack never adds up.
        Version::V3 => opened + config.ping_interval + config.ping_timeout,
    };
    let mut pong_deadline: Option<Instant> = None;
    loop {
        if session.is_closed() {
            return;
        }
        let mut wake_at = pong_deadline.unwrap_or(next_ping);
        if let Some(deadline) = reader_deadline {
            wake_at = wake_at.min(deadline);
        }
        tokio::select! {
            () = tokio::time::sleep_until(wake_at) => {}
            // The close, or a pong: perhaps one that came before this ping,
            // so only the pong a ping waits for schedules the next one.
            () = session.timers.notified() => {
                if pong_deadline.is_some() && !session.pong_missing() {
                    pong_deadline = None;
                    next_ping = Instant::now() + config.ping_interval;
                }
                continue;
            }
        }
        let now = Instant::now();
        if reader_deadline.is_some_and(|deadline| now >= deadline) {
            reader_deadline = None;
            if let Some(reader) = session.reader() {
                reader.deadline_passed();
            }
            continue;
        }
        match (session.version(), pong_deadline) {
            (Version::V4, Some(deadline)) if now >= deadline => {
                if session.pong_missing() {
                    session.close(CloseReason::HeartbeatTimeout);
                    return;
                }
                pong_deadline = None;
                next_ping = now + config.ping_interval;
            }
            (Version::V4, None) if now >= next_ping => {
                if !session.heartbeat_check() {
                    return;
                }
                pong_deadline = Some(next_ping + config.ping_timeout);
            }
            (Version::V3, _) if now >= next_ping => {
                if !session.heartbeat_check() {
                    session.close(CloseReason::HeartbeatTimeout);
                    return;
                }
                next_ping += config.ping_interval + config.ping_timeout;
            }
            _ => {}
        }
    }
}
