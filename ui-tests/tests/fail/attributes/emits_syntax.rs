#[derive(Default)]
struct Chat;

#[socketio::handler(emits("Room"))]
impl Chat {}

fn main() {}
