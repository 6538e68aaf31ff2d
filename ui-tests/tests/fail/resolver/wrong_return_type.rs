use socketio::Endpoint;

struct Chat;

#[socketio::handler]
impl Chat {
    #[endpoint_resolver]
    fn resolve(name: &str) -> Endpoint {
        Endpoint::new(Other::default)
    }
}

#[derive(Default)]
struct Other;

#[socketio::handler]
impl Other {}

fn main() {}
