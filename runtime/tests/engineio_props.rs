//! Property tests of the Engine.IO codec: round trips of packets and of
//! both payload formats, and no input ever panics the decoders.

use bytes::Bytes;
use proptest::prelude::*;
use socketio::codec::engineio::{Packet, decode_v3_payload, decode_v4_payload, encode_v3_payload, encode_v4_payload};

fn text() -> impl Strategy<Value = String> {
    // Any text without the v4 record separator.
    any::<String>().prop_map(|s| s.replace('\u{1e}', ""))
}

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        text().prop_map(Packet::Open),
        Just(Packet::Close),
        prop::option::of(text().prop_filter("non-empty", |s| !s.is_empty())).prop_map(Packet::Ping),
        prop::option::of(text().prop_filter("non-empty", |s| !s.is_empty())).prop_map(Packet::Pong),
        text().prop_map(Packet::Message),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| Packet::Binary(Bytes::from(b))),
        Just(Packet::Upgrade),
        Just(Packet::Noop),
    ]
}

proptest! {
    #[test]
    fn packets_round_trip(packet in packet()) {
        prop_assert_eq!(Packet::decode(&packet.encode()), Ok(packet));
    }

    #[test]
    fn v4_payloads_round_trip(packets in prop::collection::vec(packet(), 1..8)) {
        prop_assert_eq!(decode_v4_payload(&encode_v4_payload(&packets), 100), Ok(packets));
    }

    #[test]
    fn v3_payloads_round_trip(packets in prop::collection::vec(packet(), 0..8)) {
        prop_assert_eq!(decode_v3_payload(&encode_v3_payload(&packets), 100), Ok(packets));
    }

    #[test]
    fn decoders_never_panic(input in any::<String>()) {
        let _ = Packet::decode(&input);
        let _ = decode_v4_payload(&input, 100);
        let _ = decode_v3_payload(&input, 100);
    }
}
