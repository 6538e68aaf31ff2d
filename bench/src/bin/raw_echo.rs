//! The ceiling: a bare tokio-tungstenite websocket echo server with an 8 KiB
//! read buffer, no Socket.IO at all.
//!
//! By default it echoes as a well-written server does: it answers every
//! message that is already read, then writes them all with one flush. With
//! `FLUSH=each` it flushes after every message (`bench/run.sh` calls that
//! server `raw-flush`), as the raw echo of the earlier benchmark runs did,
//! so their numbers stay comparable.

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// At most this many replies wait for one flush, so a client that never
/// stops sending still gets answers.
const MAX_BATCH: usize = 256;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(4101);
    let flush_each = std::env::var("FLUSH").is_ok_and(|mode| mode == "each");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
            let Ok(socket) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
                return;
            };
            if flush_each {
                echo_flushing_each(socket).await;
            } else {
                echo_batched(socket).await;
            }
        });
    }
}

async fn echo_batched(mut socket: WebSocketStream<TcpStream>) {
    while let Some(Ok(message)) = socket.next().await {
        let mut queued = 0;
        let mut next = Some(message);
        while let Some(message) = next.take() {
            if message.is_text() || message.is_binary() {
                if socket.feed(message).await.is_err() {
                    return;
                }
                queued += 1;
            }
            if queued >= MAX_BATCH {
                break;
            }
            // Only what is already read (or readable without waiting).
            next = match socket.next().now_or_never() {
                Some(Some(Ok(message))) => Some(message),
                Some(_) => {
                    let _ = socket.flush().await;
                    return;
                }
                None => None,
            };
        }
        if socket.flush().await.is_err() {
            return;
        }
    }
}

async fn echo_flushing_each(mut socket: WebSocketStream<TcpStream>) {
    while let Some(Ok(message)) = socket.next().await {
        if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
            return;
        }
    }
}
