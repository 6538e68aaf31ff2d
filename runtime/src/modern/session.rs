use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use tokio_util::task::TaskTracker;

use crate::Protocol;
use crate::codec::legacy::{MessageId, RawJson};
use crate::codec::socketio::{Packet, msgpack};
use crate::core::{
    Backpressure, CloseReason, ConnectionInfo, Departure, Encoded, Event, HandlerInput, Hub, Namespaces, Outgoing,
    SessionLink, no_attachments,
};
use crate::engine::{self, Reader, Received, Socket, Tenant};
use crate::modern::{Parser, encode};

/// Socket.IO as the tenant of an Engine.IO endpoint.
pub(crate) struct SocketIoTenant {
    pub(crate) hub: Arc<Hub>,
    /// The packet encoding of this server's protocol 5 sessions.
    pub(crate) parser: Parser,
}

impl Tenant for SocketIoTenant {
    fn open(&self, socket: Socket, _tasks: &TaskTracker) -> Arc<dyn Reader> {
        ModernSession::start(self.hub.clone(), socket, self.parser)
    }
}

/// The Socket.IO state of one Engine.IO session: its namespace connections.
pub(crate) struct ModernSession {
    /// Itself, for the connections it opens (it is read through `&self`).
    me: Weak<ModernSession>,
    socket: Socket,
    hub: Arc<Hub>,
    protocol: Protocol,
    /// Packets are `socket.io-msgpack-parser` maps, not JSON text. The same
    /// for every protocol 5 session of a server, so a broadcast's frames,
    /// encoded once per protocol, fit every member.
    msgpack: bool,
    namespaces: Namespaces,
    /// A binary event or ack still waiting for attachments.
    partial: Mutex<Option<Box<Partial>>>,
}

impl std::fmt::Debug for ModernSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModernSession")
            .field("sid", &self.socket.id())
            .finish_non_exhaustive()
    }
}

/// A binary event or ack waiting for its attachments.
struct Partial {
    packet: Packet,
    missing: usize,
    attachments: Vec<Bytes>,
}

impl SessionLink for ModernSession {
    fn sid(&self) -> &Arc<str> {
        self.socket.session.id()
    }

    fn transport(&self) -> &'static str {
        self.socket.transport()
    }

    /// As node's servers do: socket.io 3+ gives each namespace connection
    /// an id of its own; socket.io 2 the session id on `/` and
    /// `/nsp#<session id>` elsewhere.
    fn socket_id(&self, endpoint: &str) -> Arc<str> {
        match self.protocol {
            Protocol::V4 if endpoint.is_empty() => self.sid().clone(),
            Protocol::V4 => format!("{endpoint}#{}", self.sid()).into(),
            _ => crate::core::new_socket_id(),
        }
    }

    fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Socket.IO 5 has connection state recovery; socket.io 2's protocol 4
    /// does not.
    fn recoverable(&self) -> bool {
        self.protocol == Protocol::V5
    }

    fn encode(&self, packet: &Outgoing<'_>, endpoint: &str) -> Option<Encoded> {
        if self.msgpack {
            return encode::encode_msgpack(packet, endpoint);
        }
        encode::encode(self.protocol, packet, endpoint)
    }

    fn push(&self, encoded: Encoded) {
        match encoded {
            Encoded::One(frame) => self.socket.session.push_all(std::iter::once(frame)),
            Encoded::Many(frames) => self.socket.session.push_all(frames.iter().cloned()),
        }
    }

    fn is_writable(&self) -> bool {
        self.socket.session.is_writable()
    }

    fn namespaces(&self) -> &Namespaces {
        &self.namespaces
    }

    fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Tells the client each namespace is gone, then closes the Engine.IO
    /// session; close hooks run when it reports the close.
    fn close(&self, reason: CloseReason) {
        tracing::debug!(sid = %self.sid(), ?reason, "socket.io session closing");
        for connection in self.namespaces.all() {
            connection.send(Outgoing::Disconnect);
        }
        self.socket.close();
    }
}

