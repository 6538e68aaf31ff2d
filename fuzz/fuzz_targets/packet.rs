//! The packet codec: no input panics, and whatever decodes re-encodes to a
//! canonical form that decodes to the same packet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio::codec::legacy::Packet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(packet) = Packet::decode(text) else { return };
    let wire = packet.encode();
    let again = Packet::decode(&wire).expect("a canonical encoding decodes");
    assert_eq!(again.encode(), wire, "encoding is canonical");
});
