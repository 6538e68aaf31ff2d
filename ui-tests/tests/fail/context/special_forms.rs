// The special forms: a reference to `Ctx` or `ConnectionInfo`, and
// `AckSender`, `Event`, `Message` written bare or through `socketio::`.
struct Chat;

#[socketio::handler]
impl Chat {
    fn on_open(&mut self, ack: socketio::AckSender) {
        let _ = ack;
    }

    #[event]
    fn hello(&self, cx: &socketio::Ctx, again: &::socketio::Ctx) {
        let _ = (cx, again);
    }

    #[event]
    fn bye(&self, ack: socketio::AckSender, another: AckSender) {
        let _ = (ack, another);
    }
}

use socketio::AckSender;

fn main() {}
