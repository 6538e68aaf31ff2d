struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, name: &str) {}
}

fn main() {}
