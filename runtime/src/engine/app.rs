//! A bare Engine.IO application's view of its sessions (what
//! [`crate::SocketIoBuilder::engine`] serves): a socket to send on and a
//! stream of what the client sends.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, watch};
use tokio_util::task::TaskTracker;

use crate::codec::engineio::fixed;
use crate::core::{Backpressure, CloseReason, Frame};
use crate::engine::tenant::{Reader, Received, Tenant};
use crate::engine::{EngineSession, Version};

/// One message of an Engine.IO session, either way.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Data {
    /// A text message (packet type `4`).
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

/// The application's handle to one Engine.IO session: send to the client,
/// close. Cheap to clone; sends after the session closed are dropped.
#[derive(Clone, Debug)]
pub struct Socket {
    pub(crate) session: Arc<EngineSession>,
}

impl Socket {
    /// The session id.
    pub fn id(&self) -> &str {
        self.session.id()
    }

    /// The protocol revision the client speaks.
    pub fn version(&self) -> Version {
        self.session.version()
    }

    /// The client's address (see `trusted_proxy_header`).
    pub fn ip(&self) -> IpAddr {
        self.session.info().ip
    }

    /// Queues a message for the client; messages arrive in the order sent.
    pub fn send(&self, data: Data) {
        self.session.push(match data {
            Data::Text(text) => Frame::text(fixed::encode_message(&text)),
            Data::Binary(data) => Frame::Binary(data),
        });
    }

    /// The transport carrying the session now: `"polling"` or `"websocket"`.
    pub fn transport(&self) -> &'static str {
        self.session.transport()
    }

    /// Whether the session is closed.
    pub fn is_closed(&self) -> bool {
        self.session.is_closed()
    }

    /// Closes the session (the client gets the close packet).
    pub fn close(&self) {
        self.session.close(CloseReason::ServerClose);
    }
}

/// The messages a client sends, in order; ends when the session closes.
///
/// Asking for the next message says the previous ones are handled: a
/// polling client's POST is answered then (bounded by half the ping
/// timeout), so what the application sent in reply goes out in the next
/// poll, as with node's synchronous message handlers.
#[derive(Debug)]
pub struct Incoming {
    messages: mpsc::Receiver<Data>,
    /// How many messages `recv` has returned.
    taken: u64,
    /// How many of them are handled, for the POSTs that wait on it.
    handled: watch::Sender<u64>,
}

impl Incoming {
    /// The next message, or `None` once the session is closed.
    pub async fn recv(&mut self) -> Option<Data> {
        let taken = self.taken;
        self.handled
            .send_if_modified(|handled| std::mem::replace(handled, taken) != taken);
        let data = self.messages.recv().await?;
        self.taken += 1;
        Some(data)
    }
}

/// What runs for each new session of a bare Engine.IO endpoint: reads its
/// messages until they end.
pub(crate) type AppFn = Arc<dyn Fn(Socket, Incoming) -> BoxFuture<'static, ()> + Send + Sync>;

/// A bare application as a tenant: a task per session reads a channel.
pub(crate) struct AppTenant {
    pub(crate) app: AppFn,
    pub(crate) capacity: usize,
}

impl Tenant for AppTenant {
    fn open(&self, socket: Socket, tasks: &TaskTracker) -> Arc<dyn Reader> {
        let (sender, messages) = mpsc::channel(self.capacity);
        let (handled, handled_watch) = watch::channel(0);
        let incoming = Incoming {
            messages,
            taken: 0,
            handled,
        };
        tasks.spawn((self.app)(socket, incoming));
        Arc::new(ChannelReader {
            sender: std::sync::Mutex::new(Some(sender)),
            received: AtomicU64::new(0),
            handled: handled_watch,
        })
    }
}

struct ChannelReader {
    /// Taken at close: the application's stream then ends.
    sender: std::sync::Mutex<Option<mpsc::Sender<Data>>>,
    /// Messages handed to the application (one that waits for room counts:
    /// the transport awaits that wait before it asks whether all settled).
    received: AtomicU64,
    /// The application's count of handled messages; closed with `Incoming`.
    handled: watch::Receiver<u64>,
}

impl Reader for ChannelReader {
    fn receive(&self, data: Received<'_>) -> Option<Backpressure> {
        let sender = self.sender.lock().unwrap_or_else(|p| p.into_inner()).clone()?;
        let data = Data::from(data);
        self.received.fetch_add(1, Ordering::Relaxed);
        match sender.try_send(data) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => None,
            Err(mpsc::error::TrySendError::Full(data)) => Some(Box::pin(async move {
                let _ = sender.send(data).await;
            })),
        }
    }

    fn settled(&self) -> Option<Backpressure> {
        let received = self.received.load(Ordering::Relaxed);
        if *self.handled.borrow() >= received {
            return None;
        }
        let mut handled = self.handled.clone();
        // Ends early if the application dropped its `Incoming`.
        Some(Box::pin(async move {
            let _ = handled.wait_for(|&handled| handled >= received).await;
        }))
    }

    fn closed(&self, _reason: CloseReason) {
        self.sender.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}
