//! What each form of the cluster adapter says for itself: its state the
//! core reads, and how its messages travel.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rmpv::Value as Mp;
use socketio::{AdapterError, BroadcastPacket, Local, Target};
use tokio::time::Instant;

use crate::adapter::random_id;
use crate::cluster::answers::Reply;
use crate::pending::Requests;

/// What a server is in the cluster, whatever the form.
pub(crate) struct Member {
    /// Its id on the wire (12 alphanumerics); its messages carry it, and
    /// its answer channels are named by it.
    pub(crate) uid: String,
    /// Set by [`socketio::Adapter::init`]; messages before it have no
    /// sockets to reach.
    pub(crate) local: OnceLock<Local>,
    /// Its requests waiting for answers.
    pub(crate) requests: Arc<Requests>,
    /// How long a request waits for the other servers.
    pub(crate) requests_timeout: Duration,
}

impl Member {
    pub(crate) fn new(requests_timeout: Duration) -> Self {
        Self {
            uid: format!("{}{}", random_id(), random_id()),
            local: OnceLock::new(),
            requests: Arc::new(Requests::default()),
            requests_timeout,
        }
    }
}

/// One form of node's `ClusterAdapter` (sharded pub/sub, or a stream plus
/// pub/sub), implemented by its shared state.
pub(crate) trait Transport: Send + Sync + 'static {
    /// The end of the error when a message could not be queued.
    const QUEUE_FULL: &'static str;

    /// This server as a member of the cluster.
    fn member(&self) -> &Member;

    /// Sends a message every server of `nsp` (node's name) must apply:
    /// a broadcast without acknowledgements (to `rooms`), or a remote
    /// join / leave / disconnect (`rooms` empty); `false` when dropped.
    fn publish_to_all(&self, kind: u8, nsp: &str, rooms: &[String], data: Mp) -> bool;

    /// Sends a request that needs answers now to every server of `nsp`;
    /// `false` when dropped.
    fn publish_request(&self, kind: u8, nsp: &str, data: Mp) -> bool;

    /// Every server of `nsp` (or of the cluster, as the form counts),
    /// this one included.
    fn count_servers(&self, nsp: &str, deadline: Instant) -> impl Future<Output = Result<usize, AdapterError>> + Send;

    /// Where answers to server `requester` about `nsp` go.
    fn reply(&self, requester: &str, nsp: &str) -> Reply;

    /// Whether a message about `nsp` that came on `channel` (`None`: read
    /// from a stream) is for this server.
    fn accepts(&self, nsp: &str, channel: Option<&str>) -> bool;

    /// Delivers a broadcast to this server's sockets; `entry_id` is its
    /// stream entry id when it was read from a stream.
    fn deliver(&self, local: &Local, packet: &BroadcastPacket, target: &Target, entry_id: Option<&str>) {
        let _ = entry_id;
        local.broadcast(packet, target);
    }

    /// Sockets of this server joined `rooms` of `endpoint`.
    fn rooms_joined<'r>(&self, endpoint: &str, rooms: impl IntoIterator<Item = &'r String>) {
        let _ = (endpoint, rooms.into_iter());
    }

    /// Some room of `endpoint` may have emptied here.
    fn rooms_left(&self, endpoint: &str) {
        let _ = endpoint;
    }
}
