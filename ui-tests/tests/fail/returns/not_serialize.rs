struct NotData;

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self) -> NotData {
        NotData
    }
}

fn main() {}
