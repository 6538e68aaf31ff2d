//! The requester's side of every operation of node's `ClusterAdapter`:
//! the bodies of the [`socketio::Adapter`] hooks the sharded and the
//! streams adapters share, each over the form's [`Transport`].

use std::sync::Arc;
use std::time::Duration;

use rmpv::Value as Mp;
use socketio::{
    AckReplies, AckResponse, AdapterError, AdapterFuture, BroadcastPacket, EncodedArgs, Local, SocketData, Target,
};
use tokio::time::Instant;

use crate::channels::wire_nsp;
use crate::cluster::Transport;
use crate::cluster::messages::{kind, map};
use crate::count;
use crate::message;
use crate::pending;

/// Node's `opts`: rooms, except, and flags.
fn opts(target: &Target, flags: Vec<(&str, Mp)>) -> Mp {
    message::opts_value(&target.rooms, &target.except, flags)
}

fn unavailable<T: Transport>(what: &str) -> AdapterError {
    AdapterError::Unavailable(format!("{what}: {}", T::QUEUE_FULL))
}

fn done<T: Transport>(sent: bool, what: &'static str) -> AdapterFuture<()> {
    let result = if sent { Ok(()) } else { Err(unavailable::<T>(what)) };
    Box::pin(async move { result })
}

/// A socket of this server joined its namespace.
pub(crate) fn add_socket<T: Transport>(inner: &T, namespace: &str, sid: &Arc<str>) {
    inner.rooms_joined(namespace, [&sid.to_string()]);
}

/// A socket of this server joined `rooms`.
pub(crate) fn add_all<T: Transport>(inner: &T, local: &Local, namespace: &str, sid: &Arc<str>, rooms: &[String]) {
    local.join(namespace, sid, rooms);
    inner.rooms_joined(namespace, rooms);
}

/// A socket of this server left `rooms`.
pub(crate) fn del<T: Transport>(inner: &T, local: &Local, namespace: &str, sid: &Arc<str>, rooms: &[String]) {
    local.leave(namespace, sid, rooms);
    inner.rooms_left(namespace);
}

/// A socket of this server left its namespace.
pub(crate) fn del_all<T: Transport>(inner: &T, local: &Local, namespace: &str, sid: &Arc<str>) {
    local.remove(namespace, sid);
    inner.rooms_left(namespace);
}

/// Node's `{packet, opts}` of a broadcast for the other servers; `None`
/// when it stays here (`local`) or cannot be put in msgpack (logged).
pub(crate) fn broadcast_data(packet: &BroadcastPacket, target: &Target) -> Option<Mp> {
    if target.flags.local {
        return None;
    }
    let data = match message::packet_data(packet) {
        Ok(data) => data,
        Err(error) => {
            tracing::warn!(%error, "broadcast not sent to other servers");
            return None;
        }
    };
    Some(map(vec![
        ("packet", message::packet_value(wire_nsp(&target.namespace), data)),
        ("opts", message::broadcast_opts(target, None)),
    ]))
}

/// A broadcast without acknowledgements: here at once (local delivery
/// never waits for, or depends on, Redis), then to every other server.
pub(crate) fn broadcast<T: Transport>(inner: &T, local: &Local, packet: &BroadcastPacket, target: &Target) {
    inner.deliver(local, packet, target, None);
    if let Some(data) = broadcast_data(packet, target) {
        inner.publish_to_all(kind::BROADCAST, wire_nsp(&target.namespace), &target.rooms, data);
    }
}

/// A broadcast whose clients answer, here and on every other server (a
/// request: each server reports how many clients it reached).
pub(crate) fn broadcast_with_ack<T: Transport>(
    inner: &Arc<T>,
    local: &Local,
    packet: &BroadcastPacket,
    target: &Target,
    timeout: Duration,
) -> AdapterFuture<AckReplies> {
    let nsp = wire_nsp(&target.namespace);
    let send = |request_id: &str, packet, opts| {
        let data = map(vec![
            ("packet", packet),
            ("requestId", Mp::from(request_id)),
            ("opts", opts),
        ]);
        inner.publish_request(kind::BROADCAST, nsp, data)
    };
    let (counter, counted_nsp) = (inner.clone(), nsp.to_owned());
    let count_servers = move |deadline| async move { counter.count_servers(&counted_nsp, deadline).await };
    pending::broadcast_with_ack(
        &inner.member().requests,
        local,
        packet,
        target,
        timeout,
        send,
        count_servers,
    )
}

