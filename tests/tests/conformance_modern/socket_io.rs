//! Section 4: Socket.IO v5 at `/socket.io/`.

use super::*;

/// Each CONNECT form, its reply prefix and the auth event after it.
const CONNECT_FORMS: [(&str, &str, &str); 5] = [
    ("40", "40", r#"42["auth",{}]"#),
    (r#"40{"token":"123"}"#, "40", r#"42["auth",{"token":"123"}]"#),
    ("40/custom,", "40/custom,", r#"42/custom,["auth",{}]"#),
    (
        r#"40/custom,{"token":"abc"}"#,
        "40/custom,",
        r#"42/custom,["auth",{"token":"abc"}]"#,
    ),
    ("40/custom", "40/custom,", r#"42/custom,["auth",{}]"#),
];

#[tokio::test]
async fn every_connect_form_is_answered_with_the_sid_then_the_auth_echo() {
    let example = server(&[]).await;
    let addr = example.addr();
    for (form, reply, auth) in CONNECT_FORMS {
        let mut ws = socket_io_ws(addr).await;
        send_text(&mut ws, form).await;
        assert_connect_reply(&next_text(&mut ws).await.expect("reply"), reply);
        assert_eq!(next_text(&mut ws).await.as_deref(), Some(auth), "websocket {form}");

        let (sid, _) = handshake(addr, "/socket.io").await;
        let at = path("/socket.io", Some(&sid));
        assert_eq!(post(addr, &at, form).await.text(), "ok");
        let got = poll_packets(addr, &at, 2).await;
        assert_connect_reply(&got[0], reply);
        assert_eq!(got[1], auth, "polling {form}");
    }
}

#[tokio::test]
async fn unknown_namespaces_are_refused_and_the_session_stays() {
    let example = server(&[]).await;
    let addr = example.addr();
    let mut ws = socket_io_ws(addr).await;
    for namespace in ["/random", "/custom2", "/Custom"] {
        send_text(&mut ws, &format!("40{namespace},")).await;
        assert_eq!(
            next_text(&mut ws).await,
            Some(format!(r#"44{namespace},{{"message":"Invalid namespace"}}"#))
        );
    }
    send_text(&mut ws, "40").await;
    assert_connect_reply(&next_text(&mut ws).await.expect("connect"), "40");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["auth",{}]"#));

    let (sid, _) = handshake(addr, "/socket.io").await;
    let at = path("/socket.io", Some(&sid));
    assert_eq!(post(addr, &at, "40/random").await.text(), "ok");
    assert_eq!(
        poll_packets(addr, &at, 1).await,
        [r#"44/random,{"message":"Invalid namespace"}"#]
    );
    assert_eq!(post(addr, &at, "40").await.text(), "ok");
    assert_connect_reply(&poll_packets(addr, &at, 1).await[0], "40");
}

#[tokio::test]
async fn no_connect_within_the_connect_timeout_closes_the_connection() {
    // The first ping comes after the connect timeout, so what closes a
    // silent client here is the connect timeout.
    let example = server(&[
        // Roomy enough that a loaded machine still connects in time.
        ("CONNECT_TIMEOUT_MS", "1000"),
        ("PING_INTERVAL_MS", "3000"),
        ("PING_TIMEOUT_MS", "5000"),
    ])
    .await;
    let addr = example.addr();
    let mut silent = socket_io_ws(addr).await;
    let seen = until_closed(&mut silent).await;
    assert!(seen.is_empty() || seen == [Message::Text("1".into())], "{seen:?}");
    let (sid, _) = handshake(addr, "/socket.io").await;
    let at = path("/socket.io", Some(&sid));
    let seen = poll_until_gone(addr, &at).await;
    assert!(seen.iter().all(|p| p == "1"), "{seen:?}");
    // A client that connected stays past it: it sees the ping, which comes
    // later, and still gets answers.
    let mut ws = connected_ws(addr).await;
    assert_eq!(next_message(&mut ws).await, Some(Message::Text("2".into())));
    send_text(&mut ws, "3").await;
    send_text(&mut ws, r#"42["message",1]"#).await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["message-back",1]"#));
}

#[tokio::test]
async fn events_and_acks_come_back_exactly_over_websocket() {
    let example = server(&[]).await;
    let addr = example.addr();
    let mut ws = connected_ws(addr).await;
    for (sent, expected) in [
        (
            r#"42["message",1,"2",{"3":[true]}]"#,
            r#"42["message-back",1,"2",{"3":[true]}]"#,
        ),
        (
            r#"42456["message-with-ack",1,"2",{"3":[false]}]"#,
            r#"43456[1,"2",{"3":[false]}]"#,
        ),
        // Compact, keys in their order.
        (
            r#"42["message",{"z":1,"a":{"y":null,"b":[1.5,"é"]}}]"#,
            r#"42["message-back",{"z":1,"a":{"y":null,"b":[1.5,"é"]}}]"#,
        ),
        (r#"42["message"]"#, r#"42["message-back"]"#),
        (r#"427["message-with-ack"]"#, "437[]"),
    ] {
        send_text(&mut ws, sent).await;
        assert_eq!(next_text(&mut ws).await.as_deref(), Some(expected), "{sent}");
    }
    // Binary: placeholders in the text, the attachments after it in order.
    send_text(&mut ws, &format!(r#"452-["message",{PLACEHOLDERS}]"#)).await;
    send_binary(&mut ws, &[1, 2, 3]).await;
    send_binary(&mut ws, &[4, 5, 6]).await;
    assert_eq!(
        next_text(&mut ws).await,
        Some(format!(r#"452-["message-back",{PLACEHOLDERS}]"#))
    );
    assert_eq!(next_binary(&mut ws).await, [1, 2, 3]);
    assert_eq!(next_binary(&mut ws).await, [4, 5, 6]);
    send_text(&mut ws, &format!(r#"452-789["message-with-ack",{PLACEHOLDERS}]"#)).await;
    send_binary(&mut ws, &[1, 2, 3]).await;
    send_binary(&mut ws, &[4, 5, 6]).await;
    assert_eq!(next_text(&mut ws).await, Some(format!("462-789[{PLACEHOLDERS}]")));
    assert_eq!(next_binary(&mut ws).await, [1, 2, 3]);
    assert_eq!(next_binary(&mut ws).await, [4, 5, 6]);
    // 200 kB, and 50 quick emits answered in order.
    let large = "x".repeat(200_000);
    send_text(&mut ws, &format!(r#"42["message","{large}"]"#)).await;
    assert_eq!(
        next_text(&mut ws).await,
        Some(format!(r#"42["message-back","{large}"]"#))
    );
    for i in 0..50 {
        send_text(&mut ws, &format!(r#"42["message",{i}]"#)).await;
    }
    for i in 0..50 {
        assert_eq!(next_text(&mut ws).await, Some(format!(r#"42["message-back",{i}]"#)));
    }
}

#[tokio::test]
async fn events_acks_and_binary_come_back_exactly_over_polling() {
    let example = server(&[]).await;
    let addr = example.addr();
    let at = connected_polling(addr).await;
    let body = [
        r#"42["message",1,"2",{"3":[true]}]"#,
        r#"42456["message-with-ack",1,"2",{"3":[false]}]"#,
    ]
    .join("\x1e");
    assert_eq!(post(addr, &at, &body).await.text(), "ok");
    assert_eq!(
        poll_packets(addr, &at, 2).await,
        [
            r#"42["message-back",1,"2",{"3":[true]}]"#,
            r#"43456[1,"2",{"3":[false]}]"#
        ]
    );
    // Attachments travel as `b<base64>` packets of the payload.
    let body = format!("452-[\"message\",{PLACEHOLDERS}]\x1ebAQID\x1ebBAUG");
    assert_eq!(post(addr, &at, &body).await.text(), "ok");
    assert_eq!(
        poll_packets(addr, &at, 3).await,
        [
            format!(r#"452-["message-back",{PLACEHOLDERS}]"#),
            "bAQID".to_owned(),
            "bBAUG".to_owned()
        ]
    );
    let body = format!("452-789[\"message-with-ack\",{PLACEHOLDERS}]\x1ebAQID\x1ebBAUG");
    assert_eq!(post(addr, &at, &body).await.text(), "ok");
    assert_eq!(
        poll_packets(addr, &at, 3).await,
        [
            format!("462-789[{PLACEHOLDERS}]"),
            "bAQID".to_owned(),
            "bBAUG".to_owned()
        ]
    );
    // A 200 kB attachment and a 200 kB string.
    let data = vec![7u8; 200_000];
    let b64 = base64_of(&data);
    let body = format!("451-[\"message\",{{\"_placeholder\":true,\"num\":0}}]\x1eb{b64}");
    assert_eq!(post(addr, &at, &body).await.text(), "ok");
    let got = poll_packets(addr, &at, 2).await;
    assert_eq!(got[0], r#"451-["message-back",{"_placeholder":true,"num":0}]"#);
    assert_eq!(got[1], format!("b{b64}"));
    let large = "y".repeat(200_000);
    assert_eq!(
        post(addr, &at, &format!(r#"42["message","{large}"]"#)).await.text(),
        "ok"
    );
    assert_eq!(
        poll_packets(addr, &at, 1).await,
        [format!(r#"42["message-back","{large}"]"#)]
    );
    // 50 emits in separate POSTs come back in order.
    for i in 0..50 {
        assert_eq!(post(addr, &at, &format!(r#"42["message",{i}]"#)).await.text(), "ok");
    }
    let got = poll_packets(addr, &at, 50).await;
    let expected: Vec<String> = (0..50).map(|i| format!(r#"42["message-back",{i}]"#)).collect();
    assert_eq!(got, expected);
}

fn base64_of(data: &[u8]) -> String {
    socketio::codec::engineio::Packet::Binary(socketio::bytes::Bytes::copy_from_slice(data))
        .encode()
        .split_off(1)
}

#[tokio::test]
async fn disconnect_drops_one_namespace_silently_and_keeps_the_rest() {
    let example = server(&[]).await;
    let addr = example.addr();
    // Both namespaces on one connection.
    let mut ws = connected_ws(addr).await;
    send_text(&mut ws, "40/custom,").await;
    assert_connect_reply(&next_text(&mut ws).await.expect("connect"), "40/custom,");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42/custom,["auth",{}]"#));
    // Leaving /custom: nothing comes back and `/` still answers.
    send_text(&mut ws, "41/custom,").await;
    send_text(&mut ws, r#"42["message",1]"#).await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["message-back",1]"#));
    // Leaving `/`: its events go unanswered, and the next frame is a ping.
    send_text(&mut ws, "41").await;
    send_text(&mut ws, r#"42["message",2]"#).await;
    assert_eq!(next_message(&mut ws).await, Some(Message::Text("2".into())));
    send_text(&mut ws, "3").await;
    // The Engine.IO session is still there: `/` connects again.
    send_text(&mut ws, "40").await;
    assert_connect_reply(&next_text(&mut ws).await.expect("connect"), "40");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["auth",{}]"#));
    send_text(&mut ws, r#"42["message",3]"#).await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["message-back",3]"#));
}

#[tokio::test]
async fn malformed_socket_io_packets_close_the_connection_before_and_after_connect() {
    let example = server(&[]).await;
    let addr = example.addr();
    for bad in ["4abc", "42{}", r#"42abc["message-with-ack",1]"#] {
        for connected in [false, true] {
            let mut ws = match connected {
                true => connected_ws(addr).await,
                false => socket_io_ws(addr).await,
            };
            send_text(&mut ws, bad).await;
            let seen = until_closed(&mut ws).await;
            assert!(
                seen.iter()
                    .all(|m| matches!(m, Message::Text(t) if t.as_str() == "2" || t.as_str() == "1")),
                "{bad} (connected: {connected}): {seen:?}"
            );
        }
        let at = connected_polling(addr).await;
        assert_eq!(post(addr, &at, bad).await.text(), "ok", "the Engine.IO packet is fine");
        let seen = poll_until_gone(addr, &at).await;
        assert!(seen.iter().all(|p| p == "1" || p == "2"), "{bad}: {seen:?}");
    }
}
