// One emitted argument is a one-element tuple, and the error says so.
fn greet(cx: &socketio::Ctx) {
    cx.emit("x", 5);
}

fn main() {
    let _ = greet;
}
