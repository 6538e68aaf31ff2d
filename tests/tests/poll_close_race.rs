//! A client's close and its held poll, in either order or at once (the
//! official Engine.IO suite's "HTTP long-polling forcefully closes the
//! session"): the poll is answered as the protocol says, never refused, the
//! session ends once, and no later request finds it. Repeated until a race
//! would show; every iteration is a fresh session over real HTTP.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::TestServer;
use common::http::{get, post};
use socketio::SocketIo;

const ITERATIONS: usize = 200;

#[derive(Debug, Clone, Copy)]
enum Order {
    /// The GET is held (the server counts it) before the close is posted.
    PollFirst,
    /// The close is answered before the GET is sent.
    CloseFirst,
    /// Both sent at once, on two connections.
    Together,
}

const ORDERS: [Order; 3] = [Order::PollFirst, Order::CloseFirst, Order::Together];

/// Resolves once `held` polls are counted as bound transports. The server
/// offers no event for it; its stats are the only witness.
async fn until_held(io: &SocketIo, held: impl Fn(&socketio::StatsSnapshot) -> bool) {
    let mut ticks = tokio::time::interval(Duration::from_millis(1));
    while !held(&io.stats()) {
        ticks.tick().await;
    }
}

/// The poll's answer and the close's, in the given order.
async fn race(
    server: &TestServer,
    order: Order,
    poll_at: &str,
    close_at: &str,
    close: &str,
    held: impl Fn(&socketio::StatsSnapshot) -> bool,
) -> (common::http::Reply, common::http::Reply) {
    let addr: SocketAddr = server.addr;
    let spawn_get = |at: String| tokio::spawn(async move { get(addr, &at).await });
    let spawn_post = |at: String, body: String| tokio::spawn(async move { post(addr, &at, &body).await });
    match order {
        Order::PollFirst => {
            let poll = spawn_get(poll_at.to_owned());
            until_held(&server.io, held).await;
            let closed = post(addr, close_at, close).await;
            (poll.await.expect("poll"), closed)
        }
        Order::CloseFirst => {
            let closed = post(addr, close_at, close).await;
            (get(addr, poll_at).await, closed)
        }
        Order::Together => {
            let (poll, closed) = (
                spawn_get(poll_at.to_owned()),
                spawn_post(close_at.to_owned(), close.to_owned()),
            );
            (poll.await.expect("poll"), closed.await.expect("close"))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_io_close_and_poll_race_answers_the_poll_with_a_noop() {
    let server = common::start_default().await;
    let addr = server.addr;
    let run = async {
        for i in 0..ITERATIONS {
            let order = ORDERS[i % ORDERS.len()];
            let open = get(addr, "/socket.io/?EIO=4&transport=polling").await;
            assert_eq!(open.status, 200, "{order:?}");
            let open: serde_json::Value =
                serde_json::from_str(open.text().strip_prefix('0').expect("open packet")).expect("json");
            let sid = open["sid"].as_str().expect("sid").to_owned();
            let at = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
            let held = |stats: &socketio::StatsSnapshot| stats.connections_by_transport.polling == 1;
            let (poll, closed) = race(&server, order, &at, &at, "1", held).await;
            assert_eq!((closed.status, closed.text()), (200, "ok".to_owned()), "{order:?} #{i}");
            assert_eq!((poll.status, poll.text()), (200, "6".to_owned()), "{order:?} #{i}");
            // The session ended once: nothing finds it any more.
            assert_eq!(get(addr, &at).await.status, 400, "{order:?} #{i}: the session is gone");
            assert_eq!(post(addr, &at, "1").await.status, 400, "{order:?} #{i}");
            assert_eq!(server.io.session_count(), 0, "{order:?} #{i}");
        }
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("bounded");
    assert_eq!(server.io.stats().active_sessions, 0);
}

/// A goodbye nobody polls for is forgotten: shutdown does not wait for it.
#[tokio::test]
async fn an_unpolled_goodbye_holds_neither_the_stats_nor_the_shutdown() {
    let server = common::start_default().await;
    let addr = server.addr;
    let open = get(addr, "/socket.io/?EIO=4&transport=polling").await;
    let open: serde_json::Value =
        serde_json::from_str(open.text().strip_prefix('0').expect("open packet")).expect("json");
    let sid = open["sid"].as_str().expect("sid").to_owned();
    let at = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    assert_eq!(post(addr, &at, "1").await.text(), "ok");
    assert_eq!(server.io.session_count(), 0);
    assert_eq!(server.io.stats().active_sessions, 0);
    tokio::time::timeout(Duration::from_secs(2), server.stop())
        .await
        .expect("shutdown does not wait for the goodbye's grace");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_disconnect_and_held_xhr_poll_answer_the_poll_with_the_disconnect() {
    let server = common::start_default().await;
    let addr = server.addr;
    let run = async {
        // A 0.9 client posts its `0::` while its poll is held and then stops
        // polling (a poll sent after a `0::` was answered finds no session,
        // `7:::1+0`, as 0.9's node server answers it).
        for i in 0..ITERATIONS {
            let order = Order::PollFirst;
            let sid = common::http::handshake(addr).await;
            let at = common::http::xhr(&sid);
            let first = get(addr, &at).await;
            assert_eq!((first.status, first.text()), (200, "1::".to_owned()), "#{i}");
            let held = |stats: &socketio::StatsSnapshot| stats.connections_by_transport.xhr_polling == 1;
            let (poll, closed) = race(&server, order, &at, &at, "0::", held).await;
            assert_eq!(closed.status, 200, "{order:?} #{i}: {}", closed.text());
            assert_eq!(poll.status, 200, "{order:?} #{i}");
            let packets = common::http::packets_without_heartbeats(&poll.text());
            assert_eq!(packets, ["0::"], "{order:?} #{i}: never an error");
        }
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("bounded");
}
