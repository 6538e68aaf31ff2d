//! What this server does with the entries of the stream (broadcasts,
//! remote join / leave / disconnect); its pub/sub messages (requests, and
//! answers to this server's) are read as the other forms read theirs.
//! Malformed ones are logged at debug and dropped.

use crate::cluster::receiver::{Source, apply};
use crate::streams::adapter::Inner;
use crate::streams::entry::Entry;

impl Inner {
    /// One entry of the stream.
    pub(crate) fn on_entry(&self, entry: &Entry) {
        // Node hands on only entries with a namespace.
        if entry.field("nsp").is_none_or(str::is_empty) {
            return;
        }
        match entry.message() {
            Ok(incoming) => apply(self, incoming, Source::Entry(&entry.id)),
            Err(error) => tracing::debug!(id = %entry.id, %error, "dropped a malformed stream entry"),
        }
    }
}
