//! The session state machine without sockets: queue order, bindings,
//! closing, and the timers under tokio's paused clock.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::core::{
    CloseReason, ConnectionInfo, CoreConfig, Endpoints, Frame, Hub, InMemoryAdapter, Lent, SessionInfo, Take,
};
use crate::handler::{Endpoint, Handler};
use crate::legacy::{LegacyServer, Session};

struct Quiet;
impl Handler for Quiet {}

fn config() -> CoreConfig {
    CoreConfig {
        max_sessions: 10,
        connect_timeout: Duration::from_secs(45),
        max_attachments: 10,
        heartbeat_interval: Duration::from_secs(10),
        heartbeat_timeout: Duration::from_secs(25),
        close_timeout: Duration::from_secs(30),
        max_queue_packets: 5,
        max_queue_bytes: 1 << 20,
        inbox_capacity: 8,
        max_endpoints_per_session: 2,
        max_packets_per_payload: 10,
        ack_timeout: Duration::from_secs(1),
        max_pending_acks: 4,
        max_pending_handshakes: 100,
        handshake_expiry: Duration::from_secs(45),
        recovery: None,
    }
}

fn info() -> ConnectionInfo {
    let session = SessionInfo {
        ip: std::net::Ipv4Addr::LOCALHOST.into(),
        query: Vec::new(),
        cookies: Vec::new(),
        headers: http::HeaderMap::new(),
        issued: std::time::SystemTime::now(),
    };
    ConnectionInfo::new(Arc::new(session), Vec::new())
}

async fn server_and_session() -> (Arc<LegacyServer>, Arc<Session>) {
    let named = ["/a", "/b", "/c"].map(|name| (name.to_owned(), Endpoint::new(|| Quiet).spawner));
    let endpoints = Endpoints {
        main: Endpoint::new(|| Quiet).spawner,
        named: HashMap::from(named),
        dynamic: None,
        server_events: HashMap::new(),
    };
    let server = LegacyServer::new(Hub::new(config(), endpoints, Arc::new(InMemoryAdapter)));
    let session = server.handshake(info()).await.expect("accepted");
    (server, session)
}

async fn session() -> Arc<Session> {
    server_and_session().await.1
}

/// What a transport would write now, delivered.
fn take(session: &Arc<Session>, token: u64) -> Take {
    match session.lend(token) {
        Ok(lent) => {
            let frames = lent.frames().to_vec();
            lent.delivered();
            Take::Frames(frames)
        }
        Err(other) => other,
    }
}

