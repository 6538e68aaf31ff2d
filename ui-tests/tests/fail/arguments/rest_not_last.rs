struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, #[rest] all: Vec<i32>, last: i32) {}
}

fn main() {}
