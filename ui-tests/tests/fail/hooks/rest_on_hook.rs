use socketio::Ctx;

struct Chat;

#[socketio::handler]
impl Chat {
    fn on_open(&mut self, #[rest] cx: &Ctx) {}
}

fn main() {}
