//! Byte-exact tests of the Socket.IO 5 packet codec. Wire strings are written
//! as they travel, with the Engine.IO `4`, which [`sio`] strips.
use super::*;

fn json(text: &str) -> RawJson {
    RawJson::from_string(text.to_owned()).expect("valid JSON")
}

fn jsons(texts: &[&str]) -> Vec<RawJson> {
    texts.iter().map(|t| json(t)).collect()
}

/// The Socket.IO text inside an Engine.IO message.
fn sio(wire: &str) -> &str {
    wire.strip_prefix('4').expect("an Engine.IO message")
}

fn decode(wire: &str) -> Result<Packet, DecodeError> {
    Packet::decode(sio(wire))
}

#[test]
fn decodes_and_encodes_the_protocol_examples() {
    let cases = [
        (
            "40",
            Packet::Connect {
                namespace: "/".into(),
                auth: None,
            },
        ),
        (
            r#"40{"token":"123"}"#,
            Packet::Connect {
                namespace: "/".into(),
                auth: Some(json(r#"{"token":"123"}"#)),
            },
        ),
        (
            "40/custom,",
            Packet::Connect {
                namespace: "/custom".into(),
                auth: None,
            },
        ),
        (
            r#"40/custom,{"token":"abc"}"#,
            Packet::Connect {
                namespace: "/custom".into(),
                auth: Some(json(r#"{"token":"abc"}"#)),
            },
        ),
        ("41", Packet::Disconnect { namespace: "/".into() }),
        (
            "41/custom,",
            Packet::Disconnect {
                namespace: "/custom".into(),
            },
        ),
        (
            r#"42["message",1,"2",{"3":[true]}]"#,
            Packet::Event {
                namespace: "/".into(),
                id: None,
                name: "message".into(),
                args: jsons(&["1", r#""2""#, r#"{"3":[true]}"#]),
                attachments: 0,
            },
        ),
        (
            r#"42456["message-with-ack",1,"2",{"3":[false]}]"#,
            Packet::Event {
                namespace: "/".into(),
                id: Some(456),
                name: "message-with-ack".into(),
                args: jsons(&["1", r#""2""#, r#"{"3":[false]}"#]),
                attachments: 0,
            },
        ),
        (
            r#"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            Packet::Event {
                namespace: "/".into(),
                id: None,
                name: "message".into(),
                args: vec![json(&placeholder(0)), json(&placeholder(1))],
                attachments: 2,
            },
        ),
        (
            r#"452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            Packet::Event {
                namespace: "/".into(),
                id: Some(789),
                name: "message-with-ack".into(),
                args: vec![json(&placeholder(0)), json(&placeholder(1))],
                attachments: 2,
            },
        ),
        (
            r#"43456[1,"2",{"3":[false]}]"#,
            Packet::Ack {
                namespace: "/".into(),
                id: 456,
                args: jsons(&["1", r#""2""#, r#"{"3":[false]}"#]),
                attachments: 0,
            },
        ),
        (
            r#"462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            Packet::Ack {
                namespace: "/".into(),
                id: 789,
                args: vec![json(&placeholder(0)), json(&placeholder(1))],
                attachments: 2,
            },
        ),
        (
            r#"44/random,{"message":"Invalid namespace"}"#,
            Packet::ConnectError {
                namespace: "/random".into(),
                data: json(r#"{"message":"Invalid namespace"}"#),
            },
        ),
        (
            r#"42/chat,7["a",[],{}]"#,
            Packet::Event {
                namespace: "/chat".into(),
                id: Some(7),
                name: "a".into(),
                args: jsons(&["[]", "{}"]),
                attachments: 0,
            },
        ),
        (
            "43/chat,18446744073709551615[]",
            Packet::Ack {
                namespace: "/chat".into(),
                id: u64::MAX,
                args: Vec::new(),
                attachments: 0,
            },
        ),
    ];
    for (wire, packet) in cases {
        assert_eq!(decode(wire), Ok(packet.clone()), "{wire}");
        assert_eq!(packet.encode(), sio(wire), "{wire}");
    }
}

#[test]
fn decodes_what_is_not_canonical() {
    let custom = Packet::Connect {
        namespace: "/custom".into(),
        auth: None,
    };
    assert_eq!(
        decode("40/custom"),
        Ok(custom.clone()),
        "a namespace with nothing after it needs no comma"
    );
    assert_eq!(custom.encode(), "0/custom,");

    // A v4-era client's query stays in the namespace.
    assert_eq!(
        decode("40/admin?token=1&x=2,"),
        Ok(Packet::Connect {
            namespace: "/admin?token=1&x=2".into(),
            auth: None,
        })
    );
    assert_eq!(
        decode("40/,"),
        Ok(Packet::Connect {
            namespace: "/".into(),
            auth: None
        })
    );

    // Whitespace JSON allows is dropped; element texts are kept exactly.
    let event = decode("42 [ \"a\" , 1.50 , {\"b\":1,\"a\":123456789012345678901234567890} ] ").expect("valid");
    assert_eq!(
        event.encode(),
        r#"2["a",1.50,{"b":1,"a":123456789012345678901234567890}]"#
    );

    let escaped = decode(r#"42["\u00e9\n",null]"#).expect("valid");
    let Packet::Event { name, args, .. } = &escaped else {
        panic!("{escaped:?}")
    };
    assert_eq!((name.as_str(), args[0].get()), ("é\n", "null"));
    assert_eq!(escaped.encode(), "2[\"é\\n\",null]");

    assert_eq!(decode(r#"42007["a"]"#).expect("valid").encode(), r#"27["a"]"#);
    assert_eq!(decode(r#"44"no""#).expect("valid").encode(), r#"4"no""#);
}

#[test]
fn refuses_malformed_packets() {
    let cases = [
        ("", DecodeError::Empty),
        ("abc", DecodeError::BadType('a')),
        ("9", DecodeError::BadType('9')),
        ("é", DecodeError::BadType('é')),
        ("2{}", DecodeError::NotAnArray),
        ("2\"a\"", DecodeError::NotAnArray),
        ("2[]", DecodeError::EventWithoutName),
        ("2[1]", DecodeError::EventWithoutName),
        ("2[null,\"a\"]", DecodeError::EventWithoutName),
        ("2", DecodeError::MissingData),
        ("2/chat,", DecodeError::MissingData),
        ("2/chat,5", DecodeError::MissingData),
        ("3", DecodeError::MissingId),
        ("3[]", DecodeError::MissingId),
        ("35", DecodeError::MissingData),
        ("3/chat,{}", DecodeError::MissingId),
        ("357{}", DecodeError::NotAnArray),
        ("51-", DecodeError::MissingData),
        ("5-[\"a\"]", DecodeError::BadAttachments),
        ("5[\"a\"]", DecodeError::BadAttachments),
        ("51[\"a\"]", DecodeError::BadAttachments),
        ("5x-[\"a\"]", DecodeError::BadAttachments),
        ("50-[\"a\"]", DecodeError::BadAttachments),
        ("60-0[]", DecodeError::BadAttachments),
        ("599999999999999999999999-[\"a\"]", DecodeError::BadAttachments),
        ("6-1[]", DecodeError::BadAttachments),
        ("61-[]", DecodeError::MissingId),
        ("218446744073709551616[\"a\"]", DecodeError::BadId),
        ("399999999999999999999999999[]", DecodeError::BadId),
        ("0[]", DecodeError::AuthNotAnObject),
        ("0\"token\"", DecodeError::AuthNotAnObject),
        ("01{}", DecodeError::UnexpectedId),
        ("0/chat,1", DecodeError::UnexpectedId),
        ("1/chat,{}", DecodeError::UnexpectedData),
        ("1x", DecodeError::UnexpectedData),
        ("11", DecodeError::UnexpectedId),
        ("4", DecodeError::MissingData),
        ("4/chat,", DecodeError::MissingData),
        ("4[]", DecodeError::BadErrorData),
        ("4true", DecodeError::BadErrorData),
        ("412", DecodeError::UnexpectedId),
    ];
    for (text, error) in cases {
        assert_eq!(Packet::decode(text), Err(error), "{text:?}");
    }
    for name in RESERVED_EVENTS {
        for text in [
            format!(r#"2["{name}"]"#),
            format!(r#"2/chat,7["{name}",1]"#),
            format!(r#"51-["{name}",{{"_placeholder":true,"num":0}}]"#),
            // The same name written with an escape.
            format!(r#"2["\u{:04x}{}"]"#, u32::from(name.as_bytes()[0]), &name[1..]),
        ] {
            assert_eq!(
                Packet::decode(&text),
                Err(DecodeError::ReservedEvent(name.to_owned())),
                "{text}"
            );
        }
    }
    // Only the exact names: others that look alike are ordinary events.
    for text in [r#"2["Connect"]"#, r#"2["disconnect "]"#, r#"2["connecting"]"#] {
        assert!(matches!(Packet::decode(text), Ok(Packet::Event { .. })), "{text}");
    }
    for text in [
        r#"2abc["message-with-ack",1]"#,
        r#"2["a""#,
        r#"2["a"]x"#,
        r#"2["\ud800"]"#,
        r#"0{"a":}"#,
        "0{",
        "4{",
        r#"3/chat,1[1,]"#,
    ] {
        assert!(
            matches!(Packet::decode(text), Err(DecodeError::InvalidJson(_))),
            "{text:?}"
        );
    }
}

#[test]
fn pre_serialized_encoders_are_byte_exact() {
    assert_eq!(encode_event("/", None, "message", "[]", 0), r#"2["message"]"#);
    assert_eq!(
        encode_event("/ns", Some(7), "name", r#"[1,"2"]"#, 0),
        r#"2/ns,7["name",1,"2"]"#
    );
    assert_eq!(encode_event("", None, "a\"b", " [ ] ", 0), r#"2["a\"b"]"#);
    assert_eq!(
        encode_event(
            "/",
            Some(789),
            "message-with-ack",
            &format!("[{},{}]", placeholder(0), placeholder(1)),
            2
        ),
        r#"52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
    );
    assert_eq!(
        encode_ack("/", 456, r#"[1,"2",{"3":[false]}]"#, 0),
        r#"3456[1,"2",{"3":[false]}]"#
    );
    assert_eq!(encode_ack("/ns", 0, "[]", 0), "3/ns,0[]");
    assert_eq!(
        encode_ack("/", 789, &format!("[{},{}]", placeholder(0), placeholder(1)), 2),
        r#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
    );
    assert_eq!(encode_connect("/", "abc"), r#"0{"sid":"abc"}"#);
    assert_eq!(encode_connect("/custom", "a\"\\"), r#"0/custom,{"sid":"a\"\\"}"#);
    assert_eq!(
        encode_connect_error("/random", "Invalid namespace"),
        r#"4/random,{"message":"Invalid namespace"}"#
    );
    assert_eq!(encode_disconnect("/"), "1");
    assert_eq!(encode_disconnect("/custom"), "1/custom,");
    assert_eq!(placeholder(12), r#"{"_placeholder":true,"num":12}"#);

    // What the helpers write is what the packet encoder writes.
    let event = Packet::decode(&encode_event("/ns", Some(7), "name", r#"[1,"2"]"#, 3)).expect("valid");
    assert_eq!(
        event,
        Packet::Event {
            namespace: "/ns".into(),
            id: Some(7),
            name: "name".into(),
            args: jsons(&["1", r#""2""#]),
            attachments: 3,
        }
    );
    assert_eq!(event.encode(), encode_event("/ns", Some(7), "name", r#"[1,"2"]"#, 3));
    let connect = Packet::decode(&encode_connect("/custom", "x")).expect("valid");
    assert_eq!(connect.namespace(), "/custom");
    assert_eq!(connect.encode(), encode_connect("/custom", "x"));
    let error = Packet::decode(&encode_connect_error("/", "no")).expect("valid");
    assert_eq!(error.encode(), encode_connect_error("/", "no"));
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(RESERVED_EVENTS.to_vec()).prop_map(str::to_owned),
            "\\PC{0,12}",
        ]
    }

    fn namespace() -> impl Strategy<Value = String> {
        prop_oneof![Just("/".to_owned()), "/[a-z]{1,6}"]
    }

    proptest! {
        /// Any event name decodes and encodes back, except the reserved
        /// ones, whatever the namespace, ack id and arguments around it.
        #[test]
        fn every_name_but_the_reserved_ones_is_an_event(
            name in name(),
            namespace in namespace(),
            id in proptest::option::of(0u64..1_000_000),
            arg in "\\PC{0,8}",
        ) {
            let args = format!("[{}]", serde_json::to_string(&arg).expect("a string serializes"));
            let wire = encode_event(&namespace, id, &name, &args, 0);
            let decoded = Packet::decode(&wire);
            if RESERVED_EVENTS.contains(&name.as_str()) {
                prop_assert_eq!(decoded, Err(DecodeError::ReservedEvent(name)));
            } else {
                let packet = decoded.expect("decodes");
                prop_assert_eq!(packet.encode(), wire);
            }
        }
    }
}

#[test]
fn a_recovery_connect_carries_the_private_id_and_events_their_offset() {
    assert_eq!(
        encode_connect_with_pid("/", "abc", Some("p\"1")),
        r#"0{"sid":"abc","pid":"p\"1"}"#
    );
    assert_eq!(encode_connect_with_pid("/chat", "abc", None), r#"0/chat,{"sid":"abc"}"#);
    assert_eq!(args_with_offset(r#"[1,"a"]"#, "7"), r#"[1,"a","7"]"#);
    assert_eq!(args_with_offset(" [ ] ", "x-1"), r#"["x-1"]"#);
    let event = encode_event("/", None, "news", &args_with_offset(r#"[{"a":[1]}]"#, "9"), 0);
    assert_eq!(event, r#"2["news",{"a":[1]},"9"]"#);
}

#[test]
fn an_ack_is_written_into_a_buffer_of_exactly_its_length() {
    let many = format!("[{},{}]", placeholder(0), placeholder(1));
    let cases = [
        ("/", 0, "[]", 0),
        ("/", 456, " [1,\"2\"] \n", 0),
        ("", 7, "[]", 0),
        ("/chat", u64::MAX, "[{\"a\":[null]}]", 0),
        ("/", 789, many.as_str(), 2),
        ("/ns", 10, many.as_str(), 12),
    ];
    for (namespace, id, args, attachments) in cases {
        let ack = encode_ack(namespace, id, args, attachments);
        assert_eq!(ack_len(namespace, id, args, attachments), ack.len(), "{ack}");
        assert_eq!(ack.capacity(), ack.len(), "{ack}");
    }
}

#[test]
fn event_names_with_and_without_escapes_decode_alike() {
    for (wire, name) in [
        (r#"2["plain",1]"#, "plain"),
        (r#"2["tab\there"]"#, "tab\there"),
        (r#"2["\u00e9t\u00e9",{}]"#, "été"),
        (r#"2["quote\"",[]]"#, "quote\""),
    ] {
        let Ok(Packet::Event { name: decoded, .. }) = Packet::decode(wire) else {
            panic!("{wire} decodes");
        };
        assert_eq!(decoded, name, "{wire}");
    }
    assert_eq!(Packet::decode(r#"2[]"#), Err(DecodeError::EventWithoutName));
    assert_eq!(Packet::decode(r#"2[1,"a"]"#), Err(DecodeError::EventWithoutName));
    assert!(matches!(Packet::decode(r#"2["a",1"#), Err(DecodeError::InvalidJson(_))));
    assert!(matches!(
        Packet::decode(r#"2["a",1] x"#),
        Err(DecodeError::InvalidJson(_))
    ));
}
