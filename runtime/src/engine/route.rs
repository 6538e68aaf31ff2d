//! Routes one HTTP request of an Engine.IO endpoint: the handshake, a poll,
//! a post, or a websocket (new or upgrading).

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use crate::core::SessionInfo;
use crate::engine::session::{Kind, Opening};
use crate::engine::{Engine, Version, polling, websocket};
use crate::transport::websocket::{accept, rfc6455_refusal};
use crate::transport::{Body, Refusal, text};

/// What the query string of an Engine.IO request says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EngineQuery {
    pub(crate) version: Version,
    pub(crate) websocket: bool,
    pub(crate) sid: Option<String>,
    /// `b64=1`: a v3 polling client that cannot take binary bodies.
    pub(crate) base64: bool,
}

/// Parses `EIO`, `transport` and `sid`; other parameters are ignored.
pub(crate) fn parse_query(query: Option<&str>) -> Result<EngineQuery, &'static str> {
    let (mut eio, mut transport, mut sid, mut base64) = (None, None, None, false);
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*key {
            "EIO" => eio = Some(value.into_owned()),
            "transport" => transport = Some(value.into_owned()),
            "sid" => sid = Some(value.into_owned()),
            "b64" => base64 = !value.is_empty() && value != "0",
            _ => {}
        }
    }
    let version = match eio.as_deref() {
        Some("4") => Version::V4,
        Some("3") => Version::V3,
        Some(_) => return Err("unsupported protocol version"),
        None => return Err("missing EIO"),
    };
    let websocket = match transport.as_deref() {
        Some("polling") => false,
        Some("websocket") => true,
        Some(_) => return Err("unknown transport"),
        None => return Err("missing transport"),
    };
    Ok(EngineQuery {
        version,
        websocket,
        sid,
        base64,
    })
}

/// Serves one request; `body` reads the POST body within the payload limit.
pub(crate) async fn handle<B, F, Fut>(
    engine: &Arc<Engine>,
    request: Request<B>,
    query: EngineQuery,
    info: impl FnOnce(&Request<B>) -> SessionInfo,
    body: F,
) -> Response<Body>
where
    F: FnOnce(Request<B>, usize) -> Fut,
    Fut: Future<Output = Result<Bytes, Refusal>>,
{
    let max_payload = engine.config.max_payload;
    let Some(sid) = query.sid else {
        return handshake(engine, request, &query, info);
    };
    // A polling GET may come for the goodbye of a session its client just
    // closed (the close POST overtook it); nothing else may.
    let polls = !query.websocket && request.method() == Method::GET;
    let found = if polls {
        engine.session_to_poll(&sid)
    } else {
        engine.sessions.get(&sid)
    };
    let Some(session) = found else {
        return text(StatusCode::BAD_REQUEST, "unknown session id");
    };
    if session.version() != query.version {
        return text(StatusCode::BAD_REQUEST, "protocol version mismatch");
    }
    if query.websocket {
        if let Some(refusal) = rfc6455_refusal(&request) {
            return refusal;
        }
        return accept(request, max_payload, move |socket| {
            websocket::serve_upgrade(socket, session)
        });
    }
    match *request.method() {
        Method::GET => polling::get(session).await,
        Method::POST => {
            let content_type = request.headers().get(http::header::CONTENT_TYPE).cloned();
            let body = match body(request, max_payload).await {
                Ok(body) => body,
                Err(refusal) => return refusal.into_response(),
            };
            let binary = request_is_binary(&content_type);
            polling::post(session, &body, binary).await
        }
        _ => text(StatusCode::BAD_REQUEST, "polling takes GET and POST"),
    }
}

/// v3 clients post binary payloads as `application/octet-stream`.
fn request_is_binary(content_type: &Option<http::HeaderValue>) -> bool {
    content_type
        .as_ref()
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/octet-stream"))
}

fn handshake<B>(
    engine: &Arc<Engine>,
    request: Request<B>,
    query: &EngineQuery,
    info: impl FnOnce(&Request<B>) -> SessionInfo,
) -> Response<Body> {
    let (version, websocket) = (query.version, query.websocket);
    if websocket {
        if let Some(refusal) = rfc6455_refusal(&request) {
            return refusal;
        }
    } else if request.method() != Method::GET {
        return text(StatusCode::BAD_REQUEST, "a handshake is a GET");
    }
    let kind = if websocket { Kind::WebSocket } else { Kind::Polling };
    let binary_polling = version == Version::V3 && !query.base64;
    let opening = Opening {
        version,
        binary_polling,
        kind,
        info: Arc::new(info(&request)),
    };
    let session = match engine.open(opening) {
        Ok(session) => session,
        Err(error) => return text(StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
    };
    if websocket {
        let max_payload = engine.config.max_payload;
        return accept(request, max_payload, move |socket| {
            websocket::serve_new(socket, session)
        });
    }
    let open = session.open_packet(Kind::Polling);
    polling::respond(&session, &[open])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        let q = parse_query(Some("EIO=4&transport=polling&t=abc")).expect("valid");
        assert_eq!((q.version, q.websocket, q.sid), (Version::V4, false, None));
        let q = parse_query(Some("EIO=3&transport=websocket&sid=x")).expect("valid");
        assert_eq!(
            (q.version, q.websocket, q.sid.as_deref()),
            (Version::V3, true, Some("x"))
        );
        assert!(parse_query(None).is_err());
        assert!(parse_query(Some("EIO=abc&transport=polling")).is_err());
        assert!(parse_query(Some("EIO=4")).is_err());
        assert!(parse_query(Some("EIO=4&transport=abc")).is_err());
    }
}
