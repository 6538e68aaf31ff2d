//! Publishing without blocking: a bounded queue to one task that publishes
//! in order, so a slow or absent Redis costs at most the queue's memory and
//! never holds up a broadcast. The classic adapter `PUBLISH`es, the sharded
//! one `SPUBLISH`es.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use fred::prelude::{Client, PubsubInterface};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The sending side; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Publisher {
    queue: mpsc::Sender<(String, Bytes)>,
    /// Whether the last message was dropped: logs once per stretch.
    dropping: Arc<AtomicBool>,
}

impl Publisher {
    /// Starts the task publishing through `client` (`SPUBLISH` when
    /// `sharded`); each publish gives up after `timeout` (Redis away), so
    /// the queue moves on.
    pub(crate) fn start(client: Client, capacity: usize, timeout: Duration, sharded: bool) -> (Self, JoinHandle<()>) {
        let (queue, mut rx) = mpsc::channel::<(String, Bytes)>(capacity.max(1));
        let task = tokio::spawn(async move {
            // One at a time: the order of messages on a channel is the
            // order clients see.
            while let Some((channel, payload)) = rx.recv().await {
                let published = async {
                    if sharded {
                        client.spublish::<i64, _, _>(channel.as_str(), payload).await
                    } else {
                        client.publish::<i64, _, _>(channel.as_str(), payload).await
                    }
                };
                match tokio::time::timeout(timeout, published).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => tracing::warn!(%channel, %error, "publish to Redis failed"),
                    Err(_) => tracing::warn!(%channel, ?timeout, "publish to Redis timed out"),
                }
            }
        });
        let publisher = Self {
            queue,
            dropping: Arc::new(AtomicBool::new(false)),
        };
        (publisher, task)
    }

    /// Queues `payload` for `channel`; `false` (and a log) when the queue
    /// is full and the message dropped.
    pub(crate) fn publish(&self, channel: String, payload: Vec<u8>) -> bool {
        match self.queue.try_send((channel, Bytes::from(payload))) {
            Ok(()) => {
                self.dropping.store(false, Ordering::Relaxed);
                true
            }
            Err(mpsc::error::TrySendError::Full((channel, _))) => {
                if !self.dropping.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%channel, "Redis publish queue full: dropping messages to other servers");
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}
