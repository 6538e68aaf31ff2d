//! Polling payloads: several packets in one HTTP body.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;

use crate::codec::engineio::packet::{DecodeError, Packet};
use crate::codec::legacy::{parse_length, split_utf16};

/// Why a polling payload could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// A packet inside is malformed.
    #[error("bad packet: {0}")]
    Packet(#[from] DecodeError),
    /// A protocol 3 length is missing, not a number, or runs past the end.
    #[error("bad length prefix")]
    BadLength,
    /// More packets than allowed.
    #[error("more than {0} packets in one payload")]
    TooManyPackets(usize),
    /// A protocol 3 binary packet whose type is not message (`4`), or has
    /// none: only messages carry binary.
    #[error("binary packet that is not a message")]
    BinaryNotMessage,
    /// A protocol 3 binary payload record that is neither string (0) nor binary (1).
    #[error("unknown record kind {0}")]
    BadRecordKind(u8),
    /// A string packet in a protocol 3 binary payload that is not UTF-8.
    #[error("string packet is not UTF-8")]
    NotUtf8,
}

const SEPARATOR: char = '\x1e';

/// Protocol 4: packets joined by the record separator U+001E.
pub fn encode_v4_payload(packets: &[Packet]) -> String {
    let mut out = String::new();
    for (i, packet) in packets.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        out.push_str(&packet.encode());
    }
    out
}

/// Protocol 4: splits on U+001E and decodes each packet.
pub fn decode_v4_payload(body: &str, max_packets: usize) -> Result<Vec<Packet>, PayloadError> {
    let mut packets = Vec::new();
    for part in body.split(SEPARATOR) {
        if packets.len() >= max_packets {
            return Err(PayloadError::TooManyPackets(max_packets));
        }
        packets.push(Packet::decode(part)?);
    }
    Ok(packets)
}

/// Protocol 3 (text): each packet as `<length>:<packet>`, the length in
/// UTF-16 units as JavaScript counts them; binary as `b4<base64>`.
pub fn encode_v3_payload(packets: &[Packet]) -> String {
    let mut out = String::new();
    for packet in packets {
        let text = encode_v3_text(packet);
        out.push_str(&crate::codec::legacy::utf16_len(&text).to_string());
        out.push(':');
        out.push_str(&text);
    }
    out
}

/// Protocol 3 (text): reads `<length>:<packet>` records; work is bounded by
/// the input, never by the declared lengths.
pub fn decode_v3_payload(body: &str, max_packets: usize) -> Result<Vec<Packet>, PayloadError> {
    let mut packets = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (digits, after) = rest.split_once(':').ok_or(PayloadError::BadLength)?;
        let units = parse_length(digits).ok_or(PayloadError::BadLength)?;
        let (text, after) = split_utf16(after, units).map_err(|_| PayloadError::BadLength)?;
        if packets.len() >= max_packets {
            return Err(PayloadError::TooManyPackets(max_packets));
        }
        packets.push(decode_v3_text(text)?);
        rest = after;
    }
    Ok(packets)
}

/// Protocol 3 writes binary as text with its packet type, `b4<base64>`, where
/// protocol 4 has just `b<base64>`; everything else is the same.
fn encode_v3_text(packet: &Packet) -> String {
    match packet {
        Packet::Binary(bytes) => format!("b4{}", BASE64.encode(bytes)),
        other => other.encode(),
    }
}

fn decode_v3_text(text: &str) -> Result<Packet, PayloadError> {
    match text.strip_prefix('b') {
        Some(base64) => {
            let data = base64.strip_prefix('4').ok_or(PayloadError::BinaryNotMessage)?;
            let bytes = BASE64.decode(data).map_err(|_| DecodeError::BadBase64)?;
            Ok(Packet::Binary(Bytes::from(bytes)))
        }
        None => Ok(Packet::decode(text)?),
    }
}

