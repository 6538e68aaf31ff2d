#[socketio::emits]
trait Out {
    fn point((x, y): (i32, i32));
}

fn main() {}
