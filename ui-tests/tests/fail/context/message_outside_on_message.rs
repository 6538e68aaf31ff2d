// Written as socketio's own type: special, and only its hook takes it.
struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, message: socketio::Message) {}
}

fn main() {}
