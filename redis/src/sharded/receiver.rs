//! What this server does with the messages other servers publish:
//! broadcasts delivered to its sockets, requests applied and answered on
//! the requester's response channel, answers handed to waiting requests.
//! Malformed messages are logged at debug and dropped.

use crate::answers::{self, Reply, target};
use crate::inbox::OnMessage;
use crate::sharded::adapter::Inner;
use crate::sharded::messages::{self, Message};

impl OnMessage for Inner {
    fn on_message(&self, channel: &str, payload: &[u8]) {
        let Some(local) = self.local.get() else { return };
        let incoming = match messages::decode(payload) {
            Ok(incoming) => incoming,
            Err(error) => {
                tracing::debug!(%channel, %error, "dropped a malformed message");
                return;
            }
        };
        if let Message::Response(response) = incoming.message {
            // Most likely on this server's own response channel; one for
            // a request given up (or another server's) is dropped.
            self.requests.answer(&response.request_id, response.body);
            return;
        }
        let (Some(uid), Some(nsp)) = (incoming.uid, incoming.nsp) else {
            tracing::debug!(%channel, "dropped a message without uid or nsp");
            return;
        };
        // Own messages were applied locally already.
        if uid == self.uid {
            return;
        }
        if !self.serves(&nsp) || !self.channels.belongs_to(channel, &nsp) {
            tracing::debug!(%channel, %nsp, "dropped a message for a namespace not served here");
            return;
        }
        // The message's namespace decides, as in node's `ClusterAdapter`,
        // which publishes packets before setting their `nsp` (a missing one
        // reads as `/`).
        match incoming.message {
            Message::Broadcast {
                request_id: None,
                packet,
                opts,
            } => {
                local.broadcast(&packet.event, &target(&nsp, opts));
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
                    self.rooms_joined(&target.namespace, &rooms);
                } else {
                    local.del_sockets(&target, &rooms);
                }
                self.rooms_left(&target.namespace);
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

impl Inner {
    /// Answers to `requester` go to its response channel.
    fn reply(&self, requester: &str, nsp: &str) -> Reply {
        Reply {
            publisher: self.publisher.clone(),
            channel: self.channels.room(nsp, requester),
            uid: self.uid.clone(),
            nsp: nsp.to_owned(),
            encode: messages::encode,
        }
    }
}
