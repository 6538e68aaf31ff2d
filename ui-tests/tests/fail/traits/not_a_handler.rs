// A type whose impl block lacks `#[socketio::handler]` is not a handler.
#[derive(Default)]
struct Chat;

impl Chat {
    fn on_open(&mut self) {}
}

fn main() {
    let _io = socketio::SocketIo::builder(Chat::default).build();
}
