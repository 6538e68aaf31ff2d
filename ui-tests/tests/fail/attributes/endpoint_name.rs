#[derive(Default)]
struct Chat;

#[socketio::handler(endpoints("chat" => Chat, "/a" => Chat, "/a" => Chat))]
impl Chat {}

fn main() {}
