/// An ordinary trait, not a `#[socketio::emits]` one.
trait Room {}

#[derive(Default)]
struct Chat;

#[socketio::handler(emits(Room))]
impl Chat {}

fn main() {}
