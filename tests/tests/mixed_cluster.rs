//! One cluster of two of our `conformance` servers and one node socket.io 4
//! server (`redis/tests/js/conformance-node.js`) through Redis, with
//! socket.io-client 0.9.16 and 4 clients spread over them: every adapter
//! operation, started from each kind of server, reaches the clients of every
//! server (`shared/conformance-cluster.md`, sections 2–4 and 6), in each
//! form of node's `@socket.io/redis-adapter` 8 (classic on one Redis,
//! sharded on a Redis Cluster) and with its Redis Streams adapter; and
//! node's emitter and ours reach them all.

mod common;

use common::example::{Example, start_with};
use common::node_server::{NodeServer, js_dir};
use serde_json::{Value, json};
use socketio_tests::{NodeClient, NodeScript, RedisCluster, RedisServer};

/// Which of node's adapter forms the whole cluster speaks.
#[derive(Clone, Copy, Debug)]
enum Form {
    /// `createAdapter`: pub/sub, PUBSUB NUMSUB, on one Redis.
    Classic,
    /// `createShardedAdapter`: sharded pub/sub (SSUBSCRIBE, SPUBLISH),
    /// PUBSUB SHARDNUMSUB, on a three-master Redis Cluster.
    Sharded,
    /// `@socket.io/redis-streams-adapter`: a Redis stream, requests over
    /// pub/sub, PUBSUB NUMSUB, on one Redis.
    Streams,
}

impl Form {
    /// The `ADAPTER` value of the conformance servers.
    fn adapter(self) -> &'static str {
        match self {
            Form::Classic => "redis",
            Form::Sharded => "redis-sharded",
            Form::Streams => "redis-streams",
        }
    }

    async fn redis(self) -> Redis {
        match self {
            Form::Classic | Form::Streams => Redis::Single(RedisServer::start().await),
            Form::Sharded => Redis::Cluster(RedisCluster::start().await),
        }
    }
}

/// The Redis a form runs on.
enum Redis {
    Single(RedisServer),
    Cluster(RedisCluster),
}

impl Redis {
    /// The `REDIS_URL` of every server: one node of a cluster, which both
    /// kinds of server recognise as a cluster node and discover from.
    fn url(&self) -> String {
        match self {
            Redis::Single(redis) => redis.url(),
            Redis::Cluster(cluster) => cluster.node_url(),
        }
    }

    /// The port of a single Redis, where emitters (classic form only) go.
    fn port(&self) -> u16 {
        match self {
            Redis::Single(redis) => redis.port,
            Redis::Cluster(_) => panic!("the emitters speak the classic form only"),
        }
    }
}

async fn ours(env: &[(&str, String)]) -> Example {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    start_with(&env).await
}

/// A client of the cluster and the socket id its server gave it on `/`.
struct Member {
    client: NodeClient,
    id: String,
}

impl Member {
    async fn legacy(url: &str, transport: &str) -> Member {
        let mut client = NodeClient::connect(url, transport, None).await;
        client.expect_connect("").await;
        Member::identify(client).await
    }

    async fn modern(url: &str) -> Member {
        let mut client = NodeClient::connect_modern(url, 4, "websocket", json!({})).await;
        client.expect_connect("").await;
        Member::identify(client).await
    }

    async fn identify(mut client: NodeClient) -> Member {
        let who = client.emit_ack("", "whoami", vec![]).await;
        let id = who[0]["sid"].as_str().expect("sid").to_owned();
        Member { client, id }
    }

    async fn ask(&mut self, event: &str, args: Vec<Value>) -> Value {
        let mut answer = self.client.emit_ack("", event, args).await;
        assert_eq!(answer.len(), 1, "{event} acks with one value: {answer:?}");
        answer.remove(0)
    }

    /// An event whose ack carries nothing: once it comes, the server is done.
    async fn act(&mut self, event: &str, args: Vec<Value>) {
        let answer = self.client.emit_ack("", event, args).await;
        assert!(answer.is_empty(), "{event} acks with nothing: {answer:?}");
    }

