//! The multi-packet payload of polling transports: one packet as is, or
//! each packet framed as `\u{fffd}<length>\u{fffd}<packet>`, the length in
//! UTF-16 code units (what JavaScript's `String.length` counts).

use super::error::PayloadError;

const MARK: char = '\u{fffd}';

/// UTF-16 length of a string, as JavaScript counts it.
pub fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.chars().map(char::len_utf16).sum()
}

/// A record's length: 1 to 10 ASCII digits (the `usize` parse alone would
/// take a sign).
pub(crate) fn parse_length(digits: &str) -> Option<usize> {
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Why `text` cannot be cut after a number of UTF-16 units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utf16Cut {
    /// The text ends first.
    Short,
    /// A character straddles the cut (half of a surrogate pair).
    InsideCharacter,
}

/// Cuts `text` after its first `units` UTF-16 code units, the unit a
/// length prefix counts. Work is bounded by `text`, not by `units`.
pub(crate) fn split_utf16(text: &str, units: usize) -> Result<(&str, &str), Utf16Cut> {
    // Most packets are ASCII: one byte, one UTF-16 unit.
    if text.as_bytes().get(..units).is_some_and(<[u8]>::is_ascii) {
        return Ok(text.split_at(units));
    }
    let (mut taken, mut end) = (0, 0);
    for c in text.chars() {
        if taken >= units {
            break;
        }
        taken += c.len_utf16();
        end += c.len_utf8();
    }
    match taken.cmp(&units) {
        std::cmp::Ordering::Less => Err(Utf16Cut::Short),
        std::cmp::Ordering::Greater => Err(Utf16Cut::InsideCharacter),
        // `end` sums whole characters, so it is a char boundary.
        std::cmp::Ordering::Equal => Ok(text.split_at(end)),
    }
}

/// Frames packets: one packet verbatim, two or more framed, none empty.
pub fn encode_payload<S: AsRef<str>>(packets: &[S]) -> String {
    let mut out = String::new();
    encode_payload_into(packets, &mut out);
    out
}

/// [`encode_payload`] at the end of `out`.
pub fn encode_payload_into<S: AsRef<str>>(packets: &[S], out: &mut String) {
    if let [single] = packets {
        out.push_str(single.as_ref());
        return;
    }
    for packet in packets {
        let packet = packet.as_ref();
        out.push(MARK);
        // Writing to a String cannot fail.
        let _ = std::fmt::Write::write_fmt(out, format_args!("{}", utf16_len(packet)));
        out.push(MARK);
        out.push_str(packet);
    }
}

/// Splits a payload into packets (slices of the input). Work is bounded by
/// the input length whatever the declared lengths say. An empty input is
/// refused: no client sends one (an empty POST body or websocket frame).
pub fn decode_payload(input: &str, max_packets: usize) -> Result<Vec<&str>, PayloadError> {
    if !input.starts_with(MARK) {
        if input.is_empty() {
            return Err(PayloadError::Empty);
        }
        if max_packets == 0 {
            return Err(PayloadError::TooManyPackets(max_packets));
        }
        return Ok(vec![input]);
    }
    let mut packets = Vec::new();
    let mut rest = input;
    while let Some(after_mark) = rest.strip_prefix(MARK) {
        let (digits, body) = after_mark.split_once(MARK).ok_or(PayloadError::UnterminatedLength)?;
        let units = parse_length(digits).ok_or(PayloadError::BadLength)?;
        let (packet, after) = split_utf16(body, units).map_err(|cut| match cut {
            Utf16Cut::Short => PayloadError::Truncated,
            Utf16Cut::InsideCharacter => PayloadError::SplitCharacter,
        })?;
        if packets.len() >= max_packets {
            return Err(PayloadError::TooManyPackets(max_packets));
        }
        packets.push(packet);
        rest = after;
    }
    if !rest.is_empty() {
        return Err(PayloadError::TrailingData);
    }
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_cuts_count_utf16_units() {
        assert_eq!(parse_length("0"), Some(0));
        assert_eq!(parse_length("1234567890"), Some(1_234_567_890));
        for bad in ["", "+1", "-1", "1a", "12345678901"] {
            assert_eq!(parse_length(bad), None, "{bad:?}");
        }
        assert_eq!(split_utf16("abc", 2), Ok(("ab", "c")));
        assert_eq!(split_utf16("é😀x", 3), Ok(("é😀", "x")));
        assert_eq!(split_utf16("é😀x", 2), Err(Utf16Cut::InsideCharacter));
        assert_eq!(split_utf16("é", 2), Err(Utf16Cut::Short));
        assert_eq!(split_utf16("", 0), Ok(("", "")));
    }

    #[test]
    fn frames_like_the_javascript_client() {
        assert_eq!(encode_payload(&["1::"]), "1::");
        assert_eq!(encode_payload::<&str>(&[]), "");
        let framed = encode_payload(&["1::", "2::"]);
        assert_eq!(framed, "\u{fffd}3\u{fffd}1::\u{fffd}3\u{fffd}2::");
        assert_eq!(
            framed.as_bytes(),
            b"\xEF\xBF\xBD3\xEF\xBF\xBD1::\xEF\xBF\xBD3\xEF\xBF\xBD2::"
        );
        assert_eq!(utf16_len("3:::é"), 5);
        assert_eq!(utf16_len("3:::😀"), 6);
        assert_eq!(
            encode_payload(&["3:::😀", "3:::é"]),
            "\u{fffd}6\u{fffd}3:::😀\u{fffd}5\u{fffd}3:::é"
        );
    }

    #[test]
    fn decodes_frames_and_single_packets() {
        assert_eq!(decode_payload("", 10), Err(PayloadError::Empty));
        assert_eq!(decode_payload("3:::a\u{fffd}b", 10), Ok(vec!["3:::a\u{fffd}b"]));
        let payload = "\u{fffd}6\u{fffd}3:::😀\u{fffd}8\u{fffd}3:::\u{fffd}\u{2028}:\n";
        assert_eq!(
            decode_payload(payload, 10),
            Ok(vec!["3:::😀", "3:::\u{fffd}\u{2028}:\n"])
        );
    }

    #[test]
    fn refuses_bad_frames() {
        assert_eq!(decode_payload("\u{fffd}x\u{fffd}2::", 10), Err(PayloadError::BadLength));
        assert_eq!(decode_payload("\u{fffd}\u{fffd}2::", 10), Err(PayloadError::BadLength));
        assert_eq!(
            decode_payload("\u{fffd}99999999999\u{fffd}2::", 10),
            Err(PayloadError::BadLength)
        );
        assert_eq!(decode_payload("\u{fffd}3", 10), Err(PayloadError::UnterminatedLength));
        assert_eq!(decode_payload("\u{fffd}9\u{fffd}2::", 10), Err(PayloadError::Truncated));
        assert_eq!(
            decode_payload("\u{fffd}5\u{fffd}3:::😀", 10),
            Err(PayloadError::SplitCharacter)
        );
        assert_eq!(
            decode_payload("\u{fffd}3\u{fffd}2::junk", 10),
            Err(PayloadError::TrailingData)
        );
        assert_eq!(decode_payload("2::", 0), Err(PayloadError::TooManyPackets(0)));
        assert_eq!(decode_payload("", 0), Err(PayloadError::Empty));
        assert_eq!(
            decode_payload("\u{fffd}3\u{fffd}2::\u{fffd}3\u{fffd}2::", 1),
            Err(PayloadError::TooManyPackets(1))
        );
    }
}
