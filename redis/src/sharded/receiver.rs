//! What this server does with the messages other servers publish:
//! broadcasts delivered to its sockets, requests applied and answered on
//! the requester's response channel, answers handed to waiting requests.
//! Malformed messages are logged at debug and dropped.

use std::time::Duration;

use futures_util::StreamExt;
use rmpv::Value as Mp;
use socketio::{Local, Target};

use crate::channels::endpoint;
use crate::inbox::OnMessage;
use crate::message::{self, Opts};
use crate::sharded::adapter::Inner;
use crate::sharded::messages::{self, Message, kind, map};

/// Our target for a namespace (node's name) and node's opts.
fn target(nsp: &str, opts: Opts) -> Target {
    let mut target = Target::namespace(endpoint(nsp));
    target.rooms = opts.rooms;
    target.except = opts.except;
    target.flags.volatile = opts.volatile;
    target
}

/// The first argument of an answer, binary in place (`None`: no argument,
/// which node's JSON leaves out).
fn first_arg(args: &socketio::EncodedArgs) -> Result<Option<Mp>, message::Malformed> {
    match message::from_json(args.json(), args.attachments())? {
        Mp::Array(items) => Ok(items.into_iter().next()),
        _ => Err("an answer is not an array".to_owned()),
    }
}

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
        match incoming.message {
            Message::Broadcast {
                request_id: None,
                packet,
                opts,
            } => {
                if packet.nsp == nsp {
                    local.broadcast(&packet.event, &target(&nsp, opts));
                }
            }
            Message::Broadcast {
                request_id: Some(request_id),
                packet,
                opts,
            } => {
                if packet.nsp == nsp {
                    self.answer_broadcast(local, &uid, &nsp, request_id, &packet.event, opts);
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
            Message::Fetch { request_id, opts } => {
                let sockets = local.fetch_sockets(&target(&nsp, opts));
                // Socket data is JSON: it always has a msgpack form. (Through
                // a JSON value: rmpv writes a struct as an array.)
                let sockets = serde_json::to_value(&sockets)
                    .ok()
                    .and_then(|json| rmpv::ext::to_value(json).ok())
                    .unwrap_or(Mp::Array(Vec::new()));
                let data = map(vec![("requestId", Mp::from(request_id)), ("sockets", sockets)]);
                self.respond(&uid, kind::FETCH_SOCKETS_RESPONSE, &nsp, data);
            }
            Message::ServerSideEmit { request_id, name, args } => {
                self.on_server_side_emit(local, &uid, &nsp, request_id, &name, &args);
            }
            Message::Ignored(kind) => tracing::trace!(kind, "ignored a heartbeat or goodbye"),
            Message::Response(_) => {}
        }
    }
}

impl Inner {
    /// Broadcasts with acknowledgements here, then tells the requester how
    /// many clients it reached (0 too: it waits for every server's count)
    /// and each answer as it comes.
    fn answer_broadcast(
        &self,
        local: &Local,
        requester: &str,
        nsp: &str,
        request_id: String,
        packet: &socketio::BroadcastPacket,
        opts: Opts,
    ) {
        if self.requests.is_own(&request_id) {
            return;
        }
        let timeout = opts
            .timeout_ms
            .map_or(self.config.requests_timeout, Duration::from_millis);
        let (reached, acks) = local.broadcast_with_ack(packet, &target(nsp, opts), timeout);
        let count = map(vec![
            ("requestId", Mp::from(request_id.as_str())),
            ("clientCount", Mp::from(reached)),
        ]);
        self.respond(requester, kind::BROADCAST_CLIENT_COUNT, nsp, count);
        if reached == 0 {
            return;
        }
        let (publisher, channel) = (self.publisher.clone(), self.channels.room(nsp, requester));
        let (uid, nsp) = (self.uid.clone(), nsp.to_owned());
        tokio::spawn(async move {
            let mut acks = acks;
            while let Some(answer) = acks.next().await {
                let first = answer
                    .args
                    .first()
                    .map(|raw| message::from_json(raw.get(), raw.attachments()));
                let mut data = vec![("requestId", Mp::from(request_id.as_str()))];
                match first {
                    None => {}
                    Some(Ok(value)) => data.push(("packet", value)),
                    Some(Err(error)) => {
                        tracing::debug!(%error, "a client answer could not be encoded");
                        continue;
                    }
                }
                let payload = messages::encode(kind::BROADCAST_ACK, &uid, &nsp, Some(map(data)));
                publisher.publish(channel.clone(), payload);
            }
        });
    }

    fn on_server_side_emit(
        &self,
        local: &Local,
        requester: &str,
        nsp: &str,
        request_id: Option<String>,
        name: &str,
        args: &[Mp],
    ) {
        let args: Result<Vec<_>, _> = args.iter().map(message::to_raw_json).collect();
        let args = match args {
            Ok(args) => args,
            Err(error) => {
                tracing::debug!(%error, "dropped a server-side event whose arguments do not read");
                return;
            }
        };
        let Some(answer) = local.server_side_event(endpoint(nsp), name, args) else {
            tracing::debug!(event = %name, "no server-side handler for this event");
            return;
        };
        let (publisher, channel) = (self.publisher.clone(), self.channels.room(nsp, requester));
        let (uid, nsp) = (self.uid.clone(), nsp.to_owned());
        tokio::spawn(async move {
            let answer = answer.await;
            let (Some(request_id), Some(answer)) = (request_id, answer) else {
                return;
            };
            let mut data = vec![("requestId", Mp::from(request_id))];
            match first_arg(&answer) {
                Ok(None) => {}
                Ok(Some(value)) => data.push(("packet", value)),
                Err(error) => {
                    tracing::debug!(%error, "a server-side answer could not be encoded");
                    return;
                }
            }
            let payload = messages::encode(kind::SERVER_SIDE_EMIT_RESPONSE, &uid, &nsp, Some(map(data)));
            publisher.publish(channel, payload);
        });
    }
}