    /// `fetch_room room` once it says `expected`: a remote join or leave
    /// is acked once sent (the contract's words), and reaches the other
    /// servers a moment later (through a stream read, in the streams form).
    /// Each try is a request answered by the cluster, not a timer; 10 s at
    /// most.
    async fn fetch_settled(&mut self, room: &str, expected: &Value) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let found = self.ask("fetch_room", vec![json!(room)]).await;
            if &found == expected {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "fetch_room {room} still says {found}, not {expected}"
            );
        }
    }

    async fn join(&mut self, room: &str) {
        self.act("join", vec![json!(room)]).await;
    }

    async fn next(&mut self, event: &str) -> Vec<Value> {
        self.client.expect_event("", event).await
    }
}

/// Servers `a` and `b` (ours) and `c` (node), and four clients: 0.9.16
/// over websocket on `a`, 0.9.16 over xhr-polling and socket.io-client 4
/// on `b`, socket.io-client 4 on `c`.
struct Mixed {
    _a: Example,
    b: Example,
    c: NodeServer,
    old_a: Member,
    old_b: Member,
    new_b: Member,
    new_c: Member,
    // Last: the servers go before their Redis.
    redis: Redis,
}

impl Mixed {
    async fn start(form: Form) -> Mixed {
        let redis = form.redis().await;
        let env = |name: &str| {
            vec![
                ("REDIS_URL", redis.url()),
                ("ADAPTER", form.adapter().to_owned()),
                ("NODE_NAME", name.to_owned()),
                ("REQUESTS_TIMEOUT_MS", "3000".to_owned()),
            ]
        };
        let a = ours(&env("a")).await;
        let b = ours(&env("b")).await;
        let c = NodeServer::start(&env("c")).await;
        let old_a = Member::legacy(&a.url, "websocket").await;
        let old_b = Member::legacy(&b.url, "xhr-polling").await;
        let new_b = Member::modern(&b.url).await;
        let new_c = Member::modern(&c.url).await;
        Mixed {
            _a: a,
            b,
            c,
            old_a,
            old_b,
            new_b,
            new_c,
            redis,
        }
    }

    fn members(&mut self) -> [&mut Member; 4] {
        [&mut self.old_a, &mut self.old_b, &mut self.new_b, &mut self.new_c]
    }

    /// `{id, rooms, server}` of each member named, sorted by id, as
    /// `fetch_room` answers.
    fn fetched(&self, entries: &[(&Member, &str, &[&str])]) -> Value {
        let mut found: Vec<Value> = entries
            .iter()
            .map(|(member, server, rooms)| {
                let mut rooms: Vec<String> = rooms.iter().map(|r| (*r).to_owned()).collect();
                rooms.push(member.id.clone());
                rooms.sort();
                json!({"id": member.id, "rooms": rooms, "server": server})
            })
            .collect();
        found.sort_by(|x, y| x["id"].as_str().cmp(&y["id"].as_str()));
        Value::Array(found)
    }
}

