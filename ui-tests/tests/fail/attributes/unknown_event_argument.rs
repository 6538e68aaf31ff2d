struct Chat;

#[socketio::handler]
impl Chat {
    #[event("hello", volatile)]
    fn hello(&self) {}
}

fn main() {}
