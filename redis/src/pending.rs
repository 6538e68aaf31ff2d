//! Requests of this server waiting for the other servers' answers, by
//! request id; a request is forgotten when its waiter is dropped, so the
//! table holds only requests someone still awaits.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use rmpv::Value as Mp;
use socketio::{
    AckReplies, AckResponse, AckStream, AdapterError, AdapterFuture, BroadcastPacket, Local, SocketData, Target,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::adapter::{lock, random_id};
use crate::message;
use crate::requests::Body;

/// The table; cheap to share.
#[derive(Debug, Default)]
pub(crate) struct Requests {
    waiting: Mutex<HashMap<String, mpsc::UnboundedSender<Body>>>,
}

impl Requests {
    /// A new request id (12 random alphanumerics) and its waiter.
    pub(crate) fn register(self: &Arc<Self>) -> Waiting {
        let id = format!("{}{}", random_id(), random_id());
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.waiting).insert(id.clone(), tx);
        Waiting {
            requests: self.clone(),
            id,
            answers: rx,
        }
    }

    /// Hands an answer to its request; `false` when no request of this
    /// server has that id (another server's, or one given up).
    pub(crate) fn answer(&self, request_id: &str, body: Body) -> bool {
        match lock(&self.waiting).get(request_id) {
            Some(waiting) => waiting.send(body).is_ok(),
            None => false,
        }
    }

    /// Whether `request_id` is one of this server's own requests.
    pub(crate) fn is_own(&self, request_id: &str) -> bool {
        lock(&self.waiting).contains_key(request_id)
    }
}

/// One request waiting for answers; forgotten when dropped.
#[derive(Debug)]
pub(crate) struct Waiting {
    requests: Arc<Requests>,
    pub(crate) id: String,
    pub(crate) answers: mpsc::UnboundedReceiver<Body>,
}

impl Waiting {
    /// Up to `count` answers, until `deadline`; fewer (and a log) if late.
    pub(crate) async fn gather(&mut self, count: usize, deadline: Instant) -> Vec<Body> {
        let mut bodies = Vec::with_capacity(count.min(64));
        while bodies.len() < count {
            match tokio::time::timeout_at(deadline, self.answers.recv()).await {
                Ok(Some(body)) => bodies.push(body),
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(
                        answered = bodies.len(),
                        expected = count,
                        "other servers did not all answer in time"
                    );
                    break;
                }
            }
        }
        bodies
    }

    /// The sockets up to `count` servers described, until `deadline`,
    /// as sockets of `namespace` (our endpoint name).
    pub(crate) async fn gather_sockets(&mut self, count: usize, deadline: Instant, namespace: &str) -> Vec<SocketData> {
        let mut sockets = Vec::new();
        for body in self.gather(count, deadline).await {
            let Body::Sockets(list) = body else { continue };
            for raw in list {
                match serde_json::from_str::<SocketData>(raw.get()) {
                    Ok(mut socket) => {
                        socket.namespace = namespace.to_owned();
                        sockets.push(socket);
                    }
                    Err(error) => tracing::debug!(%error, "skipped a socket another server described"),
                }
            }
        }
        sockets
    }

    /// The answers of up to `count` servers to a server-side event, until
    /// `deadline`.
    pub(crate) async fn gather_answers(&mut self, count: usize, deadline: Instant) -> Vec<AckResponse> {
        self.gather(count, deadline)
            .await
            .into_iter()
            .filter_map(|body| match body {
                Body::Answer(answer) => Some(answer),
                _ => None,
            })
            .collect()
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        lock(&self.requests.waiting).remove(&self.id);
    }
}

/// The answers of an acknowledged broadcast: this server's `reached`
/// clients answer on `acks`; each of the other `servers - 1` servers says
/// how many clients it reached, then sends each answer to `pending`. Done
/// when every server counted and every client answered, or at `deadline`.
async fn collect_acks(
    reached: usize,
    mut acks: AckStream,
    mut pending: Option<Waiting>,
    servers: usize,
    deadline: Instant,
) -> AckReplies {
    let mut replies = AckReplies::default();
    replies.expected = reached;
    let mut reported = 1;
    let mut local_open = true;
    loop {
        if reported >= servers && replies.replies.len() >= replies.expected {
            break;
        }
        let remote = async {
            match pending.as_mut() {
                Some(pending) => pending.answers.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            answer = acks.next(), if local_open => match answer {
                Some(answer) => replies.replies.push(answer),
                None => local_open = false,
            },
            body = remote => match body {
                Some(Body::ClientCount(count)) => {
                    replies.expected += count;
                    reported += 1;
                }
                Some(Body::Answer(answer)) => replies.replies.push(answer),
                Some(_) => {}
                None => break,
            },
        }
    }
    replies
}

/// A broadcast whose clients answer: here at once, and (unless `local`)
/// to the other servers by `send`, given the request id and node's
/// `packet` and `opts` (`false`: not sent); every server counted by
/// `count_servers` then reports its clients' answers, until `timeout`.
pub(crate) fn broadcast_with_ack<Count, Counted>(
    requests: &Arc<Requests>,
    local: &Local,
    packet: &BroadcastPacket,
    target: &Target,
    timeout: Duration,
    send: impl FnOnce(&str, Mp, Mp) -> bool,
    count_servers: Count,
) -> AdapterFuture<AckReplies>
where
    Count: FnOnce(Instant) -> Counted + Send + 'static,
    Counted: Future<Output = Result<usize, AdapterError>> + Send,
{
    let deadline = Instant::now() + timeout;
    let (reached, acks) = local.broadcast_with_ack(packet, target, timeout);
    let mut pending = None;
    if !target.flags.local {
        match message::packet_data(packet) {
            Ok(data) => {
                let waiting = requests.register();
                let packet = message::packet_value(crate::channels::wire_nsp(&target.namespace), data);
                let opts = message::broadcast_opts(target, Some(timeout));
                if send(&waiting.id, packet, opts) {
                    pending = Some(waiting);
                }
            }
            Err(error) => tracing::warn!(%error, "acknowledged broadcast not sent to other servers"),
        }
    }
    Box::pin(async move {
        let servers = match &pending {
            Some(_) => count_servers(deadline).await.unwrap_or(1),
            None => 1,
        };
        Ok(collect_acks(reached, acks, pending, servers, deadline).await)
    })
}
