//! The sockets of this server, by namespace and id, and the rooms they
//! joined: the local side of the adapter. Each namespace has a lock of its
//! own, so traffic on one never waits for another.
//!
//! Every socket is in the room named by its own id, as in node, without an
//! entry for it: a room name that is a member's id picks that member. An
//! idle socket then costs no room table of its own.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};

use crate::core::Connection;

#[derive(Default)]
struct Group {
    /// Held weakly: a connection that is gone is never kept alive by a room.
    members: HashMap<Arc<str>, Weak<Connection>>,
    rooms: HashMap<String, HashSet<Arc<str>>>,
    joined: HashMap<Arc<str>, HashSet<String>>,
}

impl Group {
    fn leave(&mut self, room: &str, sid: &Arc<str>) {
        if let Some(members) = self.rooms.get_mut(room) {
            members.remove(sid);
            if members.is_empty() {
                self.rooms.remove(room);
            }
        }
        if let Some(rooms) = self.joined.get_mut(sid) {
            rooms.remove(room);
        }
    }
}

/// Which sockets a fan-out reaches: members of any of `rooms` (every
/// member when empty) less those in any of `except` or whose id is in it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Selector<'a> {
    pub(crate) rooms: &'a [String],
    pub(crate) except: &'a [String],
}

#[derive(Default)]
pub(crate) struct Rooms {
    groups: RwLock<HashMap<String, Arc<Mutex<Group>>>>,
}

impl std::fmt::Debug for Rooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rooms").finish_non_exhaustive()
    }
}

fn lock(group: &Mutex<Group>) -> MutexGuard<'_, Group> {
    // Every critical section is panic-free, so a poisoned lock is usable.
    group.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl Rooms {
    fn group(&self, namespace: &str) -> Option<Arc<Mutex<Group>>> {
        let groups = self.groups.read().unwrap_or_else(|poison| poison.into_inner());
        groups.get(namespace).cloned()
    }

    /// The namespace's group, and whether this call made it.
    fn group_or_new(&self, namespace: &str) -> (Arc<Mutex<Group>>, bool) {
        if let Some(group) = self.group(namespace) {
            return (group, false);
        }
        let mut groups = self.groups.write().unwrap_or_else(|poison| poison.into_inner());
        let mut new = false;
        let group = groups
            .entry(namespace.to_owned())
            .or_insert_with(|| {
                new = true;
                Arc::default()
            })
            .clone();
        (group, new)
    }

    /// A connection enters its namespace (before its open hook runs, so
    /// the hook may join rooms).
    /// Returns whether the namespace had never had a member before.
    pub(crate) fn add_member(&self, namespace: &str, sid: &Arc<str>, connection: Weak<Connection>) -> bool {
        let (group, new) = self.group_or_new(namespace);
        lock(&group).members.insert(sid.clone(), connection);
        new
    }

    /// A connection leaves its namespace and every room in it. Empty
    /// groups stay: a namespace that was used once is likely used again.
    /// Returns the rooms it was in (its own room aside).
    pub(crate) fn remove_member(&self, namespace: &str, sid: &Arc<str>) -> Vec<String> {
        let Some(group) = self.group(namespace) else {
            return Vec::new();
        };
        let mut group = lock(&group);
        group.members.remove(sid);
        let rooms: Vec<String> = group.joined.remove(sid).unwrap_or_default().into_iter().collect();
        for room in &rooms {
            group.leave(room, sid);
        }
        rooms
    }

    /// Adds a member to `rooms`. A connection that already left its
    /// namespace joins nothing: a late `join` after teardown cannot leave
    /// an entry for a dead socket.
    ///
    /// `joined` hears each room it was not in yet.
    pub(crate) fn join(&self, namespace: &str, sid: &Arc<str>, rooms: &[String], mut joined: impl FnMut(&str)) {
        let Some(group) = self.group(namespace) else { return };
        let mut group = lock(&group);
        if !group.members.contains_key(sid) {
            return;
        }
        for room in rooms.iter().filter(|room| ***room != **sid) {
            group.rooms.entry(room.clone()).or_default().insert(sid.clone());
            if group.joined.entry(sid.clone()).or_default().insert(room.clone()) {
                joined(room);
            }
        }
    }

    /// `left` hears each room it was in.
    pub(crate) fn leave(&self, namespace: &str, sid: &Arc<str>, rooms: &[String], mut left: impl FnMut(&str)) {
        let Some(group) = self.group(namespace) else { return };
        let mut group = lock(&group);
        for room in rooms {
            let was_in = group.joined.get(sid).is_some_and(|joined| joined.contains(room));
            group.leave(room, sid);
            if was_in {
                left(room);
            }
        }
    }

    /// Every namespace that ever had a member, with its member count now.
    #[cfg_attr(not(feature = "admin-ui"), allow(dead_code))] // Used by the admin UI only.
    pub(crate) fn namespaces(&self) -> Vec<(String, usize)> {
        let groups = self.groups.read().unwrap_or_else(|poison| poison.into_inner());
        groups
            .iter()
            .map(|(name, group)| (name.clone(), lock(group).members.len()))
            .collect()
    }

    /// The rooms a member is in, sorted: its own id among them.
    pub(crate) fn rooms_of(&self, namespace: &str, sid: &str) -> Vec<String> {
        let Some(group) = self.group(namespace) else {
            return Vec::new();
        };
        let group = lock(&group);
        if !group.members.contains_key(sid) {
            return Vec::new();
        }
        let mut rooms: Vec<String> = std::iter::once(sid.to_owned())
            .chain(group.joined.get(sid).into_iter().flatten().cloned())
            .collect();
        rooms.sort();
        rooms
    }

    /// Every room of a namespace that has a member (the members' own-id
    /// rooms included, as node counts them), sorted.
    pub(crate) fn all_rooms(&self, namespace: &str) -> Vec<String> {
        let Some(group) = self.group(namespace) else {
            return Vec::new();
        };
        let group = lock(&group);
        let mut rooms: Vec<String> = group
            .rooms
            .keys()
            .cloned()
            .chain(group.members.keys().map(|sid| sid.to_string()))
            .collect();
        rooms.sort();
        rooms.dedup();
        rooms
    }

    /// A live socket by id, in whichever namespace it is.
    pub(crate) fn find(&self, sid: &str) -> Option<Arc<Connection>> {
        let groups: Vec<_> = {
            let groups = self.groups.read().unwrap_or_else(|poison| poison.into_inner());
            groups.values().cloned().collect()
        };
        groups
            .iter()
            .find_map(|group| lock(group).members.get(sid).and_then(Weak::upgrade))
    }

    /// The live members `selector` picks, each once.
    pub(crate) fn select(&self, namespace: &str, selector: Selector<'_>) -> Vec<Arc<Connection>> {
        let Some(group) = self.group(namespace) else {
            return Vec::new();
        };
        let group = lock(&group);
        let excluded = |sid: &Arc<str>| -> bool {
            !selector.except.is_empty()
                && (selector.except.iter().any(|except| **except == **sid)
                    || group
                        .joined
                        .get(sid)
                        .is_some_and(|joined| selector.except.iter().any(|room| joined.contains(room))))
        };
        let upgrade = |sid: &Arc<str>| -> Option<Arc<Connection>> {
            if excluded(sid) {
                return None;
            }
            group.members.get(sid).and_then(Weak::upgrade)
        };
        if selector.rooms.is_empty() {
            return sized(group.members.len(), group.members.keys().filter_map(upgrade));
        }
        // One room, the common case: its members are distinct already; only
        // a member whose id names the room too could come twice.
        if let [room] = selector.rooms {
            let own = group.members.get_key_value(room.as_str()).map(|(sid, _)| sid);
            let members = group.rooms.get(room);
            let most = members.map_or(0, |members| members.len()) + usize::from(own.is_some());
            let members = members.into_iter().flatten();
            let distinct = members.filter(|sid| own.is_none_or(|own| ***sid != **own)).chain(own);
            return sized(most, distinct.filter_map(upgrade));
        }
        let mut seen = HashSet::new();
        let own_id_rooms = selector
            .rooms
            .iter()
            .filter_map(|room| group.members.get_key_value(room.as_str()).map(|(sid, _)| sid));
        selector
            .rooms
            .iter()
            .filter_map(|room| group.rooms.get(room))
            .flatten()
            .chain(own_id_rooms)
            .filter(|sid| seen.insert(Arc::clone(sid)))
            .filter_map(upgrade)
            .collect()
    }
}

