//! The Socket.IO Admin UI (`@socket.io/admin-ui` 0.5) for this server: a
//! namespace (default `/admin`) that speaks the UI's protocol. The UI sees
//! every socket of both protocol families (a 0.9 session with its transport
//! and its endpoint as the namespace), the rooms, server stats and, in
//! development mode, every event received and sent; its commands (join,
//! leave, disconnect, emit) reach the sockets they name. Through a cluster
//! adapter, the UI connected to any one server sees and drives them all,
//! node's servers with node's admin UI included.
//!
//! ```no_run
//! # #[derive(Default)] struct Main;
//! # impl socketio::Handler for Main {}
//! use socketio::admin::{AdminUi, Mode};
//!
//! let ui = AdminUi::new()
//!     // bcrypt of the password, as node's `instrument` takes it
//!     .basic_auth("admin", "$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS")
//!     .mode(Mode::Development);
//! let io = socketio::SocketIo::builder(Main::default).admin_ui(ui).build();
//! # let _ = io;
//! ```
//!
//! Needs the `admin-ui` cargo feature.

pub(crate) mod handler;
mod monitor;
mod serialize;
mod stats;
mod time;

use std::time::Duration;

pub(crate) use handler::AdminHandler;
pub(crate) use monitor::AdminMonitor;

/// How much the UI is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// Every socket at once when the UI connects, and every event received
    /// and sent as it happens (node's `"development"`).
    #[default]
    Development,
    /// Server stats and socket counts only (node's `"production"`).
    Production,
}

/// Who may use the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// Anyone who reaches the namespace (node's `auth: false`).
    None,
    /// The UI's login form: `username`, and the bcrypt hash of the
    /// password (node's `{type: "basic", username, password}`). A login
    /// gets a session id the UI reconnects with.
    Basic {
        /// The user name the UI must send.
        username: String,
        /// The bcrypt hash (`$2a$`/`$2b$`/`$2y$`) of the password.
        password_hash: String,
    },
}

/// The admin UI's settings; [`crate::SocketIoBuilder::admin_ui`] serves it.
#[derive(Debug, Clone)]
pub struct AdminUi {
    pub(crate) namespace: String,
    pub(crate) auth: Auth,
    pub(crate) readonly: bool,
    pub(crate) server_id: Option<String>,
    pub(crate) mode: Mode,
    pub(crate) stats_interval: Duration,
}

impl Default for AdminUi {
    fn default() -> Self {
        Self::new()
    }
}

impl AdminUi {
    /// Namespace `/admin`, no authentication, commands allowed, the host
    /// name as server id, development mode, stats every 2 s.
    pub fn new() -> Self {
        Self {
            namespace: "/admin".to_owned(),
            auth: Auth::None,
            readonly: false,
            server_id: None,
            mode: Mode::Development,
            stats_interval: Duration::from_secs(2),
        }
    }

    /// The namespace the UI connects to (default `/admin`).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Requires the UI's login: `username` and the bcrypt hash of the
    /// password. A hash that does not parse refuses every login.
    pub fn basic_auth(mut self, username: impl Into<String>, password_hash: impl Into<String>) -> Self {
        self.auth = Auth::Basic {
            username: username.into(),
            password_hash: password_hash.into(),
        };
        self
    }

    /// Refuses the UI's commands (default `false`): it only watches.
    pub fn readonly(mut self, readonly: bool) -> Self {
        self.readonly = readonly;
        self
    }

    /// This server's name in the UI (default: the host name).
    pub fn server_id(mut self, server_id: impl Into<String>) -> Self {
        self.server_id = Some(server_id.into());
        self
    }

    /// How much the UI is told (default [`Mode::Development`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// How often each server sends its stats (default 2 s, as node).
    pub fn stats_interval(mut self, interval: Duration) -> Self {
        self.stats_interval = interval;
        self
    }

    /// Our endpoint name of the admin namespace (`/` is `""`).
    pub(crate) fn endpoint(&self) -> &str {
        if self.namespace == "/" { "" } else { &self.namespace }
    }

    /// The features the UI may offer, as node names them.
    pub(crate) fn features(&self) -> Vec<&'static str> {
        let mut features = if self.readonly {
            Vec::new()
        } else {
            vec!["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]
        };
        features.push("AGGREGATED_EVENTS");
        if self.mode == Mode::Development {
            features.push("ALL_EVENTS");
        }
        features
    }
}
