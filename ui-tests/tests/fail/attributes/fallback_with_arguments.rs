struct Chat;

#[socketio::handler]
impl Chat {
    #[fallback(x)]
    fn other(&self) {}
}

fn main() {}