/// Collects `items` into a list sized once for `most` of them: growing it
/// as it fills would reallocate it about log2(members) times per broadcast.
fn sized<T>(most: usize, items: impl Iterator<Item = T>) -> Vec<T> {
    let mut list = Vec::with_capacity(most);
    list.extend(items);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    /// Joins, reporting the rooms newly joined.
    fn join(table: &Rooms, namespace: &str, sid: &Arc<str>, names: &[&str]) -> Vec<String> {
        let mut joined = Vec::new();
        table.join(namespace, sid, &rooms(names), |room| joined.push(room.to_owned()));
        joined
    }

    fn leave(table: &Rooms, namespace: &str, sid: &Arc<str>, names: &[&str]) -> Vec<String> {
        let mut left = Vec::new();
        table.leave(namespace, sid, &rooms(names), |room| left.push(room.to_owned()));
        left
    }

    #[test]
    fn a_join_after_the_member_left_leaves_no_entry() {
        let table = Rooms::default();
        let sid: Arc<str> = Arc::from("a");
        table.add_member("", &sid, Weak::new());
        assert_eq!(join(&table, "", &sid, &["r"]), ["r"]);
        assert_eq!(table.rooms_of("", &sid), ["a", "r"], "its own id is a room");
        // Teardown, then a handler's late `join` (a clone of its Ctx in a task).
        assert_eq!(table.remove_member("", &sid), ["r"]);
        assert!(join(&table, "", &sid, &["late"]).is_empty());
        assert!(table.rooms_of("", &sid).is_empty());
        assert!(table.all_rooms("").is_empty(), "no room keeps a dead member");
    }

    #[test]
    fn rooms_are_per_namespace_and_leave_empties_them() {
        let table = Rooms::default();
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        table.add_member("", &a, Weak::new());
        table.add_member("/chat", &b, Weak::new());
        assert_eq!(join(&table, "", &a, &["r", "s"]), ["r", "s"]);
        // Only what changed is reported: not a room it is in, not its own.
        assert_eq!(join(&table, "", &a, &["r", "a"]), Vec::<String>::new());
        join(&table, "/chat", &b, &["r"]);
        assert_eq!(table.all_rooms(""), ["a", "r", "s"]);
        assert_eq!(table.all_rooms("/chat"), ["b", "r"]);
        assert_eq!(leave(&table, "", &a, &["r", "x"]), ["r"]);
        assert_eq!(table.all_rooms(""), ["a", "s"]);
        assert_eq!(table.rooms_of("", &a), ["a", "s"]);
        let mut namespaces = table.namespaces();
        namespaces.sort();
        assert_eq!(namespaces, [("".to_owned(), 1), ("/chat".to_owned(), 1)]);
    }
}
