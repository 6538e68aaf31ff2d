//! Connection state recovery on one server (`shared/conformance-cluster.md`,
//! section 5, single-server part), driven by the real socket.io-client 4
//! against the `conformance` example with `RECOVERY_MS` set: the transport
//! is dropped under the client (no Socket.IO disconnect), events reach it
//! directly, through its room and as broadcasts while it is away, and it
//! comes back.

mod common;

use common::example::{Example, start_with};
use common::recovering::{
    drop_and_wait_gone, events_until, modern, modern_with, reconnect, send_while_away, set_recovery_state,
    split_offset, sync,
};
use serde_json::{Value, json};
use socketio_tests::NodeClient;

async fn server(env: &[(&str, &str)]) -> Example {
    start_with(env).await
}

async fn recovers_over(transport: &str, msgpack: bool) {
    let mut env = vec![("RECOVERY_MS", "20000")];
    let options = if msgpack {
        env.push(("PARSER", "msgpack"));
        json!({"parser": "msgpack"})
    } else {
        json!({})
    };
    let example = server(&env).await;
    let (mut a, a_id) = modern_with(&example.url, transport, options.clone()).await;
    let (mut b, _) = modern_with(&example.url, "websocket", options).await;
    a.emit_ack("", "join", vec![json!("r")]).await;

    drop_and_wait_gone(&mut a, &a_id, &mut b).await;
    // While it is away: to its id, to its room, to everyone; a room it is
    // not in and a volatile broadcast, which it must not get back.
    send_while_away(&mut b, &a_id).await;

    let connect = reconnect(&mut a).await;
    assert_eq!(connect["recovered"], true, "{connect}");
    assert_eq!(connect["id"], a_id.as_str(), "the old socket id");
    b.emit_ack("", "broadcast", vec![json!("after")]).await;
    let seen = events_until(&mut a, "after").await;
    let names_and_args: Vec<(String, Vec<Value>)> = seen.iter().map(|(n, a, _)| (n.clone(), a.clone())).collect();
    assert_eq!(
        names_and_args,
        [
            ("room_msg".to_owned(), vec![json!(a_id), json!("direct")]),
            ("room_msg".to_owned(), vec![json!("r"), json!("room")]),
            ("broadcast".to_owned(), vec![json!("all")]),
            ("broadcast".to_owned(), vec![json!("after")]),
        ],
        "every missed packet once, in order, then the new one"
    );
    let mut offsets: Vec<&String> = seen.iter().map(|(_, _, o)| o).collect();
    offsets.dedup();
    assert_eq!(offsets.len(), 4, "each packet has an offset of its own");

    let who = a.emit_ack("", "whoami", vec![]).await;
    assert_eq!(who[0]["sid"], a_id.as_str());
    assert_eq!(who[0]["recovered"], true);
    let in_r = b.emit_ack("", "fetch_room", vec![json!("r")]).await;
    let ids: Vec<&str> = in_r[0]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids, [a_id.as_str()], "its room is back");
    // Its own emits are recoverable too (node sends them through the adapter).
    let echoed = a.emit_ack("", "echo", vec![json!(1)]).await;
    assert_eq!(echoed, [json!(1)], "acks carry no offset");
    let (args, _) = split_offset(a.expect_event("", "echo").await);
    assert_eq!(args, [json!(1)]);
    // So are messages (node's `socket.send` is an emit of `message`): the
    // welcome of /chat's open hook.
    a.of("/chat").await;
    let (args, _) = split_offset(a.expect_event("/chat", "message").await);
    assert_eq!(args, [json!("welcome /chat")]);
}

#[tokio::test]
async fn a_broken_websocket_recovers_its_id_rooms_and_missed_packets_in_order() {
    recovers_over("websocket", false).await;
}

#[tokio::test]
async fn a_broken_polling_transport_recovers_too() {
    recovers_over("polling", false).await;
}

#[tokio::test]
async fn a_msgpack_client_recovers_too() {
    recovers_over("websocket", true).await;
}

/// Asserts `client` came back as a new socket and got nothing of what was
/// sent while it was away (`away`), only what came after.
async fn comes_back_new(client: &mut NodeClient, old_id: &str, other: &mut NodeClient, marker: &str) {
    let connect = reconnect(client).await;
    assert_eq!(connect["recovered"], false, "{connect}");
    assert_ne!(connect["id"], old_id, "a new socket id");
    other.emit_ack("", "broadcast", vec![json!(marker)]).await;
    let seen = events_until(client, marker).await;
    assert_eq!(seen.len(), 1, "nothing replayed: {seen:?}");
    let who = client.emit_ack("", "whoami", vec![]).await;
    assert_eq!(who[0]["recovered"], false);
}

#[tokio::test]
async fn past_the_duration_the_client_gets_a_new_socket() {
    let example = server(&[("RECOVERY_MS", "1000")]).await;
    let (mut a, a_id) = modern(&example.url, "websocket").await;
    let (mut b, _) = modern(&example.url, "websocket").await;
    drop_and_wait_gone(&mut a, &a_id, &mut b).await;
    b.emit_ack("", "to_room", vec![json!(a_id), json!("missed")]).await;
    // The contract's "past": RECOVERY_MS + 1.5 s; nothing to await here.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    comes_back_new(&mut a, &a_id, &mut b, "after").await;
}

