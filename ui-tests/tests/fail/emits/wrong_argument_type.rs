#[socketio::emits]
trait Out {
    fn tick(n: u64, label: &str);
}

fn send(cx: &socketio::Ctx) {
    cx.emit_tick("one", 2);
}

fn main() {}
