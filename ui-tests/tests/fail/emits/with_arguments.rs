#[socketio::emits(namespace = "/chat")]
trait Out {
    fn tick(n: u8);
}

fn main() {}
