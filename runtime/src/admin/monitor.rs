//! The core's observer for the admin UI: each notice becomes an event on
//! the admin namespace, broadcast through the adapter so that the UI on any
//! server of the cluster gets it. Notices are queued (bounded; the oldest
//! news is not worth a stalled server) and sent by one task, so the core
//! never waits on them and never re-enters a lock it holds.

use std::sync::{Arc, Mutex, Weak};

use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::admin::serialize::{local_socket, node_namespace};
use crate::admin::{AdminUi, Mode, stats, time};
use crate::codec::legacy::RawJson;
use crate::core::{Connection, EncodedArgs, Hub, Monitor};
use crate::handler::BroadcastOperator;

/// Notices waiting to be sent; past this, new ones are dropped (and logged).
const QUEUE: usize = 4096;

/// One event for the UI: its name and arguments.
type Notice = (&'static str, Vec<Value>);

pub(crate) struct AdminMonitor {
    hub: Weak<Hub>,
    ui: AdminUi,
    tx: mpsc::Sender<Notice>,
    /// Taken by the task, started with the first notice (the server has a
    /// runtime by then; a builder may run without one).
    rx: Mutex<Option<mpsc::Receiver<Notice>>>,
}

impl AdminMonitor {
    pub(crate) fn new(hub: &Arc<Hub>, ui: AdminUi) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(QUEUE);
        Arc::new(Self {
            hub: Arc::downgrade(hub),
            ui,
            tx,
            rx: Mutex::new(Some(rx)),
        })
    }

    fn notify(&self, name: &'static str, args: Vec<Value>) {
        self.start();
        if self.tx.try_send((name, args)).is_err() {
            tracing::debug!(event = name, "admin UI notice dropped: its queue is full");
        }
    }

    /// Starts the sender task and the stats ticker once.
    fn start(&self) {
        let Some(mut rx) = self.rx.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        let Some(hub) = self.hub.upgrade() else { return };
        let admin = self.ui.endpoint().to_owned();
        let ticker = stats::Ticker::new(&hub, &self.ui);
        let interval = self.ui.stats_interval;
        let weak = self.hub.clone();
        let stop = hub.stopping();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            loop {
                let (name, args) = tokio::select! {
                    notice = rx.recv() => match notice {
                        Some(notice) => notice,
                        None => return,
                    },
                    _ = tick.tick() => ("server_stats", vec![ticker.stats()]),
                    () = stop.cancelled() => return,
                };
                let Some(hub) = weak.upgrade() else { return };
                if let Err(error) = BroadcastOperator::new(hub, &admin).emit(name, &args[..]) {
                    tracing::debug!(event = name, %error, "admin UI notice not sent");
                }
            }
        });
    }

    /// Events of the admin namespace itself are not shown, as in node.
    fn watched(&self, connection: &Connection) -> bool {
        self.ui.mode == Mode::Development && connection.endpoint() != self.ui.endpoint()
    }
}

fn json_args(args: &[RawJson]) -> Value {
    Value::Array(
        args.iter()
            .map(|arg| arg.deserialize::<Value>().unwrap_or(Value::Null))
            .collect(),
    )
}

impl Monitor for AdminMonitor {
    fn socket_connected(&self, connection: &Arc<Connection>) {
        if self.ui.mode != Mode::Development {
            return;
        }
        let Some(hub) = self.hub.upgrade() else { return };
        if let Some(socket) = local_socket(&hub, connection) {
            self.notify("socket_connected", vec![socket, json!(time::now_iso())]);
        }
    }

    fn socket_disconnected(&self, connection: &Connection, reason: &'static str) {
        if self.ui.mode != Mode::Development {
            return;
        }
        let nsp = node_namespace(connection.endpoint());
        self.notify(
            "socket_disconnected",
            vec![
                json!(nsp),
                json!(&**connection.sid()),
                json!(reason),
                json!(time::now_iso()),
            ],
        );
    }

    fn room_joined(&self, namespace: &str, room: &str, id: &str) {
        if self.ui.mode == Mode::Development {
            let nsp = node_namespace(namespace);
            self.notify(
                "room_joined",
                vec![json!(nsp), json!(room), json!(id), json!(time::now_iso())],
            );
        }
    }

    fn room_left(&self, namespace: &str, room: &str, id: &str) {
        if self.ui.mode == Mode::Development {
            let nsp = node_namespace(namespace);
            self.notify(
                "room_left",
                vec![json!(nsp), json!(room), json!(id), json!(time::now_iso())],
            );
        }
    }

    fn event_received(&self, connection: &Connection, name: &str, args: &[RawJson]) {
        if !self.watched(connection) {
            return;
        }
        let mut all = vec![json!(name)];
        if let Value::Array(args) = json_args(args) {
            all.extend(args);
        }
        let nsp = node_namespace(connection.endpoint());
        self.notify(
            "event_received",
            vec![
                json!(nsp),
                json!(&**connection.sid()),
                Value::Array(all),
                json!(time::now_iso()),
            ],
        );
    }

    fn event_sent(&self, connection: &Connection, name: &str, args: &EncodedArgs) {
        if !self.watched(connection) {
            return;
        }
        let mut all = vec![json!(name)];
        if let Ok(Value::Array(args)) = serde_json::from_str::<Value>(&args.json) {
            all.extend(args);
        }
        let nsp = node_namespace(connection.endpoint());
        self.notify(
            "event_sent",
            vec![
                json!(nsp),
                json!(&**connection.sid()),
                Value::Array(all),
                json!(time::now_iso()),
            ],
        );
    }

    fn transport_changed(&self, connection: &Connection) {
        if self.ui.mode != Mode::Development {
            return;
        }
        let nsp = node_namespace(connection.endpoint());
        self.notify(
            "socket_updated",
            vec![json!({ "id": &**connection.sid(), "nsp": nsp, "transport": connection.transport() })],
        );
    }
}
