//! How a server answers the requests of node's `ClusterAdapter` (the
//! sharded and the streams adapters): an acknowledged broadcast, a fetch,
//! a server-side event. Each adapter says where and how an answer goes
//! ([`Reply`]); what goes is the same.

use std::time::Duration;

use futures_util::StreamExt;
use rmpv::Value as Mp;
use socketio::{BroadcastPacket, EncodedArgs, Local};

use crate::channels::endpoint;
use crate::cluster::messages::{kind, map};
use crate::message::{self, Opts, target};
use crate::publisher::Publisher;

/// Where this server's answers to one requester go: `channel`, each
/// message `{type, data, uid, nsp}` encoded by `encode`.
#[derive(Clone)]
pub(crate) struct Reply {
    pub(crate) publisher: Publisher,
    pub(crate) channel: String,
    pub(crate) uid: String,
    pub(crate) nsp: String,
    pub(crate) encode: fn(u8, &str, &str, Option<Mp>) -> Vec<u8>,
}

impl Reply {
    pub(crate) fn send(&self, kind: u8, data: Mp) {
        let payload = (self.encode)(kind, &self.uid, &self.nsp, Some(data));
        self.publisher.publish(self.channel.clone(), payload);
    }
}

/// The first argument of an answer, binary in place (`None`: no argument,
/// which node's JSON leaves out).
fn first_arg(args: &EncodedArgs) -> Result<Option<Mp>, message::Malformed> {
    match message::from_json(args.json(), args.attachments())? {
        Mp::Array(items) => Ok(items.into_iter().next()),
        _ => Err("an answer is not an array".to_owned()),
    }
}

/// Broadcasts with acknowledgements here, then tells the requester how
/// many clients it reached (0 too: it waits for every server's count) and
/// each answer as it comes. `default_timeout` when node's opts name none.
pub(crate) fn broadcast(
    local: &Local,
    reply: Reply,
    request_id: String,
    packet: &BroadcastPacket,
    opts: Opts,
    default_timeout: Duration,
) {
    let timeout = opts.timeout_ms.map_or(default_timeout, Duration::from_millis);
    let (reached, acks) = local.broadcast_with_ack(packet, &target(&reply.nsp, opts), timeout);
    let count = map(vec![
        ("requestId", Mp::from(request_id.as_str())),
        ("clientCount", Mp::from(reached)),
    ]);
    reply.send(kind::BROADCAST_CLIENT_COUNT, count);
    if reached == 0 {
        return;
    }
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
            reply.send(kind::BROADCAST_ACK, map(data));
        }
    });
}

/// Describes this server's sockets `opts` picks to the requester.
pub(crate) fn fetch(local: &Local, reply: &Reply, request_id: String, opts: Opts) {
    let sockets = local.fetch_sockets(&target(&reply.nsp, opts));
    // Socket data is JSON: it always has a msgpack form. (Through a JSON
    // value: rmpv writes a struct as an array.)
    let sockets = serde_json::to_value(&sockets)
        .ok()
        .and_then(|json| rmpv::ext::to_value(json).ok())
        .unwrap_or(Mp::Array(Vec::new()));
    let data = map(vec![("requestId", Mp::from(request_id)), ("sockets", sockets)]);
    reply.send(kind::FETCH_SOCKETS_RESPONSE, data);
}

/// Runs this server's handler of a server-side event; its answer goes to
/// the requester when it asked for one (`request_id`).
pub(crate) fn server_side_emit(local: &Local, reply: Reply, request_id: Option<String>, name: &str, args: &[Mp]) {
    let args: Result<Vec<_>, _> = args.iter().map(message::to_raw_json).collect();
    let args = match args {
        Ok(args) => args,
        Err(error) => {
            tracing::debug!(%error, "dropped a server-side event whose arguments do not read");
            return;
        }
    };
    let Some(answer) = local.server_side_event(endpoint(&reply.nsp), name, args) else {
        tracing::debug!(event = %name, "no server-side handler for this event");
        return;
    };
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
        reply.send(kind::SERVER_SIDE_EMIT_RESPONSE, map(data));
    });
}
