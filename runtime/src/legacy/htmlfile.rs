//! htmlfile: one long chunked HTML response per connection; every flush is
//! a `<script>_("payload");</script>` chunk. Posts go the xhr-polling way.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, StreamBody};
use tokio::sync::mpsc;

use crate::codec::legacy::{encode_payload, fixed, htmlfile_chunk, htmlfile_prologue};
use crate::core::{Frame, Take};
use crate::legacy::bind::Binding;
use crate::legacy::{Session, Transport};
use crate::transport::Body;

fn prologue() -> Bytes {
    Bytes::from(htmlfile_prologue())
}

fn script(payload: &str) -> Bytes {
    Bytes::from(htmlfile_chunk(payload))
}

pub(crate) fn stream(session: Option<Arc<Session>>) -> Response<Body> {
    let (chunks, receiver) = mpsc::channel::<Bytes>(8);
    tokio::spawn(pump(session, chunks));
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((Ok::<_, Infallible>(http_body::Frame::data(chunk)), receiver))
    });
    let mut response = Response::new(StreamBody::new(stream).boxed_unsync());
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

async fn pump(session: Option<Arc<Session>>, chunks: mpsc::Sender<Bytes>) {
    if chunks.send(prologue()).await.is_err() {
        return;
    }
    let Some(binding) = session.and_then(|s| Binding::new(s, Transport::HtmlFile)) else {
        let _ = chunks.send(script(fixed::NOT_HANDSHAKEN)).await;
        return;
    };
    loop {
        tokio::select! {
            taken = binding.next_lend() => match taken {
                Ok(lent) => {
                    let payload = encode_payload(&lent.frames().iter().map(Frame::as_str).collect::<Vec<_>>());
                    // Handed to hyper's body: as written as a stream can tell.
                    if chunks.send(script(&payload)).await.is_err() {
                        return;
                    }
                    lent.delivered();
                }
                Err(Take::Superseded | Take::Gone) => return,
                Err(_) => {}
            },
            // The client went away: hyper dropped the body.
            () = chunks.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_prologue_is_padded_past_256_bytes() {
        let page = super::prologue();
        assert!(page.len() >= 256);
        assert!(page.starts_with(b"<html><body><script>"));
    }
}
