//! Encodes what a connection says in Socket.IO protocols 4 and 5: each
//! packet an Engine.IO message (`4...`), binary attachments in frames of
//! their own after it; or, with the MessagePack parser, each packet one
//! binary message with its bytes inline.

use crate::Protocol;
use crate::codec::engineio::fixed::{encode_message, encode_message_with};
use crate::codec::socketio as sio;
use crate::codec::socketio::msgpack;
use crate::core::{Encoded, EncodedArgs, Frame, Outgoing};

/// `None` for packets the protocol does not have (legacy error packets).
pub(crate) fn encode(protocol: Protocol, outgoing: &Outgoing<'_>, endpoint: &str) -> Option<Encoded> {
    let namespace = if endpoint.is_empty() { "/" } else { endpoint };
    let v5 = protocol == Protocol::V5;
    // `message`: the whole Engine.IO message, `4` and the packet.
    let binary = |message: String, args: &EncodedArgs| -> Encoded {
        if args.attachments.is_empty() {
            return Encoded::One(Frame::text(message));
        }
        let frames = std::iter::once(Frame::text(message))
            .chain(args.attachments.iter().cloned().map(Frame::Binary))
            .collect();
        Encoded::Many(frames)
    };
    let text = match *outgoing {
        Outgoing::Connect { socket_id, pid } if v5 => sio::encode_connect_with_pid(namespace, socket_id, pid),
        Outgoing::Connect { .. } => sio::encode_connect_v4(namespace),
        Outgoing::Refused if v5 => sio::encode_connect_error(namespace, sio::NOT_AUTHORIZED),
        Outgoing::Refused => sio::encode_error_v4(namespace, sio::NOT_AUTHORIZED),
        Outgoing::Disconnect => sio::encode_disconnect(namespace),
        Outgoing::Message(text) => {
            let args = serde_json::to_string(&[text]).ok()?;
            sio::encode_event(namespace, None, "message", &args, 0)
        }
        Outgoing::Json(json) => sio::encode_event(namespace, None, "message", &format!("[{json}]"), 0),
        Outgoing::Event {
            ack,
            name,
            args,
            offset,
        } => {
            // Protocol 4 (socket.io 2) has no recovery: no offset there.
            let with_offset = offset
                .filter(|_| v5)
                .map(|offset| sio::args_with_offset(&args.json, offset));
            let json = with_offset.as_deref().unwrap_or(&args.json);
            let text = sio::encode_event(namespace, ack, name, json, args.attachments.len());
            return Some(binary(encode_message(&text), args));
        }
        Outgoing::Ack { id, args: Some(args) } => {
            // The hot answer of every acked event: built in place, exactly sized.
            let attachments = args.attachments.len();
            let len = sio::ack_len(namespace, id, &args.json, attachments);
            let message = encode_message_with(len, |out| sio::write_ack(out, namespace, id, &args.json, attachments));
            return Some(binary(message, args));
        }
        Outgoing::Ack { id, args: None } => sio::encode_ack(namespace, id, "[]", 0),
        Outgoing::Error(_) => return None,
    };
    Some(Encoded::One(Frame::text(encode_message(&text))))
}

/// [`encode`] for `socket.io-msgpack-parser` 3 (Socket.IO protocol 5).
/// `None` for packets it does not have, and for arguments whose
/// placeholders do not match their attachments (nothing this server's
/// serializer writes).
pub(crate) fn encode_msgpack(outgoing: &Outgoing<'_>, endpoint: &str) -> Option<Encoded> {
    let namespace = if endpoint.is_empty() { "/" } else { endpoint };
    let bytes = match *outgoing {
        Outgoing::Connect { socket_id, pid } => msgpack::encode_connect_with_pid(namespace, socket_id, pid),
        Outgoing::Refused => msgpack::encode_connect_error(namespace, sio::NOT_AUTHORIZED),
        Outgoing::Disconnect => msgpack::encode_disconnect(namespace),
        Outgoing::Message(text) => {
            let args = serde_json::to_string(&[text]).ok()?;
            logged(msgpack::encode_event(namespace, None, "message", &args, &[]))?
        }
        Outgoing::Json(json) => logged(msgpack::encode_event(
            namespace,
            None,
            "message",
            &format!("[{json}]"),
            &[],
        ))?,
        Outgoing::Event {
            ack,
            name,
            args,
            offset,
        } => {
            let with_offset = offset.map(|offset| sio::args_with_offset(&args.json, offset));
            let json = with_offset.as_deref().unwrap_or(&args.json);
            logged(msgpack::encode_event(namespace, ack, name, json, &args.attachments))?
        }
        Outgoing::Ack { id, args: Some(args) } => {
            logged(msgpack::encode_ack(namespace, id, &args.json, &args.attachments))?
        }
        Outgoing::Ack { id, args: None } => logged(msgpack::encode_ack(namespace, id, "[]", &[]))?,
        Outgoing::Error(_) => return None,
    };
    Some(Encoded::One(Frame::Binary(bytes.into())))
}

fn logged(encoded: Result<Vec<u8>, serde_json::Error>) -> Option<Vec<u8>> {
    encoded
        .map_err(|error| tracing::debug!(%error, "arguments msgpack cannot carry; packet dropped"))
        .ok()
}

/// The refusal of a namespace nobody serves.
pub(crate) fn invalid_namespace(protocol: Protocol, namespace: &str, msgpack: bool) -> Frame {
    if msgpack {
        return Frame::Binary(msgpack::encode_connect_error(namespace, sio::INVALID_NAMESPACE).into());
    }
    let text = match protocol {
        Protocol::V5 => sio::encode_connect_error(namespace, sio::INVALID_NAMESPACE),
        _ => sio::encode_error_v4(namespace, sio::INVALID_NAMESPACE),
    };
    Frame::text(encode_message(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(encoded: Option<Encoded>) -> String {
        match encoded {
            Some(Encoded::One(Frame::Text(text))) => text.to_string(),
            other => panic!("one text frame expected, got {other:?}"),
        }
    }

    #[test]
    fn only_protocol_5_carries_the_recovery_pid_and_offsets() {
        let args = EncodedArgs::new(&("hi",)).expect("args");
        let event = Outgoing::Event {
            ack: None,
            name: "news",
            args: &args,
            offset: Some("e.7"),
        };
        assert_eq!(text(encode(Protocol::V5, &event, "")), r#"42["news","hi","e.7"]"#);
        assert_eq!(text(encode(Protocol::V4, &event, "")), r#"42["news","hi"]"#);
        let connect = Outgoing::Connect {
            socket_id: "s",
            pid: Some("p"),
        };
        assert_eq!(
            text(encode(Protocol::V5, &connect, "/chat")),
            r#"40/chat,{"sid":"s","pid":"p"}"#
        );
        assert_eq!(text(encode(Protocol::V4, &connect, "/chat")), "40/chat");
    }
}
