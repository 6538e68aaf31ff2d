struct NotData;

#[socketio::emits]
trait Out {
    fn question(q: &str) -> NotData;
}

fn main() {}
