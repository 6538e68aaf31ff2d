//! The Engine.IO codec: packets, the protocol 4 payload and both protocol 3
//! payloads (text and binary). No input panics, and whatever decodes
//! re-encodes to something that decodes to the same packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio::codec::engineio::{
    Packet, decode_v3_binary_payload, decode_v3_payload, decode_v4_payload, encode_v3_binary_payload,
    encode_v3_payload, encode_v4_payload,
};

const MAX: usize = 1000;

fuzz_target!(|data: &[u8]| {
    if let Ok(packets) = decode_v3_binary_payload(data, MAX) {
        assert!(packets.len() <= MAX);
        let body = encode_v3_binary_payload(&packets);
        assert_eq!(
            decode_v3_binary_payload(&body, MAX).expect("own framing decodes"),
            packets
        );
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(packet) = Packet::decode(text) {
        assert_eq!(Packet::decode(&packet.encode()).expect("own encoding decodes"), packet);
    }
    if let Ok(packets) = decode_v4_payload(text, MAX) {
        assert!(packets.len() <= MAX);
        assert_eq!(
            decode_v4_payload(&encode_v4_payload(&packets), MAX).expect("own framing decodes"),
            packets
        );
    }
    if let Ok(packets) = decode_v3_payload(text, MAX) {
        assert!(packets.len() <= MAX);
        assert_eq!(
            decode_v3_payload(&encode_v3_payload(&packets), MAX).expect("own framing decodes"),
            packets
        );
    }
});
