#[socketio::emits]
struct Out;

fn main() {}