async fn broadcasts_rooms_and_flags_cross_every_server(form: Form) {
    let mut m = Mixed::start(form).await;

    // A broadcast from each kind of server and client reaches everyone,
    // the sender included.
    for sender in 0..3 {
        let text = format!("from {sender}");
        let from = match sender {
            0 => &mut m.old_a,
            1 => &mut m.new_b,
            _ => &mut m.new_c,
        };
        from.client.emit("", "broadcast", vec![json!(text)]).await;
        for member in m.members() {
            assert_eq!(member.next("broadcast").await, [json!(text)], "{form:?}");
        }
    }

    // Rooms: r = {old_a, old_b, new_c}; e = {old_b, new_b}.
    m.old_a.join("r").await;
    m.old_b.join("r").await;
    m.new_c.join("r").await;
    m.old_b.join("e").await;
    m.new_b.join("e").await;

    // `to(r)` from our server b, then `to(e)` from node: new_b's first room
    // message is the second, so the first did not reach it.
    m.new_b.client.emit("", "to_room", vec![json!("r"), json!(1)]).await;
    m.new_c.client.emit("", "to_room", vec![json!("e"), json!(2)]).await;
    for member in [&mut m.old_a, &mut m.new_c] {
        assert_eq!(member.next("room_msg").await, [json!("r"), json!(1)]);
    }
    assert_eq!(m.new_b.next("room_msg").await, [json!("e"), json!(2)]);
    // old_b is in both: two servers' messages keep no common order (the
    // stream form can bring node's first).
    let mut both = vec![m.old_b.next("room_msg").await, m.old_b.next("room_msg").await];
    both.sort_by_key(|args| args[0].to_string());
    assert_eq!(both, [[json!("e"), json!(2)], [json!("r"), json!(1)]]);

    // A socket's own id is a room, wherever that socket is.
    let (old_b_id, new_c_id) = (m.old_b.id.clone(), m.new_c.id.clone());
    m.new_c
        .client
        .emit("", "to_room", vec![json!(old_b_id), json!("you")])
        .await;
    assert_eq!(m.old_b.next("room_msg").await, [json!(old_b_id), json!("you")]);
    m.old_a
        .client
        .emit("", "to_room", vec![json!(new_c_id), json!("you")])
        .await;
    assert_eq!(m.new_c.next("room_msg").await, [json!(new_c_id), json!("you")]);

    // except(e) from node and from ours; then a plain broadcast, which must
    // be the first broadcast the members of e see.
    for (sender, text) in [(3, "not e from node"), (0, "not e from a")] {
        let from = if sender == 3 { &mut m.new_c } else { &mut m.old_a };
        from.client
            .emit("", "broadcast_except", vec![json!("e"), json!(text)])
            .await;
        for member in [&mut m.old_a, &mut m.new_c] {
            assert_eq!(member.next("broadcast").await, [json!(text)]);
        }
    }
    m.new_b.client.emit("", "broadcast", vec![json!("all")]).await;
    for member in m.members() {
        assert_eq!(member.next("broadcast").await, [json!("all")], "except(e) kept out e");
    }

    // local() from our b and from node c: only that server's clients; then
    // a plain broadcast from a, which the others must see first.
    m.old_b.client.emit("", "local_broadcast", vec![json!("b only")]).await;
    for member in [&mut m.old_b, &mut m.new_b] {
        assert_eq!(member.next("broadcast").await, [json!("b only")]);
    }
    m.new_c.client.emit("", "local_broadcast", vec![json!("c only")]).await;
    assert_eq!(m.new_c.next("broadcast").await, [json!("c only")]);
    m.old_a.client.emit("", "broadcast", vec![json!("after local")]).await;
    for member in m.members() {
        assert_eq!(
            member.next("broadcast").await,
            [json!("after local")],
            "local stayed local"
        );
    }

    // volatile(): clients on websocket get it from every server; a polling
    // client only if its poll was waiting (else it is dropped, as volatile
    // promises), so it may miss some, but never gets one twice or late.
    for sender in [0, 3] {
        let text = format!("volatile {sender}");
        let from = if sender == 3 { &mut m.new_c } else { &mut m.old_a };
        from.client.emit("", "volatile_broadcast", vec![json!(text)]).await;
        for member in [&mut m.old_a, &mut m.new_b, &mut m.new_c] {
            assert_eq!(member.next("broadcast").await, [json!(text)]);
        }
    }
    m.new_c
        .client
        .emit("", "broadcast", vec![json!("after volatile")])
        .await;
    let mut polled = Vec::new();
    loop {
        let got = m.old_b.next("broadcast").await;
        if got == [json!("after volatile")] {
            break;
        }
        polled.push(got);
    }
    let allowed = [vec![json!("volatile 0")], vec![json!("volatile 3")]];
    assert!(
        polled.len() <= 2 && polled.iter().all(|got| allowed.contains(got)) && polled.windows(2).all(|w| w[0] != w[1]),
        "the polling client got {polled:?} before the next broadcast"
    );
    for member in [&mut m.old_a, &mut m.new_b, &mut m.new_c] {
        assert_eq!(member.next("broadcast").await, [json!("after volatile")]);
    }

    // Another namespace: /chat's broadcast reaches /chat sockets only.
    m.old_a.client.of("/chat").await;
    m.old_a.client.expect_connect("/chat").await;
    m.new_c.client.of("/chat").await;
    m.new_c.client.expect_connect("/chat").await;
    m.old_a.client.emit("/chat", "broadcast", vec![json!("chat")]).await;
    m.new_c
        .client
        .emit("/chat", "broadcast", vec![json!("chat back")])
        .await;
    for client in [&mut m.old_a.client, &mut m.new_c.client] {
        let mut got = vec![
            client.expect_event("/chat", "broadcast").await,
            client.expect_event("/chat", "broadcast").await,
        ];
        got.sort_by_key(|args| args[0].to_string());
        assert_eq!(got, [[json!("chat back")], [json!("chat")]]);
    }
    m.new_b.client.emit("", "broadcast", vec![json!("main")]).await;
    for member in m.members() {
        assert_eq!(
            member.next("broadcast").await,
            [json!("main")],
            "/chat's stayed in /chat"
        );
    }
}