/// The sockets `target` picks: this server's, then every other's.
pub(crate) fn fetch_sockets<T: Transport>(
    inner: &Arc<T>,
    local: &Local,
    target: &Target,
) -> AdapterFuture<Vec<SocketData>> {
    let mut sockets = local.fetch_sockets(target);
    if target.flags.local {
        return Box::pin(async move { Ok(sockets) });
    }
    let requests_timeout = inner.member().requests_timeout;
    let deadline = Instant::now() + requests_timeout;
    let mut waiting = inner.member().requests.register();
    let nsp = wire_nsp(&target.namespace).to_owned();
    let data = map(vec![
        (
            "opts",
            opts(target, vec![("timeout", message::millis(requests_timeout))]),
        ),
        ("requestId", Mp::from(waiting.id.as_str())),
    ]);
    let sent = inner.publish_request(kind::FETCH_SOCKETS, &nsp, data);
    let (inner, namespace) = (inner.clone(), target.namespace.clone());
    Box::pin(async move {
        let others = if sent {
            count::others(inner.count_servers(&nsp, deadline).await)
        } else {
            0
        };
        sockets.extend(waiting.gather_sockets(others, deadline, &namespace).await);
        Ok(sockets)
    })
}

/// Tells the other servers to make their sockets `target` picks join
/// (`kind` SOCKETS_JOIN) or leave `rooms`; ours already did (and the echo
/// is dropped).
pub(crate) fn remote_rooms<T: Transport>(inner: &T, target: &Target, rooms: &[String], kind: u8) -> AdapterFuture<()> {
    if target.flags.local {
        return Box::pin(async { Ok(()) });
    }
    let nsp = wire_nsp(&target.namespace);
    let data = map(vec![
        ("opts", opts(target, Vec::new())),
        ("rooms", Mp::Array(rooms.iter().map(|r| Mp::from(r.as_str())).collect())),
    ]);
    done::<T>(inner.publish_to_all(kind, nsp, &[], data), "sockets join/leave")
}

/// Makes the sockets `target` picks join `rooms`, here and everywhere.
pub(crate) fn add_sockets<T: Transport>(
    inner: &T,
    local: &Local,
    target: &Target,
    rooms: &[String],
) -> AdapterFuture<()> {
    local.add_sockets(target, rooms);
    // Wanted now, dropped by the recheck if no socket here joined.
    inner.rooms_joined(&target.namespace, rooms);
    inner.rooms_left(&target.namespace);
    remote_rooms(inner, target, rooms, kind::SOCKETS_JOIN)
}

/// Makes the sockets `target` picks leave `rooms`, here and everywhere.
pub(crate) fn del_sockets<T: Transport>(
    inner: &T,
    local: &Local,
    target: &Target,
    rooms: &[String],
) -> AdapterFuture<()> {
    local.del_sockets(target, rooms);
    inner.rooms_left(&target.namespace);
    remote_rooms(inner, target, rooms, kind::SOCKETS_LEAVE)
}

/// Disconnects the sockets `target` picks, here and everywhere.
pub(crate) fn disconnect_sockets<T: Transport>(
    inner: &T,
    local: &Local,
    target: &Target,
    close: bool,
) -> AdapterFuture<()> {
    local.disconnect_sockets(target, close);
    if target.flags.local {
        return Box::pin(async { Ok(()) });
    }
    let nsp = wire_nsp(&target.namespace);
    let data = map(vec![("opts", opts(target, Vec::new())), ("close", Mp::Boolean(close))]);
    done::<T>(
        inner.publish_to_all(kind::DISCONNECT_SOCKETS, nsp, &[], data),
        "disconnect",
    )
}

