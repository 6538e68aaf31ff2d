//! Property tests of the pure legacy codec: round trips, and no input ever
//! panics the decoders.

use proptest::prelude::*;
use serde_json::Value;
use socketio::codec::legacy::{
    DecodeError, MessageId, Packet, PayloadError, RawJson, decode_payload, encode_payload, encode_payload_into,
    utf16_len,
};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn raw() -> impl Strategy<Value = RawJson> {
    json_value().prop_map(|v| RawJson::from_string(v.to_string()).expect("serde_json writes valid JSON"))
}

/// Endpoints never contain `:` (it ends them) nor `?` (a connect packet's
/// query starts there), so these encode canonically.
fn endpoint() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "/[a-zA-Z0-9_.~-]{1,12}", "/[^:?]{0,8}"]
}

fn id() -> impl Strategy<Value = Option<MessageId>> {
    prop::option::of((any::<u64>(), any::<bool>()).prop_map(|(id, wants_data)| MessageId { id, wants_data }))
}

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        endpoint().prop_map(|endpoint| Packet::Disconnect { endpoint }),
        (endpoint(), prop::option::of("[a-z0-9=&%]{0,12}"))
            .prop_map(|(endpoint, query)| Packet::Connect { endpoint, query }),
        Just(Packet::Heartbeat),
        (id(), endpoint(), any::<String>()).prop_map(|(id, endpoint, data)| Packet::Message { id, endpoint, data }),
        (id(), endpoint(), raw()).prop_map(|(id, endpoint, data)| Packet::Json { id, endpoint, data }),
        (id(), endpoint(), any::<String>(), prop::collection::vec(raw(), 0..4)).prop_map(
            |(id, endpoint, name, args)| Packet::Event {
                id,
                endpoint,
                name,
                args
            }
        ),
        (
            endpoint(),
            any::<u64>(),
            prop::option::of(prop::collection::vec(raw(), 0..4))
        )
            .prop_map(|(endpoint, ack_id, args)| Packet::Ack { endpoint, ack_id, args }),
        (
            endpoint(),
            prop_oneof!["[0-9]{0,3}", "[^+]{0,6}"],
            prop::option::of(any::<String>())
        )
            .prop_map(|(endpoint, reason, advice)| {
                Packet::Error {
                    endpoint,
                    reason,
                    advice,
                }
            }),
        Just(Packet::Noop),
    ]
}

/// Ack data is written with U+2028/U+2029 escaped (the 0.9 client cannot
/// read them raw there); the decoded values are the same.
fn ack_escaped(packet: Packet) -> Packet {
    match packet {
        Packet::Ack {
            endpoint,
            ack_id,
            args: Some(args),
        } => {
            let args = args
                .into_iter()
                .map(|raw| {
                    let text = raw.get().replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029");
                    RawJson::from_string(text).expect("still valid JSON")
                })
                .collect();
            Packet::Ack {
                endpoint,
                ack_id,
                args: Some(args),
            }
        }
        other => other,
    }
}

const MARK: char = '\u{fffd}';

/// Characters that stress the framing: the mark itself, astral characters
/// (two UTF-16 units), two- and three-byte UTF-8, separators, line breaks.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        any::<char>(),
        Just(MARK),
        Just('😀'),
        Just('\u{10ffff}'),
        Just('é'),
        Just('\u{2028}'),
        Just(':'),
        Just('+'),
        Just('\n'),
        "[0-9]".prop_map(|d| d.chars().next().unwrap_or('0')),
    ]
}

fn tricky_string() -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..24).prop_map(|chars| chars.into_iter().collect())
}

/// A packet as a payload carries it: it starts with its type digit. (A lone
/// packet starting with U+FFFD would be read as framed: ambiguous by design.)
fn payload_packet() -> impl Strategy<Value = String> {
    ("[0-9]", tricky_string()).prop_map(|(digit, rest)| digit + &rest)
}

