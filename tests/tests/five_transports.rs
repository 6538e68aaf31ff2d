//! The whole conformance contract at the packet level, over all five
//! transports against the `conformance` example: websocket, flashsocket
//! (hixie-76), htmlfile, xhr-polling and jsonp-polling. One scenario
//! function serves all five; a peer client on the next transport of the
//! list sees what reaches other connections.
//!
//! What must *not* arrive is checked after a round trip: a text message the
//! server echoes is queued after anything queued for that client before it,
//! so once the echo is in, an earlier packet would be in the backlog.

mod common;

use std::net::SocketAddr;

use common::example;
use common::http::{self, frame, get, packets};
use common::raw_client::{self, RawClient, Wire};
use serde_json::{Value, json};

/// `5:[id+]:endpoint:{"name":..,"args":..}` with `args` as raw JSON text.
fn event(endpoint: &str, ack: Option<u32>, name: &str, args: &str) -> String {
    let id = ack.map(|id| format!("{id}+")).unwrap_or_default();
    format!(r#"5:{id}:{endpoint}:{{"name":"{name}","args":{args}}}"#)
}

/// `6::endpoint:id+args`: an ack with data. The 0.9 client reads ack data
/// with a JavaScript `(.*)`, which stops at U+2028/U+2029, so the server
/// writes those two as JSON escapes there: the same value, other bytes.
fn ack(endpoint: &str, id: u32, args: &str) -> String {
    let args = args.replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029");
    format!("6::{endpoint}:{id}+{args}")
}

/// What a client sees when the server ends its session: `0::`, then the
/// transport ends (a poll after that is told the session is unknown).
fn closing_tail(wire: Wire) -> Vec<String> {
    let mut tail = vec!["0::".to_owned()];
    if wire.polls() {
        tail.push("7:::1+0".to_owned());
    }
    tail
}

/// A raw client with its own ack ids and round-trip markers.
struct Client {
    raw: RawClient,
    wire: Wire,
    acks: u32,
    syncs: u32,
}

impl Client {
    async fn connect(addr: SocketAddr, wire: Wire, query: &str) -> Client {
        let mut raw = RawClient::connect_query(addr, wire, query).await;
        raw.expect_packet("1::").await;
        Client {
            raw,
            wire,
            acks: 0,
            syncs: 0,
        }
    }

    fn send(&self, packet: &str) {
        self.raw.send(packet);
    }

    async fn expect(&mut self, packet: &str) {
        self.raw.expect_packet(packet).await;
    }

    fn emit(&self, endpoint: &str, name: &str, args: &str) {
        self.send(&event(endpoint, None, name, args));
    }

    /// Emits asking for an ack with data; the id it used.
    fn emit_ack(&mut self, endpoint: &str, name: &str, args: &str) -> u32 {
        self.acks += 1;
        self.send(&event(endpoint, Some(self.acks), name, args));
        self.acks
    }

    /// Emits with an ack and expects exactly `reply` as the ack's arguments.
    async fn call(&mut self, endpoint: &str, name: &str, args: &str, reply: &str) {
        let id = self.emit_ack(endpoint, name, args);
        self.expect(&ack(endpoint, id, reply)).await;
    }

    /// Emits with an ack and returns the ack's arguments, parsed.
    async fn call_value(&mut self, endpoint: &str, name: &str, args: &str) -> Value {
        let id = self.emit_ack(endpoint, name, args);
        let prefix = format!("6::{endpoint}:{id}+");
        let reply = self.raw.expect(&prefix, |p| p.starts_with(prefix.as_str())).await;
        serde_json::from_str(&reply[prefix.len()..]).expect("ack arguments")
    }

    /// A round trip: whatever was queued for this client before has arrived.
    async fn sync(&mut self) {
        self.syncs += 1;
        let marker = format!("3:::sync {}", self.syncs);
        self.send(&marker);
        self.expect(&marker).await;
    }

    /// After [`Client::sync`]: no packet equal to `packet` came.
    async fn assert_not_received(&mut self, packet: &str) {
        self.sync().await;
        assert!(
            !self.raw.seen(|p| p == packet),
            "{}: unexpected {packet:?}",
            self.wire.name()
        );
    }

    /// Waits for the session's end; asserts it ended the way it should.
    async fn expect_closed(&mut self) {
        let rest = self.raw.expect_closed().await;
        let tail = closing_tail(self.wire);
        assert!(rest.ends_with(&tail), "{}: {rest:?}", self.wire.name());
        assert_eq!(rest.iter().filter(|p| *p == "0::").count(), 1, "{rest:?}");
    }
}

/// The open hook refuses `reject=1` at the handshake, before any transport
/// is chosen (jsonp-polling pages may handshake by script): no session id,
/// so no transport can connect.
async fn refused_handshake(addr: SocketAddr, wire: Wire) {
    if wire == Wire::JsonpPolling {
        // A cross-domain page handshakes through a <script> tag.
        let reply = get(addr, "/socket.io/1/?jsonp=4&reject=1").await;
        assert_eq!(
            (reply.status, reply.text().as_str()),
            (200, "io.j[4](new Error(\"handshake unauthorized\"));")
        );
    } else {
        let reply = get(addr, "/socket.io/1/?reject=1").await;
        assert_eq!((reply.status, reply.text().as_str()), (401, "handshake unauthorized"));
    }
}

/// Text and JSON messages, echo, hello, sum and ask on the main endpoint.
async fn main_endpoint(c: &mut Client) {
    c.send("3:::hello there");
    c.expect("3:::hello there").await;
    c.send(r#"4:::{"b":1,"a":[1,2]}"#);
    c.expect(r#"4:::{"b":1,"a":[1,2]}"#).await;
    // echo: without an ack only the event comes back.
    let args = r#"[1,"two",{"b":3,"a":4}]"#;
    c.emit("", "echo", args);
    c.expect(&event("", None, "echo", args)).await;
    c.sync().await;
    assert!(!c.raw.seen(|p| p.starts_with("6:")), "no ack was asked for");
    // With an ack, carrying every character that could break a transport.
    let hostile = r#"["</script><script>alert(1)</script>","\"quotes\" \\back\\slash","\u2028\u2029","</SCRIPT>","<!--",{"k":[1.5,null]}]"#;
    let raw = serde_json::to_string(&["\u{2028}\u{2029}", "😀 \u{fffd} é", "\u{0}\u{1f}"]).expect("JSON");
    for args in [hostile, raw.as_str(), "[]"] {
        let id = c.emit_ack("", "echo", args);
        c.expect(&event("", None, "echo", args)).await;
        c.expect(&ack("", id, args)).await;
    }
    // hello by keyword and positionally.
    for args in [r#"[{"name":"ann"}]"#, r#"["ann"]"#] {
        c.emit("", "hello", args);
        c.expect(&event("", None, "thanks", r#"[{"name":"ann"}]"#)).await;
        c.expect(&event("", None, "hello", r#"["ann","foobar"]"#)).await;
    }
    // sum both ways; wrong types or counts are an error packet and no ack.
    c.call("", "sum", "[2,3]", "[5]").await;
    c.call("", "sum", r#"[{"a":-4,"b":10}]"#, "[6]").await;
    for (args, error) in [
        (
            r#"["x",1]"#,
            r#"7:::event `sum`: argument `a`: invalid type: string "x", expected i64 at line 1 column 3"#,
        ),
        ("[1]", "7:::event `sum`: missing argument `b`"),
        ("[1,2,3]", "7:::event `sum`: expected at most 2 argument(s), got 3"),
        (r#"[{"a":1}]"#, "7:::event `sum`: missing argument `b`"),
    ] {
        c.emit_ack("", "sum", args);
        c.expect(error).await;
    }
    c.sync().await;
    assert!(!c.raw.seen(|p| p.starts_with("6:")), "refused events are not acked");
    c.call("", "sum", "[20,22]", "[42]").await;
    // ask: the server's acked emit, answered with and without arguments.
    for (id, answer) in [(1, r#"["yes",2]"#), (2, "[]")] {
        c.emit("", "ask", "[]");
        c.expect(&event("", Some(id), "question", r#"["how?"]"#)).await;
        c.send(&ack("", id, answer));
        c.expect(&event("", None, "answer", answer)).await;
    }
}

/// Key order, integers beyond 2^53, float digits, astral characters,
/// U+FFFD and U+2028 (escaped and raw) survive byte for byte.
async fn exact_data(c: &mut Client) {
    let raw = "😀 \u{fffd} \u{2028} \u{2029} é";
    let json = format!(
        r#"{{"z":1,"a":123456789012345678901234567890,"f":0.30000000000000004,"g":1.10,"s":"\ud83d\ude00\ufffd\u2028\n\"","r":"{raw}","n":[-0.0,1e400,-9007199254740993]}}"#
    );
    let text = format!("3:::plain {raw} : colons");
    c.send(&format!("4:::{json}"));
    c.expect(&format!("4:::{json}")).await;
    c.send(&text);
    c.expect(&text).await;
    let args = format!(r#"[{json},"x"]"#);
    let id = c.emit_ack("", "echo", &args);
    c.expect(&event("", None, "echo", &args)).await;
    c.expect(&ack("", id, &args)).await;
}

/// Rooms and broadcast on the main endpoint: `c` and `e` on the transport
/// under test, `d` on its peer.
async fn rooms(c: &mut Client, d: &mut Client, e: &mut Client, room: &str) {
    let room_msg = |x: &str| event("", None, "room_msg", &format!(r#"["{room}",{x}]"#));
    c.call("", "join", &format!(r#"["{room}"]"#), "[]").await;
    // A non-member's message reaches the member, not the sender.
    d.call("", "to_room", &format!(r#"["{room}",{{"n":1}}]"#), "[]").await;
    c.expect(&room_msg(r#"{"n":1}"#)).await;
    d.assert_not_received(&room_msg(r#"{"n":1}"#)).await;
    e.assert_not_received(&room_msg(r#"{"n":1}"#)).await;
    // The sender is included when it is a member.
    c.call("", "to_room", &format!(r#"["{room}",2]"#), "[]").await;
    c.expect(&room_msg("2")).await;
    // Two members.
    d.call("", "join", &format!(r#"["{room}"]"#), "[]").await;
    c.call("", "to_room", &format!(r#"["{room}","both"]"#), "[]").await;
    c.expect(&room_msg(r#""both""#)).await;
    d.expect(&room_msg(r#""both""#)).await;
    e.assert_not_received(&room_msg(r#""both""#)).await;
    // A client that left no longer receives the room's messages.
    c.call("", "leave", &format!(r#"["{room}"]"#), "[]").await;
    d.call("", "to_room", &format!(r#"["{room}","left"]"#), "[]").await;
    d.expect(&room_msg(r#""left""#)).await;
    c.assert_not_received(&room_msg(r#""left""#)).await;
    // broadcast reaches every connection of the endpoint, the sender included.
    let all = format!(r#"["all {room}"]"#);
    c.call("", "broadcast", &all, "[]").await;
    for client in [c, d, e] {
        client.expect(&event("", None, "broadcast", &all)).await;
    }
}

/// `/chat`, entered by `c` (with a query) and `d`; `e` stays on the main
/// endpoint only. `d` is still in `room` on the main endpoint.
async fn chat(c: &mut Client, d: &mut Client, e: &mut Client, room: &str) {
    c.send("1::/chat?x=1");
    c.expect("1::/chat").await;
    c.expect("3::/chat:welcome /chat").await;
    d.send("1::/chat");
    d.expect("1::/chat").await;
    d.expect("3::/chat:welcome /chat").await;
    let args = r#"["e",{"b":[1.50,"😀"],"a":null}]"#;
    let id = c.emit_ack("/chat", "echo", args);
    c.expect(&event("/chat", None, "echo", args)).await;
    c.expect(&ack("/chat", id, args)).await;
    c.call("/chat", "sum", "[1,2]", "[3]").await;
    c.call("/chat", "sum", r#"[{"a":4,"b":5}]"#, "[9]").await;
    c.emit_ack("/chat", "sum", r#"["1",2]"#);
    c.expect(r#"7::/chat:event `sum`: argument `a`: invalid type: string "1", expected i64 at line 1 column 3"#)
        .await;
    c.call("/chat", "sum", "[5,5]", "[10]").await;
    let who = c.call_value("/chat", "whoami", "[]").await;
    assert_eq!(
        who,
        json!([{"sid": c.raw.sid, "endpoint": "/chat", "query": {"x": "1"}, "ip": "127.0.0.1"}]),
        "{}",
        c.wire.name()
    );
    // Rooms are per endpoint: `d`'s membership on the main endpoint and
    // `c`'s on /chat do not mix.
    let chat_msg = |x: &str| event("/chat", None, "room_msg", &format!(r#"["{room}",{x}]"#));
    let main_msg = |x: &str| event("", None, "room_msg", &format!(r#"["{room}",{x}]"#));
    c.call("/chat", "join", &format!(r#"["{room}"]"#), "[]").await;
    d.call("", "to_room", &format!(r#"["{room}","main only"]"#), "[]").await;
    d.expect(&main_msg(r#""main only""#)).await;
    c.assert_not_received(&main_msg(r#""main only""#)).await;
    assert!(!c.raw.seen(|p| p == chat_msg(r#""main only""#)));
    c.call("/chat", "to_room", &format!(r#"["{room}","chat only"]"#), "[]")
        .await;
    c.expect(&chat_msg(r#""chat only""#)).await;
    d.assert_not_received(&chat_msg(r#""chat only""#)).await;
    assert!(!d.raw.seen(|p| p == main_msg(r#""chat only""#)));
    c.call("/chat", "leave", &format!(r#"["{room}"]"#), "[]").await;
    c.call("/chat", "to_room", &format!(r#"["{room}","gone"]"#), "[]").await;
    c.assert_not_received(&chat_msg(r#""gone""#)).await;
    // A /chat broadcast reaches /chat connections only.
    let all = format!(r#"["chat {room}"]"#);
    d.call("/chat", "broadcast", &all, "[]").await;
    c.expect(&event("/chat", None, "broadcast", &all)).await;
    d.expect(&event("/chat", None, "broadcast", &all)).await;
    e.assert_not_received(&event("/chat", None, "broadcast", &all)).await;
    for client in [c, d, e] {
        client.assert_not_received(&event("", None, "broadcast", &all)).await;
    }
}

/// `/reject` and unknown endpoints are refused; the session goes on.
async fn refused_endpoints(c: &mut Client) {
    c.send("1::/reject");
    c.expect("7::/reject:2").await;
    c.send("1::/elsewhere");
    c.expect("7::/elsewhere:2").await;
    c.sync().await;
    assert!(
        !c.raw
            .seen(|p| p.starts_with("1::/reject") || p.starts_with("1::/elsewhere"))
    );
    c.call("", "sum", "[4,4]", "[8]").await;
    c.call("/chat", "sum", "[4,5]", "[9]").await;
}

/// Packets produced while the client holds no poll (or, for the other
/// transports, before any is bound) arrive once and in order.
async fn queued(addr: SocketAddr, wire: Wire, witness: &mut Client) {
    let sid = http::handshake(addr).await;
    // Streaming transports bind once: queue before they do, posting as
    // xhr-polling does (posts never bind).
    let post_wire = if wire.polls() || wire == Wire::HtmlFile {
        wire
    } else {
        Wire::XhrPolling
    };
    if wire.polls() {
        // Scenarios running alongside broadcast to every main connection.
        let polled = packets(&raw_client::poll(addr, &sid, wire).await);
        let polled: Vec<&String> = polled
            .iter()
            .filter(|p| !p.starts_with(r#"5:::{"name":"broadcast","args":"#) && *p != "2::")
            .collect();
        assert_eq!(polled, ["1::"]);
    }
    let tag = format!(r#"["queued {}"]"#, wire.name());
    let burst = [
        "3:::q1".to_owned(),
        r#"4:::{"q":2}"#.to_owned(),
        event("", Some(1), "echo", r#"["q3",3]"#),
        event("", Some(2), "sum", "[1,2]"),
        event("", None, "hello", r#"["q"]"#),
        event("", Some(3), "broadcast", &tag),
    ];
    let burst: Vec<&str> = burst.iter().map(String::as_str).collect();
    raw_client::post(addr, &sid, post_wire, &frame(&burst)).await;
    // Handlers of one connection run in order: once the broadcast reached
    // the witness, every earlier reply is queued.
    witness.expect(&event("", None, "broadcast", &tag)).await;
    let mut expected: Vec<String> = if wire.polls() { vec![] } else { vec!["1::".to_owned()] };
    expected.extend([
        "3:::q1".to_owned(),
        r#"4:::{"q":2}"#.to_owned(),
        event("", None, "echo", r#"["q3",3]"#),
        ack("", 1, r#"["q3",3]"#),
        ack("", 2, "[3]"),
        event("", None, "thanks", r#"[{"name":"q"}]"#),
        event("", None, "hello", r#"["q","foobar"]"#),
        event("", None, "broadcast", &tag),
        ack("", 3, "[]"),
    ]);
    // Broadcasts of other scenarios running alongside are not ours.
    let ours = |p: &str| expected.iter().any(|e| e == p);
    let after = format!("3:::after {}", wire.name());
    if wire.polls() {
        let mut got = Vec::new();
        let mut first = None;
        while got.len() < expected.len() {
            let body = raw_client::poll(addr, &sid, wire).await;
            let polled = packets(&body);
            if polled.iter().any(|p| p == "2::") {
                raw_client::post(addr, &sid, wire, "2::").await;
            }
            let polled: Vec<String> = polled.into_iter().filter(|p| ours(p)).collect();
            first.get_or_insert(polled.len());
            got.extend(polled);
        }
        assert_eq!(got, expected, "{}", wire.name());
        // All but the broadcast's own delivery and ack were queued before
        // the poll, and one answer carried them (framed).
        assert!(first.unwrap_or(0) >= expected.len() - 2, "{first:?}");
        // Delivered once: the next packets are only what comes next.
        raw_client::post(addr, &sid, wire, &after).await;
        loop {
            let polled = packets(&raw_client::poll(addr, &sid, wire).await);
            assert!(!polled.iter().any(|p| ours(p)), "delivered twice: {polled:?}");
            if polled.contains(&after) {
                break;
            }
        }
    } else {
        let mut c = RawClient::attach(addr, wire, sid, false);
        let mut got = Vec::new();
        while got.len() < expected.len() {
            got.push(c.expect("a queued packet", ours).await);
        }
        assert_eq!(got, expected, "{}", wire.name());
        c.send(&after);
        c.expect_packet(&after).await;
        assert!(!c.seen(ours), "delivered twice");
    }
}

async fn scenario(addr: SocketAddr, wire: Wire) {
    let name = wire.name();
    let index = Wire::ALL.iter().position(|w| *w == wire).expect("listed");
    let peer = Wire::ALL[(index + 1) % Wire::ALL.len()];
    refused_handshake(addr, wire).await;
    let mut c = Client::connect(addr, wire, &format!("k=v&wire={name}")).await;
    main_endpoint(&mut c).await;
    let who = c.call_value("", "whoami", "[]").await;
    assert_eq!(
        who,
        json!([{"sid": c.raw.sid, "endpoint": "", "query": {"k": "v", "wire": name}, "ip": "127.0.0.1"}]),
        "{name}"
    );
    exact_data(&mut c).await;
    let mut d = Client::connect(addr, peer, "").await;
    let mut e = Client::connect(addr, wire, "").await;
    let room = format!("room {name}");
    rooms(&mut c, &mut d, &mut e, &room).await;
    chat(&mut c, &mut d, &mut e, &room).await;
    refused_endpoints(&mut c).await;
    queued(addr, wire, &mut d).await;
    // panic: that client's session ends, the others go on.
    e.emit("", "panic", "[]");
    e.expect_closed().await;
    c.call("", "sum", "[1,2]", "[3]").await;
    c.call("/chat", "sum", "[1,3]", "[4]").await;
    d.call("", "sum", "[2,2]", "[4]").await;
    // close_me: the server ends the session.
    c.emit("", "close_me", "[]");
    c.expect_closed().await;
    d.call("", "sum", "[3,3]", "[6]").await;
}

#[tokio::test]
async fn the_whole_contract_passes_over_each_of_the_five_transports() {
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
