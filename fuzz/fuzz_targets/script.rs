//! jsonp/htmlfile wrapping: escaped strings parse back to the input and
//! contain nothing that ends a script; indexes are digits only; form bodies
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socketio::codec::legacy::{callback_index, decode_form_payload, js_string};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let literal = js_string(text);
    assert_eq!(serde_json::from_str::<String>(&literal).expect("a valid literal"), text);
    for bad in ['<', '>', '&', '\u{2028}', '\u{2029}', '\n', '\r'] {
        assert!(!literal.contains(bad));
    }
    if callback_index(Some(text)).is_ok() {
        assert!(!text.is_empty() && text.len() <= 6 && text.bytes().all(|b| b.is_ascii_digit()));
    }
    let _ = decode_form_payload(text);
});
