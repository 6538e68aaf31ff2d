use socketio::AckSender;

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, ack: AckSender, again: AckSender) {}
}

fn main() {}
