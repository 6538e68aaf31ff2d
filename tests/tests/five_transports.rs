//! One scenario list, the conformance contract at the packet level, over
//! all five transports against the `conformance` example: websocket,
//! flashsocket (hixie-76), htmlfile, xhr-polling and jsonp-polling.

mod common;

use common::example;
use common::raw_client::{RawClient, Wire};
use serde_json::{Value, json};

fn event(packet: &str) -> Option<(String, Vec<Value>)> {
    let data = packet.strip_prefix("5:::")?;
    let value: Value = serde_json::from_str(data).ok()?;
    Some((value["name"].as_str()?.to_owned(), value["args"].as_array()?.clone()))
}

fn is_event(name: &'static str) -> impl Fn(&str) -> bool {
    move |p: &str| event(p).is_some_and(|(n, _)| n == name)
}

fn ack_args(packet: &str, prefix: &str) -> Vec<Value> {
    let json = packet
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{packet:?} is no {prefix}"));
    serde_json::from_str(json).expect("ack JSON")
}

async fn scenario(addr: std::net::SocketAddr, wire: Wire) {
    let name = wire.name();
    let mut c = RawClient::connect(addr, wire).await;
    c.expect_packet("1::").await;
    // Messages come back as sent.
    c.send("3:::hello there");
    c.expect_packet("3:::hello there").await;
    c.send(r#"4:::{"b":1,"a":[1,2]}"#);
    c.expect_packet(r#"4:::{"b":1,"a":[1,2]}"#).await;
    // Echo with ack, with every character that could break a transport.
    let hostile = json!(["</script><script>alert(1)</script>", "\"quotes\" \\back\\slash", "\u{2028}\u{2029}", "😀 \u{fffd} é", "<!--", {"k": [1.5, null]}]);
    c.send(&format!(r#"5:1+::{{"name":"echo","args":{hostile}}}"#));
    let echoed = c.expect("the echo event", is_event("echo")).await;
    assert_eq!(Value::Array(event(&echoed).expect("event").1), hostile, "{name}");
    let ack = c.expect("the echo ack", |p| p.starts_with("6:::1+")).await;
    assert_eq!(Value::Array(ack_args(&ack, "6:::1+")), hostile, "{name}");
    // hello by keyword and positionally.
    for args in [r#"[{"name":"ann"}]"#, r#"["ann"]"#] {
        c.send(&format!(r#"5:::{{"name":"hello","args":{args}}}"#));
        let thanks = c.expect("thanks", is_event("thanks")).await;
        assert_eq!(event(&thanks).expect("event").1, [json!({"name": "ann"})], "{name}");
        let hello = c.expect("hello", is_event("hello")).await;
        assert_eq!(
            event(&hello).expect("event").1,
            [json!("ann"), json!("foobar")],
            "{name}"
        );
    }
    // sum both ways; wrong input is an error packet and the session goes on.
    c.send(r#"5:2+::{"name":"sum","args":[2,3]}"#);
    c.expect_packet("6:::2+[5]").await;
    c.send(r#"5:3+::{"name":"sum","args":[{"a":4,"b":5}]}"#);
    c.expect_packet("6:::3+[9]").await;
    c.send(r#"5:4+::{"name":"sum","args":["x"]}"#);
    c.expect("an error packet", |p| p.starts_with("7:::")).await;
    // ask: the server's acked emit, answered.
    c.send(r#"5:::{"name":"ask","args":[]}"#);
    let question = c
        .expect("the question", |p| p.starts_with("5:") && p.contains("question"))
        .await;
    let id = question.split(':').nth(1).expect("id").trim_end_matches('+').to_owned();
    assert!(question.starts_with(&format!("5:{id}+::")), "asks for data: {question}");
    c.send(&format!(r#"6:::{id}+["yes",2]"#));
    let answer = c.expect("the answer", is_event("answer")).await;
    assert_eq!(event(&answer).expect("event").1, [json!("yes"), json!(2)], "{name}");
    // whoami.
    c.send(r#"5:5+::{"name":"whoami","args":[]}"#);
    let who = c.expect("whoami", |p| p.starts_with("6:::5+")).await;
    let who = ack_args(&who, "6:::5+");
    assert_eq!(
        (who[0]["sid"].clone(), who[0]["endpoint"].clone()),
        (json!(c.sid), json!("")),
        "{name}"
    );
    // Endpoints: /chat, refused /reject and unknown ones.
    c.send("1::/chat?x=1");
    c.expect_packet("1::/chat").await;
    c.expect_packet("3::/chat:welcome /chat").await;
    c.send(r#"5:6+:/chat:{"name":"whoami","args":[]}"#);
    let who = c.expect("whoami on /chat", |p| p.starts_with("6::/chat:6+")).await;
    assert_eq!(ack_args(&who, "6::/chat:6+")[0]["query"], json!({"x": "1"}), "{name}");
    c.send("1::/reject");
    c.expect_packet("7::/reject:2").await;
    c.send("1::/elsewhere");
    c.expect_packet("7::/elsewhere:2").await;
    // Rooms and broadcast.
    c.send(r#"5:7+::{"name":"join","args":["r"]}"#);
    c.expect_packet("6:::7+[]").await;
    c.send(r#"5:::{"name":"to_room","args":["r",{"n":1}]}"#);
    c.expect_packet(r#"5:::{"name":"room_msg","args":["r",{"n":1}]}"#).await;
    c.send(r#"5:::{"name":"broadcast","args":["all"]}"#);
    c.expect_packet(r#"5:::{"name":"broadcast","args":["all"]}"#).await;
    c.send(r#"5::/chat:{"name":"broadcast","args":["chat"]}"#);
    c.expect_packet(r#"5::/chat:{"name":"broadcast","args":["chat"]}"#)
        .await;
    // The server closes.
    c.send(r#"5:::{"name":"close_me","args":[]}"#);
    c.expect_packet("0::").await;
}

#[tokio::test]
async fn the_same_scenarios_pass_over_all_five_transports() {
    let server = example::start().await;
    for wire in Wire::ALL {
        scenario(server.addr(), wire).await;
    }
}

#[tokio::test]
async fn all_five_transports_run_side_by_side() {
    let server = example::start().await;
    let runs = Wire::ALL.map(|wire| tokio::spawn(scenario(server.addr(), wire)));
    for run in runs {
        run.await.expect("scenario");
    }
}
