#[socketio::emits]
trait Out {
    fn question(q: &str) -> String;
}

async fn ask(io: &socketio::SocketIo) {
    let _ = io.of("").ask_question("?").await;
}

fn main() {}
