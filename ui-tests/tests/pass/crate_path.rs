// `crate = "path"` for crates that re-export socketio: the generated code
// names the crate through that path.
mod reexport {
    pub use socketio;
}

use reexport::socketio::{AckError, AckSender, Ctx, Event, Message};

#[derive(Default)]
struct Reexported;

#[reexport::socketio::handler(crate = "crate::reexport::socketio", endpoints("/x" => Reexported))]
impl Reexported {
    fn on_open(&mut self, cx: &Ctx) -> bool {
        let _ = cx;
        true
    }

    fn on_message(&mut self, message: Message) {
        let _ = message;
    }

    #[event]
    fn add(&self, a: i64, b: i64) -> Result<i64, String> {
        a.checked_add(b).ok_or_else(|| "overflow".to_owned())
    }

    #[event]
    async fn later(&self, ack: AckSender, cx: &Ctx) -> () {
        let _ = cx.ask_question("?").await;
        ack.send(reexport::socketio::Reply::empty());
    }

    #[fallback]
    fn other(&self, event: Event) -> (u8, String) {
        (1, event.name)
    }
}

#[reexport::socketio::emits(crate = "crate::reexport::socketio")]
trait Out {
    fn tick(n: u8);
    fn question(q: &str) -> String;
}

async fn use_emits(cx: &Ctx) -> Result<(), AckError> {
    cx.emit_tick(1);
    cx.to("room").emit_tick(2);
    let _answer: String = cx.ask_question("?").await?;
    Ok(())
}

fn main() {
    let _io = reexport::socketio::SocketIo::builder(Reexported::default).build();
    let _ = use_emits;
}
