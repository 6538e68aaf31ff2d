// One mistake in one event is one error: the trait is still generated,
// so calls of its other events and of the broken one are not reported too.
#[socketio::emits]
trait Out {
    fn tick(n: u8);
    fn point((x, y): (i32, i32));
    fn question(q: &str) -> String;
}

async fn use_them(cx: &socketio::Ctx) -> Result<(), socketio::AckError> {
    cx.emit_tick(1);
    cx.emit_point((1, 2));
    cx.to("room").emit_point((3, 4));
    let _answer: String = cx.ask_question("?").await?;
    Ok(())
}

fn main() {
    let _ = use_them;
}
