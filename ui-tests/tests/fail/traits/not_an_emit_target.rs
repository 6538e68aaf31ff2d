// Typed emits go through a connection or a group, not the server itself.
#[socketio::emits]
trait Out {
    fn tick(n: u8);
}

fn notify(target: &impl Out) {
    target.emit_tick(1);
}

fn notify_any(target: &impl socketio::EmitTarget) {
    target.emit_args("tick", (1,));
}

fn main() {
    let io = socketio::SocketIo::builder(|| Chat).build();
    notify(&io);
    notify_any(&io);
}

struct Chat;

#[socketio::handler]
impl Chat {}
