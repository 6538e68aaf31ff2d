use std::sync::Arc;

use tokio::time::Instant;

use crate::codec::legacy::fixed;
use crate::core::{CloseReason, Frame};
use crate::legacy::{LegacyServer, Session};

/// The session's timers: heartbeats, the heartbeat timeout, the close timeout
/// while no transport is bound, and leaving the registry once closed and
/// drained.
pub(crate) async fn run(server: Arc<LegacyServer>, session: Arc<Session>) {
    // Borrowed, not cloned: an idle session's memory is mostly its futures.
    let config = &session.hub().config;
    let mut next_heartbeat = Instant::now() + config.heartbeat_interval;
    loop {
        let changed = session.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let now = Instant::now();
        let view = session.timer_view();
        let deadline = if let Some(closed_at) = view.closed_at {
            let linger = if view.shutting_down {
                config.close_timeout.min(SHUTDOWN_GRACE)
            } else {
                config.close_timeout
            };
            let linger_end = closed_at + linger;
            if view.drained || view.abandoned || now >= linger_end {
                break;
            }
            linger_end
        } else {
            if now >= next_heartbeat {
                session.push(Frame::fixed(fixed::HEARTBEAT));
                next_heartbeat = now + config.heartbeat_interval;
            }
            let dead_at = view.last_seen + config.heartbeat_timeout;
            if now >= dead_at {
                session.close(CloseReason::HeartbeatTimeout);
                continue;
            }
            let mut deadline = next_heartbeat.min(dead_at);
            if let Some(expires) = view.expires_unbound {
                if now >= expires {
                    session.close(CloseReason::HandshakeExpired);
                    continue;
                }
                deadline = deadline.min(expires);
            }
            if let Some(since) = view.unbound_since {
                let expires = since + config.close_timeout;
                if now >= expires {
                    session.close(CloseReason::CloseTimeout);
                    continue;
                }
                deadline = deadline.min(expires);
            }
            deadline
        };
        tokio::select! {
            () = &mut changed => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
    server.sessions.remove(session.id());
}

pub(crate) struct TimerView {
    pub(crate) closed_at: Option<Instant>,
    pub(crate) drained: bool,
    pub(crate) last_seen: Instant,
    pub(crate) unbound_since: Option<Instant>,
    /// When a session no transport ever bound is dropped.
    pub(crate) expires_unbound: Option<Instant>,
    pub(crate) abandoned: bool,
    pub(crate) shutting_down: bool,
}

/// How long a closed session waits for its client during shutdown: long
/// enough for a polling client, which polls again at once, to collect its
/// `0::`; short enough that dead clients do not hold the shutdown up.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);