impl Reader for ModernSession {
    /// One Engine.IO message: a packet, or one of its attachments. Runs
    /// inside the transport's future, which every idle socket holds.
    fn receive(&self, data: Received<'_>) -> Option<Backpressure> {
        if self.msgpack {
            return self.receive_msgpack(data);
        }
        let complete = {
            let mut partial = self.partial.lock().unwrap_or_else(|poison| poison.into_inner());
            match (data, partial.take()) {
                (Received::Text(text), None) => match Packet::decode(&text) {
                    Ok(packet) => match attachments_of(&packet) {
                        0 => Some((packet, Vec::new())),
                        too_many if too_many > self.hub.config.max_attachments => {
                            tracing::debug!(sid = %self.sid(), too_many, "too many attachments; closing");
                            None
                        }
                        missing => {
                            *partial = Some(Box::new(Partial {
                                packet,
                                missing,
                                attachments: Vec::with_capacity(missing.min(16)),
                            }));
                            return None;
                        }
                    },
                    Err(error) => {
                        tracing::debug!(sid = %self.sid(), %error, "malformed socket.io packet; closing");
                        None
                    }
                },
                (Received::Binary(data), Some(mut waiting)) => {
                    waiting.attachments.push(data);
                    if waiting.attachments.len() < waiting.missing {
                        *partial = Some(waiting);
                        return None;
                    }
                    let Partial {
                        packet, attachments, ..
                    } = *waiting;
                    Some((packet, attachments))
                }
                (Received::Text(_), Some(_)) | (Received::Binary(_), None) => {
                    tracing::debug!(sid = %self.sid(), "attachments out of order; closing");
                    None
                }
            }
        };
        match complete {
            Some((packet, attachments)) => self.receive_packet(packet, attachments),
            None => {
                self.socket.close();
                None
            }
        }
    }

    /// The Engine.IO session closed: close hooks run on a task of their own.
    fn closed(&self, reason: CloseReason) {
        self.namespaces.close_all(self, Departure::Session(reason));
    }

    fn upgraded(&self) {
        if let Some(monitor) = self.hub.monitor() {
            for connection in self.namespaces.all() {
                monitor.transport_changed(&connection);
            }
        }
    }

    /// How long a client may take to connect its first namespace.
    fn deadline(&self) -> Option<Duration> {
        Some(self.hub.config.connect_timeout)
    }

    fn close(&self) -> bool {
        SessionLink::close(self, CloseReason::ServerClose);
        true
    }

    fn deadline_passed(&self) {
        if self.namespaces.is_empty() {
            tracing::debug!(sid = %self.sid(), "no namespace connected in time");
            self.socket.close();
        }
    }
}

/// A restore that failed counts as no session: the client gets a new socket.
fn restored_from(
    result: Result<Option<crate::core::RestoredSession>, crate::core::AdapterError>,
) -> Option<crate::core::RestoredSession> {
    result
        .map_err(|error| tracing::debug!(%error, "recovery: the adapter could not restore a session"))
        .ok()
        .flatten()
}

fn attachments_of(packet: &Packet) -> usize {
    match packet {
        Packet::Event { attachments, .. } | Packet::Ack { attachments, .. } => *attachments,
        _ => 0,
    }
}

/// `/` is the main endpoint, `""` in the endpoint table.
fn endpoint_of(namespace: &str) -> &str {
    if namespace == "/" { "" } else { namespace }
}

impl ModernSession {
    /// The Socket.IO layer of a new Engine.IO session.
    fn start(hub: Arc<Hub>, socket: Socket, parser: Parser) -> Arc<Self> {
        let protocol = match socket.version() {
            engine::Version::V3 => Protocol::V4,
            _ => Protocol::V5,
        };
        let msgpack = parser == Parser::Msgpack && protocol == Protocol::V5;
        hub.start_stats();
        let session = Arc::new_cyclic(|me| ModernSession {
            me: me.clone(),
            socket,
            hub,
            protocol,
            msgpack,
            namespaces: Namespaces::default(),
            partial: Mutex::new(None),
        });
        if protocol == Protocol::V4 {
            // Socket.IO 2 servers connect the main namespace unasked.
            session.connect("/".to_owned(), None);
        }
        session
    }

    /// One message under the MessagePack parser: a whole packet, bytes
    /// inline. Anything malformed, or a text message, closes the session,
    /// as a malformed JSON packet does.
    fn receive_msgpack(&self, data: Received<'_>) -> Option<Backpressure> {
        let decoded = match data {
            Received::Binary(data) => msgpack::decode(&data),
            Received::Text(_) => {
                tracing::debug!(sid = %self.sid(), "text message under the msgpack parser; closing");
                self.socket.close();
                return None;
            }
        };
        match decoded {
            Ok((packet, attachments)) => self.receive_packet(packet, attachments),
            Err(error) => {
                tracing::debug!(sid = %self.sid(), %error, "malformed msgpack packet; closing");
                self.socket.close();
                None
            }
        }
    }

