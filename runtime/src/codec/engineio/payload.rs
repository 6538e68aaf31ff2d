//! Polling payloads: several packets in one HTTP body.

use crate::codec::engineio::packet::{DecodeError, Packet};

/// Why a polling payload could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
/// UTF-16 units as JavaScript counts them.
pub fn encode_v3_payload(packets: &[Packet]) -> String {
    let mut out = String::new();
    for packet in packets {
        let text = packet.encode();
        out.push_str(&text.encode_utf16().count().to_string());
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
        if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PayloadError::BadLength);
        }
        let units: usize = digits.parse().map_err(|_| PayloadError::BadLength)?;
        let (mut taken, mut end) = (0, 0);
        for c in after.chars() {
            if taken >= units {
                break;
            }
            taken += c.len_utf16();
            end += c.len_utf8();
        }
        if taken != units {
            return Err(PayloadError::BadLength);
        }
        if packets.len() >= max_packets {
            return Err(PayloadError::TooManyPackets(max_packets));
        }
        packets.push(Packet::decode(&after[..end])?);
        rest = &after[end..];
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
}
