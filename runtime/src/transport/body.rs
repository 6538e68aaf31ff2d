use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body::SizeHint;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};

/// The body of every response the service produces (fixed or streamed).
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

pub(crate) fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()).boxed_unsync());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    response
}

pub(crate) fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()).boxed_unsync());
    *response.status_mut() = status;
    response
}

/// Frames a poll's answer carries out of a session's queue. They are gone
/// for good only once [`Settle::delivered`] runs; dropped before that (the
/// client hung up before hyper wrote the answer), the implementor gives them
/// back to the front of the queue, so an abandoned poll loses nothing.
pub(crate) trait Settle: Send + 'static {
    fn delivered(self);
}

impl<O: crate::core::OutboxOwner> Settle for crate::core::Lent<O> {
    fn delivered(self) {
        crate::core::Lent::delivered(self);
    }
}

/// A fixed body whose frames are delivered when hyper takes it for writing.
struct Settling<S> {
    data: Option<Bytes>,
    lent: Option<S>,
}

impl<S: Settle + Unpin> http_body::Body for Settling<S> {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(lent) = this.lent.take() {
            lent.delivered();
        }
        Poll::Ready(this.data.take().map(|data| Ok(http_body::Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |data| data.len() as u64))
    }
}

/// [`text`], with frames lent by the session settled when the body is sent.
pub(crate) fn text_settling(
    status: StatusCode,
    body: impl Into<Bytes>,
    lent: Option<impl Settle + Unpin>,
) -> Response<Body> {
    let mut response = text(status, Bytes::new());
    *response.body_mut() = Settling {
        data: Some(body.into()),
        lent,
    }
    .boxed_unsync();
    response
}

/// A request refused with a 4xx status and a short reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) reason: &'static str,
}

impl Refusal {
    pub(crate) const fn new(status: StatusCode, reason: &'static str) -> Self {
        Self { status, reason }
    }

    pub(crate) fn into_response(self) -> Response<Body> {
        text(self.status, self.reason)
    }
}
