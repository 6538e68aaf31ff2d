//! Connection state recovery (node's `connectionStateRecovery`): what a
//! socket whose transport broke leaves behind, the packets it may have
//! missed, and the bounded in-memory store that keeps both on one server.
//!
//! The store is the default behind [`crate::Adapter::persist_session`] and
//! [`crate::Adapter::restore_session`]; an adapter that keeps sessions
//! elsewhere (a Redis stream) replaces both and numbers its own packets.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::core::{BroadcastPacket, Target};

/// Connection state recovery for modern clients (socket.io-client 4.6+,
/// Socket.IO protocol 5), as node's `connectionStateRecovery` option: a
/// client whose transport broke and that comes back in time gets its socket
/// id, rooms and data back, and every packet it missed. Off unless set
/// ([`crate::Settings::connection_state_recovery`]).
///
/// What it costs: every recoverable packet (an event broadcast through the
/// adapter, or emitted to one socket, without ack and not volatile) is kept
/// for `max_disconnection_duration`, within `max_buffered_packets` and
/// `max_buffered_bytes`; a socket that left on a broken transport is kept
/// (id, rooms, data) within `max_sessions`. Socket.IO 0.9 and 2 clients have
/// no recovery in their protocols and are unaffected.
///
/// ```
/// use std::time::Duration;
/// use socketio::ConnectionStateRecovery;
///
/// let mut recovery = ConnectionStateRecovery::default();
/// recovery.max_disconnection_duration = Duration::from_secs(30);
/// # #[derive(Default)] struct Main;
/// # impl socketio::Handler for Main {}
/// let io = socketio::SocketIo::builder(Main::default)
///     .connection_state_recovery(recovery)
///     .build();
/// assert!(io.settings().connection_state_recovery.is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionStateRecovery {
    /// How long a socket whose transport broke can come back (node's
    /// `maxDisconnectionDuration`). Default 2 minutes, as node's.
    pub max_disconnection_duration: Duration,
    /// A recovered socket is accepted without running its handler's
    /// `on_open` (node's `skipMiddlewares`); its handler value is a fresh
    /// one, its rooms and data are the old ones. With `false`, `on_open`
    /// runs and may refuse; `Ctx::recovered` tells it apart. Default `true`.
    pub skip_open_hook: bool,
    /// Sockets kept for recovery at once, at most. A socket that breaks
    /// when this many are kept is not kept (it cannot recover); the others
    /// are unharmed. Default 10 000.
    pub max_sessions: usize,
    /// Packets one socket may have missed and still recover. One that
    /// missed more comes back as a new socket, with nothing replayed.
    /// Default 1 000.
    pub max_missed_packets: usize,
    /// Recoverable packets kept, at most, across every namespace; the
    /// oldest go first. A socket whose last packet is older than the oldest
    /// kept can no longer recover. Default 100 000.
    pub max_buffered_packets: usize,
    /// The same in bytes (arguments, attachments and rooms, roughly).
    /// Default 32 MiB.
    pub max_buffered_bytes: usize,
}

impl Default for ConnectionStateRecovery {
    fn default() -> Self {
        Self {
            max_disconnection_duration: Duration::from_secs(120),
            skip_open_hook: true,
            max_sessions: 10_000,
            max_missed_packets: 1_000,
            max_buffered_packets: 100_000,
            max_buffered_bytes: 32 << 20,
        }
    }
}

/// A socket whose transport broke, as kept for its return (node's
/// `SessionToPersist`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PersistedSession {
    /// Its socket id, given back on recovery.
    pub sid: String,
    /// The private id the client comes back with (`auth.pid`).
    pub pid: String,
    /// Its namespace; `""` is the main one (as in [`Target`]).
    pub namespace: String,
    /// The rooms it was in, its own id among them.
    pub rooms: Vec<String>,
    /// What its handler attached (node's `socket.data`); `null` if nothing.
    pub data: serde_json::Value,
}

impl PersistedSession {
    /// A session with these parts.
    pub fn new(
        sid: impl Into<String>,
        pid: impl Into<String>,
        namespace: impl Into<String>,
        rooms: Vec<String>,
        data: serde_json::Value,
    ) -> Self {
        Self {
            sid: sid.into(),
            pid: pid.into(),
            namespace: namespace.into(),
            rooms,
            data,
        }
    }
}

