use std::sync::Arc;

use crate::core::{Lent, Take};
use crate::legacy::{Session, Transport};

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
        session.set_transport(transport);
        session.hub().stats.transport_bound(transport.carrier());
        Some(Self {
            session,
            token,
            transport,
        })
    }

    pub(crate) fn session(&self) -> &Arc<Session> {
        &self.session
    }

    pub(crate) fn token(&self) -> u64 {
        self.token
    }

    /// Waits until there is something for this transport: frames, lent
    /// until written, or news that it was superseded or the session is
    /// gone (never `Take::Frames` or `Take::Empty`). Cancel-safe.
    pub(crate) async fn next_lend(&self) -> Result<Lent<Session>, Take> {
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
        self.session.hub().stats.transport_unbound(self.transport.carrier());
        self.session.unbind(self.token);
    }
}
