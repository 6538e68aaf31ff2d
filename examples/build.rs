//! The example pages load the real Socket.IO 0.9.16 browser client, and the
//! admin example serves the Socket.IO Admin UI. Both come from their npm
//! packages, installed here on first build, so a fresh clone needs no
//! manual step beyond `cargo run --example chat`.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let js = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets this")).join("js");
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
}
