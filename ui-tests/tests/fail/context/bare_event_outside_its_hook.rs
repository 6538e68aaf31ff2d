// A bare `Event` or `Message` outside its hook is an ordinary event
// argument; socketio's own types are not, and the error says why.
use socketio::{Event, Message};

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, event: Event, message: Message) {
        let _ = (event, message);
    }
}

fn main() {}
