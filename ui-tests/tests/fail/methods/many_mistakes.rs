// Every mistake of one impl block is reported in one compile.
use socketio::{AckSender, Ctx};

struct Chat;

#[socketio::handler]
impl Chat {
    fn on_open(&mut self) -> String {
        String::new()
    }

    fn on_message(&mut self, cx: &Ctx) {}

    #[event("")]
    fn hello(&self, name: &str) {}

    #[event]
    fn add(&self, #[rest] all: Vec<i64>, last: i64) {}

    #[event]
    fn later(self, ack: AckSender, again: AckSender) {}

    #[event("add")]
    fn add_again(&self, message: socketio::Message) {}
}

fn main() {}
