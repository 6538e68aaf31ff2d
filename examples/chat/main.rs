//! A chatroom, TornadIO2's `transports` example: pick a transport on the
//! page, choose a nickname, talk. Open the printed URL in two tabs.
//!
//! ```sh
//! cargo run --example chat        # then open http://127.0.0.1:8001/
//! ```
//!
//! `client/chat.ts` is a TypeScript client of the same room for node,
//! typed by the event maps generated from this file's handler and emits
//! trait and committed as `client/index.d.ts`; the examples' build script
//! compiles it with `tsc` into `client/dist/chat.js`:
//!
//! ```sh
//! cargo run --example chat -- typings write   # after changing an event
//! cargo run --example chat -- typings check   # CI: fails when stale
//! node examples/chat/client/dist/chat.js http://127.0.0.1:8001 alice
//! ```

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use socketio::typescript::{Binary, Typings};
use socketio::{Ctx, SocketIo};

/// What the server tells the room.
#[socketio::emits]
trait Room {
    /// Someone joined; everyone gets the new list of people.
    fn joined(nick: &str, people: &[String]);
    /// Someone left.
    fn left(nick: &str, people: &[String]);
    /// A line of chat.
    fn said(nick: &str, text: &str);
}

/// The people in the room, shared by every connection.
type People = Arc<Mutex<BTreeSet<String>>>;

/// One connection: who it is, once it joined.
struct Chat {
    people: People,
    nick: Option<String>,
}

impl Chat {
    fn people(&self) -> Vec<String> {
        self.people
            .lock()
            .map(|p| p.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[socketio::handler(emits(Room))]
impl Chat {
    fn on_open(&mut self, cx: &Ctx) -> bool {
        cx.send("Welcome! Pick a nickname to join the room.");
        true
    }

    /// Joins the room; acks with the nickname taken, or `""` with a reason
    /// sent as a message when it cannot be.
    #[event]
    fn join(&mut self, cx: &Ctx, nick: String) -> String {
        let nick = nick.trim().chars().take(24).collect::<String>();
        let taken = !nick.is_empty() && self.people.lock().map(|mut p| p.insert(nick.clone())).unwrap_or(false);
        if !taken {
            cx.send(if nick.is_empty() {
                "A nickname cannot be empty.".to_owned()
            } else {
                format!("{nick} is taken.")
            });
            return String::new();
        }
        self.nick = Some(nick.clone());
        cx.join("room");
        cx.to("room").emit_joined(&nick, &self.people());
        nick
    }

    /// Says something to everyone in the room.
    #[event]
    fn say(&self, cx: &Ctx, text: String) {
        if let Some(nick) = &self.nick {
            cx.to("room").emit_said(nick, &text);
        }
    }

    fn on_close(&mut self, cx: &Ctx) {
        if let Some(nick) = self.nick.take() {
            if let Ok(mut people) = self.people.lock() {
                people.remove(&nick);
            }
            cx.to("room").emit_left(&nick, &self.people());
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [command, rest @ ..] = args.as_slice()
        && command == "typings"
    {
        return typings(rest);
    }
    socketio_examples::init_logging();
    let people = People::default();
    let io = SocketIo::new(move || Chat {
        people: people.clone(),
        nick: None,
    });
    socketio_examples::serve(
        io,
        socketio_examples::page(include_str!("index.html")),
        socketio_examples::port(8001),
    )
    .await
}

/// `typings write|check [DIR]`: the TypeScript client's event maps, in
/// `client/` unless DIR says otherwise.
fn typings(args: &[String]) -> std::io::Result<()> {
    let dir = match args.get(1) {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("chat/client"),
    };
    // The committed client runs in browsers; the chat carries no binary.
    let typings = Typings::of::<Chat>(Binary::Browser);
    let result = match args.first().map(String::as_str) {
        Some("write") => typings.write_dir(&dir).map(|paths| {
            for path in paths {
                println!("wrote {}", path.display());
            }
        }),
        Some("check") => typings
            .check_dir(&dir)
            .map(|()| println!("{} is up to date", dir.display())),
        _ => {
            eprintln!("usage: chat typings write|check [DIR]");
            std::process::exit(2);
        }
    };
    if let Err(error) = result {
        eprintln!("{error}");
        std::process::exit(1);
    }
    Ok(())
}
