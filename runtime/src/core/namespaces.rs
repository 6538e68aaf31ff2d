//! The one namespace lifecycle, for a legacy endpoint and a Socket.IO
//! namespace alike: opening a connection (its handler task, its open hook,
//! its place among the namespace's sockets), delivering to it, and closing
//! it or the whole session (pending acks, rooms, `on_close`, awaited at
//! shutdown).

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use crate::core::{
    Backpressure, Connection, ConnectionHandle, ConnectionInfo, Departure, HandlerInput, Outgoing, RestoredSession,
    SessionLink, Spawner,
};

/// A session's namespace connections. A list, not a map: a session has one
/// or a few, and an idle session's memory counts (a map's smallest table
/// is four entries, and so is a growing `Vec`'s).
#[derive(Default)]
pub(crate) struct Namespaces {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    list: Vec<(String, ConnectionHandle)>,
    /// The session closed: nothing opens any more.
    closed: bool,
}

/// Endpoint names compared without a `memcmp` call for the main one, the
/// endpoint of almost every packet (the call showed in profiles).
fn same(name: &str, endpoint: &str) -> bool {
    if endpoint.is_empty() {
        name.is_empty()
    } else {
        name == endpoint
    }
}

impl Inner {
    fn find(&self, endpoint: &str) -> Option<&ConnectionHandle> {
        self.list
            .iter()
            .find(|(name, _)| same(name, endpoint))
            .map(|(_, handle)| handle)
    }

    fn remove(&mut self, endpoint: &str) -> Option<ConnectionHandle> {
        let index = self.list.iter().position(|(name, _)| same(name, endpoint))?;
        Some(self.list.swap_remove(index).1)
    }
}

/// Why an input found no handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotConnected;

impl Namespaces {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section is panic-free, so a poisoned lock is usable.
        self.inner.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn get(&self, endpoint: &str) -> Option<Arc<Connection>> {
        self.lock().find(endpoint).map(|handle| handle.connection.clone())
    }

    pub(crate) fn contains(&self, endpoint: &str) -> bool {
        self.lock().find(endpoint).is_some()
    }

    /// Connections besides the main one.
    pub(crate) fn others(&self) -> usize {
        self.lock().list.iter().filter(|(name, _)| !name.is_empty()).count()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lock().list.is_empty()
    }

    pub(crate) fn all(&self) -> Vec<Arc<Connection>> {
        self.lock()
            .list
            .iter()
            .map(|(_, handle)| handle.connection.clone())
            .collect()
    }

    /// Hands `input` to the handler of `endpoint`; a full queue hands back
    /// the wait for room.
    pub(crate) fn deliver(&self, endpoint: &str, input: HandlerInput) -> Result<Option<Backpressure>, NotConnected> {
        match self.lock().find(endpoint) {
            Some(handle) => Ok(handle.offer(input)),
            None => Err(NotConnected),
        }
    }

    /// Opens `endpoint` on `session`: the connection joins its namespace's
    /// sockets at once (so its open hook may join rooms) and its handler
    /// task starts; resolves to whether the open hook accepted it.
    ///
    /// A `restored` socket (connection state recovery) gets its old id,
    /// rooms and data back, and the packets it missed queue right behind
    /// its CONNECT reply, before anything its open hook sends.
    pub(crate) fn open(
        session: &Arc<dyn SessionLink>,
        endpoint: String,
        info: ConnectionInfo,
        spawner: &Spawner,
        restored: Option<RestoredSession>,
    ) -> oneshot::Receiver<bool> {
        let hub = session.hub();
        let connection = Arc::new(Connection::new(
            session.clone(),
            endpoint.clone(),
            info,
            restored.as_ref().map(|restored| &restored.session),
        ));
        let (inbox, inbox_rx) = crate::core::open_inbox(&connection);
        let (opened_tx, opened_rx) = oneshot::channel();
        let mut inner = session.namespaces().lock();
        if inner.closed {
            return opened_rx;
        }
        hub.add_member(&connection);
        if let Some(restored) = restored {
            let rooms: Vec<String> = restored
                .session
                .rooms
                .into_iter()
                .filter(|room| **room != **connection.sid())
                .collect();
            hub.join(&endpoint, connection.sid(), &rooms);
            if !restored.session.data.is_null()
                && let Ok(data) = serde_json::value::to_raw_value(&restored.session.data)
            {
                connection.set_data(data);
            }
            for missed in &restored.missed {
                connection.send(missed.packet.outgoing(None, Some(&missed.offset)));
            }
        }
        let task = spawner(connection.clone(), inbox_rx, opened_tx);
        if let Some(old) = inner.remove(&endpoint) {
            old.connection.mark_closed();
        }
        // Room for exactly the first one: most sessions never have another.
        inner.list.reserve_exact(1);
        inner.list.push((
            endpoint,
            ConnectionHandle {
                connection,
                inbox,
                task,
            },
        ));
        opened_rx
    }

    /// A connection whose open hook refused it leaves at once.
    pub(crate) fn forget(&self, connection: &Connection) {
        let removed = self.lock().remove(connection.endpoint());
        if removed.is_some() {
            connection.hub().remove_member(connection.endpoint(), connection.sid());
        }
    }

    /// Closes one namespace connection (the client's disconnect for it or
    /// the handler's `close()`); `echo` tells the client. Its close hook
    /// runs after the inputs already queued, on a task the shutdown awaits.
    pub(crate) fn close_one(&self, session: &dyn SessionLink, endpoint: &str, echo: bool) {
        let handle = self.lock().remove(endpoint);
        let Some(handle) = handle else { return };
        let hub = session.hub();
        handle.connection.set_departure(if echo {
            Departure::ServerNamespace
        } else {
            Departure::ClientNamespace
        });
        hub.remove_member(endpoint, handle.connection.sid());
        if echo {
            handle.connection.send(Outgoing::Disconnect);
        }
        handle.connection.mark_closed();
        hub.spawn(async move {
            let _ = handle.inbox.send(HandlerInput::Close).await;
            let _ = handle.task.await;
        });
    }

    /// Closes every connection once (further opens are refused): close
    /// hooks run on a task the shutdown awaits, namespaces before the main
    /// one. Returns whether this call closed them.
    pub(crate) fn close_all(&self, session: &dyn SessionLink, departure: Departure) -> bool {
        let list = {
            let mut inner = self.lock();
            if inner.closed {
                return false;
            }
            inner.closed = true;
            std::mem::take(&mut inner.list)
        };
        let hub = session.hub();
        for (endpoint, handle) in &list {
            handle.connection.set_departure(departure);
            // Kept before it leaves its rooms, which the session records.
            if departure.is_recoverable()
                && let Some(persisted) = handle.connection.persisted()
            {
                hub.adapter().persist_session(hub.local(), persisted);
            }
            hub.remove_member(endpoint, handle.connection.sid());
        }
        let (main, others): (Vec<_>, Vec<_>) = list.into_iter().partition(|(endpoint, _)| endpoint.is_empty());
        // Marked closed on the task, not here: this may run while one of
        // these connections holds its own lock (its push overflowed).
        hub.spawn(async move {
            for (_, handle) in others.iter().chain(main.iter()) {
                handle.connection.mark_closed();
            }
            for (_, handle) in others.into_iter().chain(main) {
                let _ = handle.inbox.send(HandlerInput::Close).await;
                drop(handle.inbox);
                let _ = handle.task.await;
            }
        });
        true
    }
}
