#[socketio::emits]
trait Out {
    const LIMIT: usize;
    type Payload;
    fn tick(n: u8);
}

fn main() {}
