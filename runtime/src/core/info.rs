use std::net::IpAddr;
use std::sync::Arc;

use http::HeaderMap;

/// What the server knows about the client of a connection, like TornadIO2's
/// `ConnectionInfo`: its address, the handshake's query and cookies, its
/// headers, and the query the client put on the endpoint's connect packet.
///
/// ```
/// use socketio::ConnectionInfo;
///
/// #[derive(Default)]
/// struct Members;
///
/// #[socketio::handler]
/// impl Members {
///     fn on_open(&mut self, info: &ConnectionInfo) -> bool {
///         info.get_cookie("session").is_some() || info.get_argument("token") == Some("letmein")
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    session: Arc<SessionInfo>,
    endpoint_query: Arc<[(String, String)]>,
    auth: Option<crate::RawJson>,
    protocol: crate::Protocol,
}

#[derive(Debug)]
pub(crate) struct SessionInfo {
    pub(crate) ip: IpAddr,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) cookies: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    /// When the handshake came.
    pub(crate) issued: std::time::SystemTime,
}

impl ConnectionInfo {
    /// The handshake as node's servers describe it to each other.
    pub(crate) fn handshake(&self) -> crate::core::Handshake {
        use serde_json::{Map, Value};
        let session = &self.session;
        let mut headers = Map::new();
        for (name, value) in &session.headers {
            let value = Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned());
            headers.insert(name.as_str().to_owned(), value);
        }
        let mut query = Map::new();
        for (key, value) in session.query.iter().chain(self.endpoint_query.iter()) {
            query.insert(key.clone(), Value::String(value.clone()));
        }
        let issued = session.issued.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        crate::core::Handshake {
            xdomain: session.headers.contains_key(http::header::ORIGIN),
            headers,
            time: crate::core::http_date(issued.as_secs()),
            address: session.ip.to_string(),
            secure: false,
            issued: u64::try_from(issued.as_millis()).unwrap_or(u64::MAX),
            url: String::new(),
            query,
            auth: self
                .auth
                .as_ref()
                .and_then(|auth| serde_json::from_str(auth.get()).ok())
                .unwrap_or_else(|| Value::Object(Map::new())),
        }
    }

    pub(crate) fn new(session: Arc<SessionInfo>, endpoint_query: Vec<(String, String)>) -> Self {
        Self {
            session,
            endpoint_query: endpoint_query.into(),
            auth: None,
            protocol: crate::Protocol::Legacy,
        }
    }

    pub(crate) fn modern(
        session: Arc<SessionInfo>,
        endpoint_query: Vec<(String, String)>,
        auth: Option<crate::RawJson>,
        protocol: crate::Protocol,
    ) -> Self {
        Self {
            session,
            endpoint_query: endpoint_query.into(),
            auth,
            protocol,
        }
    }

    pub(crate) fn for_endpoint(&self, endpoint_query: Vec<(String, String)>) -> Self {
        Self::new(self.session.clone(), endpoint_query)
    }

    /// The auth payload of a Socket.IO v5 client's CONNECT packet
    /// (`io({ auth: {...} })`); `None` from older clients and when absent.
    pub fn auth(&self) -> Option<&crate::RawJson> {
        self.auth.as_ref()
    }

    /// Which protocol the client speaks.
    pub fn protocol(&self) -> crate::Protocol {
        self.protocol
    }

    /// The client's address: the TCP peer, or the first address of the
    /// trusted proxy header when that setting is on.
    pub fn ip(&self) -> IpAddr {
        self.session.ip
    }

    /// The handshake's query parameters in order (the `t` cache buster left out).
    pub fn query(&self) -> &[(String, String)] {
        &self.session.query
    }

    /// The first value of a handshake query parameter.
    pub fn get_argument(&self, name: &str) -> Option<&str> {
        find(&self.session.query, name)
    }

    /// Every value of a handshake query parameter.
    pub fn get_arguments<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.session
            .query
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The handshake request's cookies.
    pub fn cookies(&self) -> &[(String, String)] {
        &self.session.cookies
    }

    /// A cookie of the handshake request.
    pub fn get_cookie(&self, name: &str) -> Option<&str> {
        find(&self.session.cookies, name)
    }

    /// The handshake request's headers, without those that only describe
    /// its connection (hop-by-hop ones such as `Connection` and `Upgrade`,
    /// and the websocket handshake's `Sec-WebSocket-Key`, `-Version` and
    /// `-Extensions`).
    pub fn headers(&self) -> &HeaderMap {
        &self.session.headers
    }

    /// The query of the endpoint connect packet (`1::/chat?x=1`); empty on
    /// the main endpoint.
    pub fn endpoint_query(&self) -> &[(String, String)] {
        &self.endpoint_query
    }

    /// The first value of an endpoint query parameter.
    pub fn get_endpoint_argument(&self, name: &str) -> Option<&str> {
        find(&self.endpoint_query, name)
    }
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
