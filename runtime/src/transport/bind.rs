use std::sync::Arc;

use crate::session::{Session, Take};
use crate::transport::Transport;

/// A transport's hold on a session; unbinding on drop means a request that
/// the client abandons still starts the session's close timeout.
pub(crate) struct Binding {
    session: Arc<Session>,
    token: u64,
    transport: Transport,
}

impl Binding {
    pub(crate) fn new(session: Arc<Session>, transport: Transport) -> Option<Self> {
        let token = session.bind()?;
        session.hub().stats.transport_bound(transport);
        Some(Self {
            session,
            token,
            transport,
        })
    }

    pub(crate) fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// Waits until there is something for this transport: frames, or news
    /// that it was superseded or the session is gone. Never `Take::Empty`.
    /// Cancel-safe: frames are taken and returned in the same poll.
    pub(crate) async fn next_take(&self) -> Take {
        loop {
            let woken = self.session.wake().notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match self.session.take(self.token) {
                Take::Empty => woken.await,
                taken => return taken,
            }
        }
    }
}

impl Drop for Binding {
    fn drop(&mut self) {
        self.session.hub().stats.transport_unbound(self.transport);
        self.session.unbind(self.token);
    }
}
