//! Section 1's `PARSER=msgpack`: section 4's Socket.IO rules seen through
//! `socket.io-msgpack-parser` 3: each packet one MessagePack map in one
//! binary message, bytes inline. Requests are written by hand
//! (`common::msgpack`), replies compared byte for byte where they are
//! fixed, decoded where they carry a fresh sid.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use socketio::bytes::Bytes;
use socketio::codec::socketio::{Packet, msgpack as codec};

use super::*;
use common::msgpack::{V, event, map, packet, s};

async fn msgpack_server() -> Example {
    server(&[("PARSER", "msgpack")]).await
}

/// A CONNECT reply on `nsp`: exactly `{sid: <string>}`.
fn assert_connect_reply(reply: Vec<u8>, nsp: &str) {
    let (packet, _) = codec::decode(&Bytes::from(reply)).expect("a msgpack packet");
    let Packet::Connect { namespace, auth } = packet else {
        panic!("a CONNECT reply: {packet:?}")
    };
    assert_eq!(namespace, nsp);
    let data: Value = auth.expect("data").deserialize().expect("a map");
    assert_eq!(data.as_object().map(|o| o.len()), Some(1), "only `sid`: {data}");
    assert!(data["sid"].is_string(), "{data}");
}

async fn connected(addr: SocketAddr) -> common::engineio::Ws {
    let mut ws = socket_io_ws(addr).await;
    send_binary(&mut ws, &packet(0, None, "/", None)).await;
    assert_connect_reply(next_binary(&mut ws).await, "/");
    assert_eq!(
        next_binary(&mut ws).await,
        packet(2, Some(event("auth", &[map(&[])])), "/", None)
    );
    ws
}

#[tokio::test]
async fn every_connect_form_is_answered_with_the_sid_then_the_auth_echo() {
    let example = msgpack_server().await;
    let addr = example.addr();
    let token = |t: &str| map(&[("token", s(t))]);
    for (nsp, auth) in [
        ("/", None),
        ("/", Some(token("123"))),
        ("/custom", None),
        ("/custom", Some(token("abc"))),
    ] {
        let echo = packet(2, Some(event("auth", &[auth.clone().unwrap_or(map(&[]))])), nsp, None);
        let mut ws = socket_io_ws(addr).await;
        send_binary(&mut ws, &packet(0, auth.clone(), nsp, None)).await;
        assert_connect_reply(next_binary(&mut ws).await, nsp);
        assert_eq!(next_binary(&mut ws).await, echo, "websocket {nsp} {auth:?}");

        // Over polling, as `b<base64>`.
        let (sid, _) = handshake(addr, "/socket.io").await;
        let at = path("/socket.io", Some(&sid));
        let connect = format!("b{}", BASE64.encode(packet(0, auth.clone(), nsp, None)));
        assert_eq!(post(addr, &at, &connect).await.text(), "ok");
        let got = poll_packets(addr, &at, 2).await;
        let binary = |text: &str| BASE64.decode(text.strip_prefix('b').expect("binary")).expect("base64");
        assert_connect_reply(binary(&got[0]), nsp);
        assert_eq!(binary(&got[1]), echo, "polling {nsp} {auth:?}");
    }
}

#[tokio::test]
async fn events_acks_bytes_and_refusals_behave_as_with_json() {
    let example = msgpack_server().await;
    let addr = example.addr();
    let mut ws = connected(addr).await;
    let args = [V::Int(1), s("2"), map(&[("3", V::Arr(vec![V::Bool(true)]))])];
    send_binary(&mut ws, &packet(2, Some(event("message", &args)), "/", None)).await;
    assert_eq!(
        next_binary(&mut ws).await,
        packet(2, Some(event("message-back", &args)), "/", None)
    );
    send_binary(
        &mut ws,
        &packet(2, Some(event("message-with-ack", &args)), "/", Some(456)),
    )
    .await;
    assert_eq!(
        next_binary(&mut ws).await,
        packet(3, Some(V::Arr(args.to_vec())), "/", Some(456))
    );
    // Bytes inline, both ways, one message per packet; 200 kB of each kind.
    let bins = [
        V::Bin(vec![1, 2, 3]),
        map(&[("n", V::Arr(vec![V::Bin(vec![4, 5, 6])]))]),
    ];
    send_binary(&mut ws, &packet(2, Some(event("message", &bins)), "/", None)).await;
    assert_eq!(
        next_binary(&mut ws).await,
        packet(2, Some(event("message-back", &bins)), "/", None)
    );
    send_binary(
        &mut ws,
        &packet(2, Some(event("message-with-ack", &bins)), "/", Some(789)),
    )
    .await;
    assert_eq!(
        next_binary(&mut ws).await,
        packet(3, Some(V::Arr(bins.to_vec())), "/", Some(789))
    );
    let large = [V::Bin(vec![7; 200_000]), s(&"x".repeat(200_000))];
    send_binary(&mut ws, &packet(2, Some(event("message", &large)), "/", None)).await;
    assert_eq!(
        next_binary(&mut ws).await,
        packet(2, Some(event("message-back", &large)), "/", None)
    );
    // Fifty quick emits, in order.
    for i in 0..50 {
        send_binary(&mut ws, &packet(2, Some(event("message", &[V::Int(i)])), "/", None)).await;
    }
    for i in 0..50 {
        assert_eq!(
            next_binary(&mut ws).await,
            packet(2, Some(event("message-back", &[V::Int(i)])), "/", None)
        );
    }
    // An unknown namespace is refused; the session stays.
    send_binary(&mut ws, &packet(0, None, "/random", None)).await;
    assert_eq!(
        next_binary(&mut ws).await,
        packet(4, Some(map(&[("message", s("Invalid namespace"))])), "/random", None)
    );
    // /custom joins and leaves; `/` goes on.
    send_binary(&mut ws, &packet(0, None, "/custom", None)).await;
    assert_connect_reply(next_binary(&mut ws).await, "/custom");
    next_binary(&mut ws).await;
    send_binary(&mut ws, &packet(1, None, "/custom", None)).await;
    send_binary(&mut ws, &packet(2, Some(event("message", &[V::Nil])), "/", None)).await;
    assert_eq!(
        next_binary(&mut ws).await,
        packet(2, Some(event("message-back", &[V::Nil])), "/", None)
    );
}

#[tokio::test]
async fn malformed_packets_close_the_connection_before_or_after_connect() {
    let example = msgpack_server().await;
    let addr = example.addr();
    let bad: [(&str, Vec<u8>); 5] = [
        ("a JSON text packet", Vec::new()),
        (
            "an unknown packet type",
            packet(7, Some(event("message", &[])), "/", None),
        ),
        ("event data not an array", packet(2, Some(map(&[])), "/", None)),
        ("an ack id that is no number", {
            let mut p = packet(2, Some(event("message-with-ack", &[])), "/", None);
            p[0] += 1;
            p.extend_from_slice(&[0xa2, b'i', b'd', 0xa3, b'a', b'b', b'c']);
            p
        }),
        ("not MessagePack", vec![0xc1, 0x00]),
    ];
    for (what, data) in bad {
        for connect_first in [false, true] {
            let mut ws = if connect_first {
                connected(addr).await
            } else {
                socket_io_ws(addr).await
            };
            if data.is_empty() {
                send_text(&mut ws, r#"42["message",1]"#).await;
            } else {
                send_binary(&mut ws, &data).await;
            }
            let seen = until_closed(&mut ws).await;
            assert!(
                !seen.iter().any(|m| matches!(m, Message::Binary(_))),
                "{what}: closed without an answer: {seen:?}"
            );
        }
    }
}
