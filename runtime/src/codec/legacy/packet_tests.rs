//! Byte-exact tests of the packet codec.
use super::*;

fn json(text: &str) -> RawJson {
    RawJson::from_string(text.to_owned()).expect("valid JSON")
}

fn id(id: u64, wants_data: bool) -> Option<MessageId> {
    Some(MessageId { id, wants_data })
}

#[test]
fn encodes_every_type_byte_exactly() {
    let cases = [
        (
            Packet::Disconnect {
                endpoint: String::new(),
            },
            "0::",
        ),
        (
            Packet::Disconnect {
                endpoint: "/chat".into(),
            },
            "0::/chat",
        ),
        (
            Packet::Connect {
                endpoint: "/chat".into(),
                query: None,
            },
            "1::/chat",
        ),
        (
            Packet::Connect {
                endpoint: "/chat".into(),
                query: Some("x=1".into()),
            },
            "1::/chat?x=1",
        ),
        (Packet::Heartbeat, "2::"),
        (
            Packet::Message {
                id: None,
                endpoint: String::new(),
                data: "hi".into(),
            },
            "3:::hi",
        ),
        (
            Packet::Message {
                id: id(1, false),
                endpoint: String::new(),
                data: "hi".into(),
            },
            "3:1::hi",
        ),
        (
            Packet::Message {
                id: id(1, true),
                endpoint: String::new(),
                data: "hi".into(),
            },
            "3:1+::hi",
        ),
        (
            Packet::Message {
                id: None,
                endpoint: "/chat".into(),
                data: "hi".into(),
            },
            "3::/chat:hi",
        ),
        (
            Packet::Message {
                id: None,
                endpoint: String::new(),
                data: String::new(),
            },
            "3::",
        ),
        (
            Packet::Json {
                id: None,
                endpoint: String::new(),
                data: json("{\"a\":1}"),
            },
            "4:::{\"a\":1}",
        ),
        (
            Packet::Event {
                id: id(1, true),
                endpoint: String::new(),
                name: "ping".into(),
                args: vec![json("\"a\""), json("2")],
            },
            "5:1+::{\"name\":\"ping\",\"args\":[\"a\",2]}",
        ),
        (
            Packet::Event {
                id: None,
                endpoint: String::new(),
                name: "e".into(),
                args: vec![],
            },
            "5:::{\"name\":\"e\",\"args\":[]}",
        ),
        (
            Packet::Ack {
                endpoint: String::new(),
                ack_id: 5,
                args: None,
            },
            "6:::5",
        ),
        (
            Packet::Ack {
                endpoint: "/chat".into(),
                ack_id: 5,
                args: Some(vec![json("\"a\"")]),
            },
            "6::/chat:5+[\"a\"]",
        ),
        (
            Packet::Error {
                endpoint: String::new(),
                reason: "1".into(),
                advice: Some("0".into()),
            },
            "7:::1+0",
        ),
        (
            Packet::Error {
                endpoint: "/chat".into(),
                reason: "2".into(),
                advice: None,
            },
            "7::/chat:2",
        ),
        (Packet::Noop, "8::"),
    ];
    for (packet, wire) in cases {
        assert_eq!(packet.encode(), wire);
        assert_eq!(Packet::decode(wire).as_ref(), Ok(&packet), "{wire}");
    }
}

#[test]
fn decodes_the_tolerated_forms() {
    assert_eq!(Packet::decode("3:::"), Packet::decode("3::"));
    assert_eq!(Packet::decode("2:::"), Ok(Packet::Heartbeat));
    let data = "a:b\nc\u{fffd}\u{2028}";
    assert_eq!(
        Packet::decode(&format!("3::/x:{data}")),
        Ok(Packet::Message {
            id: None,
            endpoint: "/x".into(),
            data: data.into()
        })
    );
    // Keys in any order, missing args (node's encoder leaves out empty ones).
    for (wire, args) in [
        ("5:::{\"args\":[1],\"name\":\"n\"}", vec![json("1")]),
        ("5:::{\"name\":\"n\"}", vec![]),
        (
            "5:::{\"name\":\"n\",\"args\":[123456789012345678901234567890, 1.5e300]}",
            vec![json("123456789012345678901234567890"), json("1.5e300")],
        ),
    ] {
        match Packet::decode(wire) {
            Ok(Packet::Event { name, args: got, .. }) => {
                assert_eq!(name, "n");
                assert_eq!(got, args, "{wire}");
            }
            other => panic!("{wire}: {other:?}"),
        }
    }
    assert_eq!(
        Packet::decode("1::/chat?"),
        Ok(Packet::Connect {
            endpoint: "/chat".into(),
            query: Some(String::new())
        })
    );
}

