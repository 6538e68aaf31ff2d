use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::Protocol;
use crate::codec::legacy::{MessageId, RawJson};
use crate::codec::socketio::Packet;
use crate::engine::{self, Frame as EngineFrame, Message, Socket};
use crate::handler::{ConnectionInfo, Event};
use crate::session::{CloseReason, Connection, ConnectionHandle, Connections, Hub, Inbound, Outgoing, Owner, Spawner};

/// The Socket.IO state of one Engine.IO session: its namespace connections.
pub(crate) struct ModernSession {
    socket: Socket,
    hub: Arc<Hub>,
    protocol: Protocol,
    connections: Mutex<Connections>,
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

/// An event its handler's full queue could not take yet, with that queue:
/// the transport awaits room for it, which slows the client down.
pub(crate) type Backlogged = (mpsc::Sender<Inbound>, Inbound);

/// A binary event or ack waiting for its attachments.
struct Partial {
    packet: Packet,
    missing: usize,
    attachments: Vec<Bytes>,
}

impl ModernSession {
    /// The Socket.IO layer of a new Engine.IO session. Its messages come
    /// through [`ModernSession::receive`], its end through
    /// [`ModernSession::closed`].
    pub(crate) fn start(hub: Arc<Hub>, socket: Socket) -> Arc<Self> {
        let protocol = match socket.protocol() {
            engine::Protocol::V3 => Protocol::V4,
            engine::Protocol::V4 => Protocol::V5,
        };
        hub.start_stats();
        let session = Arc::new(ModernSession {
            socket,
            hub,
            protocol,
            connections: Mutex::new(Connections::default()),
            partial: Mutex::new(None),
        });
        if protocol == Protocol::V4 {
            // Socket.IO 2 servers connect the main namespace unasked.
            session.connect("/".to_owned(), None);
        }
        session
    }

    /// How long a client may take to connect its first namespace.
    pub(crate) fn connect_timeout(&self) -> std::time::Duration {
        self.hub.config.connect_timeout
    }

    /// Closes the session if no namespace is connected (the connect timeout).
    pub(crate) fn close_if_unconnected(&self) {
        if self.lock().is_empty() {
            tracing::debug!(sid = %self.id(), "no namespace connected in time");
            self.socket.close();
        }
    }

