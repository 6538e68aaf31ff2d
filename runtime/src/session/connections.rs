use crate::session::ConnectionHandle;

/// A session's endpoint connections, in either protocol family. A list, not
/// a map: a session has one or a few, and an idle session's memory counts
/// (a map's smallest table is four entries, and so is a growing `Vec`'s).
#[derive(Default)]
pub(crate) struct Connections(Vec<(String, ConnectionHandle)>);

/// Endpoint names compared without a `memcmp` call for the main one, the
/// endpoint of almost every packet (the call showed in profiles).
fn same(name: &str, endpoint: &str) -> bool {
    if endpoint.is_empty() {
        name.is_empty()
    } else {
        name == endpoint
    }
}

impl Connections {
    pub(crate) fn get(&self, endpoint: &str) -> Option<&ConnectionHandle> {
        self.0
            .iter()
            .find(|(name, _)| same(name, endpoint))
            .map(|(_, handle)| handle)
    }

    pub(crate) fn contains(&self, endpoint: &str) -> bool {
        self.get(endpoint).is_some()
    }

    pub(crate) fn insert(&mut self, endpoint: String, handle: ConnectionHandle) {
        self.remove(&endpoint);
        // Room for exactly the first one: most sessions never have another.
        self.0.reserve_exact(1);
        self.0.push((endpoint, handle));
    }

    pub(crate) fn remove(&mut self, endpoint: &str) -> Option<ConnectionHandle> {
        let index = self.0.iter().position(|(name, _)| same(name, endpoint))?;
        Some(self.0.swap_remove(index).1)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Endpoint names with their connections.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &ConnectionHandle)> {
        self.0.iter().map(|(name, handle)| (name.as_str(), handle))
    }

    pub(crate) fn into_inner(self) -> Vec<(String, ConnectionHandle)> {
        self.0
    }
}
