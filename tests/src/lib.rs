//! Drives real Socket.IO clients from Rust integration tests.

mod node_client;
mod pages;

pub use node_client::NodeClient;
pub use pages::Browser;
