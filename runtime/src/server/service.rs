//! The hyper/tower service: routes `/{resource}/1/...` requests to the
//! handshake or a transport, applies CORS and body limits.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};

use crate::codec::legacy::js_string;
use crate::core::{CloseReason, ConnectionInfo, SessionInfo};
use crate::legacy::{HandshakeError, Transport, htmlfile, jsonp, polling, websocket};
use crate::server::io::Shared;
use crate::transport::{Body, Refusal, empty, text};

/// The client's TCP address, put in the request extensions by whoever
/// accepts the connection ([`crate::Server`] does; in another app, add it
/// with a layer, or set `trusted_proxy_header`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// The Socket.IO server as a `tower::Service` (and, through
/// `hyper_util::service::TowerToHyperService`, a hyper service). Answers
/// everything under `/{resource}/`; other paths get 404.
#[derive(Clone)]
pub struct SocketIoService {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SocketIoService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoService")
            .field("resource", &self.shared.settings.resource)
            .finish()
    }
}

impl SocketIoService {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<B> tower_service::Service<Request<B>> for SocketIoService
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move { Ok(route(shared, request).await) })
    }
}

/// The parts of a request path below the resource.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Handshake,
    Transport { transport: &'a str, sid: &'a str },
    BadVersion,
    NotFound,
}

fn parse_route<'a>(resource: &str, path: &'a str) -> Route<'a> {
    let Some(rest) = path.strip_prefix('/').and_then(|p| p.strip_prefix(resource)) else {
        return Route::NotFound;
    };
    let Some(rest) = rest.strip_prefix('/') else {
        return Route::NotFound;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let mut parts = rest.splitn(3, '/');
    let version = parts.next().unwrap_or_default();
    if version != "1" {
        return if version.is_empty() {
            Route::NotFound
        } else {
            Route::BadVersion
        };
    }
    match (parts.next(), parts.next()) {
        (None, _) => Route::Handshake,
        (Some(transport), Some(sid)) if !sid.contains('/') => Route::Transport { transport, sid },
        _ => Route::NotFound,
    }
}

/// 431 and close for a request head over the limits: [`crate::Server`]'s
/// hyper buffer only bounds it roughly, and a mounted service has no other
/// check. The size is the head as written on the wire.
fn head_refusal<B>(request: &Request<B>, settings: &crate::Settings) -> Option<Response<Body>> {
    let headers = request.headers();
    let fields: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    // `METHOD SP target SP HTTP/1.1 CRLF`, the fields, the blank line.
    let target = request.uri().path_and_query().map_or(1, |target| target.as_str().len());
    let line = request.method().as_str().len() + target + 12;
    if headers.len() <= settings.max_headers && line + fields + 2 <= settings.max_header_bytes {
        return None;
    }
    let mut response = text(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "request header fields too large",
    );
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    Some(response)
}

async fn route<B>(shared: Arc<Shared>, request: Request<B>) -> Response<Body>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let settings = &shared.settings;
    if let Some(refusal) = head_refusal(&request, settings) {
        return refusal;
    }
    let origin = request.headers().get(header::ORIGIN).cloned();
    if let Some(origin) = &origin
        && !origin.to_str().is_ok_and(|o| settings.allowed_origins.allows(o))
    {
        return text(StatusCode::FORBIDDEN, "origin not allowed");
    }
    let path = request.uri().path().to_owned();
    if let Some(response) = crate::server::static_files::serve(&shared.static_dirs, request.method(), &path).await {
        return response;
    }
    if settings.metrics_path.as_deref() == Some(path.as_str()) && request.method() == Method::GET {
        let mut response = text(StatusCode::OK, shared.hub.stats.snapshot().to_prometheus());
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        return response;
    }
    let at = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest == "/")
    };
    let engine = shared
        .engines
        .iter()
        .find(|(prefix, _)| at(prefix))
        .map(|(_, engine)| engine.clone())
        .or_else(|| shared.modern.clone().filter(|_| at(&format!("/{}", settings.resource))));
    let mut response = if let Some(engine) = engine {
        engine_request(&shared, &engine, request).await
    } else {
        match parse_route(&settings.resource, &path) {
            _ if !settings.legacy_protocol => text(StatusCode::NOT_FOUND, "not found"),
            Route::NotFound => text(StatusCode::NOT_FOUND, "not found"),
            Route::BadVersion => text(StatusCode::BAD_REQUEST, "protocol version not supported"),
            Route::Handshake => handshake(&shared, request).await,
            Route::Transport { transport, sid } => {
                let (transport, sid) = (transport.to_owned(), sid.to_owned());
                transport_request(&shared, request, &transport, &sid).await
            }
        }
    };
    if let Some(origin) = origin
        && response.status() != StatusCode::SWITCHING_PROTOCOLS
    {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    response
}

