//! What each form of the cluster adapter says for itself: its state the
//! core reads, and how its messages travel.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rmpv::Value as Mp;
use socketio::{AdapterError, BroadcastPacket, Local, Target};
use tokio::time::Instant;

use crate::cluster::answers::Reply;
use crate::pending::Requests;

/// One form of node's `ClusterAdapter` (sharded pub/sub, or a stream plus
/// pub/sub), implemented by its shared state.
pub(crate) trait Transport: Send + Sync + 'static {
    /// The end of the error when a message could not be queued.
    const QUEUE_FULL: &'static str;

    /// This server's id on the wire.
    fn uid(&self) -> &str;

    /// The server's sockets, once the adapter is initialised.
    fn local(&self) -> Option<&Local>;

    /// This server's requests waiting for answers.
    fn requests(&self) -> &Arc<Requests>;

    /// How long a request waits for the other servers.
    fn requests_timeout(&self) -> Duration;

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
