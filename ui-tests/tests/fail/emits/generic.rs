#[socketio::emits]
trait Out<T> {
    fn tick<N: serde::Serialize>(n: N);
}

fn main() {}
