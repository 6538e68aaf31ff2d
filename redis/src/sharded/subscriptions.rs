//! Which shard channels this server listens on, kept in step with Redis by
//! one task: callers change the wanted set (synchronously, from the
//! adapter's hooks) and mark channels dirty; the task brings Redis to the
//! wanted state one channel at a time, so an unsubscribe and a later
//! subscribe of one channel can never arrive reversed. Memory stays
//! bounded by the channels wanted (one per room held, at most).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, Weak};
use std::time::Duration;

use fred::clients::SubscriberClient;
use fred::prelude::PubsubInterface;
use tokio::sync::{Notify, watch};

use crate::adapter::lock;
use crate::sharded::adapter::Inner;

/// What a wanted channel is for.
#[derive(Debug, Clone)]
struct Want {
    /// Our endpoint name of its namespace.
    endpoint: String,
    /// Its room; `None` for a namespace's base and response channels,
    /// which stay as long as the adapter.
    room: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    wanted: HashMap<String, Want>,
    /// Channels whose state in Redis may differ from `wanted`, in order.
    dirty: VecDeque<String>,
    queued: HashSet<String>,
    /// Endpoints where a room may have emptied.
    recheck: HashSet<String>,
}

impl State {
    fn mark(&mut self, channel: String) {
        if self.queued.insert(channel.clone()) {
            self.dirty.push_back(channel);
        }
    }
}

/// The wanted set, shared by the adapter and its task.
#[derive(Debug)]
pub(crate) struct Subscriptions {
    state: Mutex<State>,
    wake: Notify,
    /// `true` while Redis has every channel wanted.
    idle: watch::Sender<bool>,
}

impl Subscriptions {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            idle: watch::Sender::new(true),
        }
    }

    /// Wants a namespace's base or response channel (for good).
    pub(crate) fn want_fixed(&self, endpoint: &str, channel: String) {
        self.want(endpoint, channel, None);
    }

    /// Wants the channel of `room` of `endpoint` (until the room empties).
    pub(crate) fn want_room(&self, endpoint: &str, room: &str, channel: String) {
        self.want(endpoint, channel, Some(room.to_owned()));
    }

    fn want(&self, endpoint: &str, channel: String, room: Option<String>) {
        let mut state = lock(&self.state);
        if state.wanted.contains_key(&channel) {
            return;
        }
        let want = Want {
            endpoint: endpoint.to_owned(),
            room,
        };
        state.wanted.insert(channel.clone(), want);
        state.mark(channel);
        drop(state);
        self.idle.send_replace(false);
        self.wake.notify_one();
    }

    /// Some room of `endpoint` may have lost its last member here.
    pub(crate) fn recheck(&self, endpoint: &str) {
        let mut state = lock(&self.state);
        if !state.recheck.insert(endpoint.to_owned()) {
            return;
        }
        drop(state);
        self.wake.notify_one();
    }

    /// After a reconnection: Redis forgot every subscription.
    pub(crate) fn renew_all(&self) {
        let mut state = lock(&self.state);
        let channels: Vec<String> = state.wanted.keys().cloned().collect();
        for channel in channels {
            state.mark(channel);
        }
        drop(state);
        self.idle.send_replace(false);
        self.wake.notify_one();
    }

    /// Resolves once Redis has every channel wanted so far.
    pub(crate) async fn settled(&self) {
        let mut idle = self.idle.subscribe();
        // An error: the sender is gone with the adapter.
        let _ = idle.wait_for(|idle| *idle).await;
    }

    /// Every channel wanted now (to unsubscribe at the end).
    pub(crate) fn wanted(&self) -> Vec<String> {
        lock(&self.state).wanted.keys().cloned().collect()
    }

    /// Drops the room channels of `endpoint` whose room `present` lacks.
    /// Under the lock, so a join that lands after the snapshot re-wants
    /// its room after this, never before.
    fn drop_empty(&self, endpoint: &str, present: impl FnOnce() -> Vec<String>) {
        let mut state = lock(&self.state);
        let present: HashSet<String> = present().into_iter().collect();
        let gone: Vec<String> = state
            .wanted
            .iter()
            .filter(|(_, want)| {
                want.endpoint == endpoint && want.room.as_ref().is_some_and(|room| !present.contains(room))
            })
            .map(|(channel, _)| channel.clone())
            .collect();
        for channel in gone {
            state.wanted.remove(&channel);
            state.mark(channel);
        }
    }
}

/// How long leaves gather before the rooms are checked: a wave of
/// disconnections costs one pass over the rooms, not one each.
const RECHECK_DELAY: Duration = Duration::from_millis(100);

/// Brings Redis to the wanted state, while the adapter lives.
pub(crate) async fn run(
    inner: Weak<Inner>,
    subscriptions: std::sync::Arc<Subscriptions>,
    subscriber: SubscriberClient,
) {
    loop {
        let work = {
            let state = lock(&subscriptions.state);
            !state.dirty.is_empty() || !state.recheck.is_empty()
        };
        if !work {
            subscriptions.idle.send_replace(true);
            subscriptions.wake.notified().await;
            continue;
        }
        let recheck: Vec<String> = {
            let mut state = lock(&subscriptions.state);
            state.recheck.drain().collect()
        };
        if !recheck.is_empty() {
            tokio::time::sleep(RECHECK_DELAY).await;
            let Some(adapter) = inner.upgrade() else { return };
            let Some(local) = adapter.member.local.get().cloned() else {
                continue;
            };
            drop(adapter);
            for endpoint in recheck {
                subscriptions.drop_empty(&endpoint, || local.all_rooms(&endpoint));
            }
        }
        loop {
            let next = {
                let mut state = lock(&subscriptions.state);
                state.dirty.pop_front().map(|channel| {
                    state.queued.remove(&channel);
                    let wanted = state.wanted.contains_key(&channel);
                    (channel, wanted)
                })
            };
            let Some((channel, wanted)) = next else { break };
            let done = if wanted {
                subscriber.ssubscribe(channel.as_str()).await
            } else {
                subscriber.sunsubscribe(channel.as_str()).await
            };
            if let Err(error) = done {
                tracing::warn!(%channel, %error, "shard (un)subscription failed; retrying in 1 s");
                lock(&subscriptions.state).mark(channel);
                tokio::time::sleep(Duration::from_secs(1)).await;
                if inner.strong_count() == 0 {
                    return;
                }
            }
        }
    }
}
