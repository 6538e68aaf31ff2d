//! Raw probes of the flashsocket (and hixie-76 on the websocket path),
//! jsonp-polling and htmlfile transports, of the `transports` setting and of
//! the Flash policy server: handshakes, refusals, heartbeats, escaping; a
//! healthy session is checked after bad input.

mod common;

use std::time::Duration;

use common::http::{self, get, handshake, packets, request};
use common::raw_client::{self, Wire, js_argument};
use common::{TestServer, start};
use socketio::{Server, SocketIo, Transport};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A second session works end to end over `wire` (a polling transport or
/// htmlfile): handshake, `1::`, an acked event.
async fn assert_healthy(server: &TestServer, wire: Wire) {
    let sid = handshake(server.addr).await;
    let sum = "5:1+::{\"name\":\"sum\",\"args\":[2,3]}";
    if wire == Wire::HtmlFile {
        let mut stream = HtmlStream::open(server.addr, &sid).await;
        assert_eq!(stream.next().await.as_deref(), Some(&["1::".to_owned()][..]));
        raw_client::post(server.addr, &sid, wire, sum).await;
        assert_eq!(stream.next().await.as_deref(), Some(&["6:::1+[5]".to_owned()][..]));
    } else {
        assert_eq!(raw_client::poll(server.addr, &sid, wire).await, "1::");
        raw_client::post(server.addr, &sid, wire, sum).await;
        assert_eq!(raw_client::poll(server.addr, &sid, wire).await, "6:::1+[5]");
    }
}

/// An htmlfile stream read chunk by chunk.
struct HtmlStream {
    reader: BufReader<TcpStream>,
}

impl HtmlStream {
    async fn open(addr: std::net::SocketAddr, sid: &str) -> HtmlStream {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let head = format!("GET /socket.io/1/htmlfile/{sid}?t=1 HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        stream.write_all(head.as_bytes()).await.expect("write");
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).await.expect("status");
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.expect("header");
            if line == "\r\n" {
                break;
            }
        }
        let mut stream = HtmlStream { reader };
        let prologue = stream.chunk().await.expect("the prologue");
        assert!(prologue.starts_with("<html><body><script>"), "{prologue}");
        stream
    }

    /// The next chunk; `None` once the response ended.
    async fn chunk(&mut self) -> Option<String> {
        let mut size = String::new();
        let read = tokio::time::timeout(Duration::from_secs(20), self.reader.read_line(&mut size))
            .await
            .expect("a chunk within 20 s")
            .expect("read");
        let size = usize::from_str_radix(size.trim(), 16).ok().filter(|_| read > 0)?;
        let mut chunk = vec![0u8; size + 2];
        self.reader.read_exact(&mut chunk).await.expect("chunk");
        chunk.truncate(size);
        (size > 0).then(|| String::from_utf8(chunk).expect("UTF-8"))
    }

    /// The packets of the next `<script>` chunk; `None` once the stream ended.
    async fn next(&mut self) -> Option<Vec<String>> {
        let chunk = self.chunk().await?;
        Some(packets(&js_argument(&chunk, "<script>_(", ");</script>")))
    }
}

async fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut data = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut data))
        .await
        .expect("the server closes within 20 s")
        .expect("read");
    data
}

