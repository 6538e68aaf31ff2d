// Hook and argument shapes that `signatures.rs` does not show. Each hook
// kind appears once per handler, so the variants are spread over several.
use socketio::{AckSender, ConnectionInfo, Ctx, Message, Reply};

#[derive(Default)]
struct UnitOpen;

#[socketio::handler]
impl UnitOpen {
    /// `()` written out is the same as no return type: the connection is accepted.
    fn on_open(&mut self, cx: &Ctx) -> () {
        let _ = cx;
    }

    /// A plain (not async) `on_message`.
    fn on_message(&mut self, message: Message) {
        let _ = message;
    }

    /// An async `on_close` with the context.
    async fn on_close(&mut self, cx: &Ctx) {
        let _ = cx.sid();
    }

    #[event]
    fn info_only(&self, info: &ConnectionInfo) -> String {
        info.ip().to_string()
    }

    /// The ack handle among bound arguments and the context, in any order.
    #[event]
    fn ack_among_others(&self, a: u8, ack: AckSender, cx: &Ctx, b: String) {
        let _ = (a, b, cx);
        ack.send(Reply::empty());
    }

    /// An optional argument before the rest.
    #[event]
    fn optional_then_rest(&self, first: Option<u8>, #[rest] more: Vec<u8>) -> usize {
        usize::from(first.unwrap_or(0)) + more.len()
    }

    /// `name = ...` on its own, keyword binding still on.
    #[event(name = "named-only")]
    fn named_only(&self, x: i64) -> i64 {
        x
    }
}

#[derive(Default)]
struct SyncClose;

#[socketio::handler]
impl SyncClose {
    /// A sync `on_close` taking the context by value.
    fn on_close(&mut self, cx: Ctx) {
        let _ = cx;
    }
}

fn main() {
    let _io = socketio::SocketIo::builder(UnitOpen::default)
        .endpoint("/close", SyncClose::default)
        .build();
}
