struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello<T: serde::de::DeserializeOwned>(&self, value: T) {}
}

fn main() {}
