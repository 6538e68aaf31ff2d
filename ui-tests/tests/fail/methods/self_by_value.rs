struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(self) {}
}

fn main() {}
