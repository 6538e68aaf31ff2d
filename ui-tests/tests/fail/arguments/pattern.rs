struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, (a, b): (i32, i32)) {}
}

fn main() {}
