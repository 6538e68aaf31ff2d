//! The subscriber's messages, handed to an adapter while it lives: both
//! forms read them the same way.

use std::sync::Weak;

use tokio::sync::broadcast;

/// What handles one message from a channel.
pub(crate) trait OnMessage: Send + Sync + 'static {
    fn on_message(&self, channel: &str, payload: &[u8]);
}

/// Reads `messages` until the adapter or the subscriber is gone.
pub(crate) async fn receive<T: OnMessage>(inner: Weak<T>, mut messages: broadcast::Receiver<fred::types::Message>) {
    loop {
        match messages.recv().await {
            Ok(message) => {
                let Some(inner) = inner.upgrade() else { return };
                match message.value.as_bytes() {
                    Some(payload) => inner.on_message(&message.channel, payload),
                    None => tracing::debug!(channel = %message.channel, "dropped a message that is not bytes"),
                }
            }
            Err(broadcast::error::RecvError::Lagged(lost)) => {
                tracing::warn!(lost, "this server lost messages from Redis: it handles them too slowly");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
