use socketio::Endpoint;

struct Chat;

#[socketio::handler]
impl Chat {
    #[endpoint_resolver]
    fn resolve(name: String) -> Option<Endpoint> {
        None
    }
}

fn main() {}
