//! Wire codec micro-benchmarks: one group per protocol family, each with a
//! small packet (`echo(1, "x", {"a":[1,2,3]})`) and a ~1 KB chat message,
//! plus the argument writer (`Reply::with_args`) against plain serde_json.
//!
//! ```sh
//! cargo bench -p socketio-bench --bench codec -- --quick
//! ```

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde::Serialize;
use serde_json::{Value, json};
use socketio::Reply;
use socketio::codec::{engineio, legacy, socketio as sio};

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// The arguments of the small event, as one JSON array.
const SMALL_ARGS: &str = r#"[1,"x",{"a":[1,2,3]}]"#;

/// Most packets a payload may hold (the server's default).
const MAX_PACKETS: usize = 1000;

/// A realistic chat message of about 1 KB, with some non-ASCII text (the
/// legacy framing counts UTF-16 units, so it is not all ASCII).
fn chat_message() -> Value {
    json!({
        "id": "msg_01HV8Z3K6Q9W2X7Y4T5R1N0M8P",
        "room": "general",
        "user": {
            "id": 48213,
            "name": "Zoë Martín",
            "avatar": "https://cdn.example.com/avatars/48213/9f2c1e7a.png",
            "roles": ["member", "moderator"]
        },
        "text": "Morning all! The deploy went out at 09:40 and the p99 latency on the polling \
                 endpoints dropped from 180 ms to about 95 ms. Two things are still open: the \
                 reconnect storm we saw when the load balancer recycled (clients retried every \
                 500 ms with no jitter), and the heartbeat timeout that fires on mobile Safari \
                 when the tab goes to the background. I'd like to pair on the second one after \
                 lunch — café downstairs at 13:00? Notes are in the runbook, section « Polling ».",
        "mentions": [
            {"id": 1021, "name": "ann"},
            {"id": 3307, "name": "bob"}
        ],
        "attachments": [],
        "reply_to": null,
        "ts": 1_718_000_000_123_u64,
        "edited": false,
        "reactions": {"👍": 3, "🎉": 1}
    })
}

/// Registers one benchmark whose throughput is `bytes`.
fn bench<I: ?Sized, O>(group: &mut Group<'_>, name: &str, size: &str, bytes: usize, input: &I, f: impl Fn(&I) -> O) {
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_with_input(BenchmarkId::new(name, size), input, |b, input| {
        b.iter(|| f(black_box(input)));
    });
}

fn total_len<S: AsRef<str>>(parts: &[S]) -> usize {
    parts.iter().map(|p| p.as_ref().len()).sum()
}

