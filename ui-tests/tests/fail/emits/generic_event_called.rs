// A generic event is an error, but its method still exists: calling it
// is no second error.
#[socketio::emits]
trait Out {
    fn tock<N: serde::Serialize>(n: N);
    fn question<A: serde::de::DeserializeOwned>(q: &str) -> A;
}

async fn use_it(cx: &socketio::Ctx) -> Result<(), socketio::AckError> {
    cx.emit_tock(5u8);
    let _answer: String = cx.ask_question("?").await?;
    Ok(())
}

fn main() {
    let _ = use_it;
}