    fn receive_packet(&self, packet: Packet, attachments: Vec<Bytes>) -> Option<Backpressure> {
        // Every argument shares the packet's attachments: placeholders
        // number them across the whole packet.
        let attachments: Arc<[Bytes]> = if attachments.is_empty() {
            no_attachments()
        } else {
            attachments.into()
        };
        let share = |args: Vec<RawJson>| -> Vec<RawJson> {
            if attachments.is_empty() {
                return args;
            }
            args.into_iter()
                .map(|arg| arg.with_attachments(attachments.clone()))
                .collect()
        };
        match packet {
            Packet::Connect { namespace, auth } => self.connect(namespace, auth),
            Packet::Disconnect { namespace } => self.namespaces.close_one(self, endpoint_of(&namespace), false),
            Packet::Event {
                namespace,
                id,
                name,
                args,
                ..
            } => {
                let mut event = Event::new(name, share(args));
                event.ack = id.map(|id| MessageId { id, wants_data: true });
                event.attachments = attachments.clone();
                match self
                    .namespaces
                    .deliver(endpoint_of(&namespace), HandlerInput::Event(Box::new(event)))
                {
                    Ok(backpressure) => return backpressure,
                    Err(_) => tracing::debug!(sid = %self.sid(), namespace, "event for a namespace not connected"),
                }
            }
            Packet::Ack {
                namespace, id, args, ..
            } => {
                if let Some(connection) = self.namespaces.get(endpoint_of(&namespace)) {
                    connection.resolve_ack(id, share(args));
                }
            }
            Packet::ConnectError { .. } => {
                tracing::debug!(sid = %self.sid(), "a client sent CONNECT_ERROR; closing");
                self.socket.close();
            }
        }
        None
    }

    /// A CONNECT: the namespace's open hook decides; an unknown namespace
    /// is refused with CONNECT_ERROR and the session stays.
    fn connect(&self, namespace: String, auth: Option<RawJson>) {
        // Socket.IO 2 clients put their query on the namespace.
        let (namespace, query) = match namespace.split_once('?') {
            Some((namespace, query)) => (
                namespace.to_owned(),
                form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
            ),
            None => (namespace, Vec::new()),
        };
        let endpoint = endpoint_of(&namespace).to_owned();
        if self.namespaces.contains(&endpoint) {
            return;
        }
        // The limit counts namespaces besides the main one, which a v5
        // client may connect at any point, or never.
        let spawner = if endpoint.is_empty() {
            Some(self.hub.main_endpoint())
        } else if self.namespaces.others() >= self.hub.config.max_endpoints_per_session {
            tracing::warn!(sid = %self.sid(), namespace, "too many namespaces on one session");
            None
        } else {
            self.hub.resolve(&endpoint)
        };
        let Some(spawner) = spawner else {
            self.socket
                .session
                .push(encode::invalid_namespace(self.protocol, &namespace, self.msgpack));
            return;
        };
        let Some(me) = self.me.upgrade() else { return };
        let comeback = self.comeback(auth.as_ref());
        let info = ConnectionInfo::modern(self.socket.session.info().clone(), query, auth, self.protocol);
        let link: Arc<dyn SessionLink> = me;
        let Some((pid, offset)) = comeback else {
            drop(Namespaces::open(&link, endpoint, info, &spawner, None));
            return;
        };
        // The in-memory store answers at once: the socket is back in its
        // rooms before any broadcast the snapshot missed goes out.
        let hub = self.hub.clone();
        let fence = hub.recovery.as_ref().map(|store| store.fence_write());
        let mut restoring = hub.adapter().restore_session(hub.local(), &endpoint, &pid, &offset);
        if let Some(restored) = (&mut restoring).now_or_never() {
            drop(Namespaces::open(
                &link,
                endpoint,
                info,
                &spawner,
                restored_from(restored),
            ));
            drop(fence);
            return;
        }
        drop(fence);
        let tasks = hub.tasks.clone();
        drop(tasks.spawn(async move {
            let restored = restored_from(restoring.await);
            drop(Namespaces::open(&link, endpoint, info, &spawner, restored));
        }));
    }

    /// The private session id and offset a client coming back under
    /// connection state recovery puts in its auth payload.
    fn comeback(&self, auth: Option<&RawJson>) -> Option<(String, String)> {
        if self.hub.recovery.is_none() || !SessionLink::recoverable(self) {
            return None;
        }
        let auth: serde_json::Value = auth?.deserialize().ok()?;
        let text = |key: &str| auth.get(key).and_then(serde_json::Value::as_str).map(str::to_owned);
        Some((text("pid")?, text("offset")?))
    }
}
