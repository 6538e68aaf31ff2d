//! The service mounted under a path of an existing axum app, next to
//! ordinary routes, reached by the real 0.9.16 client.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::{self, Next};
use axum::routing::get;
use serde_json::json;
use socketio::{PeerAddr, SocketIo};
use socketio_tests::NodeClient;

/// Hands the TCP peer that axum knows to the Socket.IO service.
async fn peer_addr(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> axum::response::Response {
    request.extensions_mut().insert(PeerAddr(peer));
    next.run(request).await
}

#[tokio::test]
async fn mounted_in_axum_next_to_ordinary_routes() {
    let observed = Arc::new(common::Observed::default());
    let io = SocketIo::new(move || common::App {
        observed: observed.clone(),
    });
    let app = Router::new()
        .route("/hello", get(|| async { "hello from axum" }))
        .nest_service("/realtime", io.service())
        .layer(middleware::from_fn(peer_addr));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .expect("serve");
    });

    let hello = common::http::get(addr, "/hello").await;
    assert_eq!(hello.text(), "hello from axum");
    assert_eq!(
        common::http::get(addr, "/socket.io/1/").await.status,
        404,
        "only under the mount point"
    );

    let mut clients = Vec::new();
    for transport in ["websocket", "xhr-polling"] {
        let mut client =
            NodeClient::connect_with_resource(&format!("http://{addr}"), transport, "realtime/socket.io").await;
        client.expect_connect("").await;
        assert_eq!(
            client.emit_ack("", "sum", vec![json!(20), json!(22)]).await,
            vec![json!(42)],
            "{transport}"
        );
        let who = client.emit_ack("", "whoami", vec![]).await;
        assert_eq!(who[0]["ip"], "127.0.0.1", "{transport}");
        client.emit("", "broadcast", vec![json!("through axum")]).await;
        assert_eq!(client.expect_event("", "broadcast").await, vec![json!("through axum")]);
        clients.push(client);
    }
    assert_eq!(io.session_count(), 2);
}
