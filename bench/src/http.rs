//! A minimal keep-alive HTTP/1.1 client over one TCP connection (hyper's
//! client connection), for handshakes and the polling transports.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;

use crate::Error;

/// One persistent HTTP connection.
#[derive(Debug)]
pub struct HttpConn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl HttpConn {
    pub async fn connect(addr: &str) -> Result<Self, Error> {
        let stream = crate::source::connect(addr).await?;
        let io = hyper_util::rt::TokioIo::new(stream);
        let (sender, connection) = hyper::client::conn::http1::handshake(io).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            sender,
            host: addr.to_owned(),
        })
    }

    /// Sends a request and reads the whole answer: (status, body).
    pub async fn request(&mut self, method: &str, path: &str, body: Bytes) -> Result<(u16, Bytes), Error> {
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, &self.host)
            .header(http::header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(Full::new(body))
            .map_err(|e| Error::Protocol(e.to_string()))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    pub async fn get(&mut self, path: &str) -> Result<(u16, Bytes), Error> {
        self.request("GET", path, Bytes::new()).await
    }
}