async fn requests_reach_every_server(form: Form) {
    let mut m = Mixed::start(form).await;

    for member in [&mut m.old_a, &mut m.new_b, &mut m.new_c] {
        assert_eq!(member.ask("cluster_count", vec![]).await, json!(3), "{form:?}");
    }

    for member in m.members() {
        member.join("r").await;
    }
    let everyone = m.fetched(&[
        (&m.old_a, "a", &["r"]),
        (&m.old_b, "b", &["r"]),
        (&m.new_b, "b", &["r"]),
        (&m.new_c, "c", &["r"]),
    ]);
    for member in [&mut m.old_a, &mut m.new_b, &mut m.new_c] {
        assert_eq!(member.ask("fetch_room", vec![json!("r")]).await, everyone);
    }

    // Remote join from node, remote leave from ours, seen from the others.
    m.new_c.act("join_all", vec![json!("r"), json!("s")]).await;
    let in_s = m.fetched(&[
        (&m.old_a, "a", &["r", "s"]),
        (&m.old_b, "b", &["r", "s"]),
        (&m.new_b, "b", &["r", "s"]),
        (&m.new_c, "c", &["r", "s"]),
    ]);
    m.old_a.fetch_settled("s", &in_s).await;
    m.old_b.act("leave_all", vec![json!("s"), json!("r")]).await;
    let only_s = m.fetched(&[
        (&m.old_a, "a", &["s"]),
        (&m.old_b, "b", &["s"]),
        (&m.new_b, "b", &["s"]),
        (&m.new_c, "c", &["s"]),
    ]);
    m.new_c.fetch_settled("s", &only_s).await;
    m.new_c.fetch_settled("r", &json!([])).await;

    // Every room of every server (node's sharded and streams adapters have
    // no such request).
    if matches!(form, Form::Classic) {
        let mut rooms: Vec<String> = m.members().iter().map(|member| member.id.clone()).collect();
        rooms.push("s".to_owned());
        rooms.sort();
        for member in [&mut m.old_a, &mut m.new_c] {
            assert_eq!(member.ask("all_rooms", vec![]).await, json!(rooms));
        }
    }

    // Server-side events with answers, from ours and from node; each other
    // server passes the ping on to its own clients.
    assert_eq!(m.old_a.ask("server_ping", vec![json!("x")]).await, json!(["b", "c"]));
    for member in [&mut m.old_b, &mut m.new_b, &mut m.new_c] {
        assert_eq!(member.next("server_pinged").await, [json!("x")]);
    }
    assert_eq!(m.new_c.ask("server_ping", vec![json!("y")]).await, json!(["a", "b"]));
    for member in [&mut m.old_a, &mut m.old_b, &mut m.new_b] {
        assert_eq!(member.next("server_pinged").await, [json!("y")]);
    }

    // Acknowledged broadcasts: every client's answer, from each kind of server.
    for (name, member) in ["old a", "old b", "new b", "new c"].into_iter().zip(m.members()) {
        member.client.reply_to("question", vec![json!(name)]).await;
    }
    let answers = json!(["new b", "new c", "old a", "old b"]);
    for member in [&mut m.old_b, &mut m.new_c] {
        assert_eq!(member.ask("ask_room", vec![json!("s")]).await, answers);
    }
}

