struct Chat;

#[socketio::handler]
impl Chat {
    #[event(42)]
    fn hello(&self) {}
}

fn main() {}
