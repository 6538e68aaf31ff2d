struct Chat;

#[socketio::handler]
impl Chat {
    fn on_close(&mut self, reason: String) {}
}

fn main() {}
