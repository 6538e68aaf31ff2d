//! Channel names of the classic adapter, one set per namespace (`KEY` is
//! the configured prefix, `NSP` node's namespace name with its slash).

/// Node's name of a namespace: our main endpoint `""` is its `/`.
pub(crate) fn wire_nsp(endpoint: &str) -> &str {
    if endpoint.is_empty() { "/" } else { endpoint }
}

/// Our endpoint name for node's namespace `nsp`.
pub(crate) fn endpoint(nsp: &str) -> &str {
    if nsp == "/" { "" } else { nsp }
}

/// The channel names of one key prefix.
#[derive(Debug, Clone)]
pub(crate) struct Channels {
    key: String,
}

/// What a channel a message arrived on carries.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A broadcast (base or single-room channel: the message says which
    /// rooms, so both are handled alike).
    Broadcast,
    Request,
    Response,
}

impl Channels {
    pub(crate) fn new(key: &str) -> Self {
        Self { key: key.to_owned() }
    }

    /// `KEY#NSP#`, or `KEY#NSP#ROOM#` when exactly one room is targeted
    /// (node picks the channel by that rule only, socket ids included).
    pub(crate) fn broadcast(&self, nsp: &str, rooms: &[String]) -> String {
        match rooms {
            [room] => format!("{}#{nsp}#{room}#", self.key),
            _ => format!("{}#{nsp}#", self.key),
        }
    }

    /// `KEY#NSP#*`: the base channel and every room channel.
    pub(crate) fn broadcast_pattern(&self, nsp: &str) -> String {
        format!("{}#{nsp}#*", self.key)
    }

    /// `KEY-request#NSP#`; also what `PUBSUB NUMSUB` counts.
    pub(crate) fn request(&self, nsp: &str) -> String {
        format!("{}-request#{nsp}#", self.key)
    }

    /// `KEY-response#NSP#`, shared by every server.
    pub(crate) fn response(&self, nsp: &str) -> String {
        format!("{}-response#{nsp}#", self.key)
    }

    /// `KEY-response#NSP#UID#`, the requester's own.
    pub(crate) fn response_to(&self, nsp: &str, uid: &str) -> String {
        format!("{}-response#{nsp}#{uid}#", self.key)
    }

    /// Which of `namespaces` (node names) `channel` belongs to, and what it
    /// carries. The longest matching namespace wins, since a name may be a
    /// prefix of another's channel (`/a` and `/a#b`).
    pub(crate) fn classify<'n>(
        &self,
        channel: &str,
        namespaces: impl Iterator<Item = &'n str>,
    ) -> Option<(&'n str, Kind)> {
        let mut best: Option<(&'n str, Kind)> = None;
        for nsp in namespaces {
            if best.as_ref().is_some_and(|(b, _)| b.len() >= nsp.len()) {
                continue;
            }
            if let Some(kind) = self.kind_in(channel, nsp) {
                best = Some((nsp, kind));
            }
        }
        best
    }

    fn kind_in(&self, channel: &str, nsp: &str) -> Option<Kind> {
        let rest = channel.strip_prefix(self.key.as_str())?;
        if let Some(rest) = rest.strip_prefix('#') {
            let rest = rest.strip_prefix(nsp)?.strip_prefix('#')?;
            // `KEY#NSP#` or `KEY#NSP#ROOM#`.
            return (rest.is_empty() || rest.ends_with('#')).then_some(Kind::Broadcast);
        }
        if let Some(rest) = rest.strip_prefix("-request#") {
            return (rest.strip_prefix(nsp)? == "#").then_some(Kind::Request);
        }
        let rest = rest.strip_prefix("-response#")?.strip_prefix(nsp)?.strip_prefix('#')?;
        // The shared channel, or one server's own (any uid: node listens
        // on both whatever its own setting).
        (rest.is_empty() || rest.ends_with('#')).then_some(Kind::Response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_node() {
        let c = Channels::new("socket.io");
        assert_eq!(c.broadcast("/", &[]), "socket.io#/#");
        assert_eq!(c.broadcast("/", &["r1".into()]), "socket.io#/#r1#");
        assert_eq!(c.broadcast("/chat", &["a".into(), "b".into()]), "socket.io#/chat#");
        assert_eq!(c.broadcast_pattern("/"), "socket.io#/#*");
        assert_eq!(c.request("/chat"), "socket.io-request#/chat#");
        assert_eq!(c.response("/"), "socket.io-response#/#");
        assert_eq!(c.response_to("/", "Ab3dEf"), "socket.io-response#/#Ab3dEf#");
    }

    #[test]
    fn classify_picks_namespace_and_kind() {
        let c = Channels::new("socket.io");
        let ns = ["/", "/chat"];
        let of = |ch: &'static str| c.classify(ch, ns.iter().copied());
        assert_eq!(of("socket.io#/#"), Some(("/", Kind::Broadcast)));
        assert_eq!(of("socket.io#/chat#r#"), Some(("/chat", Kind::Broadcast)));
        assert_eq!(of("socket.io-request#/#"), Some(("/", Kind::Request)));
        assert_eq!(of("socket.io-response#/chat#"), Some(("/chat", Kind::Response)));
        assert_eq!(of("socket.io-response#/#Ab3dEf#"), Some(("/", Kind::Response)));
        assert_eq!(of("socket.io-request#/other#"), None);
        assert_eq!(of("other#/#"), None);
        assert_eq!(endpoint(wire_nsp("")), "");
        assert_eq!(wire_nsp("/chat"), "/chat");
    }
}
