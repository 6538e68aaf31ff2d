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

    #[event]
    async fn later(&mut self, a: u8) -> u8 {
        a
    }

    #[event]
    fn checked(&self, a: u8) -> ::core::result::Result<u8, &'static str> {
        if a > 0 { Ok(a) } else { Err("zero") }
    }

    #[event]
    fn rest(&self, first: u8, #[rest] others: ::std::vec::Vec<u8>) -> usize {
        usize::from(first) + others.len()
    }

    #[event]
    fn context(&self, cx: &socketio::Ctx, info: &socketio::ConnectionInfo, ack: socketio::AckSender, a: u8) {
        let _ = (cx.sid(), info.ip(), a);
        ack.send(socketio::Reply::empty());
    }

    /// An acked typed emit from an event.
    #[event]
    async fn ask(&self, cx: &socketio::Ctx) -> ::core::result::Result<usize, socketio::AckError> {
        let answer = cx.ask_q("?").await?;
        Ok(answer.len())
    }
}

#[socketio::emits]
trait Out {
    fn ping(n: u8);
    // `String` is shadowed above: the answer is spelled in full.
    fn q(x: &str) -> ::std::string::String;
}

fn main() {}