fn preflight(request_headers: &HeaderMap) -> Response<Body> {
    let mut response = empty(StatusCode::NO_CONTENT);
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, GET, OPTIONS"),
    );
    if let Some(requested) = request_headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    response
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn client_ip(shared: &Shared, request: &Request<impl Sized>) -> IpAddr {
    let forwarded = shared.settings.trusted_proxy_header.as_ref().and_then(|name| {
        let value = request.headers().get(name)?.to_str().ok()?;
        value.split(',').next()?.trim().parse::<IpAddr>().ok()
    });
    forwarded
        .or_else(|| request.extensions().get::<PeerAddr>().map(|peer| peer.0.ip()))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect()
}

/// A copy of the request's headers that a session may keep for its whole
/// life. hyper's header values are slices of the connection's read buffer
/// (8 KiB or more): a plain clone would keep that buffer alive per session.
/// Hop-by-hop and websocket handshake headers describe that one connection,
/// not the client, and are left out: an idle session's memory counts.
fn owned_headers(headers: &HeaderMap) -> HeaderMap {
    let about_the_connection = |name: &HeaderName| {
        [
            header::CONNECTION,
            header::UPGRADE,
            header::TE,
            header::TRANSFER_ENCODING,
            header::SEC_WEBSOCKET_KEY,
            header::SEC_WEBSOCKET_VERSION,
            header::SEC_WEBSOCKET_EXTENSIONS,
        ]
        .contains(name)
            || name.as_str() == "keep-alive"
    };
    let kept = headers.keys().filter(|name| !about_the_connection(name)).count();
    let mut owned = HeaderMap::with_capacity(kept);
    for (name, value) in headers.iter().filter(|(name, _)| !about_the_connection(name)) {
        let value = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| HeaderValue::from_static(""));
        owned.append(name.clone(), value);
    }
    owned
}

async fn handshake<B>(shared: &Arc<Shared>, request: Request<B>) -> Response<Body> {
    match *request.method() {
        Method::GET => {}
        Method::OPTIONS => return preflight(request.headers()),
        _ => return text(StatusCode::METHOD_NOT_ALLOWED, "handshake needs GET"),
    }
    let mut query: Vec<_> = query_pairs(request.uri().query())
        .into_iter()
        .filter(|(k, _)| k != "t")
        .collect();
    // Kept for the session's life: without the room of the pairs filtered out.
    query.shrink_to_fit();
    let info = SessionInfo {
        ip: client_ip(shared, &request),
        query,
        cookies: cookies(request.headers()),
        headers: owned_headers(request.headers()),
        issued: std::time::SystemTime::now(),
    };
    let info = ConnectionInfo::new(Arc::new(info), Vec::new());
    // Cross-domain pages without CORS handshake through a <script> tag.
    let jsonp = query_pairs(request.uri().query())
        .into_iter()
        .find(|(k, _)| k == "jsonp")
        .map(|(_, v)| v);
    let jsonp = match jsonp.as_deref().map(|index| jsonp::callback_index(Some(index))) {
        None => None,
        Some(Ok(index)) => Some(index),
        Some(Err(refusal)) => return refusal.into_response(),
    };
    let answer = shared.legacy.handshake(info).await;
    if let Some(index) = jsonp {
        return match answer {
            Ok(session) => jsonp::script(index, &js_string(&format!("{}{}", session.id(), shared.handshake_tail))),
            Err(error) => jsonp::script(index, &format!("new Error({})", js_string(&handshake_refusal(error)))),
        };
    }
    match answer {
        Ok(session) => text(StatusCode::OK, format!("{}{}", session.id(), shared.handshake_tail)),
        Err(HandshakeError::Refused) => text(StatusCode::UNAUTHORIZED, handshake_refusal(HandshakeError::Refused)),
        Err(error) => text(StatusCode::SERVICE_UNAVAILABLE, handshake_refusal(error)),
    }
}

/// A request to an Engine.IO endpoint: the query decides what it is.
async fn engine_request<B>(
    shared: &Arc<Shared>,
    engine: &Arc<crate::engine::Engine>,
    request: Request<B>,
) -> Response<Body>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    if request.method() == Method::OPTIONS {
        return preflight(request.headers());
    }
    let query = match crate::engine::route::parse_query(request.uri().query()) {
        Ok(query) => query,
        Err(reason) => return text(StatusCode::BAD_REQUEST, reason),
    };
    let info = |request: &Request<B>| session_info(shared, request);
    crate::engine::route::handle(engine, request, query, info, read_bytes).await
}

fn session_info<B>(shared: &Shared, request: &Request<B>) -> SessionInfo {
    let mut query: Vec<_> = query_pairs(request.uri().query())
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "t" | "EIO" | "transport" | "sid" | "b64" | "j"))
        .collect();
    // Kept for the session's life: without the room of the pairs filtered out.
    query.shrink_to_fit();
    SessionInfo {
        ip: client_ip(shared, request),
        query,
        cookies: cookies(request.headers()),
        headers: owned_headers(request.headers()),
        issued: std::time::SystemTime::now(),
    }
}

fn handshake_refusal(error: HandshakeError) -> String {
    match error {
        HandshakeError::Refused => "handshake unauthorized".to_owned(),
        other => other.to_string(),
    }
}