#[tokio::test]
async fn an_unknown_pid_or_offset_gets_a_new_socket() {
    let example = server(&[("RECOVERY_MS", "20000")]).await;
    let (mut b, _) = modern(&example.url, "websocket").await;
    for (pid, offset) in [(Some("unknown-pid"), None), (None, Some("unknown-offset"))] {
        let (mut a, a_id) = modern(&example.url, "websocket").await;
        drop_and_wait_gone(&mut a, &a_id, &mut b).await;
        b.emit_ack("", "to_room", vec![json!(a_id), json!("missed")]).await;
        set_recovery_state(&mut a, pid, offset).await;
        comes_back_new(&mut a, &a_id, &mut b, "after").await;
    }
}

#[tokio::test]
async fn a_disconnect_on_purpose_is_not_recovered() {
    let example = server(&[("RECOVERY_MS", "20000")]).await;
    let (mut b, _) = modern(&example.url, "websocket").await;
    // By the client.
    let (mut a, a_id) = modern(&example.url, "websocket").await;
    sync(&mut a, &mut b, &a_id).await;
    a.disconnect("").await;
    a.expect_disconnect("").await;
    comes_back_new(&mut a, &a_id, &mut b, "after client").await;
    // By the server.
    let (mut c, c_id) = modern(&example.url, "websocket").await;
    sync(&mut c, &mut b, &c_id).await;
    c.emit_ack("", "join", vec![json!("doomed")]).await;
    b.emit_ack("", "disconnect_room", vec![json!("doomed")]).await;
    c.expect_disconnect("").await;
    comes_back_new(&mut c, &c_id, &mut b, "after server").await;
}

#[tokio::test]
async fn a_session_over_its_missed_packets_cap_comes_back_new_and_others_recover() {
    let example = server(&[("RECOVERY_MS", "20000"), ("RECOVERY_MAX_MISSED", "2")]).await;
    let (mut b, _) = modern(&example.url, "websocket").await;
    let (mut busy, busy_id) = modern(&example.url, "websocket").await;
    let (mut calm, calm_id) = modern(&example.url, "websocket").await;
    drop_and_wait_gone(&mut busy, &busy_id, &mut b).await;
    drop_and_wait_gone(&mut calm, &calm_id, &mut b).await;
    for n in 0..3 {
        b.emit_ack("", "to_room", vec![json!(busy_id), json!(n)]).await;
    }
    b.emit_ack("", "to_room", vec![json!(calm_id), json!("one")]).await;
    comes_back_new(&mut busy, &busy_id, &mut b, "after busy").await;
    let connect = reconnect(&mut calm).await;
    assert_eq!(connect["recovered"], true, "{connect}");
    assert_eq!(connect["id"], calm_id.as_str());
    b.emit_ack("", "broadcast", vec![json!("after calm")]).await;
    let seen = events_until(&mut calm, "after calm").await;
    let names: Vec<(String, Vec<Value>)> = seen.into_iter().map(|(n, a, _)| (n, a)).collect();
    assert_eq!(
        names,
        [
            ("room_msg".to_owned(), vec![json!(calm_id), json!("one")]),
            ("broadcast".to_owned(), vec![json!("after busy")]),
            ("broadcast".to_owned(), vec![json!("after calm")]),
        ]
    );
}

#[tokio::test]
async fn over_the_sessions_cap_a_socket_is_not_kept_and_the_kept_one_recovers() {
    let example = server(&[("RECOVERY_MS", "20000"), ("RECOVERY_MAX_SESSIONS", "1")]).await;
    let (mut b, _) = modern(&example.url, "websocket").await;
    let (mut first, first_id) = modern(&example.url, "websocket").await;
    let (mut second, second_id) = modern(&example.url, "websocket").await;
    drop_and_wait_gone(&mut first, &first_id, &mut b).await;
    drop_and_wait_gone(&mut second, &second_id, &mut b).await;
    comes_back_new(&mut second, &second_id, &mut b, "after second").await;
    let connect = reconnect(&mut first).await;
    assert_eq!(connect["recovered"], true, "{connect}");
    assert_eq!(connect["id"], first_id.as_str());
}

#[tokio::test]
async fn each_namespace_of_a_session_recovers_its_own_socket() {
    let example = server(&[("RECOVERY_MS", "20000")]).await;
    let (mut b, _) = modern(&example.url, "websocket").await;
    b.of("/chat").await;
    b.expect_connect("/chat").await;
    let (mut a, a_id) = modern(&example.url, "websocket").await;
    a.of("/chat").await;
    let chat = a
        .expect("connect on /chat", |r| r["ev"] == "connect" && r["ns"] == "/chat")
        .await;
    let chat_id = chat["id"].as_str().expect("id").to_owned();
    assert_ne!(chat_id, a_id, "a socket of its own per namespace");
    a.emit_ack("/chat", "join", vec![json!("cr")]).await;
    // Its own echo gives the /chat socket an offset.
    a.emit_ack("/chat", "echo", vec![json!(0)]).await;
    split_offset(a.expect_event("/chat", "echo").await);

    drop_and_wait_gone(&mut a, &a_id, &mut b).await;
    b.emit_ack("/chat", "to_room", vec![json!("cr"), json!("chat missed")])
        .await;
    a.command(json!({"op": "reconnect"})).await;
    for (ns, id) in [("", &a_id), ("/chat", &chat_id)] {
        let connect = a
            .expect("connect again", |r| r["ev"] == "connect" && r["ns"] == ns)
            .await;
        assert_eq!(connect["recovered"], true, "{connect}");
        assert_eq!(connect["id"], id.as_str());
    }
    let (args, _) = split_offset(a.expect_event("/chat", "room_msg").await);
    assert_eq!(args, [json!("cr"), json!("chat missed")]);
}
