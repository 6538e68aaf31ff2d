struct Chat;

#[socketio::handler]
impl Chat {
    fn on_open(&mut self) {}

    #[on_open]
    fn opened(&mut self) {}
}

fn main() {}
