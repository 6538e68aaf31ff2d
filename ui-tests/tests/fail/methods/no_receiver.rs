struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(name: String) {}
}

fn main() {}
