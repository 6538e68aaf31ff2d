use std::sync::Arc;

use crate::session::Session;

/// A transport's hold on a session; unbinding on drop means a request that
/// the client abandons still starts the session's close timeout.
pub(crate) struct Binding {
    session: Arc<Session>,
    token: u64,
}

impl Binding {
    pub(crate) fn new(session: Arc<Session>) -> Option<Self> {
        let token = session.bind()?;
        Some(Self { session, token })
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
        self.session.unbind(self.token);
    }
}
