use serde::{Deserialize, Serialize};
use socketio::{AckError, AckSender, ConnectionInfo, Ctx, Endpoint, Event, Message, Reply};

#[derive(Serialize, Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(Default)]
struct Every {
    n: u64,
}

#[socketio::handler(endpoints("/a" => Every, "/b" => Plain))]
impl Every {
    async fn on_open(&mut self, info: &ConnectionInfo, cx: &Ctx) -> bool {
        let _ = (info.ip(), cx.sid());
        true
    }

    async fn on_message(&mut self, message: Message, cx: Ctx) {
        let _ = (message, cx);
    }

    fn on_close(&mut self) {}

    #[event]
    fn sync_ref(&self) {}

    #[event]
    async fn async_mut(&mut self) -> u64 {
        self.n += 1;
        self.n
    }

    #[event("renamed")]
    fn with_name(&self, a: i64, b: Option<String>) -> (i64, Option<String>) {
        (a, b)
    }

    #[event(name = "kw-off", positional)]
    fn positional_only(&self, p: Point) -> Point {
        p
    }

    #[event]
    fn rest(&self, first: String, #[rest] others: Vec<serde_json::Value>) -> usize {
        first.len() + others.len()
    }

    #[event]
    fn context_anywhere(&self, a: u8, cx: &Ctx, info: ConnectionInfo, b: u8) -> String {
        format!("{a}{b}{}{}", cx.sid(), info.ip())
    }

    #[event]
    async fn result(&self, cx: &Ctx) -> Result<Vec<String>, AckError> {
        let answer = cx.emit_with_ack("q", ()).await?;
        answer.parse::<Vec<String>>()
            .map_err(|e| AckError::BadAnswer(e.to_string()))
    }

    #[event]
    fn reply(&self) -> Reply {
        Reply::empty()
    }

    #[event]
    fn later(&self, ack: AckSender) {
        ack.send(Reply::empty());
    }

    #[event]
    fn unit(&self) -> () {}

    #[fallback]
    fn other(&mut self, cx: &Ctx, event: Event) -> Result<(), String> {
        let _ = cx;
        Err(format!("unknown {}", event.name))
    }

    #[endpoint_resolver]
    fn resolve(name: &str) -> Option<Endpoint> {
        name.starts_with("/x").then(|| Endpoint::new(Plain::default))
    }

    // Untouched: not an event, not a hook.
    fn helper(&self) -> u64 {
        self.n
    }
}

#[derive(Default)]
struct Plain;

#[socketio::handler]
impl Plain {}

#[socketio::emits]
pub trait Outgoing {
    /// Docs are kept.
    fn tick(n: u64);
    #[event("two-words")]
    fn two_words(a: &str, p: &Point);
    fn question(q: &str) -> (String, u8);
    fn yes(q: String) -> bool;
}

async fn use_emits(cx: &Ctx) -> Result<(), AckError> {
    cx.emit_tick(1);
    cx.to("room").emit_two_words("a", &Point { x: 1, y: 2 });
    let (_text, _n): (String, u8) = cx.ask_question("?").await?;
    let _yes: bool = cx.ask_yes("!".to_owned()).await?;
    Ok(())
}

fn main() {
    let _io = socketio::SocketIo::builder(Every::default).build();
    let _ = use_emits;
}
