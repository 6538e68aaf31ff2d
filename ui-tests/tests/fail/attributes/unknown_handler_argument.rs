struct Chat;

#[socketio::handler(namespace = "/chat")]
impl Chat {}

fn main() {}
