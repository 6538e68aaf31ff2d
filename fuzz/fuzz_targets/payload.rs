//! The U+FFFD-framed payload: no input panics, work stays bounded, and what
//! decodes to several packets frames back to the same packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio::codec::legacy::{Packet, decode_payload, encode_payload};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(packets) = decode_payload(text, 1000) else { return };
    assert!(packets.len() <= 1000);
    for packet in &packets {
        let _ = Packet::decode(packet);
    }
    if packets.len() >= 2 {
        let framed = encode_payload(&packets);
        assert_eq!(decode_payload(&framed, 1000).expect("own framing decodes"), packets);
    }
});