fn legacy_group(c: &mut Criterion) {
    let chat = chat_message();
    let big_args = serde_json::to_string(&[&chat]).expect("serializes");
    let id = Some(legacy::MessageId {
        id: 1,
        wants_data: true,
    });
    let small_event = format!(r#"5:1+::{{"name":"echo","args":{SMALL_ARGS}}}"#);
    let big_event = legacy::encode_event(id, "", "chat", &big_args);
    let small_message = "3:::hello, world".to_owned();
    let big_message = format!("3:::{}", chat["text"].as_str().expect("text").repeat(2));
    let inputs = [
        ("small", &small_event, &small_message),
        ("1k", &big_event, &big_message),
    ];
    for (_, event, message) in &inputs {
        assert!(matches!(
            legacy::Packet::decode(event),
            Ok(legacy::Packet::Event { .. })
        ));
        assert!(matches!(
            legacy::Packet::decode(message),
            Ok(legacy::Packet::Message { .. })
        ));
    }

    let mut group = c.benchmark_group("legacy");
    for (size, event, message) in inputs {
        bench(
            &mut group,
            "decode_event",
            size,
            event.len(),
            event.as_str(),
            legacy::Packet::decode,
        );
        bench(
            &mut group,
            "decode_message",
            size,
            message.len(),
            message.as_str(),
            legacy::Packet::decode,
        );
        let packet = legacy::Packet::decode(event).expect("valid event");
        bench(
            &mut group,
            "encode_packet",
            size,
            event.len(),
            &packet,
            legacy::Packet::encode,
        );
    }
    for (size, args) in [("small", SMALL_ARGS), ("1k", big_args.as_str())] {
        let len = legacy::encode_event(id, "", "echo", args).len();
        bench(&mut group, "encode_event", size, len, args, |args| {
            legacy::encode_event(id, "", "echo", args)
        });
    }
    for (size, event) in [("10x_small", &small_event), ("10x_1k", &big_event)] {
        let packets = vec![event.clone(); 10];
        let payload = legacy::encode_payload(&packets);
        assert_eq!(legacy::decode_payload(&payload, MAX_PACKETS).map(|p| p.len()), Ok(10));
        bench(
            &mut group,
            "encode_payload",
            size,
            total_len(&packets),
            &packets[..],
            legacy::encode_payload,
        );
        bench(
            &mut group,
            "decode_payload",
            size,
            payload.len(),
            payload.as_str(),
            |payload| {
                // The packets borrow the input: hand back their count (the
                // vector is still built and dropped inside the measurement).
                legacy::decode_payload(payload, MAX_PACKETS).map(|packets| packets.len())
            },
        );
    }
    group.finish();
}

fn engineio_group(c: &mut Criterion) {
    let chat = chat_message();
    let small = format!(r#"42["echo",{}"#, &SMALL_ARGS[1..]);
    let big = format!(r#"42["chat",{chat}]"#);
    let binary = engineio::Packet::Binary(Bytes::from((0..1024).map(|i| (i % 251) as u8).collect::<Vec<_>>()));
    let binary_text = binary.encode();
    assert_eq!(engineio::Packet::decode(&binary_text).as_ref(), Ok(&binary));

    let mut group = c.benchmark_group("engineio");
    for (size, text) in [("small", &small), ("1k", &big), ("binary_1k", &binary_text)] {
        let packet = engineio::Packet::decode(text).expect("valid packet");
        bench(
            &mut group,
            "decode",
            size,
            text.len(),
            text.as_str(),
            engineio::Packet::decode,
        );
        bench(
            &mut group,
            "encode",
            size,
            text.len(),
            &packet,
            engineio::Packet::encode,
        );
    }
    for (size, text) in [("10x_small", &small), ("10x_1k", &big)] {
        let packets = vec![engineio::Packet::decode(text).expect("valid packet"); 10];
        let payload = engineio::encode_v4_payload(&packets);
        assert_eq!(
            engineio::decode_v4_payload(&payload, MAX_PACKETS).as_ref(),
            Ok(&packets)
        );
        bench(
            &mut group,
            "encode_v4_payload",
            size,
            payload.len(),
            &packets[..],
            engineio::encode_v4_payload,
        );
        bench(
            &mut group,
            "decode_v4_payload",
            size,
            payload.len(),
            payload.as_str(),
            |payload| engineio::decode_v4_payload(payload, MAX_PACKETS),
        );
    }
    group.finish();
}

fn socketio_group(c: &mut Criterion) {
    let chat = chat_message();
    let big_args = serde_json::to_string(&[&chat]).expect("serializes");
    // Socket.IO texts without the Engine.IO `4` in front: `42[...]` on the
    // wire is the event `2[...]`, and an ack is `3<id>[...]`.
    let small_event = format!(r#"2["echo",{}"#, &SMALL_ARGS[1..]);
    let big_event = sio::encode_event("/", None, "chat", &big_args, 0);
    let small_ack = format!("31{SMALL_ARGS}");
    let big_ack = sio::encode_ack("/", 1, &big_args, 0);

    let mut group = c.benchmark_group("socketio");
    for (size, event, ack) in [("small", &small_event, &small_ack), ("1k", &big_event, &big_ack)] {
        assert!(matches!(sio::Packet::decode(event), Ok(sio::Packet::Event { .. })));
        assert!(matches!(sio::Packet::decode(ack), Ok(sio::Packet::Ack { id: 1, .. })));
        bench(
            &mut group,
            "decode_event",
            size,
            event.len(),
            event.as_str(),
            sio::Packet::decode,
        );
        bench(
            &mut group,
            "decode_ack",
            size,
            ack.len(),
            ack.as_str(),
            sio::Packet::decode,
        );
        let packet = sio::Packet::decode(event).expect("valid event");
        bench(
            &mut group,
            "encode_packet",
            size,
            event.len(),
            &packet,
            sio::Packet::encode,
        );
    }
    for (size, args) in [("small", SMALL_ARGS), ("1k", big_args.as_str())] {
        let len = sio::encode_event("/", Some(1), "echo", args, 0).len();
        bench(&mut group, "encode_event", size, len, args, |args| {
            sio::encode_event("/", Some(1), "echo", args, 0)
        });
    }
    group.finish();
}

/// A value with a byte buffer inside: a placeholder and an attachment to
/// the argument writer, an array of numbers to serde_json.
#[derive(Serialize)]
struct Upload<'a> {
    name: &'a str,
    mime: &'a str,
    data: &'a Bytes,
}

fn args_group(c: &mut Criterion) {
    let small = json!({"a": [1, 2, 3]});
    let chat = chat_message();
    let data = Bytes::from((0..1024).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    let upload = Upload {
        name: "photo.png",
        mime: "image/png",
        data: &data,
    };

    let mut group = c.benchmark_group("args");
    // Throughput counts the JSON text, plus the attachments for the writer.
    macro_rules! compare {
        ($size:literal, $args:expr, $attached:expr) => {{
            let reply = Reply::with_args($args).expect("serializes");
            let json = reply.args_json().expect("arguments").len() + $attached;
            bench(&mut group, "reply_with_args", $size, json, &(), |_| {
                Reply::with_args($args)
            });
            let plain = serde_json::to_string(&$args).expect("serializes").len();
            bench(&mut group, "serde_json_to_string", $size, plain, &(), |_| {
                serde_json::to_string(&$args)
            });
        }};
    }
    compare!("small", (1, "x", &small), 0);
    compare!("1k", (1, "x", &chat), 0);
    compare!("bytes_1k", (1, "x", &upload), data.len());
    group.finish();
}

criterion_group! {
    name = codec;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(50);
    targets = legacy_group, engineio_group, socketio_group, args_group
}
criterion_main!(codec);
