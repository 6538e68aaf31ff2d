struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, #[rest] all: i32) {}
}

fn main() {}
