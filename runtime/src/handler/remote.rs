use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::core::{AdapterError, EmitArgs, Handshake, Hub, SocketData};
use crate::handler::BroadcastOperator;

/// A socket that [`BroadcastOperator::fetch_sockets`] found, on this
/// server or another one of the cluster: what it is, and what can be done
/// to it from here (each operation goes through the adapter, to whichever
/// server holds it).
#[derive(Clone)]
pub struct RemoteSocket {
    hub: Arc<Hub>,
    data: SocketData,
}

impl std::fmt::Debug for RemoteSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSocket")
            .field("id", &self.data.id)
            .field("namespace", &self.data.namespace)
            .field("rooms", &self.data.rooms)
            .finish_non_exhaustive()
    }
}

impl RemoteSocket {
    pub(crate) fn new(hub: Arc<Hub>, mut data: SocketData) -> Self {
        // Another server may list them in any order (node: insertion order).
        data.rooms.sort_unstable();
        Self { hub, data }
    }

    /// Its socket id.
    pub fn id(&self) -> &str {
        &self.data.id
    }

    /// Its namespace; `""` is the main one.
    pub fn namespace(&self) -> &str {
        &self.data.namespace
    }

    /// The rooms it was in when fetched, sorted (its own id among them).
    pub fn rooms(&self) -> &[String] {
        &self.data.rooms
    }

    /// How it connected.
    pub fn handshake(&self) -> &Handshake {
        &self.data.handshake
    }

    /// What its handler attached with [`crate::Ctx::set_data`], read as `T`.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data.data)
    }

    /// Everything fetched about it.
    pub fn details(&self) -> &SocketData {
        &self.data
    }

    fn only(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.hub.clone(), &self.data.namespace).to(self.data.id.clone())
    }

    /// Emits an event to it.
    pub fn emit<A: EmitArgs>(&self, name: &str, args: A) -> Result<(), serde_json::Error> {
        self.only().emit(name, args)
    }

    /// Makes it join `room`.
    pub async fn join(&self, room: impl Into<String>) -> Result<(), AdapterError> {
        self.only().sockets_join(room).await
    }

    /// Makes it leave `room`.
    pub async fn leave(&self, room: impl Into<String>) -> Result<(), AdapterError> {
        self.only().sockets_leave(room).await
    }

    /// Disconnects it; `close` ends its whole session.
    pub async fn disconnect(&self, close: bool) -> Result<(), AdapterError> {
        self.only().disconnect_sockets(close).await
    }
}
