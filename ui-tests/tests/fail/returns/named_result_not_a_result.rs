// A type of one's own named `Result` is taken for a `Result`, and says so.
#[derive(serde::Serialize)]
enum Result<T> {
    Done(T),
}

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self) -> Result<u8> {
        Result::Done(1)
    }
}

fn main() {}
