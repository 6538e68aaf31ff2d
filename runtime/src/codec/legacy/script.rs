//! The JavaScript wrappings of the script-based transports (jsonp-polling,
//! htmlfile): string literals that nothing can break out of, callback
//! indexes, and the `d=` form bodies jsonp posts.

/// A jsonp-polling answer: `io.j[index](argument);`, `argument` already a
/// JavaScript expression (a [`js_string`] literal, or an `Error`).
pub fn jsonp_script(index: u32, argument: &str) -> String {
    format!("io.j[{index}]({argument});")
}

/// The page an htmlfile client's iframe loads first; the padding makes old
/// Internet Explorer start running scripts before the response ends.
pub fn htmlfile_prologue() -> String {
    let mut page = String::from("<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>");
    page.push_str(&" ".repeat(256usize.saturating_sub(page.len())));
    page
}

/// One htmlfile chunk carrying `payload` to the page.
pub fn htmlfile_chunk(payload: &str) -> String {
    format!("<script>_({});</script>", js_string(payload))
}

/// Why a jsonp index or form body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The callback index is not a number of at most six digits.
    #[error("the jsonp index must be a number of at most 6 digits")]
    BadIndex,
    /// The form has no `d` field.
    #[error("expected a form field `d`")]
    MissingField,
    /// The `d` field is not a JSON-encoded string.
    #[error("field `d` is not a JSON string")]
    BadField,
}

/// The most digits a callback index may have: the client counts its
/// pending requests, so a handful is plenty.
const MAX_INDEX_DIGITS: usize = 6;

/// `text` as a double-quoted JavaScript string literal. JSON escaping covers
/// quotes, backslashes and control characters; on top of it `<`, `>` and `&`
/// are escaped so `</script>` or `<!--` cannot appear, and U+2028/U+2029 so
/// pre-ES2019 engines do not see a line break inside the literal.
pub fn js_string(text: &str) -> String {
    let json = serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned());
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Validates a client's callback index (`i=` or `jsonp=`): digits only,
/// bounded; anything else could inject script. Missing means 0.
pub fn callback_index(raw: Option<&str>) -> Result<u32, ScriptError> {
    let raw = raw.unwrap_or("0");
    if raw.is_empty() || raw.len() > MAX_INDEX_DIGITS || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ScriptError::BadIndex);
    }
    raw.parse().map_err(|_| ScriptError::BadIndex)
}

/// The packets of a jsonp form post: the `d` field, a JSON string literal,
/// as the 0.9 client always writes it (so that newlines survive the form).
pub fn decode_form_payload(body: &str) -> Result<String, ScriptError> {
    let field = form_urlencoded::parse(body.as_bytes())
        .find(|(key, _)| key == "d")
        .map(|(_, value)| value);
    let value = field.ok_or(ScriptError::MissingField)?;
    serde_json::from_str::<String>(&value).map_err(|_| ScriptError::BadField)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_breaks_out_of_the_string_or_the_script() {
        let hostile = "\"); alert(1); (\"\\</script><script>alert(2)</script><!-- \u{2028}\u{2029}\n\r\t\u{0}";
        let out = js_string(hostile);
        for bad in ["</", "<!--", "\u{2028}", "\u{2029}", "\n", "\r", "\u{0}"] {
            assert!(!out.contains(bad), "{bad:?} in {out}");
        }
        let inner = &out[1..out.len() - 1];
        assert!(!inner.replace("\\\\", "").replace("\\\"", "").contains('"'), "{out}");
        assert_eq!(serde_json::from_str::<String>(&out).expect("valid literal"), hostile);
        let data = "\u{fffd}6\u{fffd}3:::😀";
        assert_eq!(serde_json::from_str::<String>(&js_string(data)).expect("valid"), data);
    }

    #[test]
    fn only_small_numbers_are_indexes() {
        assert_eq!(callback_index(None), Ok(0));
        assert_eq!(callback_index(Some("12")), Ok(12));
        for bad in ["", "-1", "1e3", "0]=alert(1);io.j[0", "1234567", " 1", "١"] {
            assert_eq!(callback_index(Some(bad)), Err(ScriptError::BadIndex), "{bad:?}");
        }
    }

    #[test]
    fn form_posts_take_only_json_strings() {
        assert_eq!(
            decode_form_payload("d=%223%3A%3A%3Ahi%5Cn%22").as_deref(),
            Ok("3:::hi\n")
        );
        assert_eq!(
            decode_form_payload("x=1&d=%223%3A%3A%3Ahi+there%22").as_deref(),
            Ok("3:::hi there")
        );
        assert_eq!(decode_form_payload("x=1"), Err(ScriptError::MissingField));
        // Raw text, other JSON values, and JSON after the string are not a JSON string.
        for bad in [
            "d=%22unterminated",
            "d=3%3A%3A%3Ahi",
            "d=",
            "d=5",
            "d=null",
            "d=%5B%223%3A%3A%3Ax%22%5D",
            "d=%22a%22%22b%22",
        ] {
            assert_eq!(decode_form_payload(bad), Err(ScriptError::BadField), "{bad}");
        }
    }
}
