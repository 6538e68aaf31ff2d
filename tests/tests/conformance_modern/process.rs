//! Section 1: the process: its settings from the environment, one port
//! for everything, a clean exit on SIGTERM.

use super::*;

#[tokio::test]
async fn the_process_takes_its_settings_from_the_environment_and_serves_everything_on_one_port() {
    // It listens on the PORT it is given, and says so: start_example reads
    // `listening on 127.0.0.1:PORT` from its output.
    let port = {
        let probe = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        probe.local_addr().expect("addr").port()
    };
    let example = server(&[("PORT", &port.to_string())]).await;
    let addr = example.addr();
    assert_eq!(addr, SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    // The defaults are the suites' values, on both endpoints at once.
    for base in BASES {
        let (_, open) = handshake(addr, base).await;
        assert_eq!(
            open_fields(&open),
            json!({"upgrades": ["websocket"], "pingInterval": 300, "pingTimeout": 200, "maxPayload": 1_000_000}),
            "{base}"
        );
    }
    // The legacy protocol shares the port; a modern-looking request without
    // a valid EIO gets the modern 400, not a legacy answer.
    assert_eq!(get(addr, "/socket.io/1/").await.status, 200);
    for bad in [
        "/socket.io/",
        "/socket.io/?transport=polling",
        "/socket.io/?EIO=&transport=polling",
        "/socket.io/?EIO=abc&transport=polling",
        "/socket.io/?EIO=5&transport=polling",
    ] {
        assert_eq!(get(addr, bad).await.status, 400, "{bad}");
    }

    let tuned = server(&[
        ("PING_INTERVAL_MS", "250"),
        ("PING_TIMEOUT_MS", "150"),
        ("MAX_PAYLOAD", "5000"),
    ])
    .await;
    let addr = tuned.addr();
    for base in BASES {
        let (_, open) = handshake(addr, base).await;
        assert_eq!(
            open_fields(&open),
            json!({"upgrades": ["websocket"], "pingInterval": 250, "pingTimeout": 150, "maxPayload": 5000}),
            "{base}"
        );
    }
    // MAX_PAYLOAD bounds polling bodies and websocket messages.
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    let fits = format!("4{}", "x".repeat(4000));
    assert_eq!(post(addr, &at, &fits).await.text(), "ok");
    assert_eq!(get(addr, &at).await.text(), fits);
    let big = format!("4{}", "x".repeat(5000));
    assert_eq!(post(addr, &at, &big).await.status, 413);
    let mut ws = websocket(addr, "/engine.io", None).await;
    let _open = next_text(&mut ws).await;
    // The server may close while the message is still being written.
    let _ = futures_util::SinkExt::send(&mut ws, Message::Text(big.into())).await;
    let seen = until_closed(&mut ws).await;
    assert!(
        !seen.iter().any(|m| matches!(m, Message::Text(t) if t.len() > 1000)),
        "not echoed"
    );
}

#[tokio::test]
async fn sigterm_to_its_process_group_stops_the_process_cleanly() {
    // Its own group, as the suites run it, so the signal spares this test.
    let mut example = start_example_with("conformance_modern", &[], |command| {
        command.process_group(0);
    })
    .await;
    let mut ws = websocket(example.addr(), "/engine.io", None).await;
    assert!(next_text(&mut ws).await.is_some_and(|open| open.starts_with("0{")));
    let pid = example.child.id().expect("running");
    // Field 5 of /proc/PID/stat is the process group: never signal another one.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let group = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(2));
    assert_eq!(group, Some(pid.to_string().as_str()), "a group of its own");
    let killed = tokio::process::Command::new("kill")
        // `--` first: procps-ng 4.0.2 misreads `kill -TERM -PGID`.
        .args(["-s", "TERM", "--", &format!("-{pid}")])
        .status()
        .await
        .expect("kill");
    assert!(killed.success());
    until_closed(&mut ws).await;
    // A failsafe, not a timing assertion (the suites allow 5 s before SIGKILL).
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), example.child.wait())
        .await
        .expect("the process exits")
        .expect("exit status");
    assert!(status.success(), "a clean exit on SIGTERM: {status:?}");
}
