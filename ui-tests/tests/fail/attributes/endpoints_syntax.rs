#[derive(Default)]
struct Chat;

#[socketio::handler(endpoints("/chat": Chat))]
impl Chat {}

fn main() {}
