#[socketio::handler]
struct NotAnImpl;

fn main() {}