fn texts(take: Take) -> Vec<String> {
    match take {
        Take::Frames(frames) => frames.iter().map(|f| f.as_str().to_owned()).collect(),
        other => panic!("expected frames, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn queued_frames_are_taken_once_in_order() {
    let session = session().await;
    session.push(Frame::fixed("3:::a"));
    session.push_all([Frame::fixed("3:::b"), Frame::fixed("3:::c")]);
    let token = session.bind().expect("open");
    assert_eq!(texts(take(&session, token)), ["1::", "3:::a", "3:::b", "3:::c"]);
    assert!(matches!(take(&session, token), Take::Empty));
}

#[tokio::test(start_paused = true)]
async fn a_newer_binding_supersedes_an_older_one() {
    let session = session().await;
    let old = session.bind().expect("open");
    let new = session.bind().expect("open");
    assert!(matches!(take(&session, old), Take::Superseded));
    assert_eq!(texts(take(&session, new)), ["1::"]);
    // Unbinding the stale token does not unbind the live one.
    session.unbind(old);
    assert!(session.timer_view().unbound_since.is_none());
}

#[tokio::test(start_paused = true)]
async fn closing_delivers_the_rest_then_the_disconnect_then_is_gone() {
    let session = session().await;
    session.push(Frame::fixed("3:::last"));
    session.close(CloseReason::ServerClose);
    session.push(Frame::fixed("3:::too late"));
    let token = session.bind().expect("still has frames to deliver");
    assert_eq!(texts(take(&session, token)), ["1::", "3:::last", "0::"]);
    assert!(matches!(take(&session, token), Take::Gone));
    assert!(session.bind().is_none());
}

#[tokio::test(start_paused = true)]
async fn reaching_the_queue_bound_closes_the_session() {
    let session = session().await;
    for i in 0..10 {
        session.push(Frame::text(format!("3:::{i}")));
    }
    let token = session.bind().expect("frames left");
    let frames = texts(take(&session, token));
    assert_eq!(frames.len(), 6, "the bound (5) plus the disconnect: {frames:?}");
    assert_eq!(frames.last().map(String::as_str), Some("0::"));
}

#[tokio::test(start_paused = true)]
async fn heartbeats_go_out_on_schedule_and_a_silent_client_is_closed() {
    let session = session().await;
    let token = session.bind().expect("open");
    assert_eq!(texts(take(&session, token)), ["1::"]);
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(texts(take(&session, token)), ["2::"]);
    // The client answers: it stays alive past the heartbeat timeout.
    session.receive_payload("2::").await.expect("valid");
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(texts(take(&session, token)), ["2::", "2::"]);
    assert!(session.timer_view().closed_at.is_none());
    // Then silence: closed once the heartbeat timeout passes.
    tokio::time::sleep(Duration::from_secs(30)).await;
    let frames = texts(take(&session, token));
    assert_eq!(frames.last().map(String::as_str), Some("0::"), "{frames:?}");
}

#[tokio::test(start_paused = true)]
async fn an_unbound_session_closes_after_the_close_timeout_and_leaves_the_registry() {
    let (server, session) = server_and_session().await;
    assert_eq!(server.sessions.len(), 1);
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert!(session.timer_view().closed_at.is_some());
    // Nobody collects the disconnect: it lingers one more close timeout.
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert_eq!(server.sessions.len(), 0);
}

#[tokio::test(start_paused = true)]
async fn endpoints_beyond_the_limit_are_refused() {
    let session = session().await;
    let token = session.bind().expect("open");
    let _ = take(&session, token);
    session
        .receive_payload(&crate::codec::legacy::encode_payload(&["1::/a", "1::/b", "1::/c"]))
        .await
        .expect("valid");
    let mut got = Vec::new();
    while got.len() < 3 {
        let woken = session.wake().notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        match take(&session, token) {
            Take::Frames(frames) => got.extend(frames.iter().map(|f| f.as_str().to_owned())),
            Take::Empty => woken.await,
            other => panic!("{other:?}"),
        }
    }
    got.sort();
    // Two endpoints besides the main one are allowed; the third is refused.
    assert_eq!(got, ["1::/a", "1::/b", "7::/c:2"]);
}

fn lent_texts(lent: &Lent<Session>) -> Vec<String> {
    lent.frames().iter().map(|f| f.as_str().to_owned()).collect()
}

#[tokio::test(start_paused = true)]
async fn frames_of_an_abandoned_poll_come_back_first_and_in_order() {
    let session = session().await;
    session.push(Frame::fixed("3:::a"));
    let first = session.bind().expect("open");
    let lent = session.lend(first).expect("frames");
    assert_eq!(lent_texts(&lent), ["1::", "3:::a"]);
    session.push(Frame::fixed("3:::b"));
    // A newer poll waits while the older answer is on its way: it must not
    // overtake frames that may yet come back.
    let second = session.bind().expect("open");
    assert!(matches!(session.lend(second), Err(Take::Empty)));
    drop(lent);
    let lent = session.lend(second).expect("frames back");
    assert_eq!(lent_texts(&lent), ["1::", "3:::a", "3:::b"]);
    lent.delivered();
    assert!(matches!(session.lend(second), Err(Take::Empty)));
    // Delivered frames are gone for good, even from a session that closed.
    session.close(CloseReason::ServerClose);
    assert_eq!(texts(take(&session, second)), ["0::"]);
    assert!(matches!(take(&session, second), Take::Gone));
}

#[tokio::test(start_paused = true)]
async fn a_closed_session_waits_for_its_lent_frames() {
    let session = session().await;
    let token = session.bind().expect("open");
    let lent = session.lend(token).expect("frames");
    session.close(CloseReason::ServerClose);
    assert!(!session.timer_view().drained, "the lent frames are not delivered yet");
    drop(lent);
    let token = session.bind().expect("the frames came back");
    assert_eq!(texts(take(&session, token)), ["1::", "0::"]);
}
