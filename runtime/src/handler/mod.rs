//! The handler model: what `#[socketio::handler]` implements and what user
//! code sees ([`Ctx`], [`BroadcastOperator`]). Runs each connection's
//! handler on a task of its own; the core starts it through the
//! [`Endpoint`]'s spawner.
//!
//! May use: `core`, `codec`. Nothing here knows a transport or a wire format.

mod broadcast;
mod ctx;
mod dispatch;
mod endpoint;
mod error;
mod remote;

pub use broadcast::{BroadcastError, BroadcastOperator, EmitTarget};
pub use ctx::Ctx;
pub use endpoint::{Endpoint, EndpointResolver};
pub use error::DispatchError;
pub use remote::RemoteSocket;

use std::future::Future;

use crate::core::{Event, Message, Reply};

/// One value of this type serves one connection on one endpoint (namespace),
/// like a TornadIO2 `SocketConnection`. Callbacks of one connection run one
/// at a time, in arrival order, so `&mut self` needs no locking.
///
/// `#[socketio::handler]` implements this trait from an ordinary impl block;
/// it can also be implemented by hand:
///
/// ```
/// use socketio::{Ctx, DispatchError, Event, Handler, Reply};
///
/// struct Echo;
///
/// impl Handler for Echo {
///     async fn on_event(&mut self, cx: &Ctx, event: Event) -> Result<Reply, DispatchError> {
///         cx.emit(&event.name, &event.args[..]);
///         Reply::with_args(&event.args[..])
///             .map_err(|e| DispatchError::Failed { event: event.name.clone(), message: e.to_string() })
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Socket.IO handler",
    label = "this type does not implement `socketio::Handler`",
    note = "mark its impl block with `#[socketio::handler]`, or implement `socketio::Handler` by hand"
)]
pub trait Handler: Send + 'static {
    /// Runs when the connection opens. Returning `false` refuses it: on the
    /// main endpoint the handshake is answered 401 and no session is kept; on
    /// another endpoint the client is told it is unauthorized and the rest of
    /// the session goes on.
    fn on_open(&mut self, cx: &Ctx) -> impl Future<Output = bool> + Send {
        let _ = cx;
        std::future::ready(true)
    }

    /// A plain (type 3) or JSON (type 4) message.
    fn on_message(&mut self, cx: &Ctx, message: Message) -> impl Future<Output = ()> + Send {
        tracing::debug!(
            endpoint = cx.endpoint(),
            ?message,
            "message ignored: no message handler"
        );
        std::future::ready(())
    }

    /// An event. The returned [`Reply`] answers the client's ack when it asked
    /// for one; an error is reported to the client as an error packet and the
    /// connection stays open.
    fn on_event(&mut self, cx: &Ctx, event: Event) -> impl Future<Output = Result<Reply, DispatchError>> + Send {
        let _ = cx;
        std::future::ready(Err(DispatchError::UnknownEvent(event.name)))
    }

    /// Runs exactly once for every connection whose `on_open` accepted it.
    fn on_close(&mut self, cx: &Ctx) -> impl Future<Output = ()> + Send {
        let _ = cx;
        std::future::ready(())
    }

    /// The endpoints this handler's server serves besides the main one,
    /// when it is the main handler (TornadIO2's `__endpoints__`). Added to
    /// the table by [`crate::SocketIo::builder`].
    fn endpoints() -> Vec<(&'static str, Endpoint)>
    where
        Self: Sized,
    {
        Vec::new()
    }

    /// Serves endpoints missing from every table, when this is the main
    /// handler (TornadIO2's `get_endpoint`). `None` refuses the endpoint.
    fn resolve_endpoint(name: &str) -> Option<Endpoint>
    where
        Self: Sized,
    {
        let _ = name;
        None
    }
}
