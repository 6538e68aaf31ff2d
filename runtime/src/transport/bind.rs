use std::sync::Arc;

use crate::session::{Lent, Session, Take};
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
    /// What is queued now, without waiting.
    pub(crate) fn take(&self) -> Take {
        self.session.take(self.token)
    }

    pub(crate) async fn next_take(&self) -> Take {
        self.wait_for(|| match self.session.take(self.token) {
            Take::Empty => None,
            taken => Some(taken),
        })
        .await
    }

    /// [`Binding::next_take`] for a poll: the frames are lent until its
    /// answer is sent. The error is never `Take::Frames` or `Take::Empty`.
    pub(crate) async fn next_lend(&self) -> Result<Lent, Take> {
        self.wait_for(|| match self.session.lend(self.token) {
            Err(Take::Empty) => None,
            taken => Some(taken),
        })
        .await
    }

    async fn wait_for<T>(&self, attempt: impl Fn() -> Option<T>) -> T {
        loop {
            let woken = self.session.wake().notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match attempt() {
                None => woken.await,
                Some(taken) => return taken,
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
