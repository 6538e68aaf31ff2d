//! The example pages load the real Socket.IO 0.9.16 browser client, and the
//! admin example serves the Socket.IO Admin UI. Both come from their npm
//! packages, installed here on first build, so a fresh clone needs no
//! manual step beyond `cargo run --example chat`.
//!
//! The chat example's TypeScript client is compiled here by `tsc` against
//! its committed typings, so a client that no longer fits the server's
//! events fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    let js = manifest.join("js");
    let client = js.join("node_modules/socket.io-client/dist/socket.io.js");
    let admin_ui = js.join("node_modules/@socket.io/admin-ui/ui/dist");
    println!("cargo:rerun-if-changed=js/package.json");
    println!("cargo:rerun-if-changed=js/package-lock.json");
    if !client.exists() || !admin_ui.join("index.html").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&js)
            .status()
            .expect("npm is needed once to fetch the Socket.IO 0.9.16 browser client");
        assert!(status.success(), "`npm ci` in examples/js failed");
    }
    println!("cargo:rustc-env=SOCKET_IO_JS={}", client.display());
    println!("cargo:rustc-env=ADMIN_UI_DIR={}", admin_ui.display());
    chat_client(&manifest.join("chat/client"));
}

/// `tsc -p chat/client`: type-checks the chat's client against the
/// generated `index.d.ts` and writes `dist/chat.js`.
fn chat_client(dir: &Path) {
    for file in [
        "chat.ts",
        "index.d.ts",
        "tsconfig.json",
        "package.json",
        "package-lock.json",
    ] {
        println!("cargo:rerun-if-changed={}", dir.join(file).display());
    }
    let tsc = dir.join("node_modules/typescript/bin/tsc");
    if !tsc.exists() || !dir.join("node_modules/socket.io-client").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .status()
            .expect("npm installs the chat client's typescript and socket.io-client");
        assert!(status.success(), "`npm ci` in examples/chat/client failed");
    }
    let output = Command::new("node")
        .arg(&tsc)
        .args(["-p", "."])
        .current_dir(dir)
        .output()
        .expect("node runs tsc for the chat client");
    assert!(
        output.status.success(),
        "the chat's TypeScript client does not fit its typings (regenerate them with \
         `cargo run --example chat -- typings write` and fix chat.ts):\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
