use std::sync::Arc;

use crate::core::Spawner;
use crate::handler::{Handler, dispatch};

/// How to make the handler of a new connection on one endpoint: a factory
/// called once per connection (like a TornadIO2 connection class).
#[derive(Clone)]
pub struct Endpoint {
    pub(crate) spawner: Spawner,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint whose connections are served by `H` values made by `factory`.
    pub fn new<H, F>(factory: F) -> Self
    where
        H: Handler,
        F: Fn() -> H + Send + Sync + 'static,
    {
        let spawner: Spawner = Arc::new(move |connection, inbox, opened| {
            let handler = factory();
            tokio::spawn(dispatch::run(handler, connection, inbox, opened))
        });
        Self { spawner }
    }
}

/// Resolves endpoint names that the static table does not list (TornadIO2's
/// `get_endpoint`): `Some` serves the endpoint, `None` refuses it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot resolve endpoint names",
    label = "an endpoint resolver maps a name to `Option<socketio::Endpoint>`",
    note = "pass a function or closure `Fn(&str) -> Option<socketio::Endpoint>`, or implement `socketio::EndpointResolver`"
)]
pub trait EndpointResolver: Send + Sync + 'static {
    /// The endpoint serving `name`, if any.
    fn resolve(&self, name: &str) -> Option<Endpoint>;
}

impl<F> EndpointResolver for F
where
    F: Fn(&str) -> Option<Endpoint> + Send + Sync + 'static,
{
    fn resolve(&self, name: &str) -> Option<Endpoint> {
        self(name)
    }
}
