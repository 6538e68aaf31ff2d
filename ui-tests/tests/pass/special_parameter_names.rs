// Special parameters are recognized by how their type is written, so a
// type of one's own named `Event`, `Message` (bare, outside their hooks)
// or `Ctx` (through a path) is an ordinary event argument.
use serde::Deserialize;

#[derive(Deserialize)]
struct Message {
    text: String,
}

#[derive(Deserialize)]
struct Event {
    at: u64,
}

mod model {
    #[derive(serde::Deserialize)]
    pub struct Ctx {
        pub room: String,
    }

    #[derive(serde::Deserialize)]
    pub struct AckSender;
}

#[derive(Default)]
struct Calendar;

#[socketio::handler]
impl Calendar {
    fn on_message(&mut self, message: socketio::Message) {
        let _ = message;
    }

    #[event]
    fn post(&self, message: Message, event: Event, cx: &socketio::Ctx) -> String {
        let _ = cx;
        format!("{}{}", message.text, event.at)
    }

    #[event]
    fn optional(&self, message: Option<Message>, #[rest] events: Vec<Event>) -> usize {
        message.map_or(0, |m| m.text.len()) + events.len()
    }

    #[event]
    fn own_ctx(&self, cx: model::Ctx, ack: model::AckSender, real: socketio::AckSender) {
        let _ = (cx.room, ack);
        real.send(socketio::Reply::empty());
    }

    #[fallback]
    fn other(&self, event: socketio::Event) -> String {
        event.name
    }
}

mod hooks {
    use socketio::{AckSender, ConnectionInfo, Ctx, Event, Message};

    #[derive(Default)]
    pub struct BareInHooks;

    /// In their hooks, bare names are socketio's.
    #[socketio::handler]
    impl BareInHooks {
        fn on_open(&mut self, cx: Ctx, info: &ConnectionInfo) {
            let _ = (cx, info);
        }

        fn on_message(&mut self, message: Message) {
            let _ = message;
        }

        #[fallback]
        fn other(&self, event: Event, ack: AckSender) {
            let _ = event;
            ack.send(socketio::Reply::empty());
        }
    }
}

fn main() {
    let _io = socketio::SocketIo::builder(Calendar::default)
        .endpoint("/bare", hooks::BareInHooks::default)
        .build();
}
