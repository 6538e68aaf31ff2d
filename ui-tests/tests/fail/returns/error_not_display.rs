struct Opaque;

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self) -> Result<u8, Opaque> {
        Err(Opaque)
    }
}

fn main() {}
