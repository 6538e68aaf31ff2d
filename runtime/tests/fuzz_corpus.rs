//! Every input in `fuzz/corpus/` (the seeds, and any input a fuzzer ever
//! found a problem with) replayed through the same checks as the fuzz
//! targets, in the ordinary test suite.

use std::path::PathBuf;

use socketio::codec::legacy::{Packet, callback_index, decode_form_payload, decode_payload, encode_payload, js_string};

fn corpus_bytes(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| std::fs::read(entry.ok()?.path()).ok())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no corpus for {target}");
    inputs
}

fn corpus(target: &str) -> Vec<String> {
    corpus_bytes(target)
        .into_iter()
        .filter_map(|bytes| String::from_utf8(bytes).ok())
        .collect()
}

#[test]
fn packet_corpus() {
    for text in corpus("packet") {
        if let Ok(packet) = Packet::decode(&text) {
            let wire = packet.encode();
            let again = Packet::decode(&wire).expect("a canonical encoding decodes");
            assert_eq!(again.encode(), wire, "{text:?}");
        }
    }
}

#[test]
fn payload_corpus() {
    for text in corpus("payload") {
        if let Ok(packets) = decode_payload(&text, 1000) {
            if packets.len() >= 2 {
                assert_eq!(
                    decode_payload(&encode_payload(&packets), 1000).expect("decodes"),
                    packets
                );
            }
        }
    }
}

#[test]
fn script_corpus() {
    for text in corpus("script") {
        let literal = js_string(&text);
        assert_eq!(serde_json::from_str::<String>(&literal).expect("a literal"), text);
        assert!(!literal.contains('<') && !literal.contains('\u{2028}'));
        if callback_index(Some(&text)).is_ok() {
            assert!(text.bytes().all(|b| b.is_ascii_digit()));
        }
        let _ = decode_form_payload(&text);
    }
}

#[test]
fn binder_corpus() {
    for text in corpus("binder") {
        // The first character picks the mode; the rest is the arguments.
        let split = text.char_indices().nth(1).map_or(text.len(), |(i, _)| i);
        let (flags, json) = text.split_at(split);
        let Ok(args) = serde_json::from_str::<Vec<Box<serde_json::value::RawValue>>>(json) else {
            continue;
        };
        let mut event = socketio::Event::new("fuzz", args.into_iter().map(socketio::RawJson::from).collect());
        let binder = socketio::__private::Binder::new(&event, &["a", "b", "c", "rest"], flags == "p");
        let _ = binder.required::<i64>(0, "a");
        let _ = binder.optional::<String>(1, "b");
        let _ = binder.finish(3);
        let keyword = binder.is_keyword();
        let _ = socketio::__private::rest::<serde_json::Value>(&mut event, keyword, 3, "rest");
        let _ = socketio::__private::rest::<socketio::RawJson>(&mut event, keyword, 2, "raw");
    }
}

#[test]
fn engineio_corpus() {
    use socketio::codec::engineio::{
        Packet, decode_v3_binary_payload, decode_v3_payload, decode_v4_payload, encode_v3_binary_payload,
        encode_v3_payload, encode_v4_payload,
    };
    for data in corpus_bytes("engineio") {
        if let Ok(packets) = decode_v3_binary_payload(&data, 1000) {
            assert_eq!(
                decode_v3_binary_payload(&encode_v3_binary_payload(&packets), 1000),
                Ok(packets)
            );
        }
        let Ok(text) = std::str::from_utf8(&data) else { continue };
        if let Ok(packet) = Packet::decode(text) {
            assert_eq!(Packet::decode(&packet.encode()), Ok(packet), "{text:?}");
        }
        if let Ok(packets) = decode_v4_payload(text, 1000) {
            assert_eq!(decode_v4_payload(&encode_v4_payload(&packets), 1000), Ok(packets));
        }
        if let Ok(packets) = decode_v3_payload(text, 1000) {
            assert_eq!(decode_v3_payload(&encode_v3_payload(&packets), 1000), Ok(packets));
        }
    }
}

#[test]
fn socketio_corpus() {
    use socketio::codec::socketio::{Packet, encode_ack, encode_event};
    let array = |args: &[socketio::RawJson]| {
        let texts: Vec<&str> = args.iter().map(socketio::RawJson::get).collect();
        format!("[{}]", texts.join(","))
    };
    let mut decoded = 0;
    for text in corpus("socketio") {
        let Ok(packet) = Packet::decode(&text) else { continue };
        decoded += 1;
        let wire = packet.encode();
        assert_eq!(Packet::decode(&wire), Ok(packet.clone()), "{text:?}");
        match &packet {
            Packet::Event {
                namespace,
                id,
                name,
                args,
                attachments,
            } => assert_eq!(encode_event(namespace, *id, name, &array(args), *attachments), wire),
            Packet::Ack {
                namespace,
                id,
                args,
                attachments,
            } => assert_eq!(encode_ack(namespace, *id, &array(args), *attachments), wire),
            _ => {}
        }
    }
    assert!(decoded > 0, "the seeds include valid packets");
}
