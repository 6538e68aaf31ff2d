use std::sync::Arc;

use crate::session::Session;
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

    pub(crate) fn token(&self) -> u64 {
        self.token
    }
}

impl Drop for Binding {
    fn drop(&mut self) {
        self.session.hub().stats.transport_unbound(self.transport);
        self.session.unbind(self.token);
    }
}