/// An event for the other servers' handlers, with their answers.
pub(crate) fn server_side_emit<T: Transport>(
    inner: &Arc<T>,
    name: &str,
    args: &EncodedArgs,
) -> AdapterFuture<Vec<AckResponse>> {
    let deadline = Instant::now() + inner.member().requests_timeout;
    let packet = match message::from_json(args.json(), args.attachments()) {
        Ok(Mp::Array(mut items)) => {
            items.insert(0, Mp::from(name));
            Mp::Array(items)
        }
        Ok(_) => return Box::pin(async { Err(AdapterError::Unavailable("arguments are not an array".into())) }),
        Err(error) => return Box::pin(async move { Err(AdapterError::Unavailable(error)) }),
    };
    let mut waiting = inner.member().requests.register();
    let data = map(vec![("requestId", Mp::from(waiting.id.as_str())), ("packet", packet)]);
    // Published now, so dropping the future still sends the event.
    let sent = inner.publish_request(kind::SERVER_SIDE_EMIT, "/", data);
    let inner = inner.clone();
    Box::pin(async move {
        if !sent {
            return Err(unavailable::<T>("server-side emit"));
        }
        let others = count::others(inner.count_servers("/", deadline).await);
        Ok(waiting.gather_answers(others, deadline).await)
    })
}

/// Every server of the cluster, this one included.
pub(crate) fn server_count<T: Transport>(inner: &Arc<T>) -> AdapterFuture<usize> {
    let inner = inner.clone();
    Box::pin(async move {
        let deadline = Instant::now() + inner.member().requests_timeout;
        inner.count_servers("/", deadline).await
    })
}

/// The [`socketio::Adapter`] hooks every form takes from this module as
/// they are, for an adapter whose `inner` is its [`Transport`]; written
/// inside its `impl Adapter` (`broadcast` and the hooks it differs in stay
/// there).
macro_rules! cluster_hooks {
    () => {
        fn add_socket(&self, _local: &socketio::Local, namespace: &str, sid: &std::sync::Arc<str>) {
            $crate::cluster::requester::add_socket(&*self.inner, namespace, sid);
        }

        fn add_all(&self, local: &socketio::Local, namespace: &str, sid: &std::sync::Arc<str>, rooms: &[String]) {
            $crate::cluster::requester::add_all(&*self.inner, local, namespace, sid, rooms);
        }

        fn del(&self, local: &socketio::Local, namespace: &str, sid: &std::sync::Arc<str>, rooms: &[String]) {
            $crate::cluster::requester::del(&*self.inner, local, namespace, sid, rooms);
        }

        fn del_all(&self, local: &socketio::Local, namespace: &str, sid: &std::sync::Arc<str>) {
            $crate::cluster::requester::del_all(&*self.inner, local, namespace, sid);
        }

        fn broadcast_with_ack(
            &self,
            local: &socketio::Local,
            packet: &socketio::BroadcastPacket,
            target: &socketio::Target,
            timeout: std::time::Duration,
        ) -> socketio::AdapterFuture<socketio::AckReplies> {
            $crate::cluster::requester::broadcast_with_ack(&self.inner, local, packet, target, timeout)
        }

        fn fetch_sockets(
            &self,
            local: &socketio::Local,
            target: &socketio::Target,
        ) -> socketio::AdapterFuture<Vec<socketio::SocketData>> {
            $crate::cluster::requester::fetch_sockets(&self.inner, local, target)
        }

        fn add_sockets(
            &self,
            local: &socketio::Local,
            target: &socketio::Target,
            rooms: &[String],
        ) -> socketio::AdapterFuture<()> {
            $crate::cluster::requester::add_sockets(&*self.inner, local, target, rooms)
        }

        fn del_sockets(
            &self,
            local: &socketio::Local,
            target: &socketio::Target,
            rooms: &[String],
        ) -> socketio::AdapterFuture<()> {
            $crate::cluster::requester::del_sockets(&*self.inner, local, target, rooms)
        }

        fn disconnect_sockets(
            &self,
            local: &socketio::Local,
            target: &socketio::Target,
            close: bool,
        ) -> socketio::AdapterFuture<()> {
            $crate::cluster::requester::disconnect_sockets(&*self.inner, local, target, close)
        }

        fn server_side_emit(
            &self,
            _local: &socketio::Local,
            name: &str,
            args: &socketio::EncodedArgs,
        ) -> socketio::AdapterFuture<Vec<socketio::AckResponse>> {
            $crate::cluster::requester::server_side_emit(&self.inner, name, args)
        }

        fn server_count(&self) -> socketio::AdapterFuture<usize> {
            $crate::cluster::requester::server_count(&self.inner)
        }

        // `all_rooms`: node's cluster adapter asks no other server (it has
        // no message for it), so neither does this one: the default, this
        // server's rooms.
    };
}
pub(crate) use cluster_hooks;
