struct Chat;

#[socketio::handler(crate = "socketio!")]
impl Chat {}

#[socketio::handler(crate = socketio)]
impl Chat {}

#[socketio::emits(crate = "::")]
trait Out {
    fn tick(n: u8);
}

fn main() {}
