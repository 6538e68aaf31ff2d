use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::engine::{CloseReason, EngineSession, Frame, Protocol};

/// One message of an Engine.IO session, either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
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
    pub fn protocol(&self) -> Protocol {
        self.session.protocol()
    }

    /// The client's address (see `trusted_proxy_header`).
    pub fn ip(&self) -> IpAddr {
        self.session.info().ip
    }

    /// Queues a message for the client; messages arrive in the order sent.
    pub fn send(&self, message: Message) {
        self.session.push(match message {
            Message::Text(text) => Frame::text(format!("4{text}")),
            Message::Binary(data) => Frame::Binary(data),
        });
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
#[derive(Debug)]
pub struct Incoming {
    pub(crate) messages: mpsc::Receiver<Message>,
}

impl Incoming {
    /// The next message, or `None` once the session is closed.
    pub async fn recv(&mut self) -> Option<Message> {
        self.messages.recv().await
    }
}
