//! Encodes what a connection says in the 0.9 protocol: every packet has a
//! legacy form, and each is one text frame.

use crate::codec::legacy::{self, MessageId, Packet, error_code};
use crate::core::{Encoded, EncodedArgs, Frame, Outgoing};

pub(crate) fn encode(outgoing: &Outgoing<'_>, endpoint: &str) -> Encoded {
    Encoded::One(Frame::text(text(outgoing, endpoint)))
}

fn text(outgoing: &Outgoing<'_>, endpoint: &str) -> String {
    // Events and acks, the hot packets, borrow the endpoint; the rest are
    // built as a `Packet`, which owns it.
    let owned = || endpoint.to_owned();
    match *outgoing {
        // 0.9 has no connection state recovery: no offset on its wire.
        Outgoing::Event { ack, name, args, .. } => legacy::encode_event(
            ack.map(|id| MessageId { id, wants_data: true }),
            endpoint,
            name,
            &args.legacy_json(),
        ),
        Outgoing::Ack { id, args } => {
            let args = args.map(EncodedArgs::legacy_json);
            legacy::encode_ack(endpoint, id, args.as_deref())
        }
        Outgoing::Connect { .. } => Packet::Connect {
            endpoint: owned(),
            query: None,
        }
        .encode(),
        Outgoing::Refused => error_text(endpoint, error_code::UNAUTHORIZED),
        Outgoing::Disconnect => Packet::Disconnect { endpoint: owned() }.encode(),
        Outgoing::Message(text) => Packet::Message {
            id: None,
            endpoint: owned(),
            data: text.to_owned(),
        }
        .encode(),
        Outgoing::Json(json) => Packet::Json {
            id: None,
            endpoint: owned(),
            data: json.clone(),
        }
        .encode(),
        Outgoing::Error(reason) => error_text(endpoint, reason),
    }
}

fn error_text(endpoint: &str, reason: &str) -> String {
    Packet::Error {
        endpoint: endpoint.to_owned(),
        reason: reason.to_owned(),
        advice: None,
    }
    .encode()
}

/// An error packet on `endpoint`.
pub(crate) fn error_packet(endpoint: &str, reason: &str) -> Frame {
    Frame::text(error_text(endpoint, reason))
}

/// What the 0.9 client understands as "this endpoint refused you": it emits
/// `connect_failed` on that namespace.
pub(crate) fn refusal(endpoint: &str) -> Frame {
    error_packet(endpoint, error_code::UNAUTHORIZED)
}
