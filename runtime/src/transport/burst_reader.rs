//! Reads a socket in bursts without a buffer of its own while it is idle:
//! each burst lands in a buffer of the worker thread, and only what the
//! reader above does not take at once stays with the socket, until taken.
//!
//! The websocket codec above keeps a small read buffer (its own buffer
//! lives as long as the socket), yet a read of it costs a copy from here,
//! not a system call.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most one read from the socket takes.
const BURST: usize = 16 * 1024;

thread_local! {
    /// Where each burst lands first; shared by every socket polled on this thread.
    static LANDING: RefCell<Box<[u8]>> = RefCell::new(vec![0; BURST].into_boxed_slice());
}

/// `io` whose reads come in bursts (see the module docs); writes pass through.
#[derive(Debug)]
pub(crate) struct BurstReader<S> {
    io: S,
    /// Bytes of the last burst not taken yet, if any. Boxed: the field
    /// is one word in the socket's future, which every idle socket holds.
    left: Option<Box<Bytes>>,
}

impl<S> BurstReader<S> {
    pub(crate) fn new(io: S) -> Self {
        Self { io, left: None }
    }

    /// Gives `buf` what it has room for from `bytes`; returns what it took.
    fn give(buf: &mut ReadBuf<'_>, bytes: &[u8]) -> usize {
        let taken = bytes.len().min(buf.remaining());
        buf.put_slice(&bytes[..taken]);
        taken
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for BurstReader<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(left) = &mut this.left {
            let taken = Self::give(buf, left);
            left.advance(taken);
            if left.is_empty() {
                this.left = None;
            }
            return Poll::Ready(Ok(()));
        }
        if buf.remaining() >= BURST || buf.remaining() == 0 {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        LANDING.with_borrow_mut(|landing| {
            let mut burst = ReadBuf::new(landing);
            ready!(Pin::new(&mut this.io).poll_read(cx, &mut burst))?;
            let read = burst.filled();
            let taken = Self::give(buf, read);
            if taken < read.len() {
                this.left = Some(Box::new(Bytes::copy_from_slice(&read[taken..])));
            }
            Poll::Ready(Ok(()))
        })
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for BurstReader<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::BurstReader;

    #[tokio::test]
    async fn small_reads_take_a_burst_in_order_and_free_its_remainder() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let mut reader = BurstReader::new(server);
        let sent: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&sent).await.expect("written");
        drop(client);
        let mut received = Vec::new();
        let mut small = [0u8; 7];
        loop {
            let n = reader.read(&mut small).await.expect("read");
            if n == 0 {
                break;
            }
            received.extend_from_slice(&small[..n]);
        }
        assert_eq!(received, sent);
        assert!(reader.left.is_none());
    }

    #[tokio::test]
    async fn large_reads_go_straight_to_the_socket() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let mut reader = BurstReader::new(server);
        client.write_all(b"hello").await.expect("written");
        let mut large = vec![0u8; super::BURST];
        let n = reader.read(&mut large).await.expect("read");
        assert_eq!(&large[..n], b"hello");
        reader.write_all(b"back").await.expect("written");
        let mut back = [0u8; 4];
        client.read_exact(&mut back).await.expect("read");
        assert_eq!(&back, b"back");
    }
}