async fn disconnects_reach_every_server(form: Form) {
    let mut m = Mixed::start(form).await;
    m.old_a.join("gone").await;
    m.new_b.join("gone").await;
    m.new_c.join("from ours").await;

    // From node: the 0.9 client on a and the modern one on b.
    m.new_c.act("disconnect_room", vec![json!("gone")]).await;
    m.old_a
        .client
        .expect("old a disconnected by node", |r| r["ev"] == "disconnect")
        .await;
    m.new_b.client.expect_disconnect("").await;
    // From ours: the client on node.
    m.old_b.act("disconnect_room", vec![json!("from ours")]).await;
    m.new_c.client.expect_disconnect("").await;

    // The one left is all that remains of the namespace.
    let left = m.fetched(&[(&m.old_b, "b", &[])]);
    let id = m.old_b.id.clone();
    assert_eq!(m.old_b.ask("fetch_room", vec![json!(id)]).await, left);
    let mut late = Member::modern(&m.c.url).await;
    let both = m.fetched(&[(&m.old_b, "b", &[]), (&late, "c", &[])]);
    let ids = [m.old_b.id.clone(), late.id.clone()];
    late.act("join_all", vec![json!(ids[0]), json!("z")]).await;
    late.join("z").await;
    let both_in_z = {
        let mut z = both.as_array().expect("array").clone();
        for socket in &mut z {
            let rooms = socket["rooms"].as_array_mut().expect("rooms");
            rooms.push(json!("z"));
            rooms.sort_by_key(|r| r.as_str().map(str::to_owned));
        }
        Value::Array(z)
    };
    late.fetch_settled("z", &both_in_z).await;
}

/// SIGKILL: no goodbye; the survivors stop counting the dead within the
/// contract's 10 s and keep answering.
async fn a_killed_server_is_no_longer_counted(form: Form) {
    let mut m = Mixed::start(form).await;
    m.b.child.start_kill().expect("SIGKILL b");
    m.b.child.wait().await.expect("b exits");
    settle_count(&mut m.new_c, 2).await;
    assert_eq!(m.new_c.ask("server_ping", vec![json!("p")]).await, json!(["a"]));

    m.c.child.start_kill().expect("SIGKILL c");
    m.c.child.wait().await.expect("c exits");
    settle_count(&mut m.old_a, 1).await;
    assert_eq!(m.old_a.ask("server_ping", vec![json!("q")]).await, json!([]));
    let alone = m.fetched(&[(&m.old_a, "a", &[])]);
    let id = m.old_a.id.clone();
    assert_eq!(m.old_a.ask("fetch_room", vec![json!(id)]).await, alone);
}

/// Asks `cluster_count` until it says `expected`, for at most 10 s (the
/// contract's bound; each answer is an event, not a timer).
async fn settle_count(member: &mut Member, expected: u64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let count = member.ask("cluster_count", vec![]).await;
        if count == json!(expected) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {count} servers counted, not {expected}"
        );
    }
}

/// `redis/tests/js/node-emitter.js` (node's `@socket.io/redis-emitter`),
/// ready to take commands.
async fn node_emitter(redis_port: u16) -> NodeScript {
    let js = js_dir();
    let args = [redis_port.to_string()];
    let mut emitter = NodeScript::start(
        &js.to_string_lossy(),
        "node-emitter.js",
        "@socket.io/redis-emitter",
        &args,
    );
    assert_eq!(emitter.line("the emitter").await, "ready");
    emitter
}

/// One emitter command; returns once Redis has taken its publish.
async fn emit_from_node(emitter: &mut NodeScript, command: Value) {
    assert_eq!(emitter.command(&command.to_string()).await, "done", "{command}");
}

