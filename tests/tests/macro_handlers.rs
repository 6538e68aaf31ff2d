//! Handlers written with `#[socketio::handler]`, driven by the real 0.9.16
//! client: every binding rule, acks both ways, typed emits, endpoints; then
//! the same handlers driven by socket.io-client 4 and 2.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketio::{AckError, AckSender, ConnectionInfo, Ctx, Endpoint, Event, RawJson, Reply, Server, SocketIo};
use socketio_tests::NodeClient;

#[derive(Debug, Serialize, Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

#[socketio::emits]
trait Outgoing {
    /// The server tells the client a point.
    fn point(p: &Point);
    #[event("two-words")]
    fn two_words(a: &str, b: u8);
    /// Asks and expects two answers.
    fn question(text: &str) -> (String, i64);
    /// Asks and expects one answer.
    fn confirm(what: &str) -> bool;
}

#[derive(Default)]
struct Fixture {
    counter: u32,
    /// The auth payload the open hook saw (Socket.IO v5 clients only).
    auth: Option<Value>,
}

#[socketio::handler(endpoints("/other" => Other))]
impl Fixture {
    /// Refuses a modern client whose auth says `{"let_in": false}`.
    fn on_open(&mut self, info: &ConnectionInfo) -> bool {
        self.auth = info.auth().and_then(|auth| auth.deserialize().ok());
        self.auth.as_ref().and_then(|auth| auth.get("let_in")) != Some(&json!(false))
    }

    /// The auth payload of the CONNECT, as the open hook saw it.
    #[event]
    fn opened_with(&self) -> Option<Value> {
        self.auth.clone()
    }

    #[event]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    /// `greeting` may be missing.
    #[event]
    fn greet(&self, name: String, greeting: Option<String>) -> String {
        format!("{}, {name}", greeting.unwrap_or_else(|| "hello".into()))
    }

    /// A tuple answers with several arguments.
    #[event]
    fn collect(&self, first: String, #[rest] others: Vec<i64>) -> (String, usize, i64) {
        (first, others.len(), others.iter().sum())
    }

    /// Raw arguments after the first, passed through as they came.
    #[event]
    fn relay(&self, first: String, #[rest] others: Vec<RawJson>) -> Reply {
        let mut all = vec![RawJson::from_string(format!("\"{first}\"")).expect("a JSON string")];
        all.extend(others);
        Reply::with_args(&all[..]).unwrap_or_default()
    }

    /// One struct parameter takes the whole object (its keys are not parameter names).
    #[event]
    fn mirror(&self, p: Point) -> Point {
        Point { x: p.y, y: p.x }
    }

    /// The documented ambiguous case: one object whose keys all name parameters binds by keyword.
    #[event]
    fn ambiguous(&self, x: Value) -> Value {
        x
    }

    /// `positional` turns keyword binding off: the object is the first argument.
    #[event("ambiguous-positional", positional)]
    fn ambiguous_positional(&self, x: Value) -> Value {
        x
    }

    /// State lives in `&mut self`, per connection.
    #[event]
    async fn count(&mut self) -> u32 {
        self.counter += 1;
        self.counter
    }

    /// Context and info may sit anywhere among the arguments.
    #[event]
    fn anywhere(&self, value: u8, info: &ConnectionInfo, cx: Ctx) -> String {
        format!("{value} from {} on {:?}", info.ip(), cx.endpoint())
    }

    /// An explicit ack handle answers later, from another task.
    #[event]
    fn later(&self, ack: AckSender, text: String) {
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            ack.send_args((text.to_uppercase(),)).expect("serializable");
        });
    }

    /// `Err` becomes an error packet; `Ok` answers the ack.
    #[event]
    fn checked(&self, ok: bool) -> Result<&'static str, String> {
        if ok { Ok("fine") } else { Err("not fine".to_owned()) }
    }

    #[event]
    fn typed(&self, cx: &Ctx) {
        cx.emit_point(&Point { x: 1, y: 2 });
        cx.emit_two_words("a", 7);
        cx.of("").emit_two_words("to all", 8);
    }

    #[event]
    async fn interview(&self, cx: &Ctx) -> Result<(String, i64, bool), AckError> {
        let (text, number) = cx.ask_question("who?").await?;
        let sure = cx.ask_confirm("sure?").await?;
        Ok((text, number, sure))
    }

    #[fallback]
    fn anything_else(&self, event: Event) -> String {
        format!("no handler for {} with {} argument(s)", event.name, event.args.len())
    }
}

#[derive(Default)]
struct Other;

#[socketio::handler]
impl Other {
    fn on_open(&mut self, cx: &Ctx) {
        cx.send("other here");
    }

