struct NotDisplay;

type Result<T> = std::result::Result<T, NotDisplay>;

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self) -> Result<u8> {
        Ok(1)
    }
}

fn main() {}
