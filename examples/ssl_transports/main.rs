//! TornadIO2's `ssl_transports`: the chat over HTTPS and WSS. The server
//! makes a self-signed certificate for 127.0.0.1 at start (your browser
//! will warn about it); give it your own by replacing `certificate()`.
//!
//! ```sh
//! cargo run --example ssl_transports   # then open https://127.0.0.1:8443/
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use socketio::{Ctx, PeerAddr, SocketIo};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

#[socketio::emits]
trait Room {
    fn said(text: &str);
}

#[derive(Default)]
struct SecureChat;

#[socketio::handler]
impl SecureChat {
    fn on_open(&mut self, cx: &Ctx) {
        cx.join("room");
    }

    #[event]
    fn say(&self, cx: &Ctx, text: String) {
        cx.to("room").emit_said(&text);
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost.
fn certificate() -> Result<ServerConfig, Box<dyn std::error::Error>> {
    let signed = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signed.signing_key.serialize_der()));
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![signed.cert.der().clone()], key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    socketio_examples::init_logging();
    let io = SocketIo::builder(SecureChat::default).flash_policy_port(None).build();
    let app = socketio_examples::page(include_str!("index.html")).fallback_service(io.service());
    let acceptor = TlsAcceptor::from(Arc::new(certificate()?));
    let signal = socketio::shutdown_signal()?;
    let listener = socketio::listen(("127.0.0.1", socketio_examples::port(8443))).await?;
    let address = listener.local_addr()?;
    println!("listening on {address}");
    println!("open https://{address}/ in a browser (the certificate is self-signed)");
    // Accepting goes on while the clients are told goodbye: a polling
    // client between two polls comes back for its disconnect packet.
    let shutdown = {
        let io = io.clone();
        async move {
            signal.await;
            io.shutdown().await;
        }
    };
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => break,
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(stream).await else { return };
            let service = WithPeer { app, peer };
            let mut builder = auto::Builder::new(TokioExecutor::new());
            // Against slowloris: a client gets this long to send its headers.
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(std::time::Duration::from_secs(10));
            let _ = builder
                .serve_connection_with_upgrades(TokioIo::new(tls), TowerToHyperService::new(service))
                .await;
        });
    }
    Ok(())
}

/// Hands the TLS client's address to the Socket.IO service.
#[derive(Clone)]
struct WithPeer {
    app: axum::Router,
    peer: SocketAddr,
}

impl tower_service::Service<hyper::Request<hyper::body::Incoming>> for WithPeer {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = <axum::Router as tower_service::Service<hyper::Request<hyper::body::Incoming>>>::Future;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        tower_service::Service::<hyper::Request<hyper::body::Incoming>>::poll_ready(&mut self.app, cx)
    }

    fn call(&mut self, mut request: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        request.extensions_mut().insert(PeerAddr(self.peer));
        self.app.call(request)
    }
}
