struct Chat;

#[socketio::handler]
impl Chat {
    #[event("")]
    fn hello(&self) {}

    #[event(name = "")]
    fn goodbye(&self) {}
}

fn main() {}
