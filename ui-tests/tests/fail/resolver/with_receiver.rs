use socketio::Endpoint;

struct Chat;

#[socketio::handler]
impl Chat {
    #[endpoint_resolver]
    fn resolve(&self, name: &str) -> Option<Endpoint> {
        None
    }
}

fn main() {}
