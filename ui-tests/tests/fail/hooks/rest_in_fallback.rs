struct Chat;

#[socketio::handler]
impl Chat {
    #[fallback]
    fn other(&self, #[rest] args: Vec<serde_json::Value>) {}
}

fn main() {}
