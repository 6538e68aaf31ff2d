//! Scenarios every form of the adapter passes the same way, given two of
//! its servers (`a` and `b`) on one Redis.

use std::net::SocketAddr;
use std::time::Duration;

use socketio::SocketIo;

use super::{Client, ack_id, within};

/// Both servers count two; a server-side event gets the other's answer.
pub async fn count_and_server_side_emit(a: &SocketIo, b: &SocketIo) {
    assert_eq!(within("count", a.server_count()).await.expect("counts"), 2);
    assert_eq!(within("count", b.server_count()).await.expect("counts"), 2);

    let answers = within("answers", a.server_side_emit("ping", ("x",)))
        .await
        .expect("answers");
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].args[0].get(), r#""pong x""#);
}

/// A broadcast from `a` with acknowledgements collects the answers of a
/// client on each server; a binary answer from the other server stays
/// binary.
pub async fn acknowledged_broadcast(a: &SocketIo, a_addr: SocketAddr, b_addr: SocketAddr) {
    let mut on_a = Client::connect(a_addr).await;
    let mut on_b = Client::connect(b_addr).await;
    let io = a.clone();
    let asked = tokio::spawn(async move {
        io.of("")
            .timeout(Duration::from_secs(4))
            .emit_with_ack("question", ("q",))
            .await
    });
    let text = on_a.text().await;
    on_a.send(&format!("43{}[\"from-a\"]", ack_id(&text))).await;
    let text = on_b.text().await;
    assert!(text.ends_with(r#"["question","q"]"#), "{text}");
    on_b.send(&format!(r#"461-{}[{{"_placeholder":true,"num":0}}]"#, ack_id(&text)))
        .await;
    on_b.send_binary(vec![0xde, 0xad]).await;
    let replies = within("the answers", asked).await.expect("runs").expect("answers");
    assert!(replies.is_complete(), "{replies:?}");
    let mut got: Vec<(String, usize)> = replies
        .replies
        .iter()
        .map(|r| (r.args[0].get().to_owned(), r.args[0].attachments().len()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (r#""from-a""#.to_owned(), 0),
            (r#"{"_placeholder":true,"num":0}"#.to_owned(), 1)
        ]
    );
}
