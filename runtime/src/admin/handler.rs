//! The admin namespace's handler: the UI's login, what it is sent on
//! connect, and its commands.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::admin::serialize::{endpoint_of, socket};
use crate::admin::{AdminUi, Auth, Mode};
use crate::core::{Event, Reply};
use crate::handler::{Ctx, DispatchError, Handler};

/// What every connection of the admin namespace shares.
pub(crate) struct Shared {
    pub(crate) ui: AdminUi,
    /// Session ids handed out at login; the UI reconnects with one.
    sessions: Mutex<HashSet<String>>,
}

impl Shared {
    pub(crate) fn new(ui: AdminUi) -> Arc<Self> {
        Arc::new(Self {
            ui,
            sessions: Mutex::new(HashSet::new()),
        })
    }
}

pub(crate) struct AdminHandler {
    pub(crate) shared: Arc<Shared>,
}

impl AdminHandler {
    /// Whether the CONNECT's auth payload lets the UI in; a login by
    /// password is given a session id.
    async fn authenticate(&self, cx: &Ctx) -> bool {
        let Auth::Basic {
            username,
            password_hash,
        } = &self.shared.ui.auth
        else {
            return true;
        };
        let auth: Value = cx
            .info()
            .auth()
            .and_then(|auth| auth.deserialize().ok())
            .unwrap_or(Value::Null);
        if let Some(session) = auth.get("sessionId").and_then(Value::as_str)
            && self
                .shared
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(session)
        {
            return true;
        }
        let (Some(user), Some(password)) = (
            auth.get("username").and_then(Value::as_str),
            auth.get("password").and_then(Value::as_str),
        ) else {
            return false;
        };
        if user != username {
            return false;
        }
        // bcrypt is slow on purpose: off the runtime's threads.
        let (password, hash) = (password.to_owned(), password_hash.clone());
        let matches = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
            .await
            .unwrap_or(false);
        if matches {
            let session = crate::core::new_sid().to_string();
            self.shared
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(session.clone());
            cx.emit("session", (session,));
        }
        matches
    }

    /// Every socket of every namespace, on every server, to this UI.
    fn send_all_sockets(&self, cx: &Ctx) {
        let hub = cx.connection().hub().clone();
        let me = cx.of(cx.endpoint()).to(cx.sid());
        tokio::spawn(async move {
            let mut namespaces: Vec<String> = hub.rooms.namespaces().into_iter().map(|(name, _)| name).collect();
            namespaces.extend(hub.static_namespaces().map(str::to_owned));
            namespaces.sort();
            namespaces.dedup();
            let mut sockets = Vec::new();
            for namespace in namespaces {
                let operator = crate::handler::BroadcastOperator::new(hub.clone(), &namespace);
                match operator.fetch_sockets().await {
                    Ok(found) => sockets.extend(found.iter().map(|remote| socket(remote.details()))),
                    Err(error) => tracing::debug!(namespace, %error, "admin UI: sockets not fetched"),
                }
            }
            if let Err(error) = me.emit("all_sockets", (sockets,)) {
                tracing::debug!(%error, "admin UI: all_sockets not sent");
            }
        });
    }
}

/// Argument `index` of a command as a string, `None` when absent or null.
fn text(event: &Event, index: usize) -> Option<String> {
    event
        .args
        .get(index)
        .and_then(|arg| arg.deserialize::<Option<String>>().ok().flatten())
}

fn bad(event: &Event, message: &str) -> DispatchError {
    DispatchError::BadArguments {
        event: event.name.clone(),
        message: message.to_owned(),
    }
}

impl Handler for AdminHandler {
    async fn on_open(&mut self, cx: &Ctx) -> bool {
        if !self.authenticate(cx).await {
            return false;
        }
        cx.emit("config", (json!({ "supportedFeatures": self.shared.ui.features() }),));
        if self.shared.ui.mode == Mode::Development {
            self.send_all_sockets(cx);
        }
        true
    }

    async fn on_event(&mut self, cx: &Ctx, event: Event) -> Result<Reply, DispatchError> {
        if self.shared.ui.readonly {
            return Err(DispatchError::UnknownEvent(event.name.clone()));
        }
        let nsp = text(&event, 0).ok_or_else(|| bad(&event, "the first argument is a namespace"))?;
        let mut target = cx.of(endpoint_of(&nsp));
        let failed = |error: crate::core::AdapterError| DispatchError::Failed {
            event: event.name.clone(),
            message: error.to_string(),
        };
        match event.name.as_str() {
            // emit(nsp, filter, event, ...args)
            "emit" => {
                if let Some(filter) = text(&event, 1) {
                    target = target.to(filter);
                }
                let name = text(&event, 2).ok_or_else(|| bad(&event, "the third argument is an event name"))?;
                let args = event.args.get(3..).unwrap_or_default();
                target
                    .emit(&name, args)
                    .map_err(|error| bad(&event, &error.to_string()))?;
            }
            // join(nsp, room, filter) / leave(nsp, room, filter)
            "join" | "leave" => {
                let room = text(&event, 1).ok_or_else(|| bad(&event, "the second argument is a room"))?;
                if let Some(filter) = text(&event, 2) {
                    target = target.to(filter);
                }
                if event.name == "join" {
                    target.sockets_join(room).await.map_err(failed)?;
                } else {
                    target.sockets_leave(room).await.map_err(failed)?;
                }
            }
            // _disconnect(nsp, close, filter)
            "_disconnect" => {
                let close = event
                    .args
                    .get(1)
                    .and_then(|arg| arg.deserialize::<bool>().ok())
                    .unwrap_or(false);
                if let Some(filter) = text(&event, 2) {
                    target = target.to(filter);
                }
                target.disconnect_sockets(close).await.map_err(failed)?;
            }
            _ => return Err(DispatchError::UnknownEvent(event.name.clone())),
        }
        Ok(Reply::empty())
    }
}
