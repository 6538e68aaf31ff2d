use socketio::{AckSender, Event};

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, ack: &AckSender) {}

    #[fallback]
    fn other(&self, event: &Event) {}
}

fn main() {}
