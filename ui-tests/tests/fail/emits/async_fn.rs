#[socketio::emits]
trait Out {
    async fn question(q: &str) -> String;
}

fn main() {}
