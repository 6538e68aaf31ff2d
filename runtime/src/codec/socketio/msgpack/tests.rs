//! Byte-exact tests of the MessagePack parser. The expected bytes are what
//! notepack.io 2.2 (under socket.io-msgpack-parser 3.0.2) writes for the
//! same packet objects.
use proptest::prelude::*;

use bytes::Bytes;

use super::*;
use crate::codec::legacy::RawJson;
use crate::codec::socketio::packet::{DecodeError, Packet};

fn hex(text: &str) -> Bytes {
    let digits: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect();
    Bytes::from(digits)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn json(text: &str) -> RawJson {
    RawJson::from_string(text.to_owned()).expect("valid JSON")
}

fn texts(args: &[RawJson]) -> Vec<&str> {
    args.iter().map(RawJson::get).collect()
}

#[test]
fn encodes_as_notepack_does() {
    assert_eq!(
        to_hex(&encode_event("/", None, "message-back", r#"[1,"2",{"3":[true]}]"#, &[]).expect("encodes")),
        "83a47479706502a46461746194ac6d6573736167652d6261636b01a13281a13391c3a36e7370a12f"
    );
    assert_eq!(
        to_hex(&encode_ack("/custom", 456, r#"[1,"2",{"3":[false]}]"#, &[]).expect("encodes")),
        "84a47479706503a4646174619301a13281a13391c2a36e7370a72f637573746f6da26964cd01c8"
    );
    assert_eq!(
        to_hex(&encode_connect("/", "abc")),
        "83a47479706500a46461746181a3736964a3616263a36e7370a12f"
    );
    assert_eq!(
        to_hex(&encode_connect_error("/random", "Invalid namespace")),
        "83a47479706504a46461746181a76d657373616765b1496e76616c6964206e616d657370616365a36e7370a72f72616e646f6d"
    );
    assert_eq!(
        to_hex(&encode_disconnect("/custom")),
        "82a47479706501a36e7370a72f637573746f6d"
    );
    // Bytes inline where the placeholders were, in their order.
    let attachments = [Bytes::from_static(&[1, 2, 3]), Bytes::from_static(&[4])];
    let args = r#"[{"_placeholder":true,"num":0},{"n":[{"_placeholder":true,"num":1}],"k":-1.5}]"#;
    assert_eq!(
        to_hex(&encode_event("/", Some(7), "x", args, &attachments).expect("encodes")),
        "84a47479706502a46461746193a178c40301020382a16e91c40104a16bcbbff8000000000000a36e7370a12fa2696407"
    );
    // Empty arguments, long strings and containers past the fix forms.
    let long = "é".repeat(40);
    let many = format!("[{}]", vec!["1"; 20].join(","));
    let wire = encode_event("/", None, &long, &many, &[]).expect("encodes");
    assert_eq!(&wire[..3], [0x83, 0xa4, b't']);
    let (packet, _) = decode(&Bytes::from(wire)).expect("decodes");
    let Packet::Event { name, args, .. } = packet else {
        panic!("an event")
    };
    assert_eq!((name, args.len()), (long, 20));
    let wire = encode_ack("/", 1, "[]", &[]).expect("encodes");
    let (packet, _) = decode(&Bytes::from(wire)).expect("decodes");
    assert_eq!(
        packet,
        Packet::Ack {
            namespace: "/".into(),
            id: 1,
            args: vec![],
            attachments: 0
        }
    );
}

#[test]
fn refuses_to_encode_what_it_cannot_carry() {
    // A number past f64 (a JSON client may send one) and a placeholder
    // without its attachment: an error, never a panic or a wrong packet.
    assert!(encode_event("/", None, "x", "[1e400]", &[]).is_err());
    let placeholder = r#"[{"_placeholder":true,"num":1}]"#;
    assert!(encode_ack("/", 1, placeholder, &[Bytes::from_static(b"a")]).is_err());
    // Integers past 64 bits become floats, written as JS writes them.
    let wire = encode_event("/", None, "x", "[123456789012345678901234567890]", &[]).expect("encodes");
    let (packet, _) = decode(&Bytes::from(wire)).expect("decodes");
    let Packet::Event { args, .. } = packet else {
        panic!("an event")
    };
    assert_eq!(texts(&args), ["1.2345678901234568e+29"]);
}

#[test]
fn decodes_what_socket_io_client_sends() {
    // CONNECT without auth: `data: undefined` and the client's `options`.
    let (packet, attachments) = decode(&hex(
        "84a47479706500a464617461d40000a76f7074696f6e7381a8636f6d7072657373c3a36e7370a12f",
    ))
    .expect("decodes");
    assert_eq!(
        packet,
        Packet::Connect {
            namespace: "/".into(),
            auth: None
        }
    );
    assert!(attachments.is_empty());

    // An event with bytes: placeholders in walk order, the bytes beside.
    let (packet, attachments) = decode(&hex(
        "84a47479706502a46461746193a178c40301020382a16e91c40104a16bcbbff8000000000000a36e7370a12fa2696407",
    ))
    .expect("decodes");
    let Packet::Event {
        namespace,
        id,
        name,
        args,
        attachments: count,
    } = &packet
    else {
        panic!("an event: {packet:?}")
    };
    assert_eq!((namespace.as_str(), *id, name.as_str(), *count), ("/", Some(7), "x", 2));
    assert_eq!(
        texts(args),
        [
            r#"{"_placeholder":true,"num":0}"#,
            r#"{"n":[{"_placeholder":true,"num":1}],"k":-1.5}"#
        ]
    );
    assert_eq!(attachments, [Bytes::from_static(&[1, 2, 3]), Bytes::from_static(&[4])]);

    // JS values JSON has no word for, as JSON.stringify would write them;
    // an ArrayBuffer (ext 0) is bytes too.
    let (packet, attachments) = decode(&hex(
        "85a47479706502a4646174619aa164d7000000018d5f63ea05d4000091d4000082a161d40000a16201c702000908cf0000000000000000d1ff38ce00011170cf000000012a05f200a36e7370a12fa2696403a76f7074696f6e7381a8636f6d7072657373c3",
    ))
    .expect("decodes");
    let Packet::Event { args, .. } = &packet else {
        panic!("an event")
    };
    assert_eq!(
        texts(args),
        [
            r#""2024-01-31T12:00:00.005Z""#,
            "null",
            "[null]",
            r#"{"b":1}"#,
            r#"{"_placeholder":true,"num":0}"#,
            "0",
            "-200",
            "70000",
            "5000000000"
        ]
    );
    assert_eq!(attachments, [Bytes::from_static(&[9, 8])]);
}

#[test]
fn translates_values_as_node_sees_them() {
    let event = |data: &[u8]| {
        let mut wire = vec![
            0x83, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xa3, b'n', b's', b'p', 0xa1, b'/',
        ];
        wire.extend_from_slice(&[0xa4, b'd', b'a', b't', b'a', 0x92, 0xa1, b'e']);
        wire.extend_from_slice(data);
        decode(&Bytes::from(wire)).map(|(packet, _)| match packet {
            Packet::Event { args, .. } => args[0].get().to_owned(),
            other => panic!("{other:?}"),
        })
    };
    // Floats: integral ones are integers, non-finite ones null.
    assert_eq!(event(&[0xcb, 0x40, 0x00, 0, 0, 0, 0, 0, 0]).as_deref(), Ok("2"));
    assert_eq!(event(&[0xca, 0x3f, 0xc0, 0, 0]).as_deref(), Ok("1.5"));
    assert_eq!(event(&[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]).as_deref(), Ok("null"));
    assert_eq!(
        event(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).as_deref(),
        Ok("18446744073709551615")
    );
    assert_eq!(event(&[0xe0]).as_deref(), Ok("-32"));
    // Integer keys are their decimal text; other keys are refused.
    assert_eq!(
        event(&[0x82, 0x01, 0xc3, 0xff, 0xc2]).as_deref(),
        Ok(r#"{"1":true,"-1":false}"#)
    );
    assert!(matches!(
        event(&[0x81, 0xc0, 0x01]),
        Err(DecodeError::InvalidMsgpack(_))
    ));
    // Escapes, and other extensions as notepack.io gives them: [type, bytes].
    assert_eq!(event(&[0xa2, b'"', b'\n']).as_deref(), Ok(r#""\"\n""#));
    assert_eq!(
        event(&[0xd5, 0x05, 0xaa, 0xbb]).as_deref(),
        Ok(r#"[5,{"_placeholder":true,"num":0}]"#)
    );
    assert_eq!(
        event(&[0xd7, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).as_deref(),
        Ok(r#""1969-12-31T23:59:59.999Z""#)
    );
}

#[test]
fn round_trips_every_packet_kind() {
    let attachments = [Bytes::from_static(b"\x00\xff")];
    let packets = [
        Packet::Connect {
            namespace: "/".into(),
            auth: Some(json(r#"{"token":"123","n":[1,2.5,null]}"#)),
        },
        Packet::Connect {
            namespace: "/custom".into(),
            auth: None,
        },
        Packet::Disconnect {
            namespace: "/custom".into(),
        },
        Packet::Event {
            namespace: "/a".into(),
            id: Some(u64::MAX),
            name: "ev".into(),
            args: vec![
                json("{\"z\":1,\"a\":\"\u{2028}😀\"}"),
                json("[]"),
                json("{}"),
                json("-7"),
            ],
            attachments: 0,
        },
        Packet::Ack {
            namespace: "/".into(),
            id: 0,
            args: vec![json(r#"{"f":{"_placeholder":true,"num":0}}"#)],
            attachments: 1,
        },
        Packet::ConnectError {
            namespace: "/x".into(),
            data: json(r#"{"message":"no"}"#),
        },
        Packet::ConnectError {
            namespace: "/x".into(),
            data: json(r#""no""#),
        },
    ];
    for packet in packets {
        let wire = encode(&packet, &attachments).expect("encodes");
        let (back, got) = decode(&Bytes::from(wire)).expect("decodes");
        assert_eq!(back, packet);
        let expected: &[Bytes] = if matches!(packet, Packet::Ack { .. }) {
            &attachments
        } else {
            &[]
        };
        assert_eq!(got, expected);
    }
}

#[test]
fn refuses_what_the_reference_parser_refuses_and_more() {
    let cases: &[(&str, DecodeError)] = &[
        // Not a map.
        (
            "92a178c0",
            DecodeError::InvalidMsgpack("the packet is not a map".into()),
        ),
        // type 5 (BINARY_EVENT does not exist here), a string type, no type.
        ("83a47479706505a46461746191a178a36e7370a12f", DecodeError::BadPacketType),
        (
            "83a474797065a132a46461746191a178a36e7370a12f",
            DecodeError::BadPacketType,
        ),
        ("82a46461746191a178a36e7370a12f", DecodeError::BadPacketType),
        // nsp: missing, a number, not starting with `/`.
        ("82a47479706502a46461746191a178", DecodeError::BadNamespace),
        ("83a47479706502a46461746191a178a36e737001", DecodeError::BadNamespace),
        ("83a47479706502a46461746191a178a36e7370a161", DecodeError::BadNamespace),
        // data of the wrong kind for the type.
        ("83a47479706502a46461746181a161c0a36e7370a12f", DecodeError::NotAnArray),
        ("82a47479706502a36e7370a12f", DecodeError::MissingData),
        ("83a47479706500a46461746191c0a36e7370a12f", DecodeError::AuthNotAnObject),
        ("83a47479706501a46461746190a36e7370a12f", DecodeError::UnexpectedData),
        ("83a47479706504a46461746101a36e7370a12f", DecodeError::BadErrorData),
        // An event without a name.
        ("83a47479706502a46461746190a36e7370a12f", DecodeError::EventWithoutName),
        (
            "83a47479706502a4646174619101a36e7370a12f",
            DecodeError::EventWithoutName,
        ),
        // A reserved event name, as the JSON parser refuses it.
        (
            "83a47479706502a46461746191aa646973636f6e6e656374a36e7370a12f",
            DecodeError::ReservedEvent("disconnect".into()),
        ),
        // ids: not an integer, negative, missing on an ack, on a connect.
        (
            "84a47479706502a46461746191a178a36e7370a12fa26964a131",
            DecodeError::BadId,
        ),
        ("84a47479706502a46461746191a178a36e7370a12fa26964ff", DecodeError::BadId),
        ("83a47479706503a46461746190a36e7370a12f", DecodeError::MissingId),
        ("83a47479706500a36e7370a12fa2696401", DecodeError::UnexpectedId),
    ];
    for (wire, expected) in cases {
        assert_eq!(decode(&hex(wire)).err().as_ref(), Some(expected), "{wire}");
    }
    let malformed = [
        "",
        // Truncated, trailing bytes, the reserved byte.
        "83a47479706502a46461746191a178a36e7370a1",
        "83a47479706502a46461746191a178a36e7370a12f00",
        "83a47479706502a46461746192a178c1a36e7370a12f",
        // A string that is not UTF-8.
        "83a47479706502a46461746192a178a1ffa36e7370a12f",
        // A count far past the end.
        "83a47479706502a464617461dd7fffffffa178a36e7370a12f",
        "83a47479706502a46461746192a178df7fffffffa36e7370a12f",
        // A map that would read back as a placeholder.
        "83a47479706502a46461746192a17882ac5f706c616365686f6c646572c3a36e756d00a36e7370a12f",
        // A date JSON cannot write.
        "83a47479706502a46461746192a178d7007fffffffffffffffa36e7370a12f",
    ];
    for wire in malformed {
        assert!(
            matches!(decode(&hex(wire)), Err(DecodeError::InvalidMsgpack(_))),
            "{wire}: {:?}",
            decode(&hex(wire))
        );
    }
    // Nesting deeper than serde_json's limit is refused, not recursed into.
    let mut deep = hex("83a47479706502a36e7370a12fa464617461").to_vec();
    deep.extend(std::iter::repeat_n(0x91, 100_000));
    deep.push(0xc0);
    assert!(matches!(
        decode(&Bytes::from(deep)),
        Err(DecodeError::InvalidMsgpack(_))
    ));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&Bytes::from(data));
    }

    #[test]
    fn mangled_packets_never_panic(cut in 0usize..60, flip in 0usize..60, byte in any::<u8>()) {
        let mut wire = encode_event("/chat", Some(3), "ev", r#"[{"a":[1,-2,3.5,"x"]},null,{"_placeholder":true,"num":0}]"#,
            &[Bytes::from_static(b"abc")]).expect("encodes");
        if let Some(at) = wire.get_mut(flip) {
            *at = byte;
        }
        wire.truncate(cut.max(1));
        let _ = decode(&Bytes::from(wire));
    }

    #[test]
    fn strings_and_numbers_survive(name in "\\PC{1,40}", n in any::<i64>(), f in -1e12f64..1e12, text in "\\PC{0,300}") {
        let args = serde_json::to_string(&(n, f, &text)).expect("serializes");
        let wire = encode_event("/", None, &name, &args, &[]).expect("encodes");
        let (packet, _) = decode(&Bytes::from(wire)).expect("decodes");
        let Packet::Event { name: got, args: got_args, .. } = packet else { panic!("an event") };
        prop_assert_eq!(got, name);
        let back: (i64, f64, String) = serde_json::from_str(&format!("[{}]", texts(&got_args).join(","))).expect("binds");
        prop_assert_eq!(back.0, n);
        prop_assert!((back.1 - f).abs() <= f.abs() * 1e-15);
        prop_assert_eq!(back.2, text);
    }
}
