use socketio::Ctx;

struct Chat;

#[socketio::handler]
impl Chat {
    fn on_message(&mut self, cx: &Ctx) {}
}

fn main() {}