    /// Handles one Engine.IO message: a packet, or one of its attachments.
    /// Not `async`: it runs inside the transport's future, which every idle
    /// socket holds; an event for a full handler queue comes back, to await.
    pub(crate) fn receive(self: &Arc<Self>, message: Message) -> Option<Backlogged> {
        let complete = {
            let mut partial = self.partial.lock().unwrap_or_else(|poison| poison.into_inner());
            match (message, partial.take()) {
                (Message::Text(text), None) => match Packet::decode(&text) {
                    Ok(packet) => match attachments_of(&packet) {
                        0 => Some((packet, Vec::new())),
                        too_many if too_many > self.hub.config.max_attachments => {
                            tracing::debug!(sid = %self.id(), too_many, "too many attachments; closing");
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
                        tracing::debug!(sid = %self.id(), %error, "malformed socket.io packet; closing");
                        None
                    }
                },
                (Message::Binary(data), Some(mut waiting)) => {
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
                (Message::Text(_), Some(_)) | (Message::Binary(_), None) => {
                    tracing::debug!(sid = %self.id(), "attachments out of order; closing");
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
    pub(crate) fn closed(self: Arc<Self>) {
        let hub = self.hub.clone();
        hub.spawn(async move { self.teardown().await });
    }
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
    fn lock(&self) -> MutexGuard<'_, Connections> {
        self.connections.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn id(&self) -> &Arc<str> {
        self.socket.session.id()
    }

    pub(crate) fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    pub(crate) fn protocol(&self) -> Protocol {
        self.protocol
    }

    pub(crate) fn push_all(&self, frames: impl IntoIterator<Item = EngineFrame>) {
        self.socket.session.push_all(frames);
    }

    fn receive_packet(self: &Arc<Self>, packet: Packet, attachments: Vec<Bytes>) -> Option<Backlogged> {
        // Every argument shares the packet's attachments: placeholders
        // number them across the whole packet.
        let attachments: Arc<[Bytes]> = if attachments.is_empty() {
            crate::handler::no_attachments()
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
            Packet::Disconnect { namespace } => self.close_endpoint(endpoint_of(&namespace), false),
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
                match self.lock().get(endpoint_of(&namespace)) {
                    Some(handle) => return handle.offer(Inbound::Event(Box::new(event))),
                    None => tracing::debug!(sid = %self.id(), namespace, "event for a namespace not connected"),
                }
            }
            Packet::Ack {
                namespace, id, args, ..
            } => {
                let connection = self.lock().get(endpoint_of(&namespace)).map(|h| h.connection.clone());
                if let Some(connection) = connection {
                    connection.resolve_ack(id, share(args));
                }
            }
            Packet::ConnectError { .. } => {
                tracing::debug!(sid = %self.id(), "a client sent CONNECT_ERROR; closing");
                self.socket.close();
            }
        }
        None
    }

    /// A CONNECT: the namespace's open hook decides; an unknown namespace
    /// is refused with CONNECT_ERROR and the session stays.
    fn connect(self: &Arc<Self>, namespace: String, auth: Option<RawJson>) {
        // Socket.IO 2 clients put their query on the namespace.
        let (namespace, query) = match namespace.split_once('?') {
            Some((namespace, query)) => (
                namespace.to_owned(),
                form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
            ),
            None => (namespace, Vec::new()),
        };
        let endpoint = endpoint_of(&namespace).to_owned();
        // The limit counts namespaces besides the main one, which a v5
        // client may connect at any point, or never.
        let (known, others) = {
            let connections = self.lock();
            let others = connections.iter().filter(|(endpoint, _)| !endpoint.is_empty()).count();
            (connections.contains(&endpoint), others)
        };
        if known {
            return;
        }
        let spawner = if endpoint.is_empty() {
            Some(self.hub.main.clone())
        } else if others >= self.hub.config.max_endpoints_per_session {
            tracing::warn!(sid = %self.id(), namespace, "too many namespaces on one session");
            None
        } else {
            self.hub.resolve(&endpoint)
        };
        let Some(spawner) = spawner else {
            let refusal = match self.protocol {
                Protocol::V5 => crate::codec::socketio::encode_connect_error(&namespace, "Invalid namespace"),
                _ => format!(r#"4{namespace},"Invalid namespace""#),
            };
            self.push_all([EngineFrame::text(format!("4{refusal}"))]);
            return;
        };
        let info = ConnectionInfo::modern(self.socket.session.info().clone(), query, auth, self.protocol);
        drop(self.start_connection(endpoint, info, &spawner));
    }

    fn start_connection(
        self: &Arc<Self>,
        endpoint: String,
        info: ConnectionInfo,
        spawner: &Spawner,
    ) -> oneshot::Receiver<bool> {
        let connection = Arc::new(Connection::new(Owner::Modern(self.clone()), endpoint.clone(), info));
        let (inbox, inbox_rx) = mpsc::channel(self.hub.config.inbox_capacity);
        let (opened_tx, opened_rx) = oneshot::channel();
        let mut connections = self.lock();
        if self.socket.is_closed() {
            return opened_rx;
        }
        let task = spawner(connection.clone(), inbox_rx, opened_tx);
        connections.insert(
            endpoint,
            ConnectionHandle {
                connection,
                inbox,
                task,
            },
        );
        opened_rx
    }

    /// Called by a connection whose open hook refused it.
    pub(crate) fn forget_connection(&self, endpoint: &str) {
        self.lock().remove(endpoint);
    }

    /// Ends one namespace connection; its close hook runs after the events
    /// already queued.
    pub(crate) fn close_endpoint(&self, endpoint: &str, echo: bool) {
        let handle = self.lock().remove(endpoint);
        let Some(handle) = handle else { return };
        self.hub.rooms.remove_member(endpoint, self.id());
        if echo {
            handle.connection.send(Outgoing::Disconnect);
        }
        handle.connection.mark_closed();
        self.hub.spawn(async move {
            let _ = handle.inbox.send(Inbound::Close).await;
            let _ = handle.task.await;
        });
    }

    /// Ends the whole session: the client is told each namespace is gone,
    /// then the Engine.IO session closes; close hooks run in `teardown`.
    pub(crate) fn close(&self, reason: CloseReason) {
        tracing::debug!(sid = %self.id(), ?reason, "socket.io session closing");
        let connections: Vec<Arc<Connection>> = self.lock().iter().map(|(_, h)| h.connection.clone()).collect();
        for connection in connections {
            connection.send(Outgoing::Disconnect);
        }
        self.socket.close();
    }

    /// Runs every connection's close hook once, namespaces before the main one.
    async fn teardown(&self) {
        let connections = std::mem::take(&mut *self.lock()).into_inner();
        self.hub.rooms.remove_session(self.id());
        let (main, others): (Vec<_>, Vec<_>) = connections.into_iter().partition(|(endpoint, _)| endpoint.is_empty());
        for (_, handle) in others.iter().chain(main.iter()) {
            handle.connection.mark_closed();
        }
        for (_, handle) in others.into_iter().chain(main) {
            let _ = handle.inbox.send(Inbound::Close).await;
            drop(handle.inbox);
            let _ = handle.task.await;
        }
    }
}
