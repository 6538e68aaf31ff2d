struct NotData;

#[socketio::emits]
trait Out {
    fn tick(n: NotData);
}

fn main() {}
