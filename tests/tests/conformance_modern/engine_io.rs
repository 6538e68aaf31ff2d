//! Section 2: Engine.IO v4 on both endpoints.

use super::*;

#[tokio::test]
async fn handshakes_answer_exactly_and_bad_requests_get_400() {
    let example = server(&[]).await;
    let addr = example.addr();
    for base in BASES {
        let reply = get(addr, &path(base, None)).await;
        assert_eq!(reply.status, 200);
        let open: Value = serde_json::from_str(reply.text().strip_prefix('0').expect("`0` first")).expect("JSON");
        let mut keys: Vec<&str> = open.as_object().expect("object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"],
            "{base}"
        );
        assert_eq!(open["upgrades"], json!(["websocket"]));

        // Over a websocket the first frame is the open packet, with no upgrades.
        let mut ws = websocket(addr, base, None).await;
        let open = next_text(&mut ws).await.expect("the open packet");
        let open: Value = serde_json::from_str(open.strip_prefix('0').expect("`0` first")).expect("JSON");
        assert_eq!(
            open_fields(&open),
            json!({"upgrades": [], "pingInterval": 300, "pingTimeout": 200, "maxPayload": 1_000_000}),
            "{base}"
        );

        // Unknown parameters (the client's cache buster) are ignored.
        let reply = get(addr, &format!("{base}/?EIO=4&transport=polling&t=Nx1a&foo=bar")).await;
        assert_eq!(reply.status, 200, "{base}");
        let (sid, _) = handshake(addr, base).await;
        let at = format!("{}&t=Nx1b", path(base, Some(&sid)));
        assert_eq!(post(addr, &at, "3").await.text(), "ok", "{base}");

        for bad in [
            format!("{base}/?transport=polling"),
            format!("{base}/?EIO=abc&transport=polling"),
            format!("{base}/?EIO=4"),
            format!("{base}/?EIO=4&transport=abc"),
            format!("{base}/?EIO=4&transport=polling&sid=nope"),
        ] {
            assert_eq!(get(addr, &bad).await.status, 400, "GET {bad}");
            assert_eq!(post(addr, &bad, "40").await.status, 400, "POST {bad}");
        }
        for method in ["POST", "PUT", "DELETE"] {
            let reply = request(addr, method, &path(base, None), &[], b"").await;
            assert_eq!(reply.status, 400, "a {method} handshake on {base}");
        }
        // A closed sid: the client closed the session. The poll it sent along
        // with its close (here overtaken by it) takes the noop, as node's
        // engine.io answers it; after that the sid is unknown.
        let (sid, _) = handshake(addr, base).await;
        let at = path(base, Some(&sid));
        assert_eq!(post(addr, &at, "1").await.text(), "ok");
        let goodbye = get(addr, &at).await;
        assert_eq!((goodbye.status, goodbye.text()), (200, "6".to_owned()), "{base}");
        assert_eq!(get(addr, &at).await.status, 400, "{base}: a closed sid");
        assert_eq!(post(addr, &at, "3").await.status, 400, "{base}: a closed sid");

        // WebSockets with a bad query are refused.
        for bad in [
            "transport=websocket",
            "EIO=abc&transport=websocket",
            "EIO=4&transport=abc",
            "EIO=4&transport=websocket&sid=nope",
        ] {
            assert!(try_websocket(addr, base, bad).await.is_err(), "{base}/?{bad}");
        }
    }
}

#[tokio::test]
async fn long_polling_batches_refuses_bad_payloads_and_overlaps_and_ends_on_client_close() {
    let example = quiet_server().await;
    let addr = example.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    // Several packets per POST; one GET returns everything queued.
    let reply = post(addr, &at, "4test1\x1e4test2\x1e4test3").await;
    assert_eq!((reply.status, reply.text()), (200, "ok".to_owned()));
    assert_eq!(get(addr, &at).await.text(), "4test1\x1e4test2\x1e4test3");
    assert_eq!(post(addr, &at, "4hello\x1ebAQIDBA==").await.text(), "ok");
    assert_eq!(get(addr, &at).await.text(), "4hello\x1ebAQIDBA==");

    // A POST that does not parse closes the session.
    assert_eq!(post(addr, &at, "abc").await.status, 400);
    assert_eq!(get(addr, &at).await.status, 400);

    // A second GET while one is held: refused, the held one gets the close
    // packet, and the session is gone.
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    let answers = overlapping_polls(addr, &at).await;
    assert_eq!(answers[0], (200, "1".to_owned()));
    assert!(answers[1].0 == 400 || answers[1].0 == 500, "{answers:?}");
    assert_eq!(get(addr, &at).await.status, 400);

    assert_client_close_ends_a_held_poll_with_a_noop(addr).await;
}

