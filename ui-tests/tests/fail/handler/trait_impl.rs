struct Chat;

#[socketio::handler]
impl socketio::Handler for Chat {}

fn main() {}