/// A packet a socket missed while away, with the offset it was sent with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MissedPacket {
    /// Its offset (the client's `auth.offset` once it has it).
    pub offset: String,
    /// What was sent.
    pub packet: BroadcastPacket,
}

impl MissedPacket {
    /// A missed packet.
    pub fn new(offset: impl Into<String>, packet: BroadcastPacket) -> Self {
        Self {
            offset: offset.into(),
            packet,
        }
    }
}

/// A session found again, and what its socket missed, oldest first.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RestoredSession {
    /// The socket as it was.
    pub session: PersistedSession,
    /// The packets it missed, in the order they were sent.
    pub missed: Vec<MissedPacket>,
}

impl RestoredSession {
    /// A restored session.
    pub fn new(session: PersistedSession, missed: Vec<MissedPacket>) -> Self {
        Self { session, missed }
    }
}

/// Whether a packet sent to `target` reaches a socket in `rooms`, as the
/// broadcast would have picked it (its own id is among its rooms).
pub(crate) fn reaches(target: &Target, rooms: &[String]) -> bool {
    let included = target.rooms.is_empty() || rooms.iter().any(|room| target.rooms.contains(room));
    included && !rooms.iter().any(|room| target.except.contains(room))
}

/// Whether a broadcast is one a client can recover: an event without ack,
/// not volatile (node keeps only those).
pub(crate) fn is_recoverable(packet: &BroadcastPacket, target: &Target) -> bool {
    matches!(packet, BroadcastPacket::Event { .. }) && !target.flags.volatile
}

struct Logged {
    seq: u64,
    at: Instant,
    target: Target,
    packet: BroadcastPacket,
    bytes: usize,
}

struct Kept {
    session: PersistedSession,
    at: Instant,
}

#[derive(Default)]
struct State {
    /// The next packet's number.
    next: u64,
    /// Every packet numbered below this one is no longer kept.
    kept_from: u64,
    /// Numbered consecutively from the front.
    log: VecDeque<Logged>,
    bytes: usize,
    sessions: HashMap<String, Kept>,
    /// Pids in the order kept, hence of expiry.
    expiry: VecDeque<(Instant, String)>,
}