/// Reads until the server closes; a reset after that counts as closed (the
/// server stops reading what it does not need).
async fn read_until_closed(stream: &mut (impl AsyncReadExt + Unpin)) -> Vec<u8> {
    let mut data = Vec::new();
    let read = async {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buffer).await {
            data.extend_from_slice(&buffer[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the server closes within 20 s");
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
    hixie_request_at(addr, &format!("/socket.io/1/flashsocket/{sid}"), key1, key2).await
}

async fn hixie_request_at(addr: std::net::SocketAddr, path: &str, key1: &str, key2: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\
         Origin: http://page.example\r\nSec-WebSocket-Key1: {key1}\r\nSec-WebSocket-Key2: {key2}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
}

/// The worked example of the hixie-76 draft: keys, challenge and answer.
const DRAFT_KEY1: &str = "4 @1  46546xW%0l 1 5";
const DRAFT_KEY2: &str = "12998 5 Y3 1  .P00";
const DRAFT_KEY3: &[u8; 8] = b"^n:ds[4U";
const DRAFT_ANSWER: &[u8; 16] = b"8jKS'y:G*Co,Wxa-";

/// Reads a hixie-76 handshake answer: the 101 head (returned), then the
/// 16-byte challenge answer.
async fn hixie_accepted(reader: &mut BufReader<TcpStream>) -> String {
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        let n = reader.read_line(&mut head).await.expect("head");
        assert!(n > 0, "closed in the head: {head}");
    }
    let mut answer = [0u8; 16];
    reader.read_exact(&mut answer).await.expect("the challenge answer");
    assert_eq!(&answer, DRAFT_ANSWER);
    head
}

/// The next hixie-76 text frame, `None` at a close frame or the end.
async fn hixie_frame(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut kind = [0u8; 1];
    tokio::time::timeout(Duration::from_secs(20), reader.read_exact(&mut kind))
        .await
        .expect("a frame within 20 s")
        .ok()?;
    if kind[0] != 0 {
        return None;
    }
    let mut frame = Vec::new();
    reader.read_until(0xFF, &mut frame).await.expect("frame");
    assert_eq!(frame.pop(), Some(0xFF), "terminated");
    Some(String::from_utf8(frame).expect("UTF-8"))
}

#[tokio::test]
async fn hixie_76_is_spoken_on_the_websocket_path_too() {
    let server = start(|b| b).await;
    let sid = handshake(server.addr).await;
    let path = format!("/socket.io/1/websocket/{sid}");
    let mut stream = hixie_request_at(server.addr, &path, DRAFT_KEY1, DRAFT_KEY2).await;
    stream.write_all(DRAFT_KEY3).await.expect("challenge");
    let mut reader = BufReader::new(stream);
    let head = hixie_accepted(&mut reader).await.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("\r\nupgrade: websocket\r\n"), "{head}");
    assert!(
        head.contains("\r\nsec-websocket-origin: http://page.example\r\n"),
        "{head}"
    );
    let location = format!("\r\nsec-websocket-location: ws://{}{path}\r\n", server.addr).to_ascii_lowercase();
    assert!(head.contains(&location), "{head}");
    assert_eq!(hixie_frame(&mut reader).await.as_deref(), Some("1::"));
    reader
        .get_mut()
        .write_all(b"\x003:::via hixie \xc3\xa9\xff")
        .await
        .expect("frame");
    assert_eq!(hixie_frame(&mut reader).await.as_deref(), Some("3:::via hixie é"));
    // The client's close frame ends the session.
    reader.get_mut().write_all(b"\xff\x00").await.expect("close");
    server.observed.wait_close(&sid, "").await;
}

/// Sends a hixie-76 upgrade for `sid` with `challenge` as the only body
/// bytes, then ends its side; returns everything the server sent.
async fn hixie_without_full_challenge(server: &TestServer, sid: &str, challenge: &[u8]) -> Vec<u8> {
    let path = format!("/socket.io/1/websocket/{sid}");
    let mut stream = hixie_request_at(server.addr, &path, DRAFT_KEY1, DRAFT_KEY2).await;
    stream.write_all(challenge).await.expect("write");
    stream.shutdown().await.expect("half-close");
    read_all(&mut stream).await
}

#[tokio::test]
async fn hixie_76_without_its_challenge_is_closed_and_harms_nothing() {
    let server = start(|b| b).await;
    let sid = handshake(server.addr).await;
    for challenge in [&b""[..], b"^n:d"] {
        let reply = hixie_without_full_challenge(&server, &sid, challenge).await;
        let text = String::from_utf8_lossy(&reply);
        // hyper sends the 101 before the challenge can be read; then the
        // connection ends without an answer or a frame.
        let (head, rest) = text.split_once("\r\n\r\n").expect("a complete head");
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert_eq!(rest, "", "{challenge:?}: no challenge answer, no frame");
    }
    // The session was never bound: a proper upgrade still gets its `1::`.
    let mut stream = hixie_request_at(
        server.addr,
        &format!("/socket.io/1/websocket/{sid}"),
        DRAFT_KEY1,
        DRAFT_KEY2,
    )
    .await;
    stream.write_all(DRAFT_KEY3).await.expect("challenge");
    let mut reader = BufReader::new(stream);
    hixie_accepted(&mut reader).await;
    assert_eq!(hixie_frame(&mut reader).await.as_deref(), Some("1::"));
    assert!(server.observed.closes_of(&sid).is_empty());
    assert_healthy(&server, Wire::XhrPolling).await;
}

#[tokio::test]
async fn hixie_76_that_never_sends_its_challenge_is_dropped() {
    let server = start(|b| b).await;
    let sid = handshake(server.addr).await;
    let path = format!("/socket.io/1/websocket/{sid}");
    let mut stream = hixie_request_at(server.addr, &path, DRAFT_KEY1, DRAFT_KEY2).await;
    stream.write_all(b"^n:").await.expect("write");
    // The client keeps its side open; the server gives up (after its 10 s
    // challenge timeout) and closes without an answer.
    let reply = read_all(&mut stream).await;
    let text = String::from_utf8_lossy(&reply);
    let (head, rest) = text.split_once("\r\n\r\n").expect("a complete head");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert_eq!(rest, "");
    assert_healthy(&server, Wire::XhrPolling).await;
}

#[tokio::test]
async fn hixie_76_malformed_challenges_and_unterminated_frames_are_refused() {
    let server = start(|b| b.max_websocket_message(1024)).await;
    let sid = handshake(server.addr).await;
    // Keys without spaces, whose number does not divide, without digits,
    // or whose number overflows (u64 digits, or a u32 quotient) are malformed.
    for (key1, key2) in [
        ("12345", "1 2"),
        ("1 1 1", "12998 5 Y3 1  .P00"),
        ("   ", "12998 5 Y3 1  .P00"),
        ("99999999999999999999 ", "12998 5 Y3 1  .P00"),
        ("8589934592 ", "12998 5 Y3 1  .P00"),
    ] {
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
    assert_healthy(&server, Wire::JsonpPolling).await;
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
    assert_healthy(&server, Wire::JsonpPolling).await;
    assert_healthy(&server, Wire::HtmlFile).await;
}

#[tokio::test]
async fn jsonp_form_posts_are_decoded_and_bad_forms_refused() {
    let server = start(|b| b).await;
    let sid = handshake(server.addr).await;
    let path = format!("/socket.io/1/jsonp-polling/{sid}?i=0");
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    assert_eq!(request(server.addr, "POST", &path, &form, b"x=1").await.status, 400);
    // `d` is a JSON-encoded string, as the 0.9 client always sends it:
    // raw text, other JSON and an empty payload are refused.
    for bad in [
        &b"d=%22unterminated"[..],
        b"d=3%3A%3A%3Ahi",
        b"d=%5B%223%3A%3A%3Ax%22%5D",
        b"d=",
        b"d=%22%22",
    ] {
        let status = request(server.addr, "POST", &path, &form, bad).await.status;
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(bad));
    }
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
    assert_healthy(&server, Wire::JsonpPolling).await;
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
    // The input is bounded: megabytes of garbage, or of anything after a
    // request, are never read past the request's length.
    let mut flood = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = flood.split();
    let garbage = vec![b'x'; 4 << 20];
    let (_, answer) = tokio::join!(writer.write_all(&garbage), read_until_closed(&mut reader));
    assert!(answer.is_empty(), "garbage gets nothing");
    let mut trailing = TcpStream::connect(addr).await.expect("connect");
    let mut request = b"<policy-file-request/>\0".to_vec();
    request.extend(std::iter::repeat_n(b'y', 4 << 20));
    let (mut reader, mut writer) = trailing.split();
    let (_, answer) = tokio::join!(writer.write_all(&request), read_until_closed(&mut reader));
    assert!(answer.ends_with(b"</cross-domain-policy>\0"), "the policy, once");
    // It stops with the server.
    let _ = stop.send(());
    task.await.expect("task").expect("clean exit");
    assert!(TcpStream::connect(addr).await.is_err(), "the policy port is closed");
}

#[tokio::test]
async fn htmlfile_streams_get_heartbeats_and_live_while_they_are_answered() {
    let server = start(|b| {
        b.heartbeat_interval(Duration::from_millis(100))
            .heartbeat_timeout(Duration::from_secs(2))
    })
    .await;
    // Answered over POST, heartbeats keep the stream alive well past the
    // timeout (40 of them: 4 s against 2 s).
    let sid = handshake(server.addr).await;
    let mut stream = HtmlStream::open(server.addr, &sid).await;
    assert_eq!(stream.next().await.expect("open")[0], "1::");
    let mut heartbeats = 0;
    while heartbeats < 40 {
        let packets = stream.next().await.expect("the stream stays open");
        for packet in packets {
            assert_eq!(packet, "2::", "nothing else is sent");
            heartbeats += 1;
            raw_client::post(server.addr, &sid, Wire::HtmlFile, "2::").await;
        }
    }
    raw_client::post(
        server.addr,
        &sid,
        Wire::HtmlFile,
        "5:1+::{\"name\":\"sum\",\"args\":[2,3]}",
    )
    .await;
    let mut got = Vec::new();
    while !got.contains(&"6:::1+[5]".to_owned()) {
        got.extend(stream.next().await.expect("the stream stays open"));
    }
    assert!(got.iter().all(|p| p == "2::" || p == "6:::1+[5]"), "{got:?}");
    assert!(server.observed.closes_of(&sid).is_empty());
    // Unanswered, they end the session: `0::`, then the stream ends.
    let silent = handshake(server.addr).await;
    let mut stream = HtmlStream::open(server.addr, &silent).await;
    let mut got = Vec::new();
    while let Some(packets) = stream.next().await {
        got.extend(packets);
    }
    assert_eq!(got.first().map(String::as_str), Some("1::"));
    assert_eq!(got.last().map(String::as_str), Some("0::"));
    let middle = &got[1..got.len() - 1];
    assert!(!middle.is_empty() && middle.iter().all(|p| p == "2::"), "{got:?}");
    server.observed.wait_close(&silent, "").await;
}

/// A request for `transport` on `sid` in the shape that transport uses.
async fn transport_request(addr: std::net::SocketAddr, transport: &str, sid: &str) -> Vec<http::Reply> {
    let path = format!("/socket.io/1/{transport}/{sid}?i=0");
    match transport {
        "websocket" | "flashsocket" => {
            let rfc6455 = [
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ];
            let hixie = [
                ("Upgrade", "WebSocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Key1", DRAFT_KEY1),
                ("Sec-WebSocket-Key2", DRAFT_KEY2),
            ];
            vec![
                request(addr, "GET", &path, &rfc6455, b"").await,
                request(addr, "GET", &path, &hixie, DRAFT_KEY3).await,
            ]
        }
        _ => {
            let form = [("Content-Type", "application/x-www-form-urlencoded")];
            vec![
                get(addr, &path).await,
                request(addr, "POST", &path, &form, b"d=%223%3A%3A%3Ax%22").await,
            ]
        }
    }
}

#[tokio::test]
async fn the_transports_setting_orders_the_handshake_and_refuses_the_rest() {
    use Transport::{FlashSocket, HtmlFile, JsonpPolling, WebSocket, XhrPolling};
    // Between them the two servers disable each of the five transports.
    for enabled in [vec![JsonpPolling, WebSocket, XhrPolling], vec![HtmlFile, FlashSocket]] {
        let server = start(|b| b.transports(enabled.clone())).await;
        let body = get(server.addr, "/socket.io/1/").await.text();
        let names: Vec<&str> = enabled.iter().map(|t| t.name()).collect();
        let sid = body.split(':').next().expect("sid").to_owned();
        assert_eq!(body, format!("{sid}:60:60:{}", names.join(",")));
        for disabled in Transport::all().into_iter().filter(|t| !enabled.contains(t)) {
            for reply in transport_request(server.addr, disabled.name(), &sid).await {
                assert_eq!(
                    (reply.status, reply.text().as_str()),
                    (404, "unknown or disabled transport"),
                    "{disabled}"
                );
            }
        }
        // The refusals took nothing: the first enabled transport gets `1::`.
        match enabled[0] {
            JsonpPolling => assert_eq!(raw_client::poll(server.addr, &sid, Wire::JsonpPolling).await, "1::"),
            _ => {
                let mut stream = HtmlStream::open(server.addr, &sid).await;
                assert_eq!(stream.next().await.as_deref(), Some(&["1::".to_owned()][..]));
            }
        }
    }
}

/// A port that was free a moment ago.
async fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr").port()
}

