//! The Socket.IO Admin UI watching and driving this server: every socket
//! (0.9 clients included, with their transport), its rooms, the events each
//! one receives and is sent, and buttons to make a socket join or leave a
//! room or to disconnect it.
//!
//! ```sh
//! ADMIN_PASSWORD=secret cargo run --example admin
//! # open http://127.0.0.1:8001/ (a client) and http://127.0.0.1:8001/admin-ui/
//! # (the UI, from @socket.io/admin-ui's package); log in as admin / secret
//! ```
//!
//! The hosted UI at <https://admin.socket.io> connects too (server URL
//! `http://127.0.0.1:8001`): cross-origin requests are allowed by default.

use socketio::admin::{AdminUi, Mode};
use socketio::{Ctx, SocketIo};

/// What a client is told.
#[socketio::emits]
trait Room {
    /// A line said by `who` in the room `room`.
    fn said(room: &str, who: &str, text: &str);
}

/// A client on the main namespace: joins rooms and talks in them.
#[derive(Default)]
struct Client;

#[socketio::handler]
impl Client {
    /// Joins `room`.
    #[event]
    fn join(&self, cx: &Ctx, room: String) {
        cx.join(&room);
    }

    /// Says `text` in `room`, to everyone in it.
    #[event]
    fn say(&self, cx: &Ctx, room: String, text: String) {
        cx.to(room.as_str()).emit_said(&room, cx.sid(), &text);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    socketio_examples::init_logging();
    let port = socketio_examples::port(8001);
    let password = std::env::var("ADMIN_PASSWORD").unwrap_or_else(|_| "admin".to_owned());
    // bcrypt's default cost is slow in a debug build; 8 is plenty for a demo.
    let hash = bcrypt::hash(password, 8).map_err(std::io::Error::other)?;
    let ui = AdminUi::new().basic_auth("admin", hash).mode(Mode::Development);
    let io = SocketIo::builder(Client::default)
        .admin_ui(ui)
        .static_dir("/admin-ui", env!("ADMIN_UI_DIR"))
        .build();
    socketio_examples::serve(io, socketio_examples::page(include_str!("index.html")), port).await
}
