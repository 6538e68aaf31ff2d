use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::session::Connection;

#[derive(Default)]
struct EndpointGroup {
    members: HashMap<Arc<str>, Weak<Connection>>,
    rooms: HashMap<String, HashSet<Arc<str>>>,
    joined: HashMap<Arc<str>, HashSet<String>>,
}

/// Who is connected to each endpoint and which rooms they joined, keyed by
/// session id (a session has one connection per endpoint). Members are held
/// weakly: a connection that is gone is never kept alive by a room.
#[derive(Default)]
pub(crate) struct Rooms {
    groups: Mutex<HashMap<String, EndpointGroup>>,
}

impl std::fmt::Debug for Rooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rooms").finish_non_exhaustive()
    }
}

impl Rooms {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, EndpointGroup>> {
        self.groups.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn add_member(&self, endpoint: &str, connection: &Arc<Connection>) {
        let mut groups = self.lock();
        let group = groups.entry(endpoint.to_owned()).or_default();
        group
            .members
            .insert(connection.sid().clone(), Arc::downgrade(connection));
    }

    pub(crate) fn remove_member(&self, endpoint: &str, sid: &Arc<str>) {
        let mut groups = self.lock();
        let Some(group) = groups.get_mut(endpoint) else { return };
        group.members.remove(sid);
        for room in group.joined.remove(sid).unwrap_or_default() {
            if let Some(members) = group.rooms.get_mut(&room) {
                members.remove(sid);
                if members.is_empty() {
                    group.rooms.remove(&room);
                }
            }
        }
        if group.members.is_empty() && group.rooms.is_empty() {
            groups.remove(endpoint);
        }
    }

    pub(crate) fn remove_session(&self, sid: &Arc<str>) {
        let endpoints: Vec<String> = self.lock().keys().cloned().collect();
        for endpoint in endpoints {
            self.remove_member(&endpoint, sid);
        }
    }

    pub(crate) fn join(&self, endpoint: &str, room: &str, sid: &Arc<str>) {
        let mut groups = self.lock();
        let group = groups.entry(endpoint.to_owned()).or_default();
        group.rooms.entry(room.to_owned()).or_default().insert(sid.clone());
        group.joined.entry(sid.clone()).or_default().insert(room.to_owned());
    }

    pub(crate) fn leave(&self, endpoint: &str, room: &str, sid: &Arc<str>) {
        let mut groups = self.lock();
        let Some(group) = groups.get_mut(endpoint) else { return };
        if let Some(members) = group.rooms.get_mut(room) {
            members.remove(sid);
            if members.is_empty() {
                group.rooms.remove(room);
            }
        }
        if let Some(rooms) = group.joined.get_mut(sid) {
            rooms.remove(room);
        }
    }

    /// The rooms a session joined on an endpoint.
    pub(crate) fn rooms_of(&self, endpoint: &str, sid: &Arc<str>) -> Vec<String> {
        let groups = self.lock();
        let mut rooms: Vec<String> = groups
            .get(endpoint)
            .and_then(|g| g.joined.get(sid))
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default();
        rooms.sort();
        rooms
    }

    /// The live connections to `endpoint` that are in any of `rooms`
    /// (every member when `rooms` is empty), less session `except`'s.
    pub(crate) fn targets(&self, endpoint: &str, rooms: &[String], except: Option<&str>) -> Vec<Arc<Connection>> {
        let groups = self.lock();
        let Some(group) = groups.get(endpoint) else {
            return Vec::new();
        };
        let upgrade = |sid: &Arc<str>| -> Option<Arc<Connection>> {
            if except == Some(&**sid) {
                return None;
            }
            group.members.get(sid).and_then(Weak::upgrade)
        };
        if rooms.is_empty() {
            return group.members.keys().filter_map(upgrade).collect();
        }
        let mut seen = HashSet::new();
        rooms
            .iter()
            .filter_map(|room| group.rooms.get(room))
            .flatten()
            .filter(|sid| seen.insert(Arc::clone(sid)))
            .filter_map(upgrade)
            .collect()
    }
}
