//! Raw probes of the flashsocket, jsonp-polling and htmlfile transports and
//! of the Flash policy server: handshakes, refusals, escaping.

mod common;

use std::time::Duration;

use common::http::{self, get, handshake, request};
use common::raw_client::js_argument;
use common::start;
use socketio::{Server, SocketIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut data = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut data))
        .await
        .expect("the server closes within 20 s")
        .expect("read");
    data
}

#[tokio::test]
async fn flashsocket_also_speaks_rfc_6455() {
    let server = start(|b| b).await;
    let sid = handshake(server.addr).await;
    let request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{}/socket.io/1/flashsocket/{sid}",
        server.addr
    ))
    .expect("request");
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("1::"));
    http::send_text(&mut socket, "3:::via flashsocket").await;
    assert_eq!(
        http::next_text(&mut socket, true).await.as_deref(),
        Some("3:::via flashsocket")
    );
}

async fn hixie_request(addr: std::net::SocketAddr, sid: &str, key1: &str, key2: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "GET /socket.io/1/flashsocket/{sid} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key1: {key1}\r\nSec-WebSocket-Key2: {key2}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
}

#[tokio::test]
async fn hixie_76_malformed_challenges_and_unterminated_frames_are_refused() {
    let server = start(|b| b.max_websocket_message(1024)).await;
    let sid = handshake(server.addr).await;
    // Keys without spaces, or whose number does not divide, are malformed.
    for (key1, key2) in [("12345", "1 2"), ("1 1 1", "12998 5 Y3 1  .P00")] {
        let mut stream = hixie_request(server.addr, &sid, key1, key2).await;
        let mut reply = Vec::new();
        // The refusal keeps the HTTP connection alive: read its head only.
        while !reply.windows(4).any(|w| w == b"\r\n\r\n") {
            let mut buffer = [0u8; 1024];
            let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buffer))
                .await
                .expect("reply")
                .expect("read");
            assert!(n > 0, "closed before answering");
            reply.extend_from_slice(&buffer[..n]);
        }
        let reply = String::from_utf8_lossy(&reply).into_owned();
        assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    }
    // A frame that never ends is cut at the message cap: the socket closes.
    let mut stream = hixie_request(server.addr, &sid, "4 @1  46546xW%0l 1 5", "12998 5 Y3 1  .P00").await;
    stream.write_all(b"^n:ds[4U").await.expect("challenge");
    let mut frame = vec![0u8];
    frame.extend(std::iter::repeat_n(b'x', 4096));
    stream.write_all(&frame).await.expect("write");
    let reply = read_all(&mut stream).await;
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    assert!(
        reply.windows(16).any(|w| w == b"8jKS'y:G*Co,Wxa-"),
        "the draft's example answer"
    );
    // The server stays healthy.
    let fresh = handshake(server.addr).await;
    assert_eq!(get(server.addr, &http::xhr(&fresh)).await.text(), "1::");
}

#[tokio::test]
async fn jsonp_indexes_must_be_small_numbers() {
    let server = start(|b| b).await;
    let sid = handshake(server.addr).await;
    for hostile in ["0);alert(1);//", "1234567", "-1", "0x1", "%E2%80%A8"] {
        let polled = get(server.addr, &format!("/socket.io/1/jsonp-polling/{sid}?i={hostile}")).await;
        assert_eq!(polled.status, 400, "{hostile}");
        let shaken = get(server.addr, &format!("/socket.io/1/?jsonp={hostile}")).await;
        assert_eq!(shaken.status, 400, "{hostile}");
        assert!(!polled.text().contains("alert") && !shaken.text().contains("alert"));
    }
    // Nothing was taken from the session by the refused polls.
    let polled = get(server.addr, &format!("/socket.io/1/jsonp-polling/{sid}?i=4")).await;
    assert_eq!(polled.text(), "io.j[4](\"1::\");");
    assert_eq!(polled.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn the_jsonp_handshake_answers_with_a_script() {
    let server = start(|b| b).await;
    let reply = get(server.addr, "/socket.io/1/?jsonp=2&t=1").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/javascript; charset=UTF-8"));
    let body = js_argument(&reply.text(), "io.j[2](", ");");
    let sid = body.split(':').next().expect("sid");
    assert_eq!(
        get(server.addr, &format!("/socket.io/1/jsonp-polling/{sid}?i=0"))
            .await
            .text(),
        "io.j[0](\"1::\");"
    );
    let refused = get(server.addr, "/socket.io/1/?jsonp=1&reject=1").await;
    assert_eq!(refused.status, 200, "a script error, which the client reports");
    assert_eq!(refused.text(), "io.j[1](new Error(\"handshake unauthorized\"));");
}

#[tokio::test]
async fn hostile_payloads_cannot_break_out_of_jsonp_or_htmlfile_scripts() {
    let server = start(|b| b).await;
    let hostile = "\"); alert(1); (\" </script><script>alert(2)</script> <!-- \u{2028}\u{2029} \\ 😀 \u{fffd}";
    for transport in ["jsonp-polling", "htmlfile"] {
        let sid = handshake(server.addr).await;
        http::post(
            server.addr,
            &format!("/socket.io/1/xhr-polling/{sid}"),
            &format!("3:::{hostile}"),
        )
        .await;
        let mut responses = Vec::new();
        let text = if transport == "jsonp-polling" {
            while !responses.iter().any(|r: &String| r.contains("alert(2)")) {
                responses.push(
                    get(server.addr, &format!("/socket.io/1/jsonp-polling/{sid}?i=0"))
                        .await
                        .text(),
                );
            }
            responses.concat()
        } else {
            // Read the stream until the echo arrived, then hang up.
            let mut stream = TcpStream::connect(server.addr).await.expect("connect");
            let head = format!("GET /socket.io/1/htmlfile/{sid} HTTP/1.1\r\nHost: x\r\n\r\n");
            stream.write_all(head.as_bytes()).await.expect("write");
            let mut raw = Vec::new();
            while !String::from_utf8_lossy(&raw).contains("alert(2)") {
                let mut buffer = [0u8; 4096];
                let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buffer))
                    .await
                    .expect("data")
                    .expect("read");
                assert!(n > 0, "stream ended early");
                raw.extend_from_slice(&buffer[..n]);
            }
            String::from_utf8(raw).expect("UTF-8")
        };
        // Every script is exactly one call with one string literal: the data
        // could not end the literal, the call or the <script> element.
        let calls: Vec<String> = if transport == "jsonp-polling" {
            responses
                .iter()
                .map(|call| js_argument(call, "io.j[0](", ");"))
                .collect()
        } else {
            let body = text.split_once("\r\n\r\n").map_or(text.as_str(), |(_, body)| body);
            body.split("</script>")
                .filter_map(|part| part.split_once("<script>_(").map(|(_, rest)| rest))
                .map(|call| js_argument(call, "", ");"))
                .collect()
        };
        assert!(
            calls.iter().any(|payload| payload.contains(hostile)),
            "{transport}: {calls:?}"
        );
        assert!(!text.contains('\u{2028}') && !text.contains('\u{2029}'), "{transport}");
        assert!(!text.contains("<!--"), "{transport}");
    }
}

