//! Which local address a client connection comes from. One address has
//! about 28k ephemeral ports towards one server port; spreading the
//! connections over several loopback addresses (all of 127.0.0.0/8 loops
//! back on Linux) lets one load generator hold 100k sessions.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::net::{TcpSocket, TcpStream};

/// How many source addresses to spread over; 1: let the kernel choose.
static ADDRESSES: AtomicU32 = AtomicU32::new(1);
/// The next connection's turn.
static TURN: AtomicU32 = AtomicU32::new(0);

/// Spreads the connections made from now on over 127.0.0.1 ..= 127.0.0.`count`.
pub fn spread_over(count: u32) {
    ADDRESSES.store(count.clamp(1, 254), Ordering::Relaxed);
}

/// A TCP connection to `addr`, from the next source address in turn,
/// without Nagle's delay (as every client of the benchmark is).
pub async fn connect(addr: &str) -> std::io::Result<TcpStream> {
    let count = ADDRESSES.load(Ordering::Relaxed);
    let stream = if count <= 1 {
        TcpStream::connect(addr).await?
    } else {
        let target: SocketAddr = tokio::net::lookup_host(addr)
            .await?
            .next()
            .ok_or_else(|| std::io::Error::other(format!("{addr}: no address")))?;
        let host = 1 + TURN.fetch_add(1, Ordering::Relaxed) % count;
        let [_, _, _, last] = host.to_be_bytes();
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), 0)))?;
        socket.connect(target).await?
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}
