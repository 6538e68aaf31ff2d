//! Reading the stream: `XREAD BLOCK <block_time> COUNT <read_count>
//! STREAMS <stream> <last id>` in a loop on a connection of its own (a
//! blocked connection can do nothing else), each entry handed to the
//! adapter while it lives. After an error (Redis away) the same offset is
//! read again, so nothing still in the stream is missed.

use std::sync::Weak;
use std::time::Duration;

use fred::prelude::ClientLike;
use fred::prelude::{Client, StreamsInterface, Value};
use fred::types::config::Options;

use crate::streams::adapter::Inner;
use crate::streams::entry::Entry;

/// Where reading starts: the stream's last id now (`0-0` when it is empty
/// or missing), so that what is added from here on is read, and nothing
/// older.
pub(crate) async fn last_id(client: &Client, stream: &str) -> Result<String, fred::error::Error> {
    let last: Value = client.xrevrange(stream, "+", "-", Some(1)).await?;
    let id = match last {
        Value::Array(mut entries) if !entries.is_empty() => {
            Entry::from_value(entries.swap_remove(0)).map(|entry| entry.id).ok()
        }
        _ => None,
    };
    Ok(id.unwrap_or_else(|| "0-0".to_owned()))
}

/// Reads `stream` from after `offset` until the adapter is gone.
pub(crate) async fn run(
    inner: Weak<Inner>,
    client: Client,
    stream: String,
    mut offset: String,
    read_count: u64,
    block: Duration,
    command_timeout: Duration,
) {
    let block_ms = u64::try_from(block.as_millis()).unwrap_or(u64::MAX);
    let options = Options {
        timeout: Some(block + command_timeout),
        ..Options::default()
    };
    let mut failing = false;
    let mut backoff = Duration::from_millis(100);
    loop {
        if inner.strong_count() == 0 {
            return;
        }
        let reply = client
            .with_options(&options)
            .xread::<Value, _, _>(Some(read_count), Some(block_ms), stream.as_str(), offset.as_str())
            .await;
        match reply {
            Ok(reply) => {
                if failing {
                    tracing::info!(%stream, "reading the Redis stream again");
                    failing = false;
                    backoff = Duration::from_millis(100);
                }
                for value in entries(reply) {
                    let entry = match Entry::from_value(value) {
                        Ok(entry) => entry,
                        Err(error) => {
                            tracing::debug!(%stream, %error, "skipped a stream entry that does not read");
                            continue;
                        }
                    };
                    offset.clone_from(&entry.id);
                    let Some(inner) = inner.upgrade() else { return };
                    inner.on_entry(&entry);
                }
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(%stream, %error, "reading the Redis stream failed; retrying");
                    failing = true;
                }
                // Not a busy loop while Redis is away.
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
}

/// The entries of an `XREAD` reply of one stream: `[[stream, entries]]`
/// (RESP2) or `{stream: entries}` (RESP3); nil when it timed out.
fn entries(reply: Value) -> Vec<Value> {
    let per_stream = match reply {
        Value::Array(streams) => streams
            .into_iter()
            .filter_map(|pair| match pair {
                Value::Array(mut pair) if pair.len() == 2 => pair.pop(),
                _ => None,
            })
            .collect(),
        Value::Map(map) => map.inner().into_values().collect(),
        _ => Vec::new(),
    };
    per_stream
        .into_iter()
        .flat_map(|entries| match entries {
            Value::Array(entries) => entries,
            _ => Vec::new(),
        })
        .collect()
}
