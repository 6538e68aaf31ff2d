struct Chat;

impl Chat {
    #[socketio::event]
    fn hello(&self) {}
}

fn main() {}
