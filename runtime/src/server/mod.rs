//! Serving: the settings, the server handle and its builder, the tower
//! service, and the embedded standalone server.

mod flash_policy;
mod io;
mod listen;
mod serve;
mod service;
mod settings;
mod static_files;

pub use io::{SocketIo, SocketIoBuilder};
pub use listen::{LISTEN_BACKLOG, listen, listen_with_backlog};
pub use serve::{Server, shutdown_signal};
pub use service::{PeerAddr, SocketIoService};
pub use settings::{AllowedOrigins, Settings};