/// The policy `Server` serves for the default (any) origins.
const ANY_POLICY: &[u8] = b"<?xml version=\"1.0\"?><!DOCTYPE cross-domain-policy SYSTEM \
    \"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd\"><cross-domain-policy>\
    <allow-access-from domain=\"*\" to-ports=\"*\"/></cross-domain-policy>\0";

#[tokio::test]
async fn the_server_starts_the_flash_policy_server_on_the_configured_port() {
    let port = free_port().await;
    let server = start(|b| b.flash_policy_port(Some(port))).await;
    // The server binds the policy port before it accepts HTTP: once a
    // handshake is answered, the policy server is up.
    handshake(server.addr).await;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.expect("the policy port");
    stream.write_all(b"<policy-file-request/>\0").await.expect("write");
    assert_eq!(read_all(&mut stream).await, ANY_POLICY);
    server.stop().await;
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "closed with the server"
    );
}

#[tokio::test]
async fn a_flash_policy_port_of_none_starts_no_policy_server() {
    #[derive(Default)]
    struct Plain;
    impl socketio::Handler for Plain {}
    // 127.0.0.2 (loopback too) keeps the default port of other programs on
    // this machine out of the way; we hold it there ourselves.
    let host = std::net::Ipv4Addr::new(127, 0, 0, 2);
    let default_port = socketio::Settings::default().flash_policy_port.expect("a default port");
    let held = TcpListener::bind((host, default_port)).await;
    // The default tries the port, which is taken...
    let http = TcpListener::bind((host, 0)).await.expect("bind");
    let server = Server::new(SocketIo::new(Plain::default)).with_graceful_shutdown(std::future::pending());
    let error = server.run_on(http).await.expect_err("the policy port is in use");
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    // ...`None` does not, and the server runs.
    let http = TcpListener::bind((host, 0)).await.expect("bind");
    let addr = http.local_addr().expect("addr");
    let io = SocketIo::builder(Plain::default).flash_policy_port(None).build();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(
        Server::new(io)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .run_on(http),
    );
    assert_eq!(get(addr, "/socket.io/1/").await.status, 200);
    let _ = stop.send(());
    task.await.expect("task").expect("clean exit");
    drop(held);
}