#[tokio::test]
async fn unknown_sessions_get_the_error_packet_inside_each_transports_script() {
    let server = start(|b| b).await;
    let jsonp = get(server.addr, "/socket.io/1/jsonp-polling/nosuch?i=7").await;
    assert_eq!(jsonp.text(), "io.j[7](\"7:::1+0\");");
    let html = get(server.addr, "/socket.io/1/htmlfile/nosuch").await;
    assert_eq!(html.header("transfer-encoding"), Some("chunked"));
    let text = html.text();
    assert!(text.starts_with("<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>"));
    assert!(text.ends_with("<script>_(\"7:::1+0\");</script>"), "{text:?}");
    let post = request(
        server.addr,
        "POST",
        "/socket.io/1/jsonp-polling/nosuch?i=0",
        &[],
        b"d=%223%3A%3A%3Ax%22",
    )
    .await;
    assert_eq!(post.status, 404);
}

#[tokio::test]
async fn jsonp_form_posts_are_decoded_and_bad_forms_refused() {
    let server = start(|b| b).await;
    let sid = handshake(server.addr).await;
    let path = format!("/socket.io/1/jsonp-polling/{sid}?i=0");
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    assert_eq!(request(server.addr, "POST", &path, &form, b"x=1").await.status, 400);
    assert_eq!(
        request(server.addr, "POST", &path, &form, b"d=%22unterminated")
            .await
            .status,
        400
    );
    let ok = request(
        server.addr,
        "POST",
        &path,
        &form,
        b"d=%223%3A%3A%3Aline%5Cnbreak+%2B+plus%22",
    )
    .await;
    assert_eq!(ok.status, 200);
    let mut got = String::new();
    while !got.contains("break") {
        got.push_str(&js_argument(&get(server.addr, &path).await.text(), "io.j[0](", ");"));
    }
    assert!(got.ends_with("3:::line\nbreak + plus"), "{got:?}");
}

async fn policy_server(
    timeout: Duration,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let io = SocketIo::builder(|| common::Refuser)
        .flash_policy_timeout(timeout)
        .build();
    let http = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let policy = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = policy.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = Server::new(io)
        .flash_policy_listener(policy)
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
    (addr, stop, tokio::spawn(server.run_on(http)))
}

#[tokio::test]
async fn the_flash_policy_server_answers_requests_and_drops_everything_else() {
    let (addr, stop, task) = policy_server(Duration::from_millis(200)).await;
    for request in [&b"<policy-file-request/>\0"[..], b"<policy-file-request/>"] {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request).await.expect("write");
        let reply = read_all(&mut stream).await;
        assert_eq!(reply.last(), Some(&0), "NUL-terminated");
        let xml = std::str::from_utf8(&reply[..reply.len() - 1]).expect("UTF-8");
        assert!(xml.starts_with("<?xml version=\"1.0\"?>"), "{xml}");
        assert!(
            xml.contains("<cross-domain-policy><allow-access-from domain=\"*\" to-ports=\"*\"/></cross-domain-policy>")
        );
        assert_eq!(xml.matches('<').count(), xml.matches('>').count(), "balanced tags");
    }
    // Anything else, and a client that says nothing: closed without a byte.
    let mut other = TcpStream::connect(addr).await.expect("connect");
    other.write_all(b"GET / HTTP/1.0\r\n\r\n").await.expect("write");
    assert!(read_all(&mut other).await.is_empty());
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    assert!(read_all(&mut silent).await.is_empty(), "dropped after the timeout");
    // It stops with the server.
    let _ = stop.send(());
    task.await.expect("task").expect("clean exit");
    assert!(TcpStream::connect(addr).await.is_err(), "the policy port is closed");
}
