use socketio::Event;

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, event: Event) {}
}

fn main() {}
