//! The Socket.IO 5 packet codec: no input panics, whatever decodes encodes
//! back to the same packet, and the pre-serialized encoders agree with the
//! packet encoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio::codec::socketio::{Packet, encode_ack, encode_event};

fn array(args: &[socketio::RawJson]) -> String {
    let texts: Vec<&str> = args.iter().map(|arg| arg.get()).collect();
    format!("[{}]", texts.join(","))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(packet) = Packet::decode(text) else { return };
    let wire = packet.encode();
    assert_eq!(Packet::decode(&wire).expect("own encoding decodes"), packet);
    match &packet {
        Packet::Event {
            namespace,
            id,
            name,
            args,
            attachments,
        } => {
            assert_eq!(encode_event(namespace, *id, name, &array(args), *attachments), wire);
        }
        Packet::Ack {
            namespace,
            id,
            args,
            attachments,
        } => {
            assert_eq!(encode_ack(namespace, *id, &array(args), *attachments), wire);
        }
        _ => {}
    }
});
