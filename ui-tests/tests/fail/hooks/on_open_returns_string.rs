struct Chat;

#[socketio::handler]
impl Chat {
    fn on_open(&mut self) -> String {
        String::new()
    }
}

fn main() {}
