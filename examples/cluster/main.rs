//! Several servers as one cluster through Redis: a message said on a page
//! served by one server reaches the pages of every server, each line naming
//! the server it came from. 0.9 clients take part like any other.
//!
//! ```sh
//! redis-server --port 6379 --save '' &
//! PORT=8001 cargo run --example cluster &
//! PORT=8002 cargo run --example cluster &
//! # open http://127.0.0.1:8001/ and http://127.0.0.1:8002/ and talk
//! ```
//!
//! `REDIS_URL` (default `redis://127.0.0.1:6379`) says where Redis is,
//! `NODE_NAME` how the pages name this server.

use std::sync::OnceLock;

use socketio::{Ctx, SocketIo};
use socketio_redis::{RedisAdapter, RedisConfig};

/// What the board tells its readers.
#[socketio::emits]
trait Board {
    /// Which server this page talks to, and how many the cluster has.
    fn welcome(server: &str, servers: usize);
    /// A line said on any page of any server.
    fn said(server: &str, text: &str);
}

static NAME: OnceLock<String> = OnceLock::new();
static IO: OnceLock<SocketIo> = OnceLock::new();

fn name() -> &'static str {
    NAME.get().map_or("", String::as_str)
}

#[derive(Default)]
struct Reader;

#[socketio::handler]
impl Reader {
    async fn on_open(&mut self, cx: &Ctx) -> bool {
        let servers = match IO.get() {
            Some(io) => io.server_count().await.unwrap_or(1),
            None => 1,
        };
        cx.emit_welcome(name(), servers);
        true
    }

    /// Said on this page: every page of every server gets it.
    #[event]
    fn say(&self, cx: &Ctx, text: String) {
        cx.of("").emit_said(name(), &text);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    socketio_examples::init_logging();
    let port = socketio_examples::port(8001);
    let name = std::env::var("NODE_NAME").unwrap_or_else(|_| format!("server on port {port}"));
    let _ = NAME.set(name);
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let adapter = RedisAdapter::new(RedisConfig::new(url.clone()))
        .await
        .map_err(|error| std::io::Error::other(format!("Redis at {url}: {error}")))?;
    let io = SocketIo::builder(Reader::default).adapter(adapter.clone()).build();
    adapter.ready().await;
    let _ = IO.set(io.clone());
    socketio_examples::serve(io, socketio_examples::page(include_str!("index.html")), port).await
}