/// Record kinds of the protocol 3 binary payload.
const STRING_RECORD: u8 = 0;
const BINARY_RECORD: u8 = 1;
/// Ends a record's length digits.
const LENGTH_END: u8 = 255;
/// The message packet type, as the first byte of a binary packet.
const MESSAGE_TYPE: u8 = 4;

/// Protocol 3 with binary support (XHR2 polling): each packet as a kind byte
/// (0 string, 1 binary), its length as one byte per decimal digit, 255, then
/// the packet. A string packet is its UTF-8 text and the length counts
/// bytes; a binary packet is the type byte `4` then the data, and the length
/// counts the type byte too (as engine.io-parser 2.x's
/// `encodePayloadAsBinary` writes them).
pub fn encode_v3_binary_payload(packets: &[Packet]) -> Vec<u8> {
    let mut out = Vec::new();
    for packet in packets {
        match packet {
            Packet::Binary(bytes) => {
                push_record_head(&mut out, BINARY_RECORD, bytes.len() + 1);
                out.push(MESSAGE_TYPE);
                out.extend_from_slice(bytes);
            }
            other => {
                let text = other.encode();
                push_record_head(&mut out, STRING_RECORD, text.len());
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    out
}

fn push_record_head(out: &mut Vec<u8>, kind: u8, len: usize) {
    out.push(kind);
    out.extend(len.to_string().bytes().map(|digit| digit - b'0'));
    out.push(LENGTH_END);
}

/// Protocol 3 with binary support: reads the records
/// [`encode_v3_binary_payload`] writes. Lengths are checked against the
/// body, so work is bounded by the input.
pub fn decode_v3_binary_payload(body: &[u8], max_packets: usize) -> Result<Vec<Packet>, PayloadError> {
    let mut packets = Vec::new();
    let mut rest = body;
    while let Some((&kind, after)) = rest.split_first() {
        if kind != STRING_RECORD && kind != BINARY_RECORD {
            return Err(PayloadError::BadRecordKind(kind));
        }
        // At most 10 digits: the search for the end stays short.
        let digits_end = after
            .iter()
            .take(11)
            .position(|&b| b == LENGTH_END)
            .ok_or(PayloadError::BadLength)?;
        let (digits, after) = (&after[..digits_end], &after[digits_end + 1..]);
        if digits.is_empty() || !digits.iter().all(|&d| d <= 9) {
            return Err(PayloadError::BadLength);
        }
        let len = digits
            .iter()
            .fold(0usize, |len, &d| len.saturating_mul(10).saturating_add(usize::from(d)));
        if len > after.len() {
            return Err(PayloadError::BadLength);
        }
        let (data, after) = after.split_at(len);
        if packets.len() >= max_packets {
            return Err(PayloadError::TooManyPackets(max_packets));
        }
        packets.push(if kind == STRING_RECORD {
            decode_v3_text(std::str::from_utf8(data).map_err(|_| PayloadError::NotUtf8)?)?
        } else {
            match data.split_first() {
                Some((&MESSAGE_TYPE, bytes)) => Packet::Binary(Bytes::copy_from_slice(bytes)),
                _ => return Err(PayloadError::BinaryNotMessage),
            }
        });
        rest = after;
    }
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_payloads_use_the_record_separator() {
        let packets = vec![
            Packet::Message("a".into()),
            Packet::Ping(None),
            Packet::Message("é😀".into()),
        ];
        let body = encode_v4_payload(&packets);
        assert_eq!(body, "4a\u{1e}2\u{1e}4é😀");
        assert_eq!(decode_v4_payload(&body, 10), Ok(packets));
        assert_eq!(decode_v4_payload(&body, 2), Err(PayloadError::TooManyPackets(2)));
        assert!(decode_v4_payload("4a\u{1e}", 10).is_err(), "an empty packet is refused");
    }

    #[test]
    fn v3_payloads_count_utf16_units() {
        let packets = vec![Packet::Message("😀".into()), Packet::Pong(Some("probe".into()))];
        let body = encode_v3_payload(&packets);
        assert_eq!(body, "3:4😀6:3probe");
        assert_eq!(decode_v3_payload(&body, 10), Ok(packets));
        for bad in ["x:4a", "9:4a", "2:4😀", "4a", ":4"] {
            assert_eq!(decode_v3_payload(bad, 10), Err(PayloadError::BadLength), "{bad:?}");
        }
    }

    #[test]
    fn v3_text_payloads_carry_binary_with_its_type() {
        let packets = vec![
            Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])),
            Packet::Message("a".into()),
        ];
        let body = encode_v3_payload(&packets);
        assert_eq!(body, "10:b4AQIDBA==2:4a");
        assert_eq!(decode_v3_payload(&body, 10), Ok(packets));
        assert_eq!(decode_v3_payload("2:b4", 10), Ok(vec![Packet::Binary(Bytes::new())]));
        assert_eq!(
            decode_v3_payload("9:bAQIDBA==", 10),
            Err(PayloadError::BinaryNotMessage)
        );
        assert_eq!(decode_v3_payload("1:b", 10), Err(PayloadError::BinaryNotMessage));
        assert_eq!(
            decode_v3_payload("4:b4!!", 10),
            Err(PayloadError::Packet(DecodeError::BadBase64))
        );
    }

    #[test]
    fn v3_binary_payloads_frame_bytes() {
        let packets = vec![
            Packet::Message("é".into()),
            Packet::Binary(Bytes::from_static(&[0, 255, 1])),
            Packet::Ping(None),
            Packet::Binary(Bytes::from(vec![7; 12])),
        ];
        let body = encode_v3_binary_payload(&packets);
        let mut expected = vec![
            0, 3, 255, b'4', 0xc3, 0xa9, 1, 4, 255, 4, 0, 255, 1, 0, 1, 255, b'2', 1, 1, 3, 255, 4,
        ];
        expected.extend([7; 12]);
        assert_eq!(body, expected);
        assert_eq!(decode_v3_binary_payload(&body, 10), Ok(packets));
        assert_eq!(decode_v3_binary_payload(&body, 3), Err(PayloadError::TooManyPackets(3)));
        assert_eq!(encode_v3_binary_payload(&[]), Vec::<u8>::new());
        assert_eq!(decode_v3_binary_payload(&[], 10), Ok(vec![]));
        // A string record may still hold a base64 binary packet.
        assert_eq!(
            decode_v3_binary_payload(b"\x00\x06\xffb4AA==", 10),
            Ok(vec![Packet::Binary(Bytes::from_static(&[0]))])
        );
    }

    #[test]
    fn v3_binary_payloads_refuse_bad_records() {
        let cases: [(&[u8], PayloadError); 12] = [
            (&[2, 1, 255, b'6'], PayloadError::BadRecordKind(2)),
            (&[0, 1, b'6'], PayloadError::BadLength),
            (&[0, 255, b'6'], PayloadError::BadLength),
            (&[0, 10, 255, b'6'], PayloadError::BadLength),
            (&[0, 2, 255, b'6'], PayloadError::BadLength),
            (&[0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 255], PayloadError::BadLength),
            (&[0], PayloadError::BadLength),
            (&[0, 0, 255], PayloadError::Packet(DecodeError::Empty)),
            (&[0, 2, 255, 0xc3, 0x28], PayloadError::NotUtf8),
            (&[0, 1, 255, b'9'], PayloadError::Packet(DecodeError::BadType('9'))),
            (&[1, 0, 255], PayloadError::BinaryNotMessage),
            (&[1, 2, 255, 2, 0], PayloadError::BinaryNotMessage),
        ];
        for (body, error) in cases {
            assert_eq!(decode_v3_binary_payload(body, 10), Err(error), "{body:?}");
        }
    }
}
