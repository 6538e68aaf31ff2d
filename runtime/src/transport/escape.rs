//! Text for JavaScript string literals inside scripts and HTML pages
//! (jsonp-polling, htmlfile): nothing a client sends can end the string,
//! the script, or the `<script>` element.

/// `text` as a double-quoted JavaScript string literal. JSON escaping covers
/// quotes, backslashes and control characters; on top of it `<`, `>` and `&`
/// are escaped so `</script>` or `<!--` cannot appear, and U+2028/U+2029 so
/// pre-ES2019 engines do not see a line break inside the literal.
pub(crate) fn js_string(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::js_string;

    #[test]
    fn nothing_breaks_out_of_the_string_or_the_script() {
        let hostile = "\"); alert(1); (\"\\</script><script>alert(2)</script><!-- \u{2028}\u{2029}\n\r\t\u{0}";
        let out = js_string(hostile);
        for bad in ["</", "<!--", "\u{2028}", "\u{2029}", "\n", "\r", "\u{0}"] {
            assert!(!out.contains(bad), "{bad:?} in {out}");
        }
        // Quotes only appear escaped, except the two delimiters.
        let inner = &out[1..out.len() - 1];
        assert!(!inner.replace("\\\\", "").replace("\\\"", "").contains('"'), "{out}");
        // It is still the same string for a JSON/JS parser.
        assert_eq!(serde_json::from_str::<String>(&out).expect("valid literal"), hostile);
        let data = "\u{fffd}6\u{fffd}3:::😀";
        assert_eq!(serde_json::from_str::<String>(&js_string(data)).expect("valid"), data);
    }
}
