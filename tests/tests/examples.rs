//! Each example, started as a user would, driven through the page it
//! serves by the real 0.9.16 browser client in headless Chromium.

mod common;

use std::path::PathBuf;

use common::example::start_example;
use socketio_tests::Browser;

/// One Chromium at a time: a dozen of them at once on a 2-core machine
/// turn page loads into timeouts.
static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn screenshot_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir.join(name)
}

#[tokio::test]
async fn chat_two_people_talk_over_every_transport_chromium_offers() {
    let example = start_example("chat", &[]).await;
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    for transport in ["websocket", "xhr-polling", "jsonp-polling"] {
        let url = format!("{}/?transport={transport}", example.url);
        // Pages (and nicknames) per transport: earlier pages stay in the room.
        let (ann, bob) = (format!("ann-{transport}"), format!("bob-{transport}"));
        for (page, nick) in [(ann.as_str(), ann.as_str()), (bob.as_str(), bob.as_str())] {
            browser.open(page, &url).await;
            browser
                .wait_text(page, "#status", &format!("connected over {transport}"))
                .await;
            browser.wait_text(page, "#log", "Welcome!").await;
            browser.fill(page, "#nick", nick).await;
            browser.click(page, "#join button").await;
            browser.wait_text(page, "#people", nick).await;
        }
        browser.wait_text(&ann, "#log", &format!("{bob} joined")).await;
        browser.wait_text(&ann, "#people", &bob).await;
        browser.fill(&ann, "#text", "hello </b> bob 😀").await;
        browser.click(&ann, "#say button").await;
        browser
            .wait_text(&bob, "#log", &format!("{ann} hello </b> bob 😀"))
            .await;
        browser.fill(&bob, "#text", "hi ann").await;
        browser.click(&bob, "#say button").await;
        browser.wait_text(&ann, "#log", &format!("{bob} hi ann")).await;
        // A taken nickname is refused with a message.
        let carl = format!("carl-{transport}");
        browser.open(&carl, &url).await;
        browser.wait_text(&carl, "#status", "connected").await;
        browser.fill(&carl, "#nick", &ann).await;
        browser.click(&carl, "#join button").await;
        browser.wait_text(&carl, "#log", &format!("{ann} is taken.")).await;
        if transport == "websocket" {
            let path = screenshot_path("chat-two-users.png");
            let _ = std::fs::remove_file(&path);
            browser.screenshot(&ann, &path).await;
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            assert!(size > 10_000, "a screenshot of the page was written: {size} bytes");
        }
        // Leaving is announced to the others.
        browser.click(&bob, "#leave").await;
        browser.wait_text(&bob, "#status", "disconnected").await;
        browser.wait_text(&ann, "#log", &format!("{bob} left")).await;
        for page in [&carl, &bob, &ann] {
            browser.close(page).await;
        }
    }
}

#[tokio::test]
async fn rpcping_answers_positional_and_keyword_pings() {
    let example = start_example("rpcping", &[]).await;
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    browser.open("p", &format!("{}/", example.url)).await;
    browser.wait_text("p", "#status", "connected").await;
    browser.click("p", "#positional").await;
    browser.wait_text("p", "#log", "pong positional: round trip").await;
    browser.click("p", "#keyword").await;
    browser.wait_text("p", "#log", "pong keyword: round trip").await;
}

#[tokio::test]
async fn ackping_acks_with_a_tuple_as_two_arguments() {
    let example = start_example("ackping", &[]).await;
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    browser.open("p", &format!("{}/", example.url)).await;
    browser.wait_text("p", "#status", "connected").await;
    browser.click("p", "#ping").await;
    browser
        .wait_text("p", "#log", "acked with 2 arguments: round trip")
        .await;
}

#[tokio::test]
async fn stats_shows_the_servers_counters() {
    let example = start_example("stats", &[]).await;
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    browser.open("a", &format!("{}/", example.url)).await;
    browser.open("b", &format!("{}/", example.url)).await;
    browser.wait_text("b", "#status", "connected").await;
    browser.wait_text("b", "#active_sessions", "2").await;
    browser.wait_text("b", "#max_sessions", "2").await;
    let metrics = common::http::get(example.addr(), "/metrics").await.text();
    assert!(metrics.contains("socketio_active_sessions 2"), "{metrics}");
}

#[tokio::test]
async fn gen_answers_in_the_order_asked() {
    let example = start_example("gen", &[]).await;
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    browser.open("p", &format!("{}/", example.url)).await;
    browser.wait_text("p", "#status", "connected").await;
    browser.click("p", "#go").await;
    browser.wait_text("p", "#answers", "5 1 3").await;
}

#[tokio::test]
async fn multiplexed_chat_and_ping_share_one_connection() {
    let example = start_example("multiplexed", &[]).await;
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    browser.open("a", &format!("{}/", example.url)).await;
    browser.wait_text("a", "#chatlog", "you are user1").await;
    browser.open("b", &format!("{}/", example.url)).await;
    browser.wait_text("b", "#chatlog", "you are user2").await;
    browser.wait_text("a", "#chatlog", "user2 joined").await;
    browser.fill("a", "#text", "hi from one").await;
    browser.click("a", "#say button").await;
    browser.wait_text("b", "#chatlog", "user1: hi from one").await;
    browser.click("b", "#ping").await;
    browser.wait_text("b", "#pong", "pong after").await;
    browser.wait_text("b", "#pong", "server clock").await;
}

