//! Runs one connection: its handler value lives in this task, so callbacks
//! run one at a time in arrival order and `&mut self` needs no lock.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use tokio::sync::oneshot;

use crate::core::{AckSender, CloseReason, Connection, HandlerInput, InboxReceiver, Outgoing};
use crate::handler::{Ctx, Handler};

pub(crate) async fn run<H: Handler>(
    mut handler: H,
    connection: Arc<Connection>,
    mut inbox: InboxReceiver,
    opened: oneshot::Sender<bool>,
) {
    let cx = Ctx::new(connection.clone());
    // A panicking open hook refuses the connection. A recovered socket
    // skips it unless the settings ask for it (node's skipMiddlewares).
    let skip = connection.recovered()
        && connection
            .hub()
            .config
            .recovery
            .as_ref()
            .is_some_and(|recovery| recovery.skip_open_hook);
    let accepted = skip || guarded(&cx, "on_open", handler.on_open(&cx)).await.unwrap_or(false);
    connection.finish_open(accepted);
    let _ = opened.send(accepted);
    if !accepted {
        connection.session().namespaces().forget(&connection);
        return;
    }
    let monitor = connection.hub().monitor();
    if let Some(monitor) = monitor {
        monitor.socket_connected(&connection);
    }
    while let Some(inbound) = inbox.recv().await {
        let survived = match inbound {
            HandlerInput::Close => break,
            HandlerInput::Message(message) => {
                let (id, message) = *message;
                let done = guarded(&cx, "on_message", handler.on_message(&cx, message)).await;
                if let (Some(()), Some(id)) = (done, id) {
                    connection.send(Outgoing::Ack { id: id.id, args: None });
                }
                done.is_some()
            }
            HandlerInput::Event(mut event) => {
                if let Some(monitor) = monitor {
                    monitor.event_received(&connection, &event.name, &event.args);
                }
                let ack_id = event.ack;
                event.ack_sender = event.ack.map(|id| AckSender::new(connection.clone(), id));
                // Unboxed into the call: a local holding the event would
                // take room in this future, which every idle connection holds.
                match guarded(&cx, "on_event", handler.on_event(&cx, *event)).await {
                    Some(Ok(reply)) => {
                        // Unless the handler took the ack over, its reply answers it.
                        if let Some(id) = ack_id
                            && !connection.ack_claimed(id.id)
                        {
                            connection.answer_ack(id, reply);
                        }
                        true
                    }
                    Some(Err(error)) => {
                        tracing::debug!(sid = cx.sid(), endpoint = cx.endpoint(), %error, "event refused");
                        connection.send(Outgoing::Error(&error.to_string()));
                        true
                    }
                    None => false,
                }
            }
        };
        if !survived {
            // The handler panicked: its whole session goes, other sessions
            // are untouched. The close hook still runs below, once.
            connection.session().close(CloseReason::HandlerPanic);
            break;
        }
    }
    connection.mark_closed();
    if let Some(monitor) = monitor {
        let reason = connection
            .departure()
            .map_or("server shutting down", |d| d.node_reason());
        monitor.socket_disconnected(&connection, reason);
    }
    let _ = guarded(&cx, "on_close", handler.on_close(&cx)).await;
}

/// Runs a handler callback, turning a panic into `None` (and a log line).
async fn guarded<T>(cx: &Ctx, callback: &'static str, future: impl Future<Output = T>) -> Option<T> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(value) => Some(value),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned());
            tracing::error!(
                sid = cx.sid(),
                endpoint = cx.endpoint(),
                callback,
                panic = message,
                "handler panicked"
            );
            None
        }
    }
}
