//! The `admin` example with the real Socket.IO Admin UI (its built app from
//! the `@socket.io/admin-ui` npm package, served by the example) in headless
//! Chromium: log in, see a 0.9 client and a socket.io-client 4 client with
//! their transports, make the 0.9 one join a room and disconnect the other
//! from the UI, and the clients see it. The sockets page is saved to
//! `target/screenshots/admin-sockets.png`.

mod common;

use std::path::PathBuf;

use common::example::start_example;
use serde_json::json;
use socketio_tests::{Browser, NodeClient};

fn screenshot_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir.join(name)
}

/// The rows of the table on the page: the text of each cell.
async fn rows(browser: &mut Browser, page: &str) -> Vec<Vec<String>> {
    let rows = browser
        .eval(
            page,
            "[...document.querySelectorAll('tbody tr')].map(tr => [...tr.cells].map(c => c.textContent.trim()))",
        )
        .await;
    serde_json::from_value(rows).unwrap_or_default()
}

/// The id in the row whose transport column says `transport`.
fn id_over(rows: &[Vec<String>], transport: &str) -> String {
    rows.iter()
        .find(|row| row.iter().any(|cell| cell == transport))
        .and_then(|row| row.first().cloned())
        .unwrap_or_else(|| panic!("no socket over {transport} in {rows:?}"))
}

#[tokio::test]
async fn the_admin_ui_sees_both_families_and_drives_their_sockets() {
    let example = start_example("admin", &[("ADMIN_PASSWORD", "secret")]).await;
    let mut old = NodeClient::connect(&example.url, "xhr-polling", None).await;
    old.expect_connect("").await;
    let mut new = NodeClient::connect_modern(&example.url, 4, "websocket", json!({})).await;
    new.expect_connect("").await;

    let mut browser = Browser::launch().await;
    browser.open("ui", &format!("{}/admin-ui/", example.url)).await;
    browser
        .fill("ui", r#"internal:label="Server URL"i"#, &example.url)
        .await;
    browser.fill("ui", r#"internal:label="Username"i"#, "admin").await;
    browser.fill("ui", r#"internal:label="Password"i"#, "secret").await;
    browser.click("ui", r#"button:has-text("Connect")"#).await;
    browser.wait_text("ui", "header", "Status: connected").await;

    // The sockets page lists both, with their transports as the UI names them.
    browser.eval("ui", "location.hash = '#/sockets'").await;
    browser.wait_text("ui", "tbody", "xhr-polling").await;
    browser.wait_text("ui", "tbody", "WebSocket").await;
    let table = rows(&mut browser, "ui").await;
    let old_id = id_over(&table, "xhr-polling");
    let new_id = id_over(&table, "WebSocket");
    assert_ne!(old_id, new_id);
    browser.screenshot("ui", &screenshot_path("admin-sockets.png")).await;

    // The 0.9 client joins `vip` from its page in the UI; a message to the
    // room reaches it.
    browser.click("ui", &format!(r#"tbody tr:has-text("{old_id}")"#)).await;
    browser.fill("ui", r#"internal:label="Join a room"i"#, "vip").await;
    browser.click("ui", "button:has(.mdi-tag-plus-outline)").await;
    browser.wait_text("ui", "body", "vip").await;
    new.emit("", "say", vec![json!("vip"), json!("hello")]).await;
    assert_eq!(
        old.expect_event("", "said").await,
        [json!("vip"), json!(new_id), json!("hello")]
    );

    // The modern one is disconnected from its page.
    browser.eval("ui", "location.hash = '#/sockets'").await;
    browser.click("ui", &format!(r#"tbody tr:has-text("{new_id}")"#)).await;
    browser.wait_text("ui", "body", &new_id).await;
    browser.click("ui", "button.ml-3:has(.mdi-logout)").await;
    new.expect_disconnect("").await;
}
