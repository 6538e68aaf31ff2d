//! Drives real Socket.IO clients from Rust integration tests.

mod node_client;

pub use node_client::NodeClient;