fn grammar_noise() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("0".to_owned()),
            Just("5".to_owned()),
            Just("9".to_owned()),
            Just(":".to_owned()),
            Just("+".to_owned()),
            Just("\u{fffd}".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("[".to_owned()),
            Just("\"".to_owned()),
            Just("name".to_owned()),
            Just("args".to_owned()),
            Just("😀".to_owned()),
            "[0-9]{1,3}",
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn packets_round_trip(packet in packet()) {
        let wire = packet.encode();
        prop_assert_eq!(Packet::decode(&wire), Ok(ack_escaped(packet)));
    }

    /// `args` is an array or absent; any other JSON value is refused, not
    /// wrapped into one argument.
    #[test]
    fn event_args_are_an_array_or_refused(value in json_value(), id in id(), endpoint in endpoint()) {
        let data = serde_json::json!({ "name": "e", "args": value });
        let wire = match id {
            Some(MessageId { id, wants_data }) => format!("5:{id}{}:{endpoint}:{data}", if wants_data { "+" } else { "" }),
            None => format!("5::{endpoint}:{data}"),
        };
        match (&value, Packet::decode(&wire)) {
            (Value::Array(items), Ok(Packet::Event { args, .. })) => prop_assert_eq!(args.len(), items.len()),
            (Value::Array(_), other) => prop_assert!(false, "{wire}: {other:?}"),
            (_, refused) => prop_assert_eq!(refused, Err(DecodeError::EventArgsNotArray), "{}", wire),
        }
    }

    /// Connect, disconnect, heartbeat, ack, error and noop have no id field.
    #[test]
    fn ids_only_on_messages_and_events(packet in packet(), id in 0u64..1000, plus in any::<bool>()) {
        let wire = packet.encode();
        let (kind, rest) = wire.split_once(':').expect("a type");
        // Whatever id the packet had is replaced.
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '+');
        let with_id = format!("{kind}:{id}{}{rest}", if plus { "+" } else { "" });
        let decoded = Packet::decode(&with_id);
        if matches!(kind, "3" | "4" | "5") {
            prop_assert!(decoded.is_ok(), "{with_id}: {decoded:?}");
        } else {
            prop_assert_eq!(decoded, Err(DecodeError::UnexpectedId(kind.to_owned())), "{}", with_id);
        }
    }

    #[test]
    fn payloads_round_trip(packets in prop::collection::vec(payload_packet(), 1..6)) {
        let encoded = encode_payload(&packets);
        let decoded = decode_payload(&encoded, usize::MAX).expect("own encoding decodes");
        prop_assert_eq!(&decoded, &packets.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(decode_payload(&encoded, packets.len()), Ok(decoded));
        prop_assert_eq!(
            decode_payload(&encoded, packets.len() - 1),
            Err(PayloadError::TooManyPackets(packets.len() - 1))
        );
        let mut appended = String::from("x");
        encode_payload_into(&packets, &mut appended);
        prop_assert_eq!(appended, format!("x{encoded}"));
    }

    /// Two or more packets are always framed, so anything goes inside them,
    /// even empty packets and packets that start with the mark.
    #[test]
    fn framed_payloads_carry_any_text(packets in prop::collection::vec(tricky_string(), 2..6)) {
        let encoded = encode_payload(&packets);
        prop_assert!(encoded.starts_with(MARK));
        let decoded = decode_payload(&encoded, usize::MAX).expect("own encoding decodes");
        prop_assert_eq!(decoded, packets.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn truncated_payloads_never_decode_to_more_than_was_sent(
        packets in prop::collection::vec(payload_packet(), 2..5),
        cut in any::<prop::sample::Index>(),
    ) {
        let encoded = encode_payload(&packets);
        let boundaries: Vec<usize> = encoded.char_indices().map(|(i, _)| i).collect();
        let cut = boundaries[cut.index(boundaries.len())];
        let prefix = &encoded[..cut];
        if let Ok(decoded) = decode_payload(prefix, usize::MAX) {
            // Only a cut exactly between frames decodes, to a prefix of the packets.
            prop_assert!(decoded.len() <= packets.len());
            let sent = decoded.len();
            prop_assert_eq!(decoded, packets[..sent].iter().map(String::as_str).collect::<Vec<_>>());
        }
    }

    #[test]
    fn payload_lengths_count_utf16_units(packet in "[0-9]\\PC{0,20}") {
        let framed = encode_payload(&[packet.as_str(), "2::"]);
        let declared: usize = framed.split('\u{fffd}').nth(1).and_then(|n| n.parse().ok()).expect("length");
        prop_assert_eq!(declared, packet.encode_utf16().count());
        prop_assert_eq!(utf16_len(&packet), declared);
    }

    #[test]
    fn decoding_arbitrary_text_never_panics(text in any::<String>()) {
        let _ = Packet::decode(&text);
        let _ = decode_payload(&text, 100);
    }

    #[test]
    fn decoding_cut_or_spliced_packets_never_panics(
        packet in packet(),
        cut in any::<prop::sample::Index>(),
        noise in grammar_noise(),
    ) {
        let wire = packet.encode();
        let boundaries: Vec<usize> = wire.char_indices().map(|(i, _)| i).chain([wire.len()]).collect();
        let cut = boundaries[cut.index(boundaries.len())];
        let _ = Packet::decode(&wire[..cut]);
        let _ = Packet::decode(&format!("{}{noise}{}", &wire[..cut], &wire[cut..]));
    }

    #[test]
    fn decoding_grammar_noise_never_panics(text in grammar_noise()) {
        let _ = Packet::decode(&text);
        if let Ok(packets) = decode_payload(&text, 100) {
            for packet in packets {
                let _ = Packet::decode(packet);
            }
        }
    }
}
