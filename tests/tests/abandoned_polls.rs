//! A poll answered by the server but abandoned before hyper wrote the
//! answer (the client hung up in between) gives its packets back: the next
//! poll gets them, first and in order, and an answer that was sent is never
//! repeated. The service is called directly, so the abandonment is exact.

mod common;

use http_body_util::BodyExt;
use socketio::SocketIo;
use socketio::http::{Request, Response};
use tower::ServiceExt;

async fn call(io: &SocketIo, method: &str, uri: &str, body: &str) -> Response<socketio::Body> {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(body.to_owned())
        .expect("request");
    io.service().oneshot(request).await.expect("infallible")
}

async fn text(response: Response<socketio::Body>) -> String {
    let body = response.into_body().collect().await.expect("infallible").to_bytes();
    String::from_utf8(body.to_vec()).expect("UTF-8")
}

/// The packets of a legacy answer, without heartbeats.
fn legacy_packets(body: &str) -> Vec<String> {
    common::http::packets_without_heartbeats(body)
}

#[tokio::test]
async fn legacy_polls_lose_nothing_when_their_answer_is_dropped() {
    let server = common::start_default().await;
    let io = &server.io;
    for (poll, unwrap) in [("xhr-polling", None), ("jsonp-polling", Some(("io.j[0](", ");")))] {
        let sid = text(call(io, "GET", "/socket.io/1/", "").await).await;
        let sid = sid.split(':').next().expect("sid").to_owned();
        let url = format!("/socket.io/1/{poll}/{sid}?i=0");
        let read = |body: String| match unwrap {
            None => legacy_packets(&body),
            Some((prefix, suffix)) => legacy_packets(&common::raw_client::js_argument(&body, prefix, suffix)),
        };
        let post = |n: u32| {
            let packet = format!("5:::{{\"name\":\"echo\",\"args\":[{n}]}}");
            let body = match unwrap {
                None => packet,
                Some(_) => form_urlencoded::Serializer::new(String::new())
                    .append_pair("d", &serde_json::to_string(&packet).expect("string"))
                    .finish(),
            };
            let url = url.clone();
            async move { assert_eq!(call(io, "POST", &url, &body).await.status(), 200) }
        };
        let echo = |n: u32| format!("5:::{{\"name\":\"echo\",\"args\":[{n}]}}");

        // Answered, then dropped unsent: `1::` comes again.
        drop(call(io, "GET", &url, "").await);
        assert_eq!(read(text(call(io, "GET", &url, "").await).await), ["1::"], "{poll}");
        // Twice in a row, with newer packets queued behind the lent ones.
        post(1).await;
        let dropped = call(io, "GET", &url, "").await;
        post(2).await;
        drop(dropped);
        let mut got = read(text(call(io, "GET", &url, "").await).await);
        while got.len() < 2 {
            got.extend(read(text(call(io, "GET", &url, "").await).await));
        }
        assert_eq!(got, [echo(1), echo(2)], "{poll}: given back first, in order");
        // A sent answer is not repeated.
        post(3).await;
        post(4).await;
        let mut got = Vec::new();
        while got.len() < 2 {
            got.extend(read(text(call(io, "GET", &url, "").await).await));
        }
        assert_eq!(got, [echo(3), echo(4)], "{poll}: once each");
    }
}

#[tokio::test]
async fn engine_io_polls_lose_nothing_when_their_answer_is_dropped() {
    let server = common::start_default().await;
    let io = &server.io;
    let open = text(call(io, "GET", "/socket.io/?EIO=4&transport=polling", "").await).await;
    let open: serde_json::Value = serde_json::from_str(open.strip_prefix('0').expect("open packet")).expect("json");
    let sid = open["sid"].as_str().expect("sid");
    let url = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    assert_eq!(call(io, "POST", &url, "40").await.status(), 200);
    drop(call(io, "GET", &url, "").await);
    let connected = text(call(io, "GET", &url, "").await).await;
    assert!(
        connected.starts_with("40{\"sid\":"),
        "the CONNECT answer came again: {connected}"
    );
    assert_eq!(call(io, "POST", &url, r#"42["echo",1]"#).await.status(), 200);
    drop(call(io, "GET", &url, "").await);
    assert_eq!(text(call(io, "GET", &url, "").await).await, r#"42["echo",1]"#);
}
