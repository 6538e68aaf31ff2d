struct Chat;

#[socketio::handler]
impl Chat {
    #[event]
    fn hello(&self, first: String, #[rest(2)] others: Vec<String>) {}
}

fn main() {}