    #[event]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b + 1000
    }
}

/// Resolves `/room-N` through `#[endpoint_resolver]` alone: its server
/// gives the builder no resolver.
#[derive(Default)]
struct Lobby;

#[socketio::handler]
impl Lobby {
    #[event]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[endpoint_resolver]
    fn resolve(name: &str) -> Option<Endpoint> {
        let n: u32 = name.strip_prefix("/room-")?.parse().ok()?;
        Some(Endpoint::new(move || Room { n }))
    }
}

struct Room {
    n: u32,
}

#[socketio::handler]
impl Room {
    fn on_open(&mut self, cx: &Ctx) {
        cx.send(format!("room {}", self.n));
    }

    #[event]
    fn which(&self, cx: &Ctx) -> (u32, String) {
        (self.n, cx.endpoint().to_owned())
    }
}

async fn start() -> String {
    serve(
        SocketIo::builder(Fixture::default)
            .endpoint_resolver(|name: &str| (name == "/late").then(|| Endpoint::new(Other::default)))
            .flash_policy_port(None)
            .build(),
    )
    .await
}

async fn serve(io: SocketIo) -> String {
    let listener = socketio::listen("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(
        Server::new(io)
            .with_graceful_shutdown(std::future::pending())
            .run_on(listener),
    );
    url
}

const TRANSPORTS: [&str; 2] = ["websocket", "xhr-polling"];

async fn client(url: &str, transport: &str) -> NodeClient {
    let mut c = NodeClient::connect(url, transport, None).await;
    c.expect_connect("").await;
    c
}

#[tokio::test]
async fn positional_keyword_optional_and_rest_arguments_bind() {
    let url = start().await;
    for transport in TRANSPORTS {
        let mut c = client(&url, transport).await;
        assert_eq!(
            c.emit_ack("", "add", vec![json!(2), json!(3)]).await,
            [json!(5)],
            "{transport}"
        );
        assert_eq!(
            c.emit_ack("", "add", vec![json!({"b": 3, "a": 2})]).await,
            [json!(5)],
            "{transport}"
        );
        assert_eq!(c.emit_ack("", "greet", vec![json!("ann")]).await, [json!("hello, ann")]);
        assert_eq!(
            c.emit_ack("", "greet", vec![json!("ann"), json!("hi")]).await,
            [json!("hi, ann")]
        );
        assert_eq!(
            c.emit_ack("", "greet", vec![json!({"name": "bob"})]).await,
            [json!("hello, bob")]
        );
        assert_eq!(
            c.emit_ack("", "greet", vec![json!("ann"), json!(null)]).await,
            [json!("hello, ann")]
        );
        assert_eq!(
            c.emit_ack("", "collect", vec![json!("n"), json!(1), json!(2), json!(3)])
                .await,
            [json!("n"), json!(3), json!(6)]
        );
        assert_eq!(
            c.emit_ack("", "collect", vec![json!("alone")]).await,
            [json!("alone"), json!(0), json!(0)]
        );
        assert_eq!(
            c.emit_ack(
                "",
                "relay",
                vec![json!("to"), json!({"a": [1, 2]}), json!(null), json!("x")]
            )
            .await,
            [json!("to"), json!({"a": [1, 2]}), json!(null), json!("x")]
        );
        assert_eq!(c.emit_ack("", "relay", vec![json!("only")]).await, [json!("only")]);
    }
}

#[tokio::test]
async fn a_single_object_and_the_ambiguous_case_follow_the_documented_rule() {
    let url = start().await;
    for transport in TRANSPORTS {
        let mut c = client(&url, transport).await;
        // Keys are not parameter names: the whole object binds the struct.
        assert_eq!(
            c.emit_ack("", "mirror", vec![json!({"x": 1, "y": 2})]).await,
            [json!({"x": 2, "y": 1})]
        );
        // Every key names a parameter: keyword binding, even for one parameter.
        assert_eq!(c.emit_ack("", "ambiguous", vec![json!({"x": [1]})]).await, [json!([1])]);
        // A key that is no parameter name: positional, the whole object.
        assert_eq!(
            c.emit_ack("", "ambiguous", vec![json!({"x": 1, "z": 2})]).await,
            [json!({"x": 1, "z": 2})]
        );
        // `positional` opts out of keyword binding.
        assert_eq!(
            c.emit_ack("", "ambiguous-positional", vec![json!({"x": 1})]).await,
            [json!({"x": 1})]
        );
    }
}

