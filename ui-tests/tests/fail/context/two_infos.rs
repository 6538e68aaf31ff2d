use socketio::ConnectionInfo;

struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, info: &ConnectionInfo, again: &ConnectionInfo) {}
}

fn main() {}
