//! Counting the servers of a cluster as node does: the subscribers of one
//! channel, summed over every master node of a Redis Cluster (each node
//! only knows the subscribers connected to it).

use fred::prelude::{Client, ClientLike, PubsubInterface, Value};
use socketio::AdapterError;
use std::time::Duration;
use tokio::time::Instant;

/// Which `PUBSUB` subcommand counts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Numsub {
    /// `PUBSUB NUMSUB`: classic channels.
    Classic,
    /// `PUBSUB SHARDNUMSUB`: shard channels.
    Sharded,
}

/// The subscribers of `channel`, summed over every master of a cluster
/// (one node for a standalone Redis); fails at `deadline`.
pub(crate) async fn subscribers(
    client: &Client,
    channel: &str,
    numsub: Numsub,
    deadline: Instant,
    timeout: Duration,
) -> Result<usize, AdapterError> {
    let counted = async {
        // A clustered client connects to every master (and only to them).
        let masters = if client.is_clustered() {
            client.active_connections()
        } else {
            Vec::new()
        };
        if masters.is_empty() {
            let reply = match numsub {
                Numsub::Classic => client.pubsub_numsub::<Vec<Value>, _>(channel).await,
                Numsub::Sharded => client.pubsub_shardnumsub::<Vec<Value>, _>(channel).await,
            };
            return parse(reply);
        }
        let mut total = 0;
        for master in masters {
            let node = client.with_cluster_node(master);
            let reply = match numsub {
                Numsub::Classic => node.pubsub_numsub::<Vec<Value>, _>(channel).await,
                Numsub::Sharded => node.pubsub_shardnumsub::<Vec<Value>, _>(channel).await,
            };
            total += parse(reply)?;
        }
        Ok(total)
    };
    tokio::time::timeout_at(deadline, counted)
        .await
        .map_err(|_| AdapterError::Timeout(timeout))?
}

/// How many other servers should answer a request, from the count of
/// every server; 0 (and a log) when Redis could not tell, so the caller
/// answers with what it has.
pub(crate) fn others(counted: Result<usize, AdapterError>) -> usize {
    match counted {
        Ok(servers) => servers.saturating_sub(1),
        Err(error) => {
            tracing::warn!(%error, "cannot count the other servers: answering with this server's part");
            0
        }
    }
}

/// `[channel, count]`.
fn parse(reply: Result<Vec<Value>, fred::error::Error>) -> Result<usize, AdapterError> {
    let reply = reply.map_err(|e| AdapterError::Unavailable(e.to_string()))?;
    reply
        .get(1)
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| AdapterError::Unavailable(format!("unexpected PUBSUB reply {reply:?}")))
}
