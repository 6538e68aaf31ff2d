//! Binding the TCP listener a server accepts on.

use std::io;

use tokio::net::{TcpListener, TcpSocket, ToSocketAddrs};

/// How many connections the kernel queues for a listener before the server
/// accepts them. The standard library's and tokio's `bind` ask for 128: a
/// burst of new clients larger than that (hundreds of polling clients, or a
/// reconnect wave after a restart) overflows the queue, the kernel falls
/// back to SYN cookies and drops what does not fit, and some clients see
/// their connection reset. node listens with 511; the kernel caps this at
/// `net.core.somaxconn` (4096 on current Linux).
pub const LISTEN_BACKLOG: u32 = 1024;

/// Binds a TCP listener on the first address `addr` resolves to, with
/// address reuse and a queue of [`LISTEN_BACKLOG`] pending connections:
/// what [`Server::run`](crate::Server::run) listens on, and what to hand
/// [`Server::run_on`](crate::Server::run_on) or `axum::serve` when you bind
/// yourself (to learn the port of `:0`, say).
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let listener = socketio::listen("127.0.0.1:0").await?;
/// println!("listening on {}", listener.local_addr()?);
/// # Ok(()) }
/// ```
pub async fn listen(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
    listen_with_backlog(addr, LISTEN_BACKLOG).await
}

/// [`listen`] with a queue of `backlog` pending connections.
pub async fn listen_with_backlog(addr: impl ToSocketAddrs, backlog: u32) -> io::Result<TcpListener> {
    let mut last_error = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        // As std and tokio do: a restarted server can bind while old
        // connections linger in TIME_WAIT.
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(backlog)) {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the address resolved to nothing")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_an_ephemeral_port_and_accepts() {
        let listener = listen("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        assert_ne!(addr.port(), 0);
        let (connected, accepted) = tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
        assert_eq!(
            connected.expect("connect").local_addr().expect("address"),
            accepted.expect("accept").1
        );
    }

    /// The queue holds a burst far larger than the 128 of a plain `bind`
    /// while nothing is accepted: every connect completes (beyond the
    /// backlog the kernel would drop the SYNs, and they would hang).
    #[tokio::test]
    async fn a_burst_of_connects_waits_in_the_queue() {
        let somaxconn = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .unwrap_or(LISTEN_BACKLOG);
        let burst = LISTEN_BACKLOG.min(somaxconn) as usize;
        assert!(
            burst > 128,
            "net.core.somaxconn is {somaxconn}: too small to test a backlog"
        );
        let listener = listen("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let connects: Vec<_> = (0..burst)
            .map(|_| tokio::spawn(tokio::net::TcpStream::connect(addr)))
            .collect();
        let mut clients = Vec::with_capacity(burst);
        for connect in connects {
            let client = tokio::time::timeout(std::time::Duration::from_secs(20), connect)
                .await
                .expect("a connect that the queue did not take hangs")
                .expect("task")
                .expect("connect");
            clients.push(client);
        }
        for _ in 0..burst {
            listener.accept().await.expect("accept");
        }
    }

    #[tokio::test]
    async fn a_taken_port_is_an_error() {
        let first = listen("127.0.0.1:0").await.expect("bind");
        let taken = first.local_addr().expect("address");
        assert_eq!(listen(taken).await.expect_err("taken").kind(), io::ErrorKind::AddrInUse);
    }
}