#[tokio::test]
async fn binding_failures_are_error_packets_and_the_connection_goes_on() {
    let url = start().await;
    for transport in TRANSPORTS {
        let mut c = client(&url, transport).await;
        for bad in [
            vec![json!("x"), json!(1)],
            vec![json!(1)],
            vec![json!(1), json!(2), json!(3)],
            vec![json!({"a": 1, "c": 2})],
        ] {
            c.emit("", "add", bad.clone()).await;
            c.expect(&format!("an error for {bad:?}"), |r| {
                r["ev"] == "error" && r["ns"] == ""
            })
            .await;
        }
        assert_eq!(
            c.emit_ack("", "add", vec![json!(1), json!(1)]).await,
            [json!(2)],
            "{transport}"
        );
    }
}

#[tokio::test]
async fn state_context_info_ack_handles_results_and_fallback() {
    let url = start().await;
    for transport in TRANSPORTS {
        let mut c = client(&url, transport).await;
        assert_eq!(c.emit_ack("", "count", vec![]).await, [json!(1)]);
        assert_eq!(c.emit_ack("", "count", vec![]).await, [json!(2)]);
        let mut other = client(&url, transport).await;
        assert_eq!(
            other.emit_ack("", "count", vec![]).await,
            [json!(1)],
            "state is per connection"
        );
        assert_eq!(
            c.emit_ack("", "anywhere", vec![json!(7)]).await,
            [json!("7 from 127.0.0.1 on \"\"")]
        );
        assert_eq!(c.emit_ack("", "later", vec![json!("quiet")]).await, [json!("QUIET")]);
        assert_eq!(c.emit_ack("", "checked", vec![json!(true)]).await, [json!("fine")]);
        c.emit("", "checked", vec![json!(false)]).await;
        c.expect("an error for Err", |r| r["ev"] == "error").await;
        assert_eq!(
            c.emit_ack("", "nobody", vec![json!(1), json!(2)]).await,
            [json!("no handler for nobody with 2 argument(s)")]
        );
    }
}

#[tokio::test]
async fn typed_emits_and_typed_acks_reach_the_client() {
    let url = start().await;
    for transport in TRANSPORTS {
        let mut c = client(&url, transport).await;
        c.emit("", "typed", vec![]).await;
        assert_eq!(c.expect_event("", "point").await, [json!({"x": 1, "y": 2})]);
        assert_eq!(c.expect_event("", "two-words").await, [json!("a"), json!(7)]);
        assert_eq!(c.expect_event("", "two-words").await, [json!("to all"), json!(8)]);
        c.reply_to("question", vec![json!("me"), json!(42)]).await;
        c.reply_to("confirm", vec![json!(true)]).await;
        assert_eq!(
            c.emit_ack("", "interview", vec![]).await,
            [json!("me"), json!(42), json!(true)],
            "{transport}"
        );
        // An answer of the wrong type is a clear error, not a panic.
        c.reply_to("confirm", vec![json!("maybe")]).await;
        c.emit("", "interview", vec![]).await;
        c.expect("an error for a bad answer", |r| r["ev"] == "error").await;
    }
}

#[tokio::test]
async fn endpoint_tables_and_resolvers_from_the_attribute_and_the_builder() {
    let url = start().await;
    for transport in TRANSPORTS {
        let mut c = client(&url, transport).await;
        c.of("/other").await;
        c.expect_connect("/other").await;
        assert_eq!(c.expect_message("/other").await, json!("other here"));
        assert_eq!(
            c.emit_ack("/other", "add", vec![json!(1), json!(2)]).await,
            [json!(1003)]
        );
        c.of("/late").await;
        c.expect_connect("/late").await;
        assert_eq!(
            c.emit_ack("/late", "add", vec![json!(1), json!(1)]).await,
            [json!(1002)]
        );
        c.of("/missing").await;
        c.expect("connect_failed", |r| {
            r["ev"] == "connect_failed" && r["ns"] == "/missing"
        })
        .await;
        assert_eq!(c.emit_ack("", "add", vec![json!(1), json!(2)]).await, [json!(3)]);
        assert!(!c.seen(|r: &Value| r["ev"] == "error"), "{transport}");
    }
}