#[test]
fn refuses_malformed_packets_with_typed_errors() {
    assert_eq!(Packet::decode("hello"), Err(DecodeError::MissingSeparator));
    assert_eq!(Packet::decode("3:"), Err(DecodeError::MissingSeparator));
    assert_eq!(Packet::decode("9::"), Err(DecodeError::BadType("9".into())));
    assert_eq!(Packet::decode("33:::x"), Err(DecodeError::BadType("33".into())));
    assert_eq!(Packet::decode("3:x::a"), Err(DecodeError::BadId("x".into())));
    assert_eq!(
        Packet::decode("3:99999999999999999999999::a"),
        Err(DecodeError::BadId("99999999999999999999999".into()))
    );
    assert_eq!(Packet::decode("6:::abc"), Err(DecodeError::BadAckId("abc".into())));
    assert_eq!(Packet::decode("6:::+[]"), Err(DecodeError::BadAckId(String::new())));
    assert!(matches!(Packet::decode("6:::1+{}"), Err(DecodeError::InvalidJson(_))));
    assert!(matches!(Packet::decode("4:::"), Err(DecodeError::InvalidJson(_))));
    assert!(matches!(Packet::decode("5:::{bad"), Err(DecodeError::InvalidJson(_))));
    assert_eq!(Packet::decode("5:::{\"args\":[]}"), Err(DecodeError::EventWithoutName));
    assert_eq!(Packet::decode("5:::{\"name\":3}"), Err(DecodeError::EventWithoutName));
    assert!(Packet::decode("5:::[1]").is_err());
    // A JSON array in the shape of the struct is still not an event.
    assert!(matches!(
        Packet::decode("5:::[\"n\",[1]]"),
        Err(DecodeError::InvalidJson(_))
    ));
    assert!(matches!(Packet::decode("5:::\"n\""), Err(DecodeError::InvalidJson(_))));
    assert!(matches!(Packet::decode("5::"), Err(DecodeError::InvalidJson(_))));
    // The type is checked first, the ack id before the ack's JSON.
    assert_eq!(Packet::decode("9:x::"), Err(DecodeError::BadType("9".into())));
    assert_eq!(Packet::decode(":::"), Err(DecodeError::BadType(String::new())));
    assert_eq!(Packet::decode("é::"), Err(DecodeError::BadType("é".into())));
    assert_eq!(Packet::decode("6:::abc+{}"), Err(DecodeError::BadAckId("abc".into())));
    assert_eq!(Packet::decode("6:::-1"), Err(DecodeError::BadAckId("-1".into())));
    assert_eq!(Packet::decode("3:+::a"), Err(DecodeError::BadId("+".into())));
    assert_eq!(Packet::decode("3:1++::a"), Err(DecodeError::BadId("1++".into())));
}

/// Shapes the 0.9 grammar does not have, each refused rather than read
/// into one it has.
#[test]
fn refuses_shapes_outside_the_0_9_grammar() {
    // `args`, when present, is an array: never one bare value wrapped.
    for args in ["5", "\"s\"", "true", "null", "{\"k\":[1]}", "-1.5e3", "{}"] {
        let wire = format!("5:::{{\"name\":\"echo\",\"args\":{args}}}");
        assert_eq!(Packet::decode(&wire), Err(DecodeError::EventArgsNotArray), "{wire}");
    }
    assert_eq!(
        Packet::decode("5:1+:/chat:{\"args\":5,\"name\":\"echo\"}"),
        Err(DecodeError::EventArgsNotArray)
    );
    // Only messages and events carry a message id; an ack's is in its data.
    for (wire, kind) in [
        ("0:1::", "0"),
        ("1:1::/chat", "1"),
        ("2:1::", "2"),
        ("6:1::1", "6"),
        ("6:1+::1+[]", "6"),
        ("7:2::1+0", "7"),
        ("8:1::", "8"),
    ] {
        assert_eq!(
            Packet::decode(wire),
            Err(DecodeError::UnexpectedId(kind.into())),
            "{wire}"
        );
    }
    // The forms with ids the grammar has still decode.
    for wire in ["3:1::a", "3:1+::a", "4:2::{}", "5:3+::{\"name\":\"e\",\"args\":[]}"] {
        assert!(Packet::decode(wire).is_ok(), "{wire}");
    }
}

