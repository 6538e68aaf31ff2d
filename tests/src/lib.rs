//! Drives real Socket.IO clients from Rust integration tests.

mod node_client;
mod node_script;
mod pages;
mod redis_cluster;
mod redis_server;

pub use node_client::NodeClient;
pub use node_script::NodeScript;
pub use pages::Browser;
pub use redis_cluster::RedisCluster;
pub use redis_server::RedisServer;
