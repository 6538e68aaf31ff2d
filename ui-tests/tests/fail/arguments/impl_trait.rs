struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, name: impl std::fmt::Display) {}
}

fn main() {}
