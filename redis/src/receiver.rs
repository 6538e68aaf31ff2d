//! What this server does with the messages other servers (and emitters)
//! publish: broadcasts delivered to its sockets, requests applied and
//! answered. Malformed messages are logged at debug and dropped.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;
use socketio::{EncodedArgs, Local, Target};

use crate::adapter::{Inner, endpoint};
use crate::message::{self, Opts, target};
use crate::requests::{self, Request, kind};

/// The target of one socket (its own room).
fn one_socket(nsp: &str, sid: &str) -> Target {
    target(
        nsp,
        Opts {
            rooms: vec![sid.to_owned()],
            ..Opts::default()
        },
    )
}

/// `{"type":6,"requestId":R,"data":<first argument>}`; `data` is left
/// out when there is none, as node's JSON leaves out `undefined`.
#[derive(Serialize)]
struct ServerSideEmitAnswer<'a> {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(rename = "requestId")]
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Box<RawValue>>,
}

/// The first argument of a handler's answer, as node's JSON carries it.
fn first_arg(answer: &EncodedArgs) -> Result<Option<Box<RawValue>>, message::Malformed> {
    let items: Vec<Box<RawValue>> = serde_json::from_str(answer.json()).map_err(|e| e.to_string())?;
    let Some(first) = items.into_iter().next() else {
        return Ok(None);
    };
    if answer.attachments().is_empty() {
        return Ok(Some(first));
    }
    let value = message::from_json(first.get(), answer.attachments())?;
    let json = message::to_plain_json(&value)?;
    RawValue::from_string(json).map(Some).map_err(|e| e.to_string())
}

impl Inner {
    pub(crate) fn on_broadcast(&self, nsp: &str, payload: &[u8]) {
        let Some(local) = self.local.get() else { return };
        let message = match message::decode_broadcast(payload) {
            Ok(message) => message,
            Err(error) => {
                tracing::debug!(%error, "dropped a malformed broadcast");
                return;
            }
        };
        // The only self-filter: the emitter's "emitter" (or no uid) is
        // always someone else.
        if message.uid.as_deref() == Some(self.uid.as_str()) {
            return;
        }
        if message.packet.nsp != nsp {
            tracing::debug!(channel_nsp = nsp, packet_nsp = %message.packet.nsp, "dropped a broadcast for another namespace");
            return;
        }
        local.broadcast(&message.packet.event, &target(nsp, message.opts));
    }

    /// Answers a request on the channel this server's setting picks.
    fn respond(&self, nsp: &str, requester: Option<&str>, payload: Vec<u8>) {
        let channel = match requester {
            Some(uid) if self.config.publish_on_specific_response_channel => self.channels.response_to(nsp, uid),
            _ => self.channels.response(nsp),
        };
        self.publisher.publish(channel, payload);
    }

