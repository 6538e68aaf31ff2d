struct NotData;

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, data: NotData) {}
}

fn main() {}
