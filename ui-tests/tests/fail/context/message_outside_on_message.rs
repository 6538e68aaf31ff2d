use socketio::Message;

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, message: Message) {}
}

fn main() {}
