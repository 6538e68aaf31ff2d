// The generated code resolves nothing from the user's scope: these shadow
// the prelude and common crate names, and the crate depends on neither
// serde_json nor tokio directly through this file.
#![allow(dead_code, non_camel_case_types)]

type Result<T> = ::core::result::Result<T, ()>;
struct Option;
struct Vec;
struct String;
mod serde {}
mod serde_json {}
mod tokio {}
mod core {}
mod std {}

#[derive(Default)]
struct Shadowed;

#[socketio::handler(endpoints("/x" => Shadowed))]
impl Shadowed {
    fn on_open(&mut self) -> bool {
        true
    }

    #[event]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[event]
    fn maybe(&self, a: ::core::option::Option<u8>) {
        let _ = a;
    }
}

#[socketio::emits]
trait Out {
    fn ping(n: u8);
}

fn main() {}
