struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    #[event("again")]
    fn hello(&self) {}

    #[event]
    #[fallback]
    fn other(&self) {}
}

fn main() {}
