//! A test application served over real sockets: hand-written handlers with
//! the behaviour of the conformance contract, so the runtime is tested
//! without the macros.

#![allow(dead_code)]

pub mod engineio;
pub mod example;
pub mod http;
pub mod msgpack;
pub mod node_server;
pub mod raw_client;
pub mod recovering;
pub mod tsc;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use socketio::{
    Ctx, DispatchError, Endpoint, Event, Handler, Message, RawJson, Reply, Server, SocketIo, SocketIoBuilder,
};
use tokio::sync::oneshot;

/// What the server side observed, for assertions that need it.
#[derive(Debug, Default)]
pub struct Observed {
    pub opens: AtomicUsize,
    pub slow_started: AtomicUsize,
    pub slow_finished: AtomicUsize,
    pub closes: Mutex<Vec<(String, String)>>,
    closed: tokio::sync::Notify,
}

impl Observed {
    /// Waits until the close hook of `sid`'s `endpoint` connection ran.
    pub async fn wait_close(&self, sid: &str, endpoint: &str) {
        let wait = async {
            loop {
                let notified = self.closed.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.closes_of(sid).iter().any(|ep| ep == endpoint) {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .unwrap_or_else(|_| panic!("close hook of {sid:?} {endpoint:?} never ran"));
    }

    pub fn closes_of(&self, sid: &str) -> Vec<String> {
        let closes = self.closes.lock().expect("lock");
        closes
            .iter()
            .filter(|(s, _)| s == sid)
            .map(|(_, ep)| ep.clone())
            .collect()
    }
}

fn bad(event: &Event, error: impl std::fmt::Display) -> DispatchError {
    DispatchError::BadArguments {
        event: event.name.clone(),
        message: error.to_string(),
    }
}

fn arg<T: serde::de::DeserializeOwned>(event: &Event, index: usize) -> Result<T, DispatchError> {
    let raw = event
        .args
        .get(index)
        .ok_or_else(|| bad(event, format!("missing argument {index}")))?;
    raw.deserialize().map_err(|e| bad(event, e))
}

#[derive(Deserialize)]
struct SumKw {
    a: i64,
    b: i64,
}

/// The main endpoint (and, with `endpoint` set, `/chat`).
pub struct App {
    pub observed: Arc<Observed>,
}

impl App {
    async fn event(&mut self, cx: &Ctx, event: Event) -> Result<Reply, DispatchError> {
        let reply = |v: &[RawJson]| Reply::with_args(v).map_err(|e| bad(&event, e));
        match event.name.as_str() {
            "echo" => {
                cx.emit("echo", &event.args[..]);
                reply(&event.args)
            }
            "sum" => {
                let (a, b) = if event.args.len() == 1 {
                    let kw: SumKw = arg(&event, 0)?;
                    (kw.a, kw.b)
                } else if event.args.len() == 2 {
                    (arg::<i64>(&event, 0)?, arg::<i64>(&event, 1)?)
                } else {
                    return Err(bad(&event, "expected two integers"));
                };
                Reply::with_args((a + b,)).map_err(|e| bad(&event, e))
            }
            "hello" => {
                let name: String = match event.args.first().map(|a| a.deserialize::<Value>()) {
                    Some(Ok(Value::Object(map))) => map.get("name").and_then(Value::as_str).unwrap_or("").to_owned(),
                    _ => arg(&event, 0)?,
                };
                cx.emit("thanks", (json!({ "name": name }),));
                cx.emit("hello", (name, "foobar"));
                Ok(Reply::empty())
            }
            "ask" => {
                let answer = cx.emit_with_ack("question", ("how?",)).await;
                match answer {
                    Ok(answer) => cx.emit("answer", &answer.args[..]),
                    Err(error) => cx.emit("answer_error", (error.to_string(),)),
                }
                Ok(Reply::empty())
            }
            "whoami" => {
                let info = cx.info();
                let query: serde_json::Map<String, Value> = if cx.endpoint().is_empty() {
                    info.query().iter().map(|(k, v)| (k.clone(), json!(v))).collect()
                } else {
                    info.endpoint_query()
                        .iter()
                        .map(|(k, v)| (k.clone(), json!(v)))
                        .collect()
                };
                let cookies: serde_json::Map<String, Value> =
                    info.cookies().iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                let who = json!({
                    "sid": cx.sid(),
                    "endpoint": cx.endpoint(),
                    "query": query,
                    "ip": info.ip().to_string(),
                    "cookies": cookies,
                    "agent": info.headers().get("user-agent").and_then(|v| v.to_str().ok()),
                });
                Reply::with_args((who,)).map_err(|e| bad(&event, e))
            }
            "join" => {
                cx.join(&arg::<String>(&event, 0)?);
                Ok(Reply::empty())
            }
            "leave" => {
                cx.leave(&arg::<String>(&event, 0)?);
                Ok(Reply::empty())
            }
            "to_room" => {
                let room: String = arg(&event, 0)?;
                let x: RawJson = arg(&event, 1)?;
                cx.to(room.clone())
                    .emit("room_msg", (room, x))
                    .map_err(|e| bad(&event, e))?;
                Ok(Reply::empty())
            }
            "broadcast" => {
                let x: RawJson = arg(&event, 0)?;
                cx.of(cx.endpoint())
                    .emit("broadcast", (x,))
                    .map_err(|e| bad(&event, e))?;
                Ok(Reply::empty())
            }
            "broadcast_others" => {
                let x: RawJson = arg(&event, 0)?;
                cx.broadcast().emit("others", (x,)).map_err(|e| bad(&event, e))?;
                Ok(Reply::empty())
            }
            "to_room_others" => {
                let room: String = arg(&event, 0)?;
                let x: RawJson = arg(&event, 1)?;
                cx.to(room.clone())
                    .except(cx.sid())
                    .emit("room_others", (room, x))
                    .map_err(|e| bad(&event, e))?;
                Ok(Reply::empty())
            }
            "ask_twice" => {
                // Two acked emits at once: with `max_pending_acks(1)` the second is refused.
                let (first, second) = tokio::join!(cx.emit_with_ack("q1", ()), cx.emit_with_ack("q2", ()));
                let describe = |r: Result<socketio::AckResponse, socketio::AckError>| match r {
                    Ok(_) => "answered".to_owned(),
                    Err(e) => e.to_string(),
                };
                cx.emit("asked", (describe(first), describe(second)));
                Ok(Reply::empty())
            }
            "count_to" => {
                let n: u64 = arg(&event, 0)?;
                for i in 0..n {
                    cx.emit("n", (i,));
                }
                Ok(Reply::empty())
            }
            "close_me" => {
                cx.close();
                Ok(Reply::empty())
            }
            // Listens where a client must not reach: a fake `disconnect`
            // event would show as this echo.
            "disconnect" => {
                cx.emit("dispatched", (event.name.as_str(),));
                Ok(Reply::empty())
            }
            "panic" => panic!("the test asked for a panic"),
            "slow" => {
                // Ordered dispatch: a later event waits for this one.
                let ms: u64 = arg(&event, 0)?;
                self.observed.slow_started.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                self.observed.slow_finished.fetch_add(1, Ordering::SeqCst);
                cx.emit("slow_done", (ms,));
                Ok(Reply::empty())
            }
            _ => Err(DispatchError::UnknownEvent(event.name.clone())),
        }
    }
}

impl Handler for App {
    async fn on_open(&mut self, cx: &Ctx) -> bool {
        self.observed.opens.fetch_add(1, Ordering::SeqCst);
        if cx.endpoint().is_empty() {
            cx.info().get_argument("reject") != Some("1")
        } else {
            cx.send(format!("welcome {}", cx.endpoint()));
            true
        }
    }

    async fn on_message(&mut self, cx: &Ctx, message: Message) {
        match message {
            Message::Text(text) => cx.send(text),
            Message::Json(json) => cx.send_raw_json(json),
        }
    }

    async fn on_event(&mut self, cx: &Ctx, event: Event) -> Result<Reply, DispatchError> {
        self.event(cx, event).await
    }

    async fn on_close(&mut self, cx: &Ctx) {
        self.observed
            .closes
            .lock()
            .expect("lock")
            .push((cx.sid().to_owned(), cx.endpoint().to_owned()));
        self.observed.closed.notify_waiters();
    }
}

/// An endpoint whose open hook always refuses.
pub struct Refuser;

impl Handler for Refuser {
    async fn on_open(&mut self, _cx: &Ctx) -> bool {
        false
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub io: SocketIo,
    pub observed: Arc<Observed>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful shutdown; resolves when the server returned.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Starts the test application on a free loopback port.
pub async fn start(configure: impl FnOnce(SocketIoBuilder) -> SocketIoBuilder) -> TestServer {
    let observed = Arc::new(Observed::default());
    let (main_obs, chat_obs, dyn_obs) = (observed.clone(), observed.clone(), observed.clone());
    let builder = SocketIo::builder(move || App {
        observed: main_obs.clone(),
    })
    .endpoint("/chat", move || App {
        observed: chat_obs.clone(),
    })
    .endpoint("/reject", || Refuser)
    .endpoint_resolver(move |name: &str| {
        let observed = dyn_obs.clone();
        name.starts_with("/dyn-").then(|| {
            Endpoint::new(move || App {
                observed: observed.clone(),
            })
        })
    });
    // Tests run in parallel: no fixed policy port (the policy tests pass a listener).
    let io = configure(builder.flash_policy_port(None)).build();
    let listener = socketio::listen("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = Server::new(io.clone()).with_graceful_shutdown(async move {
        let _ = stopped.await;
    });
    let task = tokio::spawn(server.run_on(listener));
    TestServer {
        addr,
        io,
        observed,
        stop: Some(stop),
        task: Some(task),
    }
}

/// Default settings with short timers for tests that wait on them.
pub async fn start_default() -> TestServer {
    start(|b| b).await
}

/// A second session works end to end: handshake, `1::`, an acked event.
pub async fn assert_healthy(server: &TestServer) {
    use http::{get, handshake, post, xhr};
    let sid = handshake(server.addr).await;
    let first = get(server.addr, &xhr(&sid)).await;
    assert_eq!(first.text(), "1::");
    let posted = post(server.addr, &xhr(&sid), "5:1+::{\"name\":\"sum\",\"args\":[2,3]}").await;
    assert_eq!(posted.status, 200);
    let answer = get(server.addr, &xhr(&sid)).await;
    assert_eq!(answer.text(), "6:::1+[5]");
}