#[tokio::test]
async fn a_binding_failure_names_the_event_and_the_problem() {
    let url = start().await;
    for transport in TRANSPORTS {
        let mut c = client(&url, transport).await;
        // The 0.9 client hides reasons it does not know: read the packet.
        c.watch_packets(&["error"]).await;
        for (name, args, reason) in [
            (
                "add",
                vec![json!("x"), json!(1)],
                "event `add`: argument `a`: invalid type: string \"x\", expected i64",
            ),
            ("add", vec![json!(1)], "event `add`: missing argument `b`"),
            (
                "add",
                vec![json!(1), json!(2), json!(3)],
                "event `add`: expected at most 2 argument(s), got 3",
            ),
            (
                "add",
                vec![json!({"a": 1, "c": 2})],
                "event `add`: argument `a`: invalid type: map, expected i64",
            ),
            (
                "greet",
                vec![json!(5)],
                "event `greet`: argument `name`: invalid type: integer `5`, expected a string",
            ),
            (
                "collect",
                vec![json!("n"), json!(1), json!("two")],
                "event `collect`: argument `others`: invalid type: string \"two\", expected i64",
            ),
        ] {
            c.emit("", name, args.clone()).await;
            let packet = c.expect_packet("", "error").await;
            let text = packet
                .strip_prefix("7:::")
                .unwrap_or_else(|| panic!("an error packet: {packet}"));
            assert!(
                text.starts_with(reason),
                "{transport}: {name} {args:?} gave {text:?}, expected {reason:?}"
            );
            c.expect("the client's error event", |r| r["ev"] == "error" && r["ns"] == "")
                .await;
        }
        assert_eq!(c.emit_ack("", "add", vec![json!(1), json!(1)]).await, [json!(2)]);
    }
}

#[tokio::test]
async fn return_values_are_not_sent_when_the_client_asked_for_no_ack() {
    let url = start().await;
    for transport in TRANSPORTS {
        let mut c = client(&url, transport).await;
        // The 0.9 client drops acks it did not ask for: watch the packets.
        c.watch_packets(&["ack"]).await;
        c.emit("", "add", vec![json!(1), json!(2)]).await;
        c.emit("", "collect", vec![json!("n"), json!(1)]).await;
        c.emit("", "count", vec![]).await;
        c.emit("", "checked", vec![json!(true)]).await;
        c.emit("", "nobody", vec![]).await;
        // Events run in order: an ack for any of them would come before this.
        c.emit("", "typed", vec![]).await;
        assert_eq!(c.expect_event("", "point").await, [json!({"x": 1, "y": 2})]);
        assert!(!c.seen(|r| r["ev"] == "packet"), "{transport}: an ack nobody asked for");
        // The watch does see acks that were asked for, and the state moved on.
        assert_eq!(c.emit_ack("", "count", vec![]).await, [json!(2)]);
        let ack = c.expect_packet("", "ack").await;
        assert!(ack.starts_with("6:::") && ack.ends_with("+[2]"), "{transport}: {ack}");
    }
}

#[tokio::test]
async fn an_endpoint_resolver_from_the_attribute_alone_resolves_dynamic_endpoints() {
    let url = serve(SocketIo::builder(Lobby::default).flash_policy_port(None).build()).await;
    for transport in TRANSPORTS {
        let mut c = client(&url, transport).await;
        for n in [7, 8] {
            let ns = format!("/room-{n}");
            c.of(&ns).await;
            c.expect_connect(&ns).await;
            assert_eq!(c.expect_message(&ns).await, json!(format!("room {n}")));
            assert_eq!(c.emit_ack(&ns, "which", vec![]).await, [json!(n), json!(ns)]);
        }
        c.of("/room-x").await;
        c.expect("connect_failed", |r| {
            r["ev"] == "connect_failed" && r["ns"] == "/room-x"
        })
        .await;
        assert_eq!(c.emit_ack("", "add", vec![json!(1), json!(2)]).await, [json!(3)]);
        assert_eq!(c.emit_ack("/room-7", "which", vec![]).await[0], json!(7), "{transport}");
    }
}

/// Modern clients: socket.io-client 4 (Socket.IO 5) and 2 (Socket.IO 4).
const MODERN: [(u8, &str); 4] = [(4, "websocket"), (4, "polling"), (2, "websocket"), (2, "polling")];

async fn modern_client(url: &str, version: u8, transport: &str) -> NodeClient {
    let mut c = NodeClient::connect_modern(url, version, transport, json!({})).await;
    c.expect_connect("").await;
    c
}

