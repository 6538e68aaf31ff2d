//! Sockets as the UI reads them (node's `SerializedSocket`), from what any
//! server of the cluster answers a fetch with.

use serde_json::{Value, json};

use crate::core::{Connection, Hub, SocketData, Target};

/// Node's name of a namespace: our main endpoint `""` is `/`.
pub(crate) fn node_namespace(endpoint: &str) -> &str {
    if endpoint.is_empty() { "/" } else { endpoint }
}

/// Our endpoint for node's namespace name.
pub(crate) fn endpoint_of(namespace: &str) -> &str {
    if namespace == "/" { "" } else { namespace }
}

/// `{id, clientId, transport, nsp, data, handshake, rooms}`. The client id
/// and transport come from `data._admin`, where every server's admin puts
/// them (ours and node's alike); the rest of `data` is the handler's.
pub(crate) fn socket(data: &SocketData) -> Value {
    let (admin, user_data) = split_admin(&data.data);
    let handshake = &data.handshake;
    let address = ["cf-connecting-ip", "x-forwarded-for"]
        .iter()
        .find_map(|name| handshake.headers.get(*name).and_then(Value::as_str))
        .unwrap_or(&handshake.address);
    json!({
        "id": data.id,
        "clientId": admin.get("clientId").cloned().unwrap_or(Value::Null),
        "transport": admin.get("transport").cloned().unwrap_or(Value::Null),
        "nsp": node_namespace(&data.namespace),
        "data": user_data,
        "handshake": {
            "address": address,
            "headers": handshake.headers,
            "query": handshake.query,
            "issued": handshake.issued,
            "secure": handshake.secure,
            "time": handshake.time,
            "url": handshake.url,
            "xdomain": handshake.xdomain,
        },
        "rooms": data.rooms,
    })
}

/// `data._admin`, and `data` without it.
pub(crate) fn split_admin(data: &Value) -> (serde_json::Map<String, Value>, Value) {
    match data {
        Value::Object(map) => {
            let mut map = map.clone();
            let admin = match map.remove("_admin") {
                Some(Value::Object(admin)) => admin,
                _ => serde_json::Map::new(),
            };
            (admin, Value::Object(map))
        }
        other => (serde_json::Map::new(), other.clone()),
    }
}

/// A socket of this server, as a fetch of it would answer.
pub(crate) fn local_socket(hub: &Hub, connection: &Connection) -> Option<Value> {
    let mut target = Target::namespace(connection.endpoint());
    target.rooms.push(connection.sid().to_string());
    let found = hub.local().fetch_sockets(&target);
    found.first().map(socket)
}
