use socketio::Endpoint;

struct Chat;

#[socketio::handler]
impl Chat {
    #[endpoint_resolver]
    fn resolve() -> Option<Endpoint> {
        None
    }
}

struct Other;

#[socketio::handler]
impl Other {
    #[endpoint_resolver]
    fn resolve(name: &str, prefix: &str) -> Option<Endpoint> {
        None
    }
}

fn main() {}