#[tokio::test]
async fn websocket_frames_carry_one_packet_each_and_bad_or_closing_clients_are_closed() {
    let example = server(&[]).await;
    let addr = example.addr();
    let mut ws = websocket(addr, "/engine.io", None).await;
    let _open = next_text(&mut ws).await;
    // Section 3: the bare echo, text as text frames, binary as raw binary frames.
    send_text(&mut ws, "4hello").await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4hello"));
    send_binary(&mut ws, &[1, 2, 3, 4]).await;
    assert_eq!(next_binary(&mut ws).await, [1, 2, 3, 4]);
    send_text(&mut ws, "4a").await;
    send_text(&mut ws, "4b").await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4a"));
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4b"));
    // The client's close packet: the server closes, sending nothing but pings.
    send_text(&mut ws, "1").await;
    let seen = until_closed(&mut ws).await;
    assert!(seen.iter().all(|m| *m == Message::Text("2".into())), "{seen:?}");

    // A text frame that is no packet closes the websocket, on both endpoints.
    for base in BASES {
        let mut ws = websocket(addr, base, None).await;
        let _open = next_text(&mut ws).await;
        send_text(&mut ws, "abc").await;
        let seen = until_closed(&mut ws).await;
        assert!(
            seen.iter()
                .all(|m| matches!(m, Message::Text(t) if t.as_str() == "2" || t.as_str() == "1")),
            "{base}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn the_server_pings_and_drops_a_client_that_does_not_pong() {
    // The default interval: an idle poll returns exactly the ping.
    let example = server(&[]).await;
    let (sid, _) = handshake(example.addr(), "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    assert_eq!(get(example.addr(), &at).await.text(), "2");

    let example = server(&[("PING_INTERVAL_MS", "100"), ("PING_TIMEOUT_MS", "1000")]).await;
    let addr = example.addr();
    for base in BASES {
        // Pongs keep a session alive through several pings, each one a ping
        // interval after the last pong (not after the timeout): four of them
        // fit in the one-second connect timeout of /socket.io.
        let mut ws = websocket(addr, base, None).await;
        let _open = next_text(&mut ws).await;
        for _ in 0..4 {
            assert_eq!(next_message(&mut ws).await, Some(Message::Text("2".into())), "{base}");
            send_text(&mut ws, "3").await;
        }
        let (sid, _) = handshake(addr, base).await;
        let at = path(base, Some(&sid));
        for _ in 0..4 {
            assert_eq!(get(addr, &at).await.text(), "2", "{base}");
            assert_eq!(post(addr, &at, "3").await.text(), "ok");
        }
        // Without a pong the session closes: a held poll ends with the close
        // packet, and then the sid is unknown.
        assert_eq!(get(addr, &at).await.text(), "2");
        let seen = poll_until_gone(addr, &at).await;
        assert!(seen.iter().all(|p| p == "1"), "{base}: {seen:?}");
        // The websocket, unread since its pongs: pinged again, then closed.
        let seen = until_closed(&mut ws).await;
        assert!(seen.contains(&Message::Text("2".into())), "{base}: {seen:?}");
    }
}

#[tokio::test]
async fn the_upgrade_ends_polls_with_noops_and_moves_the_session() {
    let example = quiet_server().await;
    let addr = example.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    let held = spawn_get(addr, &at);
    let mut ws = websocket(addr, "/engine.io", Some(&sid)).await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(next_message(&mut ws).await, Some(Message::Text("3probe".into())));
    // The held GET, and a new one during the upgrade, end with a noop.
    let held = held.await.expect("held poll");
    assert_eq!((held.status, held.text()), (200, "6".to_owned()));
    let new = get(addr, &at).await;
    assert_eq!((new.status, new.text()), (200, "6".to_owned()));
    // Sent over polling while upgrading, echoed on the websocket afterwards.
    assert_eq!(post(addr, &at, "4during").await.text(), "ok");
    send_text(&mut ws, "5").await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4during"));
    send_text(&mut ws, "4after").await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4after"));
    assert_eq!(get(addr, &at).await.status, 400, "polling is over");
    let mut second = websocket(addr, "/engine.io", Some(&sid)).await;
    until_closed(&mut second).await;
    send_text(&mut ws, "4still").await;
    assert_eq!(
        next_text(&mut ws).await.as_deref(),
        Some("4still"),
        "the first is unaffected"
    );
}

#[tokio::test]
async fn the_bare_echo_answers_on_the_current_polling_transport() {
    let example = server(&[]).await;
    let addr = example.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    assert_eq!(post(addr, &at, "4hello\x1ebAQIDBA==").await.text(), "ok");
    assert_eq!(poll_packets(addr, &at, 2).await, ["4hello", "bAQIDBA=="]);
}
