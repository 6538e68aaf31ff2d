use std::sync::Arc;

use tokio::time::Instant;

use crate::engine::{CloseReason, EngineSession, Protocol};

/// The session's heartbeat. v4: the server pings `ping_interval` after the
/// session opened or the last pong came, and closes the session when no pong
/// came within `ping_timeout` of a ping. v3: the client pings, and a client
/// silent for both together is dropped.
pub(crate) async fn run(session: Arc<EngineSession>) {
    let config = session.config.clone();
    // v3 deadlines count from creation, so that timer slack never adds up.
    let mut next = Instant::now();
    loop {
        let closed = session.closed.notified();
        tokio::pin!(closed);
        closed.as_mut().enable();
        if session.is_closed() {
            return;
        }
        match session.protocol() {
            Protocol::V4 => {
                next += config.ping_interval;
                tokio::select! {
                    () = tokio::time::sleep_until(next) => {}
                    () = &mut closed => return,
                }
                if !session.heartbeat_check() {
                    return;
                }
                let deadline = tokio::time::sleep_until(next + config.ping_timeout);
                tokio::pin!(deadline);
                loop {
                    tokio::select! {
                        () = &mut deadline => {
                            if session.pong_missing() {
                                session.close(CloseReason::PingTimeout);
                                return;
                            }
                            break;
                        }
                        // A pong that came before this ping may have left a
                        // permit: only a pong still missing keeps us waiting.
                        () = session.ponged.notified() => {
                            if !session.pong_missing() {
                                break;
                            }
                        }
                        () = &mut closed => return,
                    }
                }
                next = Instant::now();
            }
            Protocol::V3 => {
                next += config.ping_interval + config.ping_timeout;
                tokio::select! {
                    () = tokio::time::sleep_until(next) => {}
                    () = &mut closed => return,
                }
                if !session.heartbeat_check() {
                    session.close(CloseReason::PingTimeout);
                    return;
                }
            }
        }
    }
}
