//! What this server does with what other servers send: stream entries
//! (broadcasts, remote join / leave / disconnect) and pub/sub messages
//! (requests, and answers to this server's). Malformed ones are logged at
//! debug and dropped.

use crate::answers::{self, Reply, target};
use crate::inbox::OnMessage;
use crate::sharded::messages::{self, Incoming, Message};
use crate::streams::adapter::{Inner, encode_msgpack};
use crate::streams::entry::Entry;

impl Inner {
    /// One entry of the stream.
    pub(crate) fn on_entry(&self, entry: &Entry) {
        // Node hands on only entries with a namespace.
        if entry.field("nsp").is_none_or(str::is_empty) {
            return;
        }
        match entry.message() {
            Ok(incoming) => self.apply(incoming, Some(&entry.id)),
            Err(error) => tracing::debug!(id = %entry.id, %error, "dropped a malformed stream entry"),
        }
    }

    /// Answers to `requester` go to its private channel, in msgpack.
    fn reply(&self, requester: &str, nsp: &str) -> Reply {
        Reply {
            publisher: self.publisher.clone(),
            channel: self.config.private_channel(nsp, requester),
            uid: self.uid.clone(),
            nsp: nsp.to_owned(),
            encode: encode_msgpack,
        }
    }

    /// Applies a message; `offset` is its stream entry id when it came
    /// from the stream.
    fn apply(&self, incoming: Incoming, offset: Option<&str>) {
        let Some(local) = self.local.get() else { return };
        if let Message::Response(response) = incoming.message {
            self.requests.answer(&response.request_id, response.body);
            return;
        }
        let (Some(uid), Some(nsp)) = (incoming.uid, incoming.nsp) else {
            tracing::debug!("dropped a message without uid or nsp");
            return;
        };
        // Own messages were applied locally already.
        if uid == self.uid || !self.serves(&nsp) {
            return;
        }
        // The message's namespace decides, as in node's `ClusterAdapter`:
        // its packets carry none (a packet's missing `nsp` reads as `/`).
        match incoming.message {
            // The entry's id is this broadcast's offset, the last argument
            // of a recoverable event when connection state recovery is on
            // (as node's adapter adds it). Kept in the stream, not here.
            Message::Broadcast {
                request_id: None,
                packet,
                opts,
            } => {
                let target = target(&nsp, opts);
                let recoverable = matches!(packet.event, socketio::BroadcastPacket::Event { .. })
                    && !target.flags.volatile
                    && self.recovers();
                local.broadcast_at(&packet.event, &target, offset.filter(|_| recoverable));
            }
            Message::Broadcast {
                request_id: Some(request_id),
                packet,
                opts,
            } => {
                if !self.requests.is_own(&request_id) {
                    let reply = self.reply(&uid, &nsp);
                    answers::broadcast(
                        local,
                        reply,
                        request_id,
                        &packet.event,
                        opts,
                        self.config.requests_timeout,
                    );
                }
            }
            Message::Rooms { join, opts, rooms } => {
                let target = target(&nsp, opts);
                if join {
                    local.add_sockets(&target, &rooms);
                } else {
                    local.del_sockets(&target, &rooms);
                }
            }
            Message::Disconnect { opts, close } => local.disconnect_sockets(&target(&nsp, opts), close),
            Message::Fetch { request_id, opts } => answers::fetch(local, &self.reply(&uid, &nsp), request_id, opts),
            Message::ServerSideEmit { request_id, name, args } => {
                answers::server_side_emit(local, self.reply(&uid, &nsp), request_id, &name, &args);
            }
            Message::Ignored(kind) => tracing::trace!(kind, "ignored a heartbeat or goodbye"),
            Message::Response(_) => {}
        }
    }
}

impl OnMessage for Inner {
    fn on_message(&self, channel: &str, payload: &[u8]) {
        match messages::decode(payload) {
            Ok(incoming) => self.apply(incoming, None),
            Err(error) => tracing::debug!(%channel, %error, "dropped a malformed message"),
        }
    }
}