#[tokio::test]
async fn modern_clients_bind_optional_positional_rest_and_fallback_and_get_later_acks() {
    let url = start().await;
    for (version, transport) in MODERN {
        let who = format!("socket.io-client@{version} over {transport}");
        let mut c = modern_client(&url, version, transport).await;
        assert_eq!(
            c.emit_ack("", "add", vec![json!(2), json!(3)]).await,
            [json!(5)],
            "{who}"
        );
        assert_eq!(
            c.emit_ack("", "add", vec![json!({"b": 3, "a": 2})]).await,
            [json!(5)],
            "{who}"
        );
        // A missing or null `Option` parameter is `None`.
        assert_eq!(
            c.emit_ack("", "greet", vec![json!("ann")]).await,
            [json!("hello, ann")],
            "{who}"
        );
        assert_eq!(
            c.emit_ack("", "greet", vec![json!("ann"), json!(null)]).await,
            [json!("hello, ann")],
            "{who}"
        );
        assert_eq!(
            c.emit_ack("", "greet", vec![json!("ann"), json!("hi")]).await,
            [json!("hi, ann")],
            "{who}"
        );
        assert_eq!(
            c.emit_ack("", "greet", vec![json!({"name": "bob"})]).await,
            [json!("hello, bob")],
            "{who}"
        );
        assert_eq!(
            c.emit_ack("", "collect", vec![json!("n"), json!(1), json!(2), json!(3)])
                .await,
            [json!("n"), json!(3), json!(6)],
            "{who}"
        );
        // Keyword binding of the ambiguous object, and `positional` opting out.
        assert_eq!(
            c.emit_ack("", "ambiguous", vec![json!({"x": [1]})]).await,
            [json!([1])],
            "{who}"
        );
        assert_eq!(
            c.emit_ack("", "ambiguous-positional", vec![json!({"x": 1})]).await,
            [json!({"x": 1})],
            "{who}"
        );
        // An AckSender answering from another task.
        assert_eq!(
            c.emit_ack("", "later", vec![json!("quiet")]).await,
            [json!("QUIET")],
            "{who}"
        );
        assert_eq!(c.emit_ack("", "checked", vec![json!(true)]).await, [json!("fine")]);
        // `#[fallback]` takes names no method handles.
        assert_eq!(
            c.emit_ack("", "nobody", vec![json!(1), json!(2)]).await,
            [json!("no handler for nobody with 2 argument(s)")],
            "{who}"
        );
        // Typed acks from the client.
        c.reply_to("question", vec![json!("me"), json!(42)]).await;
        c.reply_to("confirm", vec![json!(true)]).await;
        assert_eq!(
            c.emit_ack("", "interview", vec![]).await,
            [json!("me"), json!(42), json!(true)],
            "{who}"
        );
    }
}

#[tokio::test]
async fn modern_clients_get_no_answer_for_an_err_or_a_binding_failure_and_go_on() {
    let url = start().await;
    for (version, transport) in MODERN {
        let who = format!("socket.io-client@{version} over {transport}");
        let mut c = modern_client(&url, version, transport).await;
        // Socket.IO 4/5 have no error packet: an `Err` return and a binding
        // failure leave the client's ack unanswered (legacy clients get an
        // error packet instead).
        for (tag, name, args) in [
            ("err", "checked", json!([false])),
            ("unbound", "add", json!(["x", 1])),
            ("too-many", "add", json!([1, 2, 3])),
        ] {
            c.command(json!({"op": "emit", "ns": "", "name": name, "args": args, "ack": tag}))
                .await;
        }
        // Events are handled in order and their acks go out in order: had
        // the three been answered, their acks would have arrived first.
        assert_eq!(
            c.emit_ack("", "checked", vec![json!(true)]).await,
            [json!("fine")],
            "{who}"
        );
        assert!(
            !c.seen(|r| r["ev"] == "ack" && ["err", "unbound", "too-many"].contains(&r["tag"].as_str().unwrap_or(""))),
            "{who}"
        );
        assert!(
            !c.seen(|r| r["ev"] == "disconnect" || r["ev"] == "connect_error"),
            "{who}"
        );
    }
}

#[tokio::test]
async fn the_main_namespace_open_hook_sees_the_auth_payload_and_may_refuse() {
    let url = start().await;
    for transport in ["websocket", "polling"] {
        let mut c = NodeClient::connect_modern(&url, 4, transport, json!({"auth": {"user": "ann"}})).await;
        c.expect_connect("").await;
        assert_eq!(
            c.emit_ack("", "opened_with", vec![]).await,
            [json!({"user": "ann"})],
            "{transport}"
        );
        // No auth: the hook sees none.
        let mut c = modern_client(&url, 4, transport).await;
        assert_eq!(c.emit_ack("", "opened_with", vec![]).await, [json!(null)]);
        let mut refused = NodeClient::connect_modern(&url, 4, transport, json!({"auth": {"let_in": false}})).await;
        let error = refused.expect_connect_error("").await;
        assert_eq!(error["message"], "Not authorized", "{transport}");
        assert!(!refused.seen(|r| r["ev"] == "connect"), "{transport}");
    }
}
