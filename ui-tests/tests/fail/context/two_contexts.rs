use socketio::Ctx;

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, cx: &Ctx, again: &Ctx) {}
}

fn main() {}
