//! The hixie-76 websocket draft (2010): what the Flash fallback bundled
//! with the 0.9 client and Safari 5-era browsers speak. Its handshake
//! answers an MD5 challenge; its frames are `0x00 <UTF-8> 0xFF`. The codec
//! yields tungstenite `Message`s so the websocket transport serves both
//! drafts the same way.

use bytes::{Buf, BufMut, BytesMut};
use md5::{Digest, Md5};
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_util::codec::{Decoder, Encoder};

/// The number a `Sec-WebSocket-Key1/2` header encodes: its digits divided
/// by its count of spaces. `None` for a malformed key.
pub(crate) fn key_number(key: &str) -> Option<u32> {
    let digits: String = key.chars().filter(char::is_ascii_digit).collect();
    let spaces = u64::try_from(key.chars().filter(|c| *c == ' ').count()).ok()?;
    let number: u64 = digits.parse().ok()?;
    if spaces == 0 || number % spaces != 0 {
        return None;
    }
    u32::try_from(number / spaces).ok()
}

/// The 16 bytes that prove the server read the challenge.
pub(crate) fn challenge_answer(key1: u32, key2: u32, key3: [u8; 8]) -> [u8; 16] {
    let mut hasher = Md5::new();
    hasher.update(key1.to_be_bytes());
    hasher.update(key2.to_be_bytes());
    hasher.update(key3);
    hasher.finalize().into()
}

/// Frames of the hixie-76 draft, with a size cap.
#[derive(Debug)]
pub(crate) struct Hixie76Codec {
    max_message: usize,
}

impl Hixie76Codec {
    pub(crate) fn new(max_message: usize) -> Self {
        Self { max_message }
    }
}

impl Decoder for Hixie76Codec {
    type Item = Message;
    type Error = WsError;

    fn decode(&mut self, buffer: &mut BytesMut) -> Result<Option<Message>, WsError> {
        let Some(&kind) = buffer.first() else { return Ok(None) };
        match kind {
            0x00 => match buffer.iter().position(|b| *b == 0xFF) {
                Some(end) => {
                    let frame = buffer.split_to(end + 1);
                    let text = std::str::from_utf8(&frame[1..end]).map_err(WsError::from)?;
                    Ok(Some(Message::Text(Utf8Bytes::from(text))))
                }
                None if buffer.len() > self.max_message + 1 => Err(WsError::Capacity(CapacityError::MessageTooLong {
                    size: buffer.len(),
                    max_size: self.max_message,
                })),
                None => Ok(None),
            },
            0xFF => {
                if buffer.len() < 2 {
                    return Ok(None);
                }
                if buffer[1] != 0x00 {
                    return Err(WsError::Protocol(ProtocolError::InvalidOpcode(0xFF)));
                }
                buffer.advance(2);
                Ok(Some(Message::Close(None)))
            }
            other => Err(WsError::Protocol(ProtocolError::InvalidOpcode(other))),
        }
    }
}

impl Encoder<Message> for Hixie76Codec {
    type Error = WsError;

    fn encode(&mut self, message: Message, buffer: &mut BytesMut) -> Result<(), WsError> {
        match message {
            Message::Text(text) => {
                buffer.reserve(text.len() + 2);
                buffer.put_u8(0x00);
                buffer.put_slice(text.as_bytes());
                buffer.put_u8(0xFF);
            }
            Message::Close(_) => buffer.put_slice(&[0xFF, 0x00]),
            // The draft has no binary, ping or pong frames.
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draft_example_challenge() {
        // The worked example of draft-hixie-thewebsocketprotocol-76, section 1.3.
        let key1 = key_number("4 @1  46546xW%0l 1 5").expect("valid");
        let key2 = key_number("12998 5 Y3 1  .P00").expect("valid");
        assert_eq!((key1, key2), (829_309_203, 259_970_620));
        assert_eq!(&challenge_answer(key1, key2, *b"^n:ds[4U"), b"8jKS'y:G*Co,Wxa-");
        assert_eq!(key_number("12345"), None, "no spaces");
        assert_eq!(key_number("1 1 1"), None, "not divisible: 111 / 2");
    }

    #[test]
    fn frames_round_trip_and_are_capped() {
        let mut codec = Hixie76Codec::new(8);
        let mut buffer = BytesMut::new();
        codec
            .encode(Message::Text("3:::é".into()), &mut buffer)
            .expect("encodes");
        assert_eq!(&buffer[..], b"\x003:::\xc3\xa9\xff");
        buffer.extend_from_slice(b"\x002::");
        assert_eq!(
            codec.decode(&mut buffer).expect("ok"),
            Some(Message::Text("3:::é".into()))
        );
        assert_eq!(codec.decode(&mut buffer).expect("ok"), None, "unterminated: wait");
        buffer.extend_from_slice(b"\xff\xff\x00");
        assert_eq!(
            codec.decode(&mut buffer).expect("ok"),
            Some(Message::Text("2::".into()))
        );
        assert_eq!(codec.decode(&mut buffer).expect("ok"), Some(Message::Close(None)));
        let mut long = BytesMut::from(&b"\x00123456789012"[..]);
        assert!(matches!(codec.decode(&mut long), Err(WsError::Capacity(_))));
        assert!(codec.decode(&mut BytesMut::from(&b"\x80abc"[..])).is_err());
        assert!(
            codec.decode(&mut BytesMut::from(&b"\x00\xc3\x28\xff"[..])).is_err(),
            "invalid UTF-8"
        );
    }
}
