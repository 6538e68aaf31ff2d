//! What this server does with the messages of node's `ClusterAdapter`
//! other servers send, whichever way they came: broadcasts delivered to
//! its sockets, requests applied and answered to the requester, answers
//! handed to waiting requests. Malformed messages are logged at debug and
//! dropped (by the caller, which decodes).

use crate::cluster::Transport;
use crate::cluster::answers;
use crate::cluster::messages::{self, Incoming, Message};
use crate::inbox::OnMessage;
use crate::message::target;

/// Where a message came from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    /// A pub/sub channel.
    Channel(&'a str),
    /// A stream entry, by its id.
    Entry(&'a str),
}

/// Applies one message of another server (or answers one of ours).
pub(crate) fn apply<T: Transport>(inner: &T, incoming: Incoming, source: Source<'_>) {
    let Some(local) = inner.member().local.get() else {
        return;
    };
    if let Message::Response(response) = incoming.message {
        // Most likely on this server's own channel; one for a request
        // given up (or another server's) is dropped.
        inner.member().requests.answer(&response.request_id, response.body);
        return;
    }
    let (Some(uid), Some(nsp)) = (incoming.uid, incoming.nsp) else {
        tracing::debug!(?source, "dropped a message without uid or nsp");
        return;
    };
    // Own messages were applied locally already.
    if uid == inner.member().uid {
        return;
    }
    let (channel, entry_id) = match source {
        Source::Channel(channel) => (Some(channel), None),
        Source::Entry(id) => (None, Some(id)),
    };
    if !inner.accepts(&nsp, channel) {
        tracing::debug!(?source, %nsp, "dropped a message for a namespace not served here");
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
        } => inner.deliver(local, &packet.event, &target(&nsp, opts), entry_id),
        Message::Broadcast {
            request_id: Some(request_id),
            packet,
            opts,
        } => {
            if !inner.member().requests.is_own(&request_id) {
                let reply = inner.reply(&uid, &nsp);
                answers::broadcast(
                    local,
                    reply,
                    request_id,
                    &packet.event,
                    opts,
                    inner.member().requests_timeout,
                );
            }
        }
        Message::Rooms { join, opts, rooms } => {
            let target = target(&nsp, opts);
            if join {
                local.add_sockets(&target, &rooms);
                inner.rooms_joined(&target.namespace, &rooms);
            } else {
                local.del_sockets(&target, &rooms);
            }
            inner.rooms_left(&target.namespace);
        }
        Message::Disconnect { opts, close } => local.disconnect_sockets(&target(&nsp, opts), close),
        Message::Fetch { request_id, opts } => answers::fetch(local, &inner.reply(&uid, &nsp), request_id, opts),
        Message::ServerSideEmit { request_id, name, args } => {
            answers::server_side_emit(local, inner.reply(&uid, &nsp), request_id, &name, &args);
        }
        Message::Ignored(kind) => tracing::trace!(kind, "ignored a heartbeat or goodbye"),
        Message::Response(_) => {}
    }
}

/// A message from a pub/sub channel, as every form reads its channels.
impl<T: Transport> OnMessage for T {
    fn on_message(&self, channel: &str, payload: &[u8]) {
        match messages::decode(payload) {
            Ok(incoming) => apply(self, incoming, Source::Channel(channel)),
            Err(error) => tracing::debug!(%channel, %error, "dropped a malformed message"),
        }
    }
}
