use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;

/// One Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// `0`: the handshake, a JSON object (`sid`, `upgrades`, `pingInterval`, ...).
    Open(String),
    /// `1`: the transport is closing.
    Close,
    /// `2`: ping, with an optional payload (`probe` during an upgrade).
    Ping(Option<String>),
    /// `3`: pong, echoing the ping's payload.
    Pong(Option<String>),
    /// `4`: a text message (a Socket.IO packet, usually).
    Message(String),
    /// A binary message: a binary websocket frame, or `b<base64>` in text.
    Binary(Bytes),
    /// `5`: switch to the probed transport.
    Upgrade,
    /// `6`: nothing (ends a poll during an upgrade).
    Noop,
}

/// Why an Engine.IO packet could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// An empty packet.
    #[error("empty packet")]
    Empty,
    /// The type is not a digit from 0 to 6 (or `b` for base64 binary).
    #[error("unknown packet type `{0}`")]
    BadType(char),
    /// `b` followed by text that is not base64.
    #[error("invalid base64 in a binary packet")]
    BadBase64,
    /// Data after a close, upgrade or noop, which carry none.
    #[error("data on a packet type that carries none")]
    UnexpectedData,
}

fn optional(data: &str) -> Option<String> {
    (!data.is_empty()).then(|| data.to_owned())
}

impl Packet {
    /// Decodes a text packet (`4hello`, `2probe`, `bAQID`).
    pub fn decode(text: &str) -> Result<Packet, DecodeError> {
        let mut chars = text.chars();
        let kind = chars.next().ok_or(DecodeError::Empty)?;
        let data = chars.as_str();
        Ok(match kind {
            '0' => Packet::Open(data.to_owned()),
            '1' | '5' | '6' if !data.is_empty() => return Err(DecodeError::UnexpectedData),
            '1' => Packet::Close,
            '2' => Packet::Ping(optional(data)),
            '3' => Packet::Pong(optional(data)),
            '4' => Packet::Message(data.to_owned()),
            '5' => Packet::Upgrade,
            '6' => Packet::Noop,
            'b' => Packet::Binary(Bytes::from(BASE64.decode(data).map_err(|_| DecodeError::BadBase64)?)),
            other => return Err(DecodeError::BadType(other)),
        })
    }

    /// Encodes as text; binary becomes `b<base64>` (polling, or clients
    /// without binary support).
    pub fn encode(&self) -> String {
        match self {
            Packet::Open(json) => format!("0{json}"),
            Packet::Close => "1".to_owned(),
            Packet::Ping(data) => format!("2{}", data.as_deref().unwrap_or("")),
            Packet::Pong(data) => format!("3{}", data.as_deref().unwrap_or("")),
            Packet::Message(text) => format!("4{text}"),
            Packet::Binary(bytes) => format!("b{}", BASE64.encode(bytes)),
            Packet::Upgrade => "5".to_owned(),
            Packet::Noop => "6".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes_every_type() {
        let cases = [
            (
                Packet::Open(r#"{"sid":"a","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}"#.into()),
                r#"0{"sid":"a","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}"#,
            ),
            (Packet::Close, "1"),
            (Packet::Ping(None), "2"),
            (Packet::Ping(Some("probe".into())), "2probe"),
            (Packet::Pong(Some("probe".into())), "3probe"),
            (Packet::Message("hello 😀".into()), "4hello 😀"),
            (Packet::Message(String::new()), "4"),
            (Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])), "bAQIDBA=="),
            (Packet::Upgrade, "5"),
            (Packet::Noop, "6"),
        ];
        for (packet, wire) in cases {
            assert_eq!(packet.encode(), wire);
            assert_eq!(Packet::decode(wire), Ok(packet), "{wire}");
        }
    }

    #[test]
    fn refuses_bad_packets() {
        assert_eq!(Packet::decode(""), Err(DecodeError::Empty));
        assert_eq!(Packet::decode("7"), Err(DecodeError::BadType('7')));
        assert_eq!(Packet::decode("é"), Err(DecodeError::BadType('é')));
        assert_eq!(Packet::decode("b!!"), Err(DecodeError::BadBase64));
        for text in ["1x", "5probe", "6 ", "10"] {
            assert_eq!(Packet::decode(text), Err(DecodeError::UnexpectedData), "{text}");
        }
    }

    proptest::proptest! {
        /// Close, upgrade and noop carry nothing; ping, pong and message
        /// carry any text, kept as it came.
        #[test]
        fn data_only_where_the_type_carries_it(kind in "[0-6]", data in "\\PC{1,16}") {
            let text = format!("{kind}{data}");
            match (kind.as_str(), Packet::decode(&text)) {
                ("1" | "5" | "6", decoded) => proptest::prop_assert_eq!(decoded, Err(DecodeError::UnexpectedData)),
                (_, Ok(packet)) => proptest::prop_assert_eq!(packet.encode(), text),
                (_, Err(error)) => proptest::prop_assert!(false, "{text:?}: {error}"),
            }
        }
    }
}
