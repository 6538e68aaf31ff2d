//! Long-polling: a GET is held until frames are queued or the polling
//! duration passes; a POST delivers one packet or a framed payload.

use std::sync::Arc;
use std::time::Duration;

use http::{Response, StatusCode};

use crate::codec::legacy::encode_payload;
use crate::session::{Frame, Session, Take};
use crate::transport::bind::Binding;
use crate::transport::{Body, NOT_HANDSHAKEN, Transport, text};

/// What one poll answers with, before the transport wraps it for HTTP.
#[derive(Debug)]
pub(crate) enum PollOutcome {
    /// A payload of one or more packets.
    Payload(String),
    /// The hold expired, or a newer poll replaced this one: `8::`.
    Noop,
    /// No such session (or it ended and everything was delivered).
    NotHandshaken,
}

impl PollOutcome {
    pub(crate) fn into_text(self) -> String {
        match self {
            PollOutcome::Payload(payload) => payload,
            PollOutcome::Noop => "8::".to_owned(),
            PollOutcome::NotHandshaken => NOT_HANDSHAKEN.to_owned(),
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
        taken = binding.next_take() => match taken {
            Take::Frames(frames) => {
                session.touch();
                PollOutcome::Payload(encode_payload(&frames.iter().map(Frame::as_str).collect::<Vec<_>>()))
            }
            Take::Superseded | Take::Empty => PollOutcome::Noop,
            Take::Gone => PollOutcome::NotHandshaken,
        },
        () = tokio::time::sleep(hold) => {
            session.touch();
            PollOutcome::Noop
        }
    }
}

/// xhr-polling GET.
pub(crate) async fn xhr_get(session: Option<Arc<Session>>, hold: Duration) -> Response<Body> {
    text(
        StatusCode::OK,
        poll(session, hold, Transport::XhrPolling).await.into_text(),
    )
}

/// xhr-polling POST with an already-read UTF-8 body.
pub(crate) async fn xhr_post(session: Option<Arc<Session>>, body: &str) -> Response<Body> {
    let Some(session) = session else {
        return text(StatusCode::NOT_FOUND, "unknown session id");
    };
    match session.receive_payload(body).await {
        Ok(()) => text(StatusCode::OK, "1"),
        Err(error) => {
            tracing::debug!(sid = %session.id(), %error, "malformed payload refused");
            text(StatusCode::BAD_REQUEST, format!("malformed payload: {error}"))
        }
    }
}
