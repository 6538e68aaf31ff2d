struct Chat;

#[socketio::handler]
impl Chat {
    #[endpoint_resolver]
    fn resolve(name: &str) {}
}

fn main() {}