async fn transport_request<B>(shared: &Arc<Shared>, request: Request<B>, transport: &str, sid: &str) -> Response<Body>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let settings = &shared.settings;
    let session = shared.legacy.sessions.get(sid);
    // The client's unload handler asks this, even with an empty transport segment.
    if query_pairs(request.uri().query())
        .iter()
        .any(|(k, _)| k == "disconnect")
    {
        if let Some(session) = session {
            session.close(CloseReason::ClientDisconnect);
        }
        return empty(StatusCode::OK);
    }
    let Some(transport) = transport
        .parse::<Transport>()
        .ok()
        .filter(|t| settings.transports.contains(t))
    else {
        return text(StatusCode::NOT_FOUND, "unknown or disabled transport");
    };
    if sid.is_empty() {
        return text(StatusCode::BAD_REQUEST, "missing session id");
    }
    let method = request.method().clone();
    match (transport, method) {
        (Transport::WebSocket | Transport::FlashSocket, _) => {
            websocket::upgrade(request, session, settings.max_websocket_message, transport)
        }
        (_, Method::OPTIONS) => preflight(request.headers()),
        (_, Method::GET) if request.headers().contains_key(header::UPGRADE) => {
            text(StatusCode::BAD_REQUEST, "this transport does not upgrade")
        }
        (Transport::XhrPolling, Method::GET) => polling::xhr_get(session, settings.polling_duration).await,
        (Transport::HtmlFile, Method::GET) => htmlfile::stream(session),
        (Transport::JsonpPolling, Method::GET) => {
            let index = query_pairs(request.uri().query())
                .into_iter()
                .find(|(k, _)| k == "i")
                .map(|(_, v)| v);
            match jsonp::callback_index(index.as_deref()) {
                Ok(index) => jsonp::get(session, settings.polling_duration, index).await,
                Err(refusal) => refusal.into_response(),
            }
        }
        (Transport::XhrPolling | Transport::HtmlFile, Method::POST) => {
            match read_body(request, settings.max_http_body).await {
                Ok(body) => polling::xhr_post(session, &body).await,
                Err(refusal) => refusal.into_response(),
            }
        }
        (Transport::JsonpPolling, Method::POST) => {
            let payload = read_body(request, settings.max_http_body)
                .await
                .and_then(|body| jsonp::form_payload(&body));
            match payload {
                Ok(payload) => polling::xhr_post(session, &payload).await,
                Err(refusal) => refusal.into_response(),
            }
        }
        _ => text(StatusCode::METHOD_NOT_ALLOWED, "polling transports take GET and POST"),
    }
}

/// Reads a request body within `limit` bytes.
async fn read_bytes<B>(request: Request<B>, limit: usize) -> Result<Bytes, Refusal>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    match Limited::new(request.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            Err(Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"))
        }
        Err(_) => Err(Refusal::new(StatusCode::BAD_REQUEST, "could not read the request body")),
    }
}

/// Reads a request body as UTF-8 text within `limit` bytes.
async fn read_body<B>(request: Request<B>, limit: usize) -> Result<String, Refusal>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let collected = read_bytes(request, limit).await?;
    String::from_utf8(Bytes::into(collected))
        .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, "request body is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(parse_route("socket.io", "/socket.io/1/"), Route::Handshake);
        assert_eq!(parse_route("socket.io", "/socket.io/1"), Route::Handshake);
        assert_eq!(parse_route("socket.io", "/socket.io/2/"), Route::BadVersion);
        assert_eq!(parse_route("socket.io", "/other/1/"), Route::NotFound);
        assert_eq!(
            parse_route("socket.io", "/socket.io/1/websocket/abc"),
            Route::Transport {
                transport: "websocket",
                sid: "abc"
            }
        );
        assert_eq!(
            parse_route("socket.io", "/socket.io/1/xhr-polling/abc/"),
            Route::Transport {
                transport: "xhr-polling",
                sid: "abc"
            }
        );
        assert_eq!(
            parse_route("socket.io", "/socket.io/1//abc/"),
            Route::Transport {
                transport: "",
                sid: "abc"
            }
        );
        assert_eq!(parse_route("socket.io", "/socket.io/1/xhr-polling"), Route::NotFound);
        assert_eq!(
            parse_route("socket.io", "/socket.io/1/xhr-polling/a/b"),
            Route::NotFound
        );
        assert_eq!(parse_route("a/socket.io", "/a/socket.io/1/"), Route::Handshake);
    }

    #[test]
    fn kept_headers_leave_out_those_about_the_connection() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("user-agent", "probe/1"),
            ("origin", "http://example.com"),
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("sec-websocket-version", "13"),
            ("sec-websocket-extensions", "permessage-deflate"),
            ("keep-alive", "timeout=5"),
            ("x-custom", "one"),
        ] {
            headers.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        headers.append(HeaderName::from_static("x-custom"), HeaderValue::from_static("two"));
        let kept = owned_headers(&headers);
        let names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["user-agent", "origin", "x-custom"]);
        assert_eq!(kept.get_all("x-custom").iter().collect::<Vec<_>>(), ["one", "two"]);
    }
}
