struct Chat;

#[socketio::handler]
impl Chat {
    #[fallback]
    fn first(&self) {}

    #[fallback]
    fn second(&self) {}
}

fn main() {}