#[tokio::test]
async fn emit_from_outside_ticks_and_announces() {
    let example = start_example("emit_from_outside", &[]).await;
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    browser.open("p", &format!("{}/", example.url)).await;
    browser.wait_text("p", "#status", "connected").await;
    browser.click("p", "#toggle").await;
    browser.wait_text("p", "#tick", "tick").await;
    let reply = common::http::post(example.addr(), "/announce?text=deploy%20at%20noon", "").await;
    assert_eq!(reply.text(), "announced to 1 connection(s)\n");
    browser.wait_text("p", "#announcements", "deploy at noon").await;
}

#[tokio::test]
async fn crosssite_pages_reach_another_origin_over_cors_and_jsonp() {
    let example = start_example("crosssite", &[("IO_PORT", "0")]).await;
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    for transport in ["websocket", "xhr-polling", "jsonp-polling"] {
        browser
            .open(transport, &format!("{}/?transport={transport}", example.url))
            .await;
        browser
            .wait_text(transport, "#status", &format!("connected over {transport}"))
            .await;
        browser.click(transport, "#echo").await;
        browser
            .wait_text(
                transport,
                "#answer",
                &format!("hello across origins (from a page at {})", example.url),
            )
            .await;
        browser.close(transport).await;
    }
}

#[tokio::test]
async fn axum_app_serves_its_routes_and_socketio_under_a_path() {
    let example = start_example("axum", &[]).await;
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    browser.open("p", &format!("{}/", example.url)).await;
    browser.wait_text("p", "#status", "connected").await;
    browser.click("p", "#greet").await;
    browser.wait_text("p", "#greeting", "hello ann, from session").await;
    browser.click("p", "#time").await;
    browser.wait_text("p", "#clock", "unix time").await;
}

#[tokio::test]
async fn every_example_says_where_to_connect_and_stops_cleanly_on_ctrl_c() {
    for name in [
        "chat",
        "rpcping",
        "ackping",
        "stats",
        "gen",
        "multiplexed",
        "emit_from_outside",
        "axum",
        "crosssite",
        "ssl_transports",
        "conformance",
        "conformance_modern",
    ] {
        let env: &[(&str, &str)] = if name == "crosssite" { &[("IO_PORT", "0")] } else { &[] };
        let mut example = start_example(name, env).await;
        // Programs for people say where to point a browser (crosssite on the
        // line that also names its Socket.IO address).
        let io = if name == "crosssite" {
            example.io_addr().await
        } else {
            if !name.starts_with("conformance") {
                let line = example.lines.recv().await.expect("a second line");
                assert!(line.starts_with("open http"), "{name}: {line:?}");
            }
            example.addr()
        };
        // A connected client must not keep it from stopping.
        let _client = match name {
            "conformance_modern" | "ssl_transports" => {
                // Not plain 0.9 HTTP: a bare open connection is the client.
                tokio::net::TcpStream::connect(io).await.expect("connect")
            }
            _ => {
                let sid = common::http::handshake(io).await;
                assert_eq!(sid.len(), 32, "{name}");
                tokio::net::TcpStream::connect(io).await.expect("connect")
            }
        };
        let pid = example.child.id().expect("running").to_string();
        let sent = tokio::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .await
            .expect("kill");
        assert!(sent.success());
        let status = tokio::time::timeout(std::time::Duration::from_secs(20), example.child.wait())
            .await
            .expect("stops within 20 s")
            .expect("exit status");
        assert!(status.success(), "{name} exits cleanly on Ctrl-C: {status:?}");
    }
}

#[tokio::test]
async fn ssl_transports_chat_over_tls() {
    let example = start_example("ssl_transports", &[]).await;
    let url = example.url.replacen("http://", "https://", 1);
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    for transport in ["websocket", "xhr-polling", "jsonp-polling"] {
        browser.open(transport, &format!("{url}/?transport={transport}")).await;
        browser
            .wait_text(transport, "#status", &format!("connected over {transport} (TLS)"))
            .await;
        browser
            .fill(transport, "#text", &format!("secret over {transport}"))
            .await;
        browser.click(transport, "#say button").await;
        browser
            .wait_text(transport, "#log", &format!("secret over {transport}"))
            .await;
        browser.close(transport).await;
    }
}

#[tokio::test]
async fn cluster_a_line_said_on_one_server_reaches_the_pages_of_the_other() {
    let redis = socketio_tests::RedisServer::start().await;
    let url = redis.url();
    let one = start_example("cluster", &[("REDIS_URL", &url), ("NODE_NAME", "one")]).await;
    let two = start_example("cluster", &[("REDIS_URL", &url), ("NODE_NAME", "two")]).await;
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut browser = Browser::launch().await;
    browser.open("on-one", &format!("{}/", one.url)).await;
    browser.open("on-two", &format!("{}/", two.url)).await;
    browser
        .wait_text("on-one", "#status", "connected to the one, one of 2 server(s)")
        .await;
    browser
        .wait_text("on-two", "#status", "connected to the two, one of 2 server(s)")
        .await;
    browser.fill("on-one", "#text", "hello from one").await;
    browser.click("on-one", "#say button").await;
    browser.wait_text("on-two", "#log", "one: hello from one").await;
    browser.wait_text("on-one", "#log", "one: hello from one").await;
    browser.fill("on-two", "#text", "and back").await;
    browser.click("on-two", "#say button").await;
    browser.wait_text("on-one", "#log", "two: and back").await;
    let path = screenshot_path("cluster-two-servers.png");
    let _ = std::fs::remove_file(&path);
    browser.screenshot("on-one", &path).await;
    assert!(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) > 10_000);
}
