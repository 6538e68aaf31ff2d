//! Packets whose text never varies, and the open packet.

/// Close (`1`).
pub const CLOSE: &str = "1";
/// A server's ping (`2`).
pub const PING: &str = "2";
/// Nothing (`6`): ends a held poll during an upgrade.
pub const NOOP: &str = "6";
/// The probe a client sends on the websocket it upgrades to.
pub const PROBE_PING: &str = "2probe";
/// The server's answer to the probe.
pub const PROBE_PONG: &str = "3probe";
/// The client's "switch to this websocket" (`5`).
pub const UPGRADE: &str = "5";

/// The open packet (`0{...}`); `max_payload` is announced by Engine.IO 4
/// only, and `upgrades` lists websocket for a polling handshake.
pub fn encode_open(
    sid: &str,
    upgrades: bool,
    ping_interval_ms: u128,
    ping_timeout_ms: u128,
    max_payload: Option<usize>,
) -> String {
    let sid = serde_json::to_string(sid).unwrap_or_default();
    let upgrades = if upgrades { r#"["websocket"]"# } else { "[]" };
    let mut open = format!(
        r#"0{{"sid":{sid},"upgrades":{upgrades},"pingInterval":{ping_interval_ms},"pingTimeout":{ping_timeout_ms}"#
    );
    if let Some(max_payload) = max_payload {
        open.push_str(&format!(r#","maxPayload":{max_payload}"#));
    }
    open.push('}');
    open
}

/// A pong answering a ping, with its data.
pub fn encode_pong(data: Option<&str>) -> String {
    format!("3{}", data.unwrap_or_default())
}

/// A text message (`4` and the text): how every Socket.IO packet travels.
pub fn encode_message(text: &str) -> String {
    let mut message = String::with_capacity(1 + text.len());
    message.push('4');
    message.push_str(text);
    message
}

/// A text message whose text `write` appends, `len` bytes of it: one
/// buffer of exactly the message's size (no copy of a packet built first).
pub fn encode_message_with(len: usize, write: impl FnOnce(&mut String)) -> String {
    let mut message = String::with_capacity(1 + len);
    message.push('4');
    write(&mut message);
    message
}