/// The in-memory store of one server: recoverable packets by number, and
/// the sessions of broken sockets by pid.
pub(crate) struct SessionStore {
    config: ConnectionStateRecovery,
    /// Starts this server's offsets, so that another run's are unknown.
    epoch: String,
    /// Broadcasts number and deliver under its read side; a restore takes
    /// the write side from its snapshot of the log until its socket is back
    /// in its rooms, so a packet is either replayed or delivered, never
    /// lost between the two.
    fence: RwLock<()>,
    state: Mutex<State>,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SessionStore {
    pub(crate) fn new(config: ConnectionStateRecovery) -> Self {
        let epoch: String = crate::core::new_socket_id().chars().take(8).collect();
        Self {
            config,
            epoch,
            fence: RwLock::new(()),
            state: Mutex::new(State {
                next: 1,
                kept_from: 1,
                ..State::default()
            }),
        }
    }

    pub(crate) fn config(&self) -> &ConnectionStateRecovery {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section is panic-free, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn fence_read(&self) -> RwLockReadGuard<'_, ()> {
        self.fence.read().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn fence_write(&self) -> RwLockWriteGuard<'_, ()> {
        self.fence.write().unwrap_or_else(|poison| poison.into_inner())
    }

    fn offset(&self, seq: u64) -> String {
        format!("{}.{seq}", self.epoch)
    }

    fn seq_of(&self, offset: &str) -> Option<u64> {
        let (epoch, seq) = offset.rsplit_once('.')?;
        if epoch != self.epoch {
            return None;
        }
        seq.parse().ok()
    }

    /// Keeps a recoverable packet; returns its offset.
    pub(crate) fn record(&self, packet: &BroadcastPacket, target: &Target) -> String {
        let bytes = 96
            + target.namespace.len()
            + target
                .rooms
                .iter()
                .chain(&target.except)
                .map(|r| r.len() + 24)
                .sum::<usize>()
            + match packet {
                BroadcastPacket::Event { name, args } => {
                    name.len() + args.json.len() + args.attachments.iter().map(|a| a.len()).sum::<usize>()
                }
                BroadcastPacket::Message(text) => text.len(),
                BroadcastPacket::Json(json) => json.get().len(),
            };
        let now = Instant::now();
        let mut state = self.lock();
        let seq = state.next;
        state.next += 1;
        state.log.push_back(Logged {
            seq,
            at: now,
            target: target.clone(),
            packet: packet.clone(),
            bytes,
        });
        state.bytes += bytes;
        self.trim(&mut state, now);
        drop(state);
        self.offset(seq)
    }

    /// Drops packets past the duration or over the caps, oldest first.
    fn trim(&self, state: &mut State, now: Instant) {
        while let Some(front) = state.log.front() {
            let expired = now.duration_since(front.at) > self.config.max_disconnection_duration;
            let over =
                state.log.len() > self.config.max_buffered_packets || state.bytes > self.config.max_buffered_bytes;
            if !expired && !over {
                break;
            }
            state.bytes -= front.bytes;
            state.kept_from = front.seq + 1;
            state.log.pop_front();
        }
    }

    /// Drops sessions past the duration.
    fn sweep(&self, state: &mut State, now: Instant) {
        while let Some((at, _)) = state.expiry.front() {
            if now.duration_since(*at) <= self.config.max_disconnection_duration {
                break;
            }
            if let Some((at, pid)) = state.expiry.pop_front()
                && state.sessions.get(&pid).is_some_and(|kept| kept.at == at)
            {
                state.sessions.remove(&pid);
            }
        }
    }

    /// Keeps a broken socket's session, unless `max_sessions` are kept.
    pub(crate) fn persist(&self, session: PersistedSession) {
        let now = Instant::now();
        let mut state = self.lock();
        self.sweep(&mut state, now);
        self.trim(&mut state, now);
        if state.sessions.len() >= self.config.max_sessions {
            tracing::debug!(
                sid = session.sid,
                "recovery: max_sessions kept; this socket cannot recover"
            );
            return;
        }
        state.expiry.push_back((now, session.pid.clone()));
        state.sessions.insert(session.pid.clone(), Kept { session, at: now });
    }

    /// Takes the session `pid` of `namespace` back with what it missed
    /// after `offset`; `None` when it expired, is unknown, or cannot be
    /// replayed whole (its offset is not one of this server's, packets
    /// after it are no longer kept, or it missed more than
    /// `max_missed_packets`).
    pub(crate) fn restore(&self, namespace: &str, pid: &str, offset: &str) -> Option<RestoredSession> {
        let now = Instant::now();
        let mut state = self.lock();
        self.sweep(&mut state, now);
        let kept = state.sessions.remove(pid)?;
        if kept.session.namespace != namespace || now.duration_since(kept.at) > self.config.max_disconnection_duration {
            tracing::debug!(pid, "recovery: session of another namespace, or expired");
            return None;
        }
        let Some(seq) = self
            .seq_of(offset)
            .filter(|seq| *seq < state.next && seq + 1 >= state.kept_from)
        else {
            tracing::debug!(pid, offset, "recovery: offset unknown or no longer kept");
            return None;
        };
        let first = state.log.front().map_or(seq + 1, |front| front.seq);
        let skip = usize::try_from((seq + 1).saturating_sub(first)).unwrap_or(usize::MAX);
        let rooms = &kept.session.rooms;
        let mut missed = Vec::new();
        for logged in state.log.iter().skip(skip) {
            if logged.target.namespace != namespace || !reaches(&logged.target, rooms) {
                continue;
            }
            if missed.len() == self.config.max_missed_packets {
                tracing::debug!(pid, "recovery: missed more than max_missed_packets");
                return None;
            }
            missed.push(MissedPacket {
                offset: self.offset(logged.seq),
                packet: logged.packet.clone(),
            });
        }
        Some(RestoredSession {
            session: kept.session,
            missed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::EncodedArgs;

    fn event(n: i64) -> BroadcastPacket {
        BroadcastPacket::Event {
            name: "e".to_owned(),
            args: EncodedArgs::new(&(n,)).expect("args"),
        }
    }

    fn to(rooms: &[&str]) -> Target {
        let mut target = Target::namespace("");
        target.rooms = rooms.iter().map(|r| (*r).to_owned()).collect();
        target
    }

    fn session(pid: &str, rooms: &[&str]) -> PersistedSession {
        PersistedSession::new(
            "s",
            pid,
            "",
            rooms.iter().map(|r| (*r).to_owned()).collect(),
            serde_json::Value::Null,
        )
    }

    fn args(restored: &RestoredSession) -> Vec<String> {
        restored
            .missed
            .iter()
            .map(|m| match &m.packet {
                BroadcastPacket::Event { args, .. } => args.json.clone(),
                _ => String::new(),
            })
            .collect()
    }

    #[test]
    fn replays_what_reached_its_rooms_after_its_offset_once() {
        let store = SessionStore::new(ConnectionStateRecovery::default());
        let last = store.record(&event(0), &to(&[]));
        store.persist(session("p", &["s", "r"]));
        store.record(&event(1), &to(&["r"]));
        store.record(&event(2), &to(&["other"]));
        store.record(&event(3), &to(&["s"]));
        let mut except = to(&[]);
        except.except = vec!["r".to_owned()];
        store.record(&event(4), &except);
        store.record(&event(5), &to(&[]));
        let restored = store.restore("", "p", &last).expect("restored");
        assert_eq!(args(&restored), ["[1]", "[3]", "[5]"]);
        assert!(store.restore("", "p", &last).is_none(), "taken once");
    }

    #[test]
    fn unknown_offsets_pids_and_namespaces_restore_nothing() {
        let store = SessionStore::new(ConnectionStateRecovery::default());
        let last = store.record(&event(0), &to(&[]));
        for (namespace, pid, offset) in [
            ("", "p", "x.1"),
            ("", "p", "nope"),
            ("", "q", &*last),
            ("/chat", "p", &*last),
        ] {
            store.persist(session("p", &["s"]));
            assert!(
                store.restore(namespace, pid, offset).is_none(),
                "{namespace} {pid} {offset}"
            );
        }
        let future = store.offset(5);
        store.persist(session("p", &["s"]));
        assert!(store.restore("", "p", &future).is_none(), "an offset not issued yet");
    }

    #[test]
    fn caps_make_one_session_unrecoverable_and_spare_the_others() {
        let config = ConnectionStateRecovery {
            max_missed_packets: 2,
            max_sessions: 2,
            max_buffered_packets: 4,
            ..ConnectionStateRecovery::default()
        };
        let store = SessionStore::new(config);
        let last = store.record(&event(0), &to(&[]));
        store.persist(session("a", &["a", "busy"]));
        store.persist(session("b", &["b"]));
        store.persist(session("c", &["c"]));
        store.record(&event(1), &to(&["busy"]));
        store.record(&event(2), &to(&["busy"]));
        store.record(&event(3), &to(&["busy", "b"]));
        assert!(store.restore("", "c", &last).is_none(), "over max_sessions: not kept");
        assert!(store.restore("", "a", &last).is_none(), "missed 3 > 2");
        assert_eq!(args(&store.restore("", "b", &last).expect("b")), ["[3]"]);
        // One more packet pushes `last`'s successor out: nothing after it is whole.
        let from = store.record(&event(4), &to(&[]));
        store.record(&event(5), &to(&[]));
        store.persist(session("d", &["d"]));
        assert!(store.restore("", "d", &last).is_none(), "packets after it were dropped");
        store.persist(session("e", &["e"]));
        assert_eq!(args(&store.restore("", "e", &from).expect("e")), ["[5]"]);
    }

    #[test]
    fn sessions_expire_after_the_duration() {
        let config = ConnectionStateRecovery {
            max_disconnection_duration: Duration::ZERO,
            ..ConnectionStateRecovery::default()
        };
        let store = SessionStore::new(config);
        let last = store.record(&event(0), &to(&[]));
        store.persist(session("p", &["s"]));
        std::thread::sleep(Duration::from_millis(2));
        store.persist(session("q", &["s"]));
        assert!(!store.lock().sessions.contains_key("p"), "swept");
        assert!(store.restore("", "p", &last).is_none());
    }
}
