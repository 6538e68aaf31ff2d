//! What a [`crate::RedisStreamsAdapter`] is configured with: node's
//! `@socket.io/redis-streams-adapter` options, under Rust names.

use std::time::Duration;

/// How a [`crate::RedisStreamsAdapter`] reaches Redis and names its stream,
/// channels and session keys. Every server of one cluster, node's included,
/// must use the same `stream_name`, `stream_count`, `channel_prefix` and
/// `session_key_prefix`.
///
/// ```
/// let mut config = socketio_redis::StreamsConfig::new("redis://127.0.0.1:6379");
/// config.max_len = 50_000;
/// assert_eq!(config.stream_name, "socket.io");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StreamsConfig {
    /// Where Redis is: `redis://host:port` (`redis://:password@host/db`
    /// too). Default `redis://127.0.0.1:6379`.
    pub url: String,
    /// The stream, node's `streamName` (the prefix of the streams' names
    /// when `stream_count` > 1). Default `"socket.io"`.
    pub stream_name: String,
    /// How many streams the namespaces are spread over, node's
    /// `streamCount` (each namespace always on the same one, by node's hash
    /// of its name, so its messages stay in order). Default 1.
    pub stream_count: u32,
    /// The prefix of the pub/sub channels that carry requests and answers,
    /// node's `channelPrefix`. Default `"socket.io"`.
    pub channel_prefix: String,
    /// How long the stream may grow, node's `maxLen`: each `XADD` trims it
    /// to about this many entries (`MAXLEN ~`). It bounds what a session
    /// can be restored from. Default 10 000.
    pub max_len: u64,
    /// How many entries one `XREAD` fetches, node's `readCount`. Default
    /// 100.
    pub read_count: u64,
    /// How long one `XREAD` waits for new entries, node's `blockTimeInMs`.
    /// Default 5 s.
    pub block_time: Duration,
    /// The prefix of a stored session's key (`PREFIX<pid>`), node's
    /// `sessionKeyPrefix`. Default `"sio:session:"`.
    pub session_key_prefix: String,
    /// How long a request to the other servers (fetch sockets, server-side
    /// emit, server count, acknowledged broadcasts without a timeout of
    /// their own) waits for their answers, and how long one Redis command
    /// may take. Default 5 s.
    pub requests_timeout: Duration,
    /// How many messages may wait to be written while Redis is slow or
    /// away; past that, messages to other servers are dropped (and
    /// logged), so memory stays bounded. Default 4096.
    pub publish_queue: usize,
    /// How many pub/sub messages may wait for this server to handle them
    /// before the oldest are lost (and logged). Default 4096.
    pub receive_queue: usize,
}

impl StreamsConfig {
    /// The defaults, with Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }

    /// The stream namespace `nsp` (node's name) is on: node's
    /// `computeStreamName`, its 32-bit string hash included (whose
    /// remainder keeps its sign, as JS's `%` does).
    pub(crate) fn stream_of(&self, nsp: &str) -> String {
        if self.stream_count <= 1 {
            return self.stream_name.clone();
        }
        let hash = nsp
            .encode_utf16()
            .fold(0i32, |hash, unit| hash.wrapping_mul(31).wrapping_add(i32::from(unit)));
        let count = i32::try_from(self.stream_count).unwrap_or(i32::MAX);
        format!("{}-{}", self.stream_name, hash % count)
    }

    /// Every stream a namespace may be on: node reads `-0` to `-(N-1)`
    /// only, though a namespace whose hash is negative is written to
    /// `-(-k)`; this adapter reads those too, so such a namespace works
    /// between our servers (node's never see it, in node too).
    pub(crate) fn streams(&self) -> Vec<String> {
        if self.stream_count <= 1 {
            return vec![self.stream_name.clone()];
        }
        let count = i64::from(self.stream_count);
        (1 - count..count)
            .map(|i| format!("{}-{i}", self.stream_name))
            .collect()
    }

    /// `PREFIX#NSP#`: requests to every server of a namespace.
    pub(crate) fn public_channel(&self, nsp: &str) -> String {
        format!("{}#{nsp}#", self.channel_prefix)
    }

    /// `PREFIX#NSP#UID#`: answers to server `uid`.
    pub(crate) fn private_channel(&self, nsp: &str, uid: &str) -> String {
        format!("{}#{nsp}#{uid}#", self.channel_prefix)
    }

    /// The same reconnecting, time-bounded client builder as the pub/sub
    /// adapters'.
    pub(crate) fn client_builder(&self) -> Result<fred::prelude::Builder, crate::Error> {
        let mut redis = crate::RedisConfig::new(self.url.clone());
        redis.requests_timeout = self.requests_timeout;
        redis.client_builder()
    }
}

impl Default for StreamsConfig {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379".to_owned(),
            stream_name: "socket.io".to_owned(),
            stream_count: 1,
            channel_prefix: "socket.io".to_owned(),
            max_len: 10_000,
            read_count: 100,
            block_time: Duration::from_secs(5),
            session_key_prefix: "sio:session:".to_owned(),
            requests_timeout: Duration::from_secs(5),
            publish_queue: 4096,
            receive_queue: 4096,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_map_to_streams_as_node_hashes_them() {
        let mut config = StreamsConfig::default();
        assert_eq!(config.stream_of("/chat"), "socket.io");
        config.stream_count = 4;
        // node: hashCode("/") = 47, hashCode("/chat") = 46457863, and
        // hashCode("/notifications") = -1014064871: JS's `%` keeps the sign.
        assert_eq!(config.stream_of("/"), "socket.io-3");
        assert_eq!(config.stream_of("/chat"), "socket.io-3");
        assert_eq!(config.stream_of("/admin"), "socket.io-0");
        assert_eq!(config.stream_of("/notifications"), "socket.io--3");
        assert_eq!(config.streams().len(), 7);
    }
}
