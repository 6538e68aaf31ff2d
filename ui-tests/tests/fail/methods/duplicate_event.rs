struct Chat;

#[socketio::handler]
impl Chat {
    #[event("hello")]
    fn hello(&self) {}

    #[event("hello")]
    fn hello_again(&self) {}
}

fn main() {}
