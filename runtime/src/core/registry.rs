use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::core::Stats;

/// The live sessions of one kind (legacy sessions, or one Engine.IO
/// endpoint's), by id: what a transport request looks its session up in.
/// Each counts in the server's stats until it leaves.
pub(crate) struct Registry<S> {
    sessions: Mutex<HashMap<Arc<str>, Arc<S>>>,
    shutting_down: AtomicBool,
    /// Woken whenever a session leaves.
    removed: Notify,
    stats: Arc<Stats>,
}

impl<S> std::fmt::Debug for Registry<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("sessions", &self.len()).finish()
    }
}

impl<S> Registry<S> {
    pub(crate) fn new(stats: Arc<Stats>) -> Self {
        Self {
            sessions: Mutex::new(HashMap::new()),
            shutting_down: AtomicBool::new(false),
            removed: Notify::new(),
            stats,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<S>>> {
        self.sessions.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn insert(&self, sid: Arc<str>, session: Arc<S>) {
        self.lock().insert(sid, session);
    }

    pub(crate) fn get(&self, sid: &str) -> Option<Arc<S>> {
        self.lock().get(sid).cloned()
    }

    /// A session leaves (once; its stats count goes with it).
    pub(crate) fn remove(&self, sid: &str) {
        if self.lock().remove(sid).is_some() {
            self.stats.session_closed();
            self.removed.notify_waiters();
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    pub(crate) fn removed(&self) -> &Notify {
        &self.removed
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Refuses new sessions from now on and closes every live one.
    pub(crate) fn shut_down(&self, close: impl Fn(&S)) {
        self.shutting_down.store(true, Ordering::Release);
        let sessions: Vec<Arc<S>> = self.lock().values().cloned().collect();
        for session in sessions {
            close(&session);
        }
    }
}

/// A Socket.IO 3+ socket id, as node makes them: 120 bits from the OS
/// CSPRNG, as 20 characters of URL-safe base64 (node's sharded adapter
/// takes a 20-character room for a socket id).
pub(crate) fn new_socket_id() -> Arc<str> {
    use base64::Engine as _;
    let mut bytes = [0u8; 15];
    if let Err(error) = getrandom::fill(&mut bytes) {
        panic!("the operating system's random source failed: {error}");
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes).into()
}

/// 128 bits from the operating system's CSPRNG, as 32 hex digits.
pub(crate) fn new_sid() -> Arc<str> {
    let mut bytes = [0u8; 16];
    if let Err(error) = getrandom::fill(&mut bytes) {
        // Without an OS random source no session id can be safe.
        panic!("the operating system's random source failed: {error}");
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut sid = String::with_capacity(32);
    for byte in bytes {
        sid.push(char::from(HEX[usize::from(byte >> 4)]));
        sid.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    sid.into()
}
