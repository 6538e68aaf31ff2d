//! Shard channel names, and which of them a broadcast goes on and this
//! server listens on, by [`SubscriptionMode`].

use crate::config::SubscriptionMode;

/// Whether node takes `room` for a socket id: 20 UTF-16 units, JS's
/// `length` (node's socket ids are 20 base64url characters).
pub(crate) fn looks_like_socket_id(room: &str) -> bool {
    room.encode_utf16().count() == 20
}

/// The channel names of one key prefix, and the mode that picks them.
#[derive(Debug, Clone)]
pub(crate) struct ShardChannels {
    key: String,
    mode: SubscriptionMode,
}

impl ShardChannels {
    pub(crate) fn new(key: &str, mode: SubscriptionMode) -> Self {
        Self {
            key: key.to_owned(),
            mode,
        }
    }

    /// `KEY#NSP#`: every server of the namespace listens here.
    pub(crate) fn base(&self, nsp: &str) -> String {
        format!("{}#{nsp}#", self.key)
    }

    /// `KEY#NSP#ROOM#`; a server's response channel is this with its uid.
    pub(crate) fn room(&self, nsp: &str, room: &str) -> String {
        format!("{}#{nsp}#{room}#", self.key)
    }

    /// Whether this server listens on the channel of `room` while it holds
    /// a member: in dynamic mode, every room a dynamic publisher sends
    /// there (our legacy session ids are 32 characters: theirs too).
    pub(crate) fn listens_to_room(&self, room: &str) -> bool {
        match self.mode {
            SubscriptionMode::Static => false,
            SubscriptionMode::Dynamic => !looks_like_socket_id(room),
            SubscriptionMode::DynamicPrivate => true,
        }
    }

    /// The channel of a broadcast: its room's own for exactly one room
    /// without acknowledgements (node's rule), else the base channel.
    pub(crate) fn broadcast(&self, nsp: &str, rooms: &[String], with_ack: bool) -> String {
        match rooms {
            [room] if !with_ack && self.listens_to_room(room) => self.room(nsp, room),
            _ => self.base(nsp),
        }
    }

    /// Whether `channel` is one of namespace `nsp`'s (base, room or
    /// response channel).
    pub(crate) fn belongs_to(&self, channel: &str, nsp: &str) -> bool {
        channel
            .strip_prefix(self.key.as_str())
            .and_then(|rest| rest.strip_prefix('#'))
            .and_then(|rest| rest.strip_prefix(nsp))
            .is_some_and(|rest| rest.starts_with('#') && rest.ends_with('#'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_channel_choice_follow_node() {
        let dynamic = ShardChannels::new("socket.io", SubscriptionMode::Dynamic);
        assert_eq!(dynamic.base("/"), "socket.io#/#");
        assert_eq!(dynamic.room("/chat", "r1"), "socket.io#/chat#r1#");
        let one = |room: &str| vec![room.to_owned()];
        assert_eq!(dynamic.broadcast("/", &one("r1"), false), "socket.io#/#r1#");
        assert_eq!(dynamic.broadcast("/", &one("r1"), true), "socket.io#/#");
        assert_eq!(dynamic.broadcast("/", &[], false), "socket.io#/#");
        assert_eq!(
            dynamic.broadcast("/", &["a".to_owned(), "b".to_owned()], false),
            "socket.io#/#"
        );
        // A modern socket id goes on the base channel, a legacy one (32
        // hex digits) on its own.
        let modern = "AAAAAAAAAAAAAAAAAAAA";
        let legacy = "0123456789abcdef0123456789abcdef";
        assert_eq!(dynamic.broadcast("/", &one(modern), false), "socket.io#/#");
        assert_eq!(
            dynamic.broadcast("/", &one(legacy), false),
            format!("socket.io#/#{legacy}#")
        );
        assert!(!dynamic.listens_to_room(modern) && dynamic.listens_to_room(legacy));
        // JS counts UTF-16 units: "é" is one, "😀" two.
        assert!(looks_like_socket_id(&"é".repeat(20)));
        assert!(looks_like_socket_id(&"😀".repeat(10)));

        let fixed = ShardChannels::new("socket.io", SubscriptionMode::Static);
        assert_eq!(fixed.broadcast("/", &one("r1"), false), "socket.io#/#");
        let private = ShardChannels::new("k", SubscriptionMode::DynamicPrivate);
        assert_eq!(private.broadcast("/", &one(modern), false), format!("k#/#{modern}#"));

        assert!(dynamic.belongs_to("socket.io#/chat#r#", "/chat"));
        assert!(dynamic.belongs_to("socket.io#/#", "/"));
        assert!(!dynamic.belongs_to("socket.io#/chat#", "/"));
        assert!(!dynamic.belongs_to("other#/#", "/"));
    }
}
