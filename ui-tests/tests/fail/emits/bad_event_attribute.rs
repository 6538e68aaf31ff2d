#[socketio::emits]
trait Out {
    #[event(room_msg)]
    fn room_msg(text: &str);
    #[event("")]
    fn tick(n: u8);
    #[event]
    fn tock(n: u8);
}

fn main() {}
