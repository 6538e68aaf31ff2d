use socketio::Message;

struct Chat;

#[socketio::handler]
impl Chat {
    fn on_message(&mut self, message: Message) -> bool {
        true
    }

    async fn on_close(&mut self) -> String {
        String::new()
    }
}

fn main() {}
