// An endpoint resolver is a function from a name to an endpoint.
#[derive(Default)]
struct Chat;

#[socketio::handler]
impl Chat {}

fn main() {
    let _io = socketio::SocketIo::builder(Chat::default)
        .endpoint_resolver(socketio::Endpoint::new(Chat::default))
        .build();
}
