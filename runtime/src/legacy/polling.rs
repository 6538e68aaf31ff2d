//! Long-polling: a GET is held until frames are queued or the polling
//! duration passes; a POST delivers one packet or a framed payload.

use std::sync::Arc;
use std::time::Duration;

use http::{Response, StatusCode};

use crate::codec::legacy::{encode_payload, fixed};
use crate::core::{Frame, Lent, Take};
use crate::legacy::bind::Binding;
use crate::legacy::{Session, Transport};
use crate::transport::{Body, text, text_settling};

/// What one poll answers with, before the transport wraps it for HTTP.
#[derive(Debug)]
pub(crate) enum PollOutcome {
    /// A payload of one or more packets, lent until the answer is sent.
    Payload(Lent<Session>),
    /// The hold expired, or a newer poll replaced this one: `8::`.
    Noop,
    /// No such session (or it ended and everything was delivered).
    NotHandshaken,
}

impl PollOutcome {
    /// The answer's text, and the frames it carries out of the queue.
    pub(crate) fn into_parts(self) -> (String, Option<Lent<Session>>) {
        match self {
            PollOutcome::Payload(lent) => {
                let payload = encode_payload(&lent.frames().iter().map(Frame::as_str).collect::<Vec<_>>());
                (payload, Some(lent))
            }
            PollOutcome::Noop => (fixed::NOOP.to_owned(), None),
            PollOutcome::NotHandshaken => (fixed::NOT_HANDSHAKEN.to_owned(), None),
        }
    }
}

/// Holds until there is something to say; every transport that polls
/// (xhr-polling, jsonp-polling) shares this.
pub(crate) async fn poll(session: Option<Arc<Session>>, hold: Duration, transport: Transport) -> PollOutcome {
    let Some(binding) = session.and_then(|s| Binding::new(s, transport)) else {
        return PollOutcome::NotHandshaken;
    };
    let session = binding.session();
    tokio::select! {
        taken = binding.next_lend() => match taken {
            Ok(lent) => {
                session.touch();
                PollOutcome::Payload(lent)
            }
            Err(Take::Gone) => PollOutcome::NotHandshaken,
            Err(_) => PollOutcome::Noop,
        },
        () = tokio::time::sleep(hold) => {
            session.touch();
            PollOutcome::Noop
        }
    }
}

/// xhr-polling GET.
pub(crate) async fn xhr_get(session: Option<Arc<Session>>, hold: Duration) -> Response<Body> {
    let (payload, lent) = poll(session, hold, Transport::XhrPolling).await.into_parts();
    text_settling(StatusCode::OK, payload, lent)
}

/// xhr-polling POST with an already-read UTF-8 body.
pub(crate) async fn xhr_post(session: Option<Arc<Session>>, body: &str) -> Response<Body> {
    let Some(session) = session else {
        return text(StatusCode::NOT_FOUND, "unknown session id");
    };
    match session.receive_payload(body).await {
        Ok(()) => text(StatusCode::OK, fixed::POSTED),
        Err(error) => {
            tracing::debug!(sid = %session.id(), %error, "malformed payload refused");
            text(StatusCode::BAD_REQUEST, format!("malformed payload: {error}"))
        }
    }
}
