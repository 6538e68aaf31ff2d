#[socketio::emits]
trait Out {
    fn tick(&self, n: u8);
    fn tock(n: u8) {}
}

fn main() {}
