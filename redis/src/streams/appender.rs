//! Appending to the stream without blocking: a bounded queue to one task
//! that runs `XADD stream MAXLEN ~ N * field value ...` in order, so a slow
//! or absent Redis costs at most the queue's memory and never holds up a
//! broadcast.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fred::prelude::{Client, StreamsInterface};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The sending side; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Appender {
    queue: mpsc::Sender<(String, Vec<(String, String)>)>,
    /// Whether the last entry was dropped: logs once per stretch.
    dropping: Arc<AtomicBool>,
}

impl Appender {
    /// Starts the task appending through `client`, trimming each stream to
    /// about `max_len` entries; each `XADD` gives up after `timeout`.
    pub(crate) fn start(client: Client, capacity: usize, max_len: u64, timeout: Duration) -> (Self, JoinHandle<()>) {
        let (queue, mut rx) = mpsc::channel::<(String, Vec<(String, String)>)>(capacity.max(1));
        let max_len = i64::try_from(max_len).unwrap_or(i64::MAX);
        let task = tokio::spawn(async move {
            // One at a time: the stream's order is the order sent.
            while let Some((stream, fields)) = rx.recv().await {
                let added = client.xadd::<String, _, _, _, _>(
                    stream.as_str(),
                    false,
                    ("MAXLEN", "~", max_len, None),
                    "*",
                    fields,
                );
                match tokio::time::timeout(timeout, added).await {
                    Ok(Ok(id)) => tracing::trace!(%stream, %id, "appended"),
                    Ok(Err(error)) => tracing::warn!(%stream, %error, "XADD to Redis failed"),
                    Err(_) => tracing::warn!(%stream, ?timeout, "XADD to Redis timed out"),
                }
            }
        });
        let appender = Self {
            queue,
            dropping: Arc::new(AtomicBool::new(false)),
        };
        (appender, task)
    }

    /// Queues an entry for `stream`; `false` (and a log) when the queue is
    /// full and the entry dropped.
    pub(crate) fn append(&self, stream: String, fields: Vec<(String, String)>) -> bool {
        match self.queue.try_send((stream, fields)) {
            Ok(()) => {
                self.dropping.store(false, Ordering::Relaxed);
                true
            }
            Err(mpsc::error::TrySendError::Full((stream, _))) => {
                if !self.dropping.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%stream, "Redis stream queue full: dropping messages to other servers");
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}