    pub(crate) fn on_request(&self, nsp: &str, payload: &[u8]) {
        let Some(local) = self.local.get() else { return };
        let incoming = match requests::decode_request(payload) {
            Ok(incoming) => incoming,
            Err(error) => {
                tracing::debug!(%error, "dropped a malformed request");
                return;
            }
        };
        // Own join/leave/disconnect were applied locally already, and own
        // questions are answered locally: every own request is dropped.
        let requester = incoming.uid.as_deref();
        if requester == Some(self.uid.as_str()) {
            return;
        }
        match incoming.request {
            Request::Sockets { request_id, rooms } => {
                if self.is_own_request(&request_id) {
                    return;
                }
                let target = target(
                    nsp,
                    Opts {
                        rooms,
                        ..Opts::default()
                    },
                );
                let ids: Vec<String> = local.fetch_sockets(&target).into_iter().map(|s| s.id).collect();
                let answer = json!({ "requestId": request_id, "sockets": ids });
                self.respond(nsp, requester, requests::json(&answer));
            }
            Request::AllRooms { request_id } => {
                let answer = json!({ "requestId": request_id, "rooms": local.all_rooms(endpoint(nsp)) });
                self.respond(nsp, requester, requests::json(&answer));
            }
            Request::Rooms { join, opts, rooms } => {
                let target = target(nsp, opts);
                if join {
                    local.add_sockets(&target, &rooms);
                } else {
                    local.del_sockets(&target, &rooms);
                }
            }
            Request::SocketRoom {
                join,
                request_id,
                sid,
                room,
            } => {
                if local.fetch_sockets(&one_socket(nsp, &sid)).is_empty() {
                    return;
                }
                let sid: Arc<str> = sid.into();
                let rooms = [room];
                if join {
                    local.join(endpoint(nsp), &sid, &rooms);
                } else {
                    local.leave(endpoint(nsp), &sid, &rooms);
                }
                if let Some(request_id) = request_id {
                    self.respond(nsp, requester, requests::json(&json!({ "requestId": request_id })));
                }
            }
            Request::Disconnect { opts, close } => local.disconnect_sockets(&target(nsp, opts), close),
            Request::DisconnectSocket { request_id, sid, close } => {
                let target = one_socket(nsp, &sid);
                if local.fetch_sockets(&target).is_empty() {
                    return;
                }
                local.disconnect_sockets(&target, close);
                if let Some(request_id) = request_id {
                    self.respond(nsp, requester, requests::json(&json!({ "requestId": request_id })));
                }
            }
            Request::Fetch { request_id, opts } => {
                let sockets = local.fetch_sockets(&target(nsp, opts));
                let answer = json!({ "requestId": request_id, "sockets": sockets });
                self.respond(nsp, requester, requests::json(&answer));
            }
            Request::ServerSideEmit { request_id, name, args } => {
                self.on_server_side_emit(local, nsp, request_id, name, args);
            }
            Request::Broadcast {
                request_id,
                packet,
                opts,
            } => {
                if self.is_own_request(&request_id) || packet.nsp != nsp {
                    return;
                }
                let timeout = opts
                    .timeout_ms
                    .map_or(self.config.requests_timeout, Duration::from_millis);
                let (reached, acks) = local.broadcast_with_ack(&packet.event, &target(nsp, opts), timeout);
                // Sent even for 0: the requester waits for every server's count.
                let count = json!({
                    "type": kind::BROADCAST_CLIENT_COUNT,
                    "requestId": request_id,
                    "clientCount": reached,
                });
                self.respond(nsp, requester, requests::json(&count));
                if reached == 0 {
                    return;
                }
                let publisher = self.publisher.clone();
                let channel = match requester {
                    Some(uid) if self.config.publish_on_specific_response_channel => {
                        self.channels.response_to(nsp, uid)
                    }
                    _ => self.channels.response(nsp),
                };
                tokio::spawn(async move {
                    let mut acks = Box::pin(acks);
                    while let Some(answer) = acks.next().await {
                        match requests::broadcast_ack(&request_id, &answer) {
                            Ok(payload) => {
                                publisher.publish(channel.clone(), payload);
                            }
                            Err(error) => tracing::debug!(%error, "a client answer could not be encoded"),
                        }
                    }
                });
            }
        }
    }

    fn on_server_side_emit(
        &self,
        local: &Local,
        nsp: &str,
        request_id: Option<String>,
        name: String,
        args: Vec<socketio::RawJson>,
    ) {
        let Some(answer) = local.server_side_event(endpoint(nsp), &name, args) else {
            tracing::debug!(event = %name, "no server-side handler for this event");
            return;
        };
        // Node always answers on the shared channel here.
        let (publisher, channel) = (self.publisher.clone(), self.channels.response(nsp));
        tokio::spawn(async move {
            let answer = answer.await;
            let Some(request_id) = request_id else { return };
            let Some(answer) = answer else { return };
            let data = match first_arg(&answer) {
                Ok(data) => data,
                Err(error) => {
                    tracing::debug!(%error, "a server-side answer could not be encoded");
                    return;
                }
            };
            let reply = ServerSideEmitAnswer {
                kind: kind::SERVER_SIDE_EMIT,
                request_id: &request_id,
                data,
            };
            if let Ok(payload) = serde_json::to_vec(&reply) {
                publisher.publish(channel, payload);
            }
        });
    }
}
