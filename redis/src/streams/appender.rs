//! Appending to the stream without blocking: a bounded queue to one task
//! that runs `XADD stream MAXLEN ~ N * field value ...`, pipelined and in
//! order, so a slow or absent Redis costs at most the queue's memory and
//! never holds up a broadcast.
//!
//! With connection state recovery on, a broadcast's local delivery needs
//! its entry id (the offset its clients keep), so it waits for its `XADD`
//! here, and so does every broadcast queued after it, to keep the order
//! sent. While Redis fails, deliveries stop waiting: they go out without an
//! offset (those packets cannot be recovered), in order.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fred::prelude::{Client, StreamsInterface};
use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What runs once an entry is in the stream (with its id) or could not be
/// added (`None`): a broadcast's local delivery.
pub(crate) type Then = Box<dyn FnOnce(Option<String>) + Send>;

/// `XADD`s sent and not yet answered, at most; enough to keep the
/// connection busy without holding much.
const MAX_IN_FLIGHT: usize = 64;

struct Item {
    /// The stream and the entry's fields; `None`: nothing to append, only
    /// a delivery to make in its turn.
    entry: Option<(String, Vec<(String, String)>)>,
    then: Option<Then>,
}

/// The sending side; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Appender {
    queue: mpsc::Sender<Item>,
    /// Whether the last entry was dropped: logs once per stretch.
    dropping: Arc<AtomicBool>,
}

impl Appender {
    /// Starts the task appending through `client`, trimming each stream to
    /// about `max_len` entries; each `XADD` gives up after `timeout`.
    pub(crate) fn start(client: Client, capacity: usize, max_len: u64, timeout: Duration) -> (Self, JoinHandle<()>) {
        let (queue, rx) = mpsc::channel::<Item>(capacity.max(1));
        let max_len = i64::try_from(max_len).unwrap_or(i64::MAX);
        let task = tokio::spawn(run(client, rx, max_len, timeout));
        let appender = Self {
            queue,
            dropping: Arc::new(AtomicBool::new(false)),
        };
        (appender, task)
    }

    /// Queues an entry for `stream`; `false` (and a log) when the queue is
    /// full and the entry dropped.
    pub(crate) fn append(&self, stream: String, fields: Vec<(String, String)>) -> bool {
        self.send(Item {
            entry: Some((stream, fields)),
            then: None,
        })
    }

    /// Queues an entry for `stream` and `then`, which gets the entry's id
    /// once it is in the stream, after every earlier `then` ran. When the
    /// queue is full, `then` runs now, without an id.
    pub(crate) fn append_then(&self, stream: String, fields: Vec<(String, String)>, then: Then) {
        self.queue_then(Some((stream, fields)), then);
    }

    /// Runs `then` (without an id) after every earlier `then` ran.
    pub(crate) fn in_turn(&self, then: Then) {
        self.queue_then(None, then);
    }

    fn queue_then(&self, entry: Option<(String, Vec<(String, String)>)>, then: Then) {
        let item = Item {
            entry,
            then: Some(then),
        };
        if let Err(rejected) = self.queue.try_send(item) {
            let item = match rejected {
                mpsc::error::TrySendError::Full(item) | mpsc::error::TrySendError::Closed(item) => item,
            };
            self.note_dropped(item.entry.as_ref().map(|(stream, _)| stream.as_str()));
            if let Some(then) = item.then {
                then(None);
            }
        }
    }

    fn send(&self, item: Item) -> bool {
        match self.queue.try_send(item) {
            Ok(()) => {
                self.dropping.store(false, Ordering::Relaxed);
                true
            }
            Err(mpsc::error::TrySendError::Full(item)) => {
                self.note_dropped(item.entry.as_ref().map(|(stream, _)| stream.as_str()));
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    fn note_dropped(&self, stream: Option<&str>) {
        if !self.dropping.swap(true, Ordering::Relaxed) {
            tracing::warn!(?stream, "Redis stream queue full: dropping messages to other servers");
        }
    }
}

/// The task: sends each `XADD` as it is queued (one connection keeps their
/// order) and runs the deliveries in queue order as the answers come.
async fn run(client: Client, mut rx: mpsc::Receiver<Item>, max_len: i64, timeout: Duration) {
    // Answers, in the order sent, each with its position in `waiting`'s
    // numbering.
    let mut answers = FuturesOrdered::new();
    // Deliveries not yet run, each with the number of the `XADD` it waits
    // for (`None`: it waits only for those before it).
    let mut waiting: VecDeque<(Option<u64>, Then)> = VecDeque::new();
    let mut sent: u64 = 0;
    // Whether the last answer was a failure: deliveries then go out at once.
    let mut failing = false;
    let mut open = true;
    loop {
        tokio::select! {
            // While Redis fails, deliveries never wait for room to send.
            item = rx.recv(), if open && (failing || answers.len() < MAX_IN_FLIGHT) => {
                let Some(Item { mut entry, then }) = item else {
                    open = false;
                    continue;
                };
                if answers.len() >= MAX_IN_FLIGHT && entry.take().is_some() {
                    tracing::debug!("Redis fails: an entry for the other servers dropped");
                }
                let number = entry.map(|(stream, fields)| {
                    let number = sent;
                    sent += 1;
                    let client = client.clone();
                    answers.push_back(async move {
                        let added = client.xadd::<String, _, _, _, _>(
                            stream.as_str(),
                            false,
                            ("MAXLEN", "~", max_len, None),
                            "*",
                            fields,
                        );
                        let id = match tokio::time::timeout(timeout, added).await {
                            Ok(Ok(id)) => Some(id),
                            Ok(Err(error)) => {
                                tracing::warn!(%stream, %error, "XADD to Redis failed");
                                None
                            }
                            Err(_) => {
                                tracing::warn!(%stream, ?timeout, "XADD to Redis timed out");
                                None
                            }
                        };
                        (number, id)
                    });
                    number
                });
                if let Some(then) = then {
                    if failing || (waiting.is_empty() && number.is_none()) {
                        then(None);
                    } else {
                        waiting.push_back((number, then));
                    }
                }
            }
            Some((number, id)) = answers.next(), if !answers.is_empty() => {
                failing = id.is_none();
                if failing {
                    // Nothing waits on Redis while it fails.
                    for (_, then) in waiting.drain(..) {
                        then(None);
                    }
                    continue;
                }
                if waiting.front().is_some_and(|(waits_for, _)| *waits_for == Some(number))
                    && let Some((_, then)) = waiting.pop_front()
                {
                    then(id);
                }
                while waiting.front().is_some_and(|(waits_for, _)| waits_for.is_none()) {
                    if let Some((_, then)) = waiting.pop_front() {
                        then(None);
                    }
                }
            }
            else => break,
        }
    }
    for (_, then) in waiting {
        then(None);
    }
}