#[test]
fn decodes_ids_queries_and_ignored_data() {
    assert_eq!(
        Packet::decode("5:7:/c: {\"name\":\"n\" , \"x\":1}"),
        Ok(Packet::Event {
            id: id(7, false),
            endpoint: "/c".into(),
            name: "n".into(),
            args: vec![],
        })
    );
    assert_eq!(
        Packet::decode("5:::{\"name\":\"\\u00e9\\n\",\"args\":[ {\"b\" : 1} ,\"\\u2028\"]}"),
        Ok(Packet::Event {
            id: None,
            endpoint: String::new(),
            name: "é\n".into(),
            args: vec![json("{\"b\" : 1}"), json("\"\\u2028\"")],
        })
    );
    assert_eq!(
        Packet::decode("0::/chat:junk"),
        Ok(Packet::Disconnect {
            endpoint: "/chat".into()
        })
    );
    assert_eq!(Packet::decode("8:::x"), Ok(Packet::Noop));
    assert_eq!(
        Packet::decode("1::/chat?a=1?b=2:ignored"),
        Ok(Packet::Connect {
            endpoint: "/chat".into(),
            query: Some("a=1?b=2".into())
        })
    );
    assert_eq!(
        Packet::decode("6:::18446744073709551615+[]"),
        Ok(Packet::Ack {
            endpoint: String::new(),
            ack_id: u64::MAX,
            args: Some(vec![]),
        })
    );
    assert_eq!(
        Packet::decode("7:::1+0+x"),
        Ok(Packet::Error {
            endpoint: String::new(),
            reason: "1".into(),
            advice: Some("0+x".into()),
        })
    );
    for data in ["é", "😀", "\u{fffd}", "\u{2028}", "a:b", "x\ny", "::"] {
        let wire = format!("3:::{data}");
        assert_eq!(
            Packet::decode(&wire),
            Ok(Packet::Message {
                id: None,
                endpoint: String::new(),
                data: data.into()
            })
        );
        assert_eq!(
            Packet::Message {
                id: None,
                endpoint: String::new(),
                data: data.into()
            }
            .encode(),
            wire
        );
    }
    assert_eq!(Packet::Heartbeat.endpoint(), "");
    assert_eq!(
        Packet::Ack {
            endpoint: "/e".into(),
            ack_id: 1,
            args: None
        }
        .endpoint(),
        "/e"
    );
}

#[test]
fn pre_serialized_helpers_match_the_packet_encoder() {
    assert_eq!(
        encode_event(id(3, true), "/c", "a\"b", "[1]"),
        "5:3+:/c:{\"name\":\"a\\\"b\",\"args\":[1]}"
    );
    assert_eq!(encode_ack("", 5, None), "6:::5");
    assert_eq!(encode_ack("/c", 5, Some("[]")), "6::/c:5+[]");
    assert_eq!(
        encode_ack("", 1, Some("[\"a\u{2028}b\u{2029}\"]")),
        "6:::1+[\"a\\u2028b\\u2029\"]"
    );
}

#[test]
fn event_data_reads_every_shape_of_args_in_one_pass() {
    let args = |packet: &str| match Packet::decode(packet) {
        Ok(Packet::Event { name, args, .. }) => (name, args.iter().map(|a| a.get().to_owned()).collect::<Vec<_>>()),
        other => panic!("{packet}: {other:?}"),
    };
    assert_eq!(
        args(r#"5:::{"name":"e","args":[1, "x" ,{"b":[2]},[],null]}"#),
        (
            "e".to_owned(),
            vec![
                "1".into(),
                "\"x\"".into(),
                "{\"b\":[2]}".into(),
                "[]".into(),
                "null".into()
            ]
        )
    );
    // Escaped keys, keys in either order, unknown keys, and no args.
    assert_eq!(
        args(r#"5:::{"a\u0072gs":[7],"x":{"y":[1]},"n\u0061me":"e"}"#),
        ("e".to_owned(), vec!["7".into()])
    );
    assert_eq!(args(r#"5:::{"name":"e"}"#).1, Vec::<String>::new());
    // Not an array is refused, whatever its kind, wherever the key sits.
    for single in ["3", "\"s\"", "true", "null", "{\"k\":[1]}", "-1.5e3"] {
        assert_eq!(
            Packet::decode(&format!(r#"5:::{{"args":{single},"name":"e"}}"#)),
            Err(DecodeError::EventArgsNotArray),
            "{single}"
        );
    }
    // Duplicated fields are refused, as a derived reader would.
    assert!(matches!(
        Packet::decode(r#"5:::{"name":"e","name":"f"}"#),
        Err(DecodeError::InvalidJson(_))
    ));
    assert!(matches!(
        Packet::decode(r#"5:::{"name":"e","args":[],"args":[1]}"#),
        Err(DecodeError::InvalidJson(_))
    ));
    assert!(matches!(
        Packet::decode(r#"5:::{"name":"e","args":[1,}"#),
        Err(DecodeError::InvalidJson(_))
    ));
}
