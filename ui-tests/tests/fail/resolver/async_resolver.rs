use socketio::Endpoint;

struct Chat;

#[socketio::handler]
impl Chat {
    #[endpoint_resolver]
    async fn resolve(name: &str) -> Option<Endpoint> {
        None
    }
}

fn main() {}
