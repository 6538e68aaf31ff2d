//! Property tests of the Socket.IO 5 packet codec and of the Engine.IO
//! protocol 3 binary payload: round trips, the pre-serialized encoders agree
//! with the packet encoder, and no input ever panics the decoders.

use bytes::Bytes;
use proptest::prelude::*;
use socketio::RawJson;
use socketio::codec::engineio::{self, decode_v3_binary_payload, encode_v3_binary_payload};
use socketio::codec::socketio::{Packet, encode_ack, encode_event};

fn string_json(text: String) -> String {
    serde_json::to_string(&text).expect("a string serializes")
}

/// Compact JSON texts, including numbers no float holds exactly.
fn json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::to_string(&f).expect("finite")),
        "-?[1-9][0-9]{20,30}(\\.[0-9]{1,5})?",
        any::<String>().prop_map(string_json),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((any::<String>(), inner), 0..4).prop_map(|fields| {
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", string_json(k)))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

fn object() -> impl Strategy<Value = RawJson> {
    prop::collection::vec((any::<String>(), json()), 0..4).prop_map(|fields| {
        let fields: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", string_json(k)))
            .collect();
        raw(format!("{{{}}}", fields.join(",")))
    })
}

fn raw(text: String) -> RawJson {
    RawJson::from_string(text).expect("generated JSON is valid")
}

fn args() -> impl Strategy<Value = Vec<RawJson>> {
    prop::collection::vec(json().prop_map(raw), 0..4)
}

fn namespace() -> impl Strategy<Value = String> {
    prop_oneof![Just("/".to_owned()), "/[^,]{0,12}"]
}

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        (namespace(), prop::option::of(object())).prop_map(|(namespace, auth)| Packet::Connect { namespace, auth }),
        namespace().prop_map(|namespace| Packet::Disconnect { namespace }),
        (namespace(), any::<Option<u64>>(), any::<String>(), args(), 0..4usize).prop_map(
            |(namespace, id, name, args, attachments)| Packet::Event {
                namespace,
                id,
                name,
                args,
                attachments,
            }
        ),
        (namespace(), any::<u64>(), args(), 0..4usize).prop_map(|(namespace, id, args, attachments)| Packet::Ack {
            namespace,
            id,
            args,
            attachments,
        }),
        (
            namespace(),
            prop_oneof![object(), any::<String>().prop_map(|s| raw(string_json(s)))]
        )
            .prop_map(|(namespace, data)| Packet::ConnectError { namespace, data }),
    ]
}

fn array(args: &[RawJson]) -> String {
    let texts: Vec<&str> = args.iter().map(RawJson::get).collect();
    format!("[{}]", texts.join(","))
}

/// Text made mostly of the characters the packet grammar cares about, so
/// random inputs reach past the type digit.
fn packet_like() -> impl Strategy<Value = String> {
    "[0-7][0-9/,\\-\\[\\]{}\":a-c ]{0,24}"
}

fn engineio_packet() -> impl Strategy<Value = engineio::Packet> {
    use engineio::Packet as E;
    prop_oneof![
        any::<String>().prop_map(E::Open),
        Just(E::Close),
        prop::option::of(any::<String>().prop_filter("non-empty", |s| !s.is_empty())).prop_map(E::Ping),
        prop::option::of(any::<String>().prop_filter("non-empty", |s| !s.is_empty())).prop_map(E::Pong),
        any::<String>().prop_map(E::Message),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| E::Binary(Bytes::from(b))),
        Just(E::Upgrade),
        Just(E::Noop),
    ]
}

proptest! {
    #[test]
    fn packets_round_trip(packet in packet()) {
        prop_assert_eq!(Packet::decode(&packet.encode()), Ok(packet));
    }

    #[test]
    fn pre_serialized_encoders_match_the_packet_encoder(packet in packet()) {
        match &packet {
            Packet::Event { namespace, id, name, args, attachments } => {
                prop_assert_eq!(encode_event(namespace, *id, name, &array(args), *attachments), packet.encode());
            }
            Packet::Ack { namespace, id, args, attachments } => {
                prop_assert_eq!(encode_ack(namespace, *id, &array(args), *attachments), packet.encode());
            }
            _ => {}
        }
    }

    #[test]
    fn decoding_never_panics_and_what_decodes_round_trips(
        input in prop_oneof![any::<String>(), packet_like()],
    ) {
        if let Ok(packet) = Packet::decode(&input) {
            prop_assert_eq!(Packet::decode(&packet.encode()), Ok(packet));
        }
    }

    #[test]
    fn v3_binary_payloads_round_trip(packets in prop::collection::vec(engineio_packet(), 0..8)) {
        prop_assert_eq!(decode_v3_binary_payload(&encode_v3_binary_payload(&packets), 100), Ok(packets));
    }

    #[test]
    fn v3_binary_payload_decoding_never_panics(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            prop::collection::vec(prop_oneof![0..=9u8, Just(255u8), Just(b'4'), Just(b'b')], 0..32),
        ],
    ) {
        if let Ok(packets) = decode_v3_binary_payload(&body, 100) {
            prop_assert_eq!(decode_v3_binary_payload(&encode_v3_binary_payload(&packets), 100), Ok(packets));
        }
    }
}
