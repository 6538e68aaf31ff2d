//! The namespaces an adapter over classic pub/sub (the classic and the
//! streams forms) listens for, each with whether Redis applied its
//! subscriptions yet.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use fred::clients::SubscriberClient;
use fred::prelude::{Client, PubsubInterface};
use socketio::AdapterError;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::adapter::lock;
use crate::count::{self, Numsub};

/// What one namespace listens on.
pub(crate) struct Subscription {
    /// A pattern subscribed first, if any.
    pub(crate) pattern: Option<String>,
    pub(crate) channels: Vec<String>,
    /// One of `channels` only this server listens on: once it counts a
    /// subscriber, Redis applied all of them.
    pub(crate) own: String,
}

/// Namespaces (node's names) by whether they are subscribed.
#[derive(Default)]
pub(crate) struct Namespaces {
    subscribed: Mutex<HashMap<String, watch::Receiver<bool>>>,
}

impl Namespaces {
    pub(crate) fn contains(&self, nsp: &str) -> bool {
        lock(&self.subscribed).contains_key(nsp)
    }

    pub(crate) fn names(&self) -> Vec<String> {
        lock(&self.subscribed).keys().cloned().collect()
    }

    /// Resolves once every namespace known so far is subscribed.
    pub(crate) async fn ready(&self) {
        let waiting: Vec<_> = lock(&self.subscribed).values().cloned().collect();
        for mut done in waiting {
            // An error: the adapter is gone, nothing to wait for.
            let _ = done.wait_for(|done| *done).await;
        }
    }

    /// Subscribes to namespace `nsp`'s channels in the background, unless
    /// it is known already; the task retries every second until Redis
    /// applied them.
    pub(crate) fn subscribe(
        &self,
        nsp: &str,
        subscription: impl FnOnce() -> Subscription,
        subscriber: &SubscriberClient,
        client: &Client,
        timeout: Duration,
    ) -> Option<JoinHandle<()>> {
        let mut subscribed = lock(&self.subscribed);
        if subscribed.contains_key(nsp) {
            return None;
        }
        let (done, waiting) = watch::channel(false);
        subscribed.insert(nsp.to_owned(), waiting);
        drop(subscribed);
        let Subscription { pattern, channels, own } = subscription();
        let (subscriber, client, nsp) = (subscriber.clone(), client.clone(), nsp.to_owned());
        Some(tokio::spawn(async move {
            loop {
                let subscribed = async {
                    let failed = |e: fred::error::Error| AdapterError::Unavailable(e.to_string());
                    if let Some(pattern) = &pattern {
                        subscriber.psubscribe(pattern.clone()).await.map_err(failed)?;
                    }
                    subscriber.subscribe(channels.clone()).await.map_err(failed)?;
                    // The client resolves a SUBSCRIBE once written, not once
                    // Redis applied it: this server's own channel counts a
                    // subscriber only then (summed over every master of a
                    // cluster, where the subscriber sits on one of them).
                    // Redis applies one connection's commands in order, so
                    // the pattern is in place too.
                    loop {
                        let deadline = Instant::now() + timeout;
                        match count::subscribers(&client, &own, Numsub::Classic, deadline, timeout).await {
                            Ok(n) if n >= 1 => break,
                            Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                            Err(error) => return Err(error),
                        }
                    }
                    Ok::<(), AdapterError>(())
                };
                match subscribed.await {
                    Ok(()) => {
                        let _ = done.send(true);
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(%nsp, %error, "subscribing to Redis failed; retrying in 1 s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }))
    }
}
