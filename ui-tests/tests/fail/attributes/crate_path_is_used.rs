// The generated code names the crate through the given path only.
mod reexport {}

struct Chat;

#[socketio::handler(crate = "crate::reexport::socketio")]
impl Chat {
    #[event]
    fn tick(&self, n: u8) {
        let _ = n;
    }
}

fn main() {}
