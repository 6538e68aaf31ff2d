//! The cluster events of the `conformance` example (`shared/conformance-
//! cluster.md`, section 4) on one server without Redis, driven by the real
//! 0.9.16 client: each answers for this server alone, through the same
//! adapter operations a cluster uses.

mod common;

use common::example::start_with;
use serde_json::{Value, json};
use socketio_tests::NodeClient;

async fn client(url: &str) -> (NodeClient, String) {
    let mut c = NodeClient::connect(url, "websocket", None).await;
    c.expect_connect("").await;
    let who = c.emit_ack("", "whoami", vec![]).await;
    let sid = who[0]["sid"].as_str().expect("sid").to_owned();
    (c, sid)
}

#[tokio::test]
async fn the_cluster_events_answer_for_one_server_alone() {
    let example = start_with(&[("NODE_NAME", "alone"), ("REQUESTS_TIMEOUT_MS", "2000")]).await;
    let url = example.url.clone();
    let (mut a, a_id) = client(&url).await;
    let (mut b, b_id) = client(&url).await;

    assert_eq!(a.emit_ack("", "server_name", vec![]).await, [json!("alone")]);
    assert_eq!(a.emit_ack("", "cluster_count", vec![]).await, [json!(1)]);

    a.emit_ack("", "join", vec![json!("r")]).await;
    b.emit_ack("", "join", vec![json!("r")]).await;
    let mut expected = vec![
        json!({"id": a_id, "rooms": sorted(&[&a_id, "r"]), "server": "alone"}),
        json!({"id": b_id, "rooms": sorted(&[&b_id, "r"]), "server": "alone"}),
    ];
    expected.sort_by(|x, y| x["id"].as_str().cmp(&y["id"].as_str()));
    assert_eq!(
        a.emit_ack("", "fetch_room", vec![json!("r")]).await,
        [Value::Array(expected)]
    );

    // Everyone in `r` joins `s`; then leaves `r`.
    a.emit_ack("", "join_all", vec![json!("r"), json!("s")]).await;
    a.emit_ack("", "leave_all", vec![json!("s"), json!("r")]).await;
    let in_s = a.emit_ack("", "fetch_room", vec![json!("s")]).await;
    let rooms: Vec<&Value> = in_s[0].as_array().expect("array").iter().map(|s| &s["rooms"]).collect();
    assert_eq!(
        rooms,
        [
            &json!(sorted(&[&in_s_id(&in_s, 0), "s"])),
            &json!(sorted(&[&in_s_id(&in_s, 1), "s"]))
        ]
    );
    assert!(
        a.emit_ack("", "fetch_room", vec![json!("r")]).await[0]
            .as_array()
            .expect("array")
            .is_empty()
    );

    // Nobody else to ping.
    assert_eq!(a.emit_ack("", "server_ping", vec![json!("x")]).await, [json!([])]);

    // ask_room: both answer.
    a.reply_to("question", vec![json!("from a")]).await;
    b.reply_to("question", vec![json!("from b")]).await;
    assert_eq!(
        a.emit_ack("", "ask_room", vec![json!("s")]).await,
        [json!(["from a", "from b"])]
    );

    // disconnect_room: b is disconnected by the server.
    a.emit_ack("", "leave", vec![json!("s")]).await;
    a.emit_ack("", "disconnect_room", vec![json!("s")]).await;
    b.expect("b disconnected", |r| r["ev"] == "disconnect").await;
    assert_eq!(a.emit_ack("", "cluster_count", vec![]).await, [json!(1)], "a stays");
}

fn sorted(rooms: &[&str]) -> Vec<String> {
    let mut rooms: Vec<String> = rooms.iter().map(|r| (*r).to_owned()).collect();
    rooms.sort();
    rooms
}

fn in_s_id(fetched: &[Value], index: usize) -> String {
    fetched[0][index]["id"].as_str().expect("id").to_owned()
}
