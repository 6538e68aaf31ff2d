use socketio::AckSender;

struct Chat;

#[socketio::handler]
impl Chat {
    fn on_open(&mut self, ack: AckSender) -> bool {
        true
    }
}

fn main() {}