/// node's emitter and ours, from outside every server: emits (to rooms,
/// to another namespace), remote joins and disconnects reach the clients of
/// our servers and node's alike. Emitters speak the classic form only.
async fn emitters_reach_every_server() {
    let mut m = Mixed::start(Form::Classic).await;
    let mut node = node_emitter(m.redis.port()).await;
    let ours = socketio_redis::RedisEmitter::new(socketio_redis::RedisConfig::new(m.redis.url()))
        .await
        .expect("our emitter connects");

    emit_from_node(&mut node, json!({"op": "emit", "event": "news", "args": ["from node"]})).await;
    ours.emit("news", ("from ours",)).await.expect("emits");
    for member in m.members() {
        assert_eq!(member.next("news").await, [json!("from node")]);
        assert_eq!(member.next("news").await, [json!("from ours")]);
    }

    m.old_b.join("r").await;
    m.new_c.join("r").await;
    emit_from_node(
        &mut node,
        json!({"op": "emit", "to": ["r"], "event": "news", "args": ["r by node"]}),
    )
    .await;
    ours.to("r").emit("news", ("r by ours",)).await.expect("emits");
    emit_from_node(&mut node, json!({"op": "emit", "event": "news", "args": ["marker"]})).await;
    for member in [&mut m.old_b, &mut m.new_c] {
        assert_eq!(member.next("news").await, [json!("r by node")]);
        assert_eq!(member.next("news").await, [json!("r by ours")]);
    }
    for member in m.members() {
        assert_eq!(
            member.next("news").await,
            [json!("marker")],
            "rooms kept the others out"
        );
    }

    // Another namespace.
    m.old_a.client.of("/chat").await;
    m.old_a.client.expect_connect("/chat").await;
    m.new_c.client.of("/chat").await;
    m.new_c.client.expect_connect("/chat").await;
    emit_from_node(
        &mut node,
        json!({"op": "emit", "nsp": "/chat", "event": "news", "args": ["chat by node"]}),
    )
    .await;
    ours.of("/chat").emit("news", ("chat by ours",)).await.expect("emits");
    for client in [&mut m.old_a.client, &mut m.new_c.client] {
        assert_eq!(client.expect_event("/chat", "news").await, [json!("chat by node")]);
        assert_eq!(client.expect_event("/chat", "news").await, [json!("chat by ours")]);
    }

    // Remote joins, then a disconnect of the joined, by each emitter.
    emit_from_node(&mut node, json!({"op": "join", "to": ["r"], "room": "n"})).await;
    ours.to(m.new_b.id.as_str()).sockets_join("o").await.expect("joins");
    let in_n = m.fetched(&[(&m.old_b, "b", &["n", "r"]), (&m.new_c, "c", &["n", "r"])]);
    m.old_a.fetch_settled("n", &in_n).await;
    let in_o = m.fetched(&[(&m.new_b, "b", &["o"])]);
    m.new_c.fetch_settled("o", &in_o).await;

    emit_from_node(&mut node, json!({"op": "disconnect", "to": ["o"], "close": true})).await;
    m.new_b.client.expect_disconnect("").await;
    ours.to("n").disconnect_sockets(true).await.expect("disconnects");
    m.old_b
        .client
        .expect("old b disconnected by our emitter", |r| r["ev"] == "disconnect")
        .await;
    m.new_c.client.expect_disconnect("").await;
    let alone = m.fetched(&[(&m.old_a, "a", &[])]);
    let id = m.old_a.id.clone();
    assert_eq!(m.old_a.ask("fetch_room", vec![json!(id)]).await, alone);
}

/// One test per operation group and form, so a failure names both.
macro_rules! per_form {
    ($($form:ident: $module:ident),* $(,)?) => {$(
        mod $module {
            use super::*;

            #[tokio::test]
            async fn broadcasts_rooms_and_flags_cross_every_server() {
                super::broadcasts_rooms_and_flags_cross_every_server(Form::$form).await;
            }

            #[tokio::test]
            async fn requests_reach_every_server() {
                super::requests_reach_every_server(Form::$form).await;
            }

            #[tokio::test]
            async fn disconnects_reach_every_server() {
                super::disconnects_reach_every_server(Form::$form).await;
            }

            #[tokio::test]
            async fn a_killed_server_is_no_longer_counted() {
                super::a_killed_server_is_no_longer_counted(Form::$form).await;
            }
        }
    )*};
}

per_form!(Classic: classic, Sharded: sharded, Streams: streams);

#[tokio::test]
async fn node_emitter_and_ours_reach_every_server() {
    emitters_reach_every_server().await;
}
